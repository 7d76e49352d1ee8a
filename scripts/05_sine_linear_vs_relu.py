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
import matplotlib.pyplot as plt
import numpy as np

from tfmodels.core.data import load_dataset
from tfmodels.lessons import lesson_args, log_figure, seeded_glorot, summary_writer, write_curves

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
print("relu(x - 0.5)  ", one(column).numpy()[:, 0].round(3))  # a model is a function
print("relu(1 - 2 h)  ", two(column).numpy()[:, 0].round(3))

# %% [markdown]
# ## The sine regressor, linear and ReLU
#
# The notes' sine model: `Dense(64) -> Dense(64) -> Dense(1)`, trained by Adam on the mean
# squared error. Only the hidden layers' activation changes. The starting weights are Keras's
# Glorot draw made with NumPy's seeded generator, and the samples are shuffled once here and
# then taken in that order (`shuffle=False`), so that the tests can retrain the same model in
# NumPy. (The data come sorted by x: unshuffled, each batch would see one stretch of the wave.)

# %%
def sine_model(activation):
    model = keras.Sequential([
        keras.Input((1,)),
        keras.layers.Dense(64, activation),
        keras.layers.Dense(64, activation),
        keras.layers.Dense(1),  # a regression: one linear output
    ])
    model.set_weights(seeded_glorot(model, seed=0))
    model.compile(optimizer=keras.optimizers.Adam(learning_rate=0.005), loss="mse")
    return model


sine_model("relu").summary()

# %%
epochs = 6 if args.quick else 20
data = load_dataset("sine", 0)
shuffled = np.random.default_rng(0).permutation(len(data.x_train))
x_train, y_train = data.x_train[shuffled], data.y_train[shuffled]
curves, fits = {}, {}
for activation in ("linear", "relu"):
    model = sine_model(activation)
    history = model.fit(x_train, y_train, batch_size=32, epochs=epochs, shuffle=False,
                        verbose=0)
    curves[activation] = history.history["loss"]
    fits[activation] = model(data.x_val).numpy()[:, 0]
    print(f"{activation:6s}: loss after epoch 1 {curves[activation][0]:.4f}, "
          f"after epoch {epochs} {curves[activation][-1]:.4f}")
print("the linear model's error stays high:", curves["linear"][-1] > 0.18,
      "| ReLU's falls:", curves["relu"][-1] < curves["relu"][0] / 3)

# %% [markdown]
# ## The two fits, drawn
#
# The linear model's best is a straight line through the wave; ReLU's pieces bend with it.
# The figure also goes to TensorBoard's Images tab, the loss curves to its Scalars tab.

# %%
order = np.argsort(data.x_val[:, 0])
x_val = data.x_val[order, 0]
fig, (left, right) = plt.subplots(1, 2, figsize=(10, 4), dpi=80)
left.plot(x_val, np.sin(2 * np.pi * x_val), "k--", label="sin(2 pi x)")
for activation, fit in fits.items():
    left.plot(x_val, fit[order], label=activation)
    right.plot(range(1, epochs + 1), curves[activation], label=activation)
left.set_title("fits on the validation x")
right.set(title="training loss", xlabel="epoch", yscale="log")
left.legend()
right.legend()
writer = summary_writer(args.logdir, "05_sine_linear_vs_relu")
write_curves(writer, "loss", curves)
png = log_figure(writer, "sine_fits", fig)
plt.show()
print(f"image: {np.frombuffer(png[16:24], '>u4')} pixels (width, height)")
print(f"Logs: {args.logdir}/05_sine_linear_vs_relu (Images tab: sine_fits)")
print("Next: lesson 6, input scaling and initialisation (scripts/06_scaling_and_init.py)")

# %% [markdown]
# In Jupyter, TensorBoard opens inside the notebook (jupytext turns these comments into the
# notebook's magics):

# %%
# %load_ext tensorboard
# %tensorboard --logdir logs
