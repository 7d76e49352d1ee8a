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
# # Lesson 11: the Keras way (C23-C27, C30), and the same model as a TF1 graph
#
# Where TF1 builds a graph and runs it in a Session (lesson 10), Keras stacks layers in a
# `Sequential`, `compile`s it with an optimizer, a loss and metrics, and `fit`s it. Then the
# notes' models run in both tracks, and one under a distribution strategy.

# %%
import keras
import matplotlib.pyplot as plt
import numpy as np
import tensorflow as tf

from tfmodels.core import reference as ref
from tfmodels.core.data import load_dataset
from tfmodels.core.logs import new_run_dir
from tfmodels.core.registry import get_spec
from tfmodels.keras_track.model import build_model
from tfmodels.lessons import lesson_args
from tfmodels.parity import compare

args = lesson_args("Lesson 11: the Keras way")
keras.utils.set_random_seed(0)  # Keras's initial weights and fit's shuffling: drawn, but seeded
data = load_dataset("binary4")  # 4 features -> 1 binary label

# %% [markdown]
# ## C23: two ways to build the same model
#
# A list of layers, or one `add` at a time. `keras.Input` gives the input's shape without
# the batch axis (what TF1's placeholder writes as `(None, 4)`).

# %%
listed = keras.Sequential([keras.Input((4,)), keras.layers.Dense(5),
                           keras.layers.Dense(3, activation="relu"),
                           keras.layers.Dense(1, activation="sigmoid")])
added = keras.Sequential()
added.add(keras.Input((4,)))
added.add(keras.layers.Dense(5))
added.add(keras.layers.Dense(3, activation="relu"))
added.add(keras.layers.Dense(1, activation="sigmoid"))
units = [ly.units for ly in listed.layers], [ly.units for ly in added.layers]
print("same layers either way:", units[0] == units[1], "units", *units)

# %% [markdown]
# ## C24: compile, with strings or with objects
#
# Strings take each piece's defaults; objects let you set them (here SGD's learning rate).

# %%
listed.compile(optimizer="adam", loss="binary_crossentropy", metrics=["accuracy"])
added.compile(optimizer=keras.optimizers.SGD(0.1), loss=keras.losses.BinaryCrossentropy(),
              metrics=[keras.metrics.BinaryAccuracy()])

# %% [markdown]
# ## C25: fit, evaluate, predict
#
# `fit` (defaults: `epochs=1`, `batch_size=32`) returns a History of the loss and metrics per
# epoch; `evaluate` measures on held-out data; `predict` returns the sigmoid's probabilities.
# NumPy then recomputes the loss from the trained weights: the model is nothing more than
# these matrix products.

# %%
history = listed.fit(data.x_train, data.y_train, epochs=3 if args.quick else 10, verbose=0)
print("History keys:", sorted(history.history), "epochs:", history.epoch)
loss, accuracy = listed.evaluate(data.x_val, data.y_val, verbose=0)
print(f"evaluate: loss {loss:.4f}, accuracy {accuracy:.3f}")
probabilities = listed.predict(data.x_val, verbose=0)
print("predict: probabilities", np.round(probabilities[:3, 0], 3))
# the same numbers from the trained weights in NumPy (float64; Keras computed in float32)
activations = ["linear", "relu", "sigmoid"]
weights = [w.astype(np.float64) for w in listed.get_weights()]
x_val, y_val = data.x_val.astype(np.float64), data.y_val.astype(np.float64)
numpy_loss, _ = ref.mlp_loss_and_grads(weights, activations, x_val, y_val,
                                       "binary_crossentropy")
numpy_probabilities, _ = ref.mlp_forward(weights, activations, x_val)
numpy_accuracy = np.mean((numpy_probabilities > 0.5) == y_val)
print(f"NumPy on the same weights: loss {numpy_loss:.4f}, accuracy {numpy_accuracy:.3f}; "
      f"largest difference: loss {abs(numpy_loss - loss):.1e}, "
      f"probabilities {np.abs(numpy_probabilities - probabilities).max():.1e}")

# %% [markdown]
# Drawn: the History `fit` returned, and the validation samples' predicted probabilities by
# their true label (a good classifier pushes the two groups apart).

# %%
fig, (left, right) = plt.subplots(1, 2, figsize=(10, 4), dpi=80)
for key, values in history.history.items():
    left.plot(np.array(history.epoch) + 1, values, marker="o", label=key)
left.set(title="History", xlabel="epoch")
left.legend()
right.hist([probabilities[data.y_val[:, 0] == label, 0] for label in (0, 1)], bins=20,
           label=["label 0", "label 1"])
right.set(title="predict() on the validation set", xlabel="probability of 1")
right.legend()
plt.show()

# %% [markdown]
# ## C27: the notes' models in both tracks
#
# Each registered model is built twice from one description (a Keras `Sequential`, and a TF1
# graph in a Session), trained from the same weights on the same batches, and compared number
# by number (`tfmodels compare` does the same from the command line).

# %%
names = ["binary4"] if args.quick else ["binary4", "spiral", "sine", "mnist_mlp"]
for name in names:
    spec = get_spec(name, epochs=2) if args.quick else get_spec(name)
    report = compare(spec, load_dataset(spec.dataset, spec.seed),
                     new_run_dir(args.logdir, f"11_keras_sequential_{name}"))
    print(f"{name:9s} {spec.description}: parity {'OK' if report.ok else 'FAILED'}")
    print(f"{'':9s} final loss keras {report.keras.history['loss'][-1]:.6f}, tf1 "
          f"{report.tf1.history['loss'][-1]:.6f}; largest weight difference "
          f"{report.weight_diff:.1e}")

# %% [markdown]
# ## C30: the same model under a distribution strategy
#
# A model built inside `strategy.scope()` keeps its variables where the strategy says and
# `fit` splits each batch across the strategy's replicas. One CPU replica here (a GPU if you
# name one): it must compute exactly what no strategy computes.

# %%
spec = get_spec("binary4", epochs=2)
data = load_dataset("binary4", spec.seed)
plain = build_model(spec)
plain.fit(data.x_train, data.y_train, batch_size=spec.batch_size, epochs=spec.epochs, verbose=0)
strategy = tf.distribute.OneDeviceStrategy("/cpu:0")
with strategy.scope():
    scoped = build_model(spec)
scoped.fit(data.x_train, data.y_train, batch_size=spec.batch_size, epochs=spec.epochs, verbose=0)
difference = max(float(np.max(np.abs(a - b)))
                 for a, b in zip(plain.get_weights(), scoped.get_weights()))
print(f"under OneDeviceStrategy: largest weight difference {difference}")
print(f"Logs: {args.logdir}/11_keras_sequential_*")
print("Next: lesson 12, beyond Dense: convnets, batch norm, LSTMs (scripts/12_beyond_dense.py)")

# %% [markdown]
# In Jupyter, TensorBoard opens inside the notebook (jupytext turns these comments into the
# notebook's magics):

# %%
# %load_ext tensorboard
# %tensorboard --logdir logs
