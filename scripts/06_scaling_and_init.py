# ---
# jupyter:
#   jupytext:
#     formats: py:percent
#   kernelspec:
#     display_name: Python 3 (ipykernel)
#     language: python
#     name: python3
# ---

# %% [markdown]
# # Lesson 6: input scaling (C04) and initialisation (C05)
#
# Pixels as raw bytes 0..255 make a layer's sums, and its gradients, 255 times larger than
# pixels scaled to 0..1: the same learning rate now overshoots. Weights all started at zero
# make every hidden unit compute the same thing and receive the same update, so they stay
# identical: small random weights (Glorot, uniform +-0.1, 0.01 randn) break that symmetry;
# biases may start at zero.

# %%
import numpy as np
import tensorflow as tf

from tf1_compat.model import Model
from tfmodels.core.data import load_dataset
from tfmodels.core.registry import get_spec
from tfmodels.core.spec import Dense, OptimizerSpec, initial_weights
from tfmodels.keras_track.model import build_model
from tfmodels.lessons import lesson_args, summary_writer

args = lesson_args("Lesson 6: input scaling and initialisation")

# %% [markdown]
# ## C04: the same model on scaled and on raw pixels
#
# The digits MLP, plain gradient descent at 0.05, 3 epochs, from the same weights: once on
# pixels in 0..1, once on the same pixels times 255.

# %%
spec = get_spec("mnist_mlp", epochs=3, seed=0, batch_size=32).replace(
    optimizer=OptimizerSpec("sgd", {"learning_rate": 0.05}))
data = load_dataset("digits")  # pixels already scaled to 0..1
final = {}
for name, x in (("scaled 0..1", data.x_train), ("raw 0..255", data.x_train * 255)):
    model = build_model(spec)  # a compiled keras.Sequential, Glorot weights from spec.seed
    history = model.fit(x, data.y_train, batch_size=spec.batch_size, epochs=spec.epochs,
                        verbose=0)
    final[name] = history.history["loss"][-1]
    print(f"digits, SGD 0.05, 3 epochs, inputs {name}: final loss {final[name]:.4f}")

# %% [markdown]
# ## C05: all-zero weights, in both tracks
#
# A spiral classifier with 8 sigmoid hidden units, every weight and bias started at zero,
# trained in Keras and as a TF1 graph. After training, all 8 columns of the first kernel are
# still equal: the units never became different.

# %%
spec = get_spec("spiral", epochs=2 if args.quick else 5, seed=0).replace(
    layers=(Dense(8, "sigmoid"), Dense(3, "softmax")))
zeros = [np.zeros_like(w) for w in initial_weights(spec)]
data = load_dataset("spiral", 0)
model = build_model(spec, zeros)
model.fit(data.x_train, data.y_train, batch_size=spec.batch_size, epochs=spec.epochs, verbose=0)
kernels = {"keras": model.get_weights()[0]}
with Model(spec, zeros) as tf1_model:  # the same network as a TF1 graph in a Session
    tf1_model.fit(data.x_train, data.y_train, batch_size=spec.batch_size, epochs=spec.epochs,
                  verbose=0)
    kernels["tf1"] = tf1_model.get_weights()[0]
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

# %% [markdown]
# In Jupyter, TensorBoard opens inside the notebook (jupytext turns these comments into the
# notebook's magics):

# %%
# %load_ext tensorboard
# %tensorboard --logdir logs
