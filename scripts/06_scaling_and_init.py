"""Lesson 6: input scaling (C04) and initialisation (C05).

Pixels as raw bytes 0..255 make a layer's sums, and its gradients, 255 times larger than pixels
scaled to 0..1: the same learning rate now overshoots. Weights all started at zero make every
hidden unit compute the same thing and receive the same update, so they stay identical: small
random weights (Glorot, uniform +-0.1, 0.01 randn) break that symmetry; biases may start at zero.
"""

import numpy as np
import tensorflow as tf

from tfmodels.lessons import lesson_args, scaling_effect, summary_writer, zero_init_units

args = lesson_args(__doc__)
final = scaling_effect(epochs=3)
for name, loss in final.items():
    print(f"digits, SGD 0.05, 3 epochs, inputs {name}: final loss {loss:.4f}")

kernels = zero_init_units(epochs=2 if args.quick else 5)
for track, kernel in kernels.items():
    # equal up to float32 rounding: oneDNN may compute the last columns of a row in another
    # SIMD block, one ulp apart (1.2e-7 relative measured on an AVX2 CPU)
    spread = float(np.max(np.abs(kernel - kernel[:, :1])) / np.max(np.abs(kernel)))
    print(f"{track}: all-zero start, 8 hidden units after training: columns identical = "
          f"{spread < 1e-6} (largest relative spread {spread:.1e}); first input's weights "
          f"{np.round(kernel[0], 4)}")

writer = summary_writer(args.logdir, "06_scaling_and_init")
with writer.as_default():
    for name, loss in final.items():
        tf.summary.scalar(f"final_loss/{name}", loss, step=0)
    tf.summary.histogram("zero_init/hidden_kernel", kernels["keras"], step=0)
writer.flush()
print(f"Logs: {args.logdir}/06_scaling_and_init")
