"""Lesson 5: why non-linearity (C07). The sine wave fitted with no activation, then with ReLU.

Without activations, any stack of dense layers is one linear function: its best fit of
sin(2 pi x) is a straight line. With ReLU, each unit adds a kink and the pieces follow the curve.
"""

import numpy as np
import tensorflow as tf

from tfmodels.lessons import (
    fit_sine,
    lesson_args,
    relu_pieces,
    sine_figure_png,
    summary_writer,
    write_curves,
)

args = lesson_args(__doc__)

# One ReLU neuron is a hinge; two in a row make a piece that starts and stops.
grid = np.linspace(0, 1.25, 6)
one, two = relu_pieces(grid)
print("x              ", grid)
print("relu(x - 0.5)  ", one.round(3))
print("relu(1 - 2 h)  ", two.round(3))

epochs = 6 if args.quick else 20
curves, fits = {}, {}
for activation in ("linear", "relu"):
    curves[activation], x, fits[activation] = fit_sine(activation, epochs)
    print(f"{activation:6s}: loss after epoch 1 {curves[activation][0]:.4f}, "
          f"after epoch {epochs} {curves[activation][-1]:.4f}")
print("the linear model's error stays high:", curves["linear"][-1] > 0.18,
      "| ReLU's falls:", curves["relu"][-1] < curves["relu"][0] / 3)

writer = summary_writer(args.logdir, "05_sine_linear_vs_relu")
write_curves(writer, "loss", curves)
png = sine_figure_png(x[:, 0], {k: v[:, 0] for k, v in fits.items()})
with writer.as_default():
    tf.summary.image("sine_fits", tf.io.decode_png(png)[tf.newaxis], step=0)
writer.flush()
print(f"image: {np.frombuffer(png[16:24], '>u4')} pixels (width, height)")
print(f"Logs: {args.logdir}/05_sine_linear_vs_relu (Images tab: sine_fits)")
