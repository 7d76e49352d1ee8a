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
# # Lesson 5: why non-linearity (C07)
#
# The sine wave fitted with no activation, then with ReLU. Without activations, any stack of
# dense layers is one linear function: its best fit of sin(2 pi x) is a straight line. With
# ReLU, each unit adds a kink, and the pieces follow the curve.

# %%
import keras
import numpy as np
import tensorflow as tf

from tfmodels.core.data import load_dataset
from tfmodels.core.registry import get_spec
from tfmodels.core.spec import Dense
from tfmodels.keras_track.model import build_model
from tfmodels.lessons import lesson_args, sine_figure_png, summary_writer, write_curves

args = lesson_args("Lesson 5: why non-linearity")

# %% [markdown]
# ## One ReLU neuron is a hinge; two in a row make a piece
#
# `relu(x - 0.5)` is flat, then a ramp from x = 0.5. A second neuron on top, `relu(1 - 2 h)`,
# turns the ramp into a piece that ends at x = 1. Enough such pieces, shifted and scaled, draw
# any curve.

# %%
one = keras.Sequential([keras.Input((1,)), keras.layers.Dense(1, activation="relu")])
one.set_weights([np.array([[1.0]]), np.array([-0.5])])  # relu(1 x - 0.5)
two = keras.Sequential([keras.Input((1,)), keras.layers.Dense(1, activation="relu"),
                        keras.layers.Dense(1, activation="relu")])
two.set_weights([np.array([[1.0]]), np.array([-0.5]), np.array([[-2.0]]), np.array([1.0])])
grid = np.linspace(0, 1.25, 6)
column = grid.astype(np.float32).reshape(-1, 1)  # a batch of 6 samples, 1 feature each
print("x              ", grid)
print("relu(x - 0.5)  ", one.predict(column, verbose=0)[:, 0].round(3))
print("relu(1 - 2 h)  ", two.predict(column, verbose=0)[:, 0].round(3))

# %% [markdown]
# ## The sine regressor, linear and ReLU
#
# The notes' sine model: `Dense(64) -> Dense(64) -> Dense(1)`, trained by Adam on the mean
# squared error. Only the hidden layers' activation changes. `build_model` makes the Keras
# `Sequential` from the description and compiles it; its `fit` is Keras's own, batching with
# the project's seeded order so NumPy can check the numbers.

# %%
epochs = 6 if args.quick else 20
data = load_dataset("sine", 0)
curves, fits = {}, {}
for activation in ("linear", "relu"):
    spec = get_spec("sine", epochs=epochs, seed=0).replace(
        layers=(Dense(64, activation), Dense(64, activation), Dense(1)))
    model = build_model(spec)
    history = model.fit(data.x_train, data.y_train, batch_size=spec.batch_size,
                        epochs=spec.epochs, verbose=0)
    curves[activation] = history.history["loss"]
    fits[activation] = model.predict(data.x_val, verbose=0)
    print(f"{activation:6s}: loss after epoch 1 {curves[activation][0]:.4f}, "
          f"after epoch {epochs} {curves[activation][-1]:.4f}")
print("the linear model's error stays high:", curves["linear"][-1] > 0.18,
      "| ReLU's falls:", curves["relu"][-1] < curves["relu"][0] / 3)

# %% [markdown]
# ## The two fits, drawn
#
# The loss curves go to the Scalars tab, the fitted curves to the Images tab.

# %%
writer = summary_writer(args.logdir, "05_sine_linear_vs_relu")
write_curves(writer, "loss", curves)
png = sine_figure_png(data.x_val[:, 0], {k: v[:, 0] for k, v in fits.items()})
with writer.as_default():
    tf.summary.image("sine_fits", tf.io.decode_png(png)[tf.newaxis], step=0)
writer.flush()
print(f"image: {np.frombuffer(png[16:24], '>u4')} pixels (width, height)")
print(f"Logs: {args.logdir}/05_sine_linear_vs_relu (Images tab: sine_fits)")

# %% [markdown]
# In Jupyter, TensorBoard opens inside the notebook (jupytext turns these comments into the
# notebook's magics):

# %%
# %load_ext tensorboard
# %tensorboard --logdir logs
