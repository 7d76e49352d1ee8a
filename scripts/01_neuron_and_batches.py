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
# # Lesson 1: a neuron, a layer, a batch (C01, C02, C03, C16, C29)
#
# A neuron is a weighted sum of its inputs plus a bias, `x . w + b`; a layer is several
# neurons; a batch is many samples stacked on axis 0, shape `(samples, features)`. Everything a
# dense network computes is built from these products, here in plain NumPy.

# %%
import numpy as np
import tensorflow as tf

from tfmodels.core.data import LAYOUTS, one_hot
from tfmodels.lessons import lesson_args, summary_writer

args = lesson_args("Lesson 1: a neuron, a layer, a batch")

# %% [markdown]
# ## C01: one neuron
#
# Four inputs, four weights, one bias. Without an activation this is linear regression's
# `x . w + b`.

# %%
inputs = np.array([1.0, 2.0, 3.0, 2.5])
weights = np.array([0.2, 0.8, -0.5, 1.0])
bias = 2.0
print("one neuron:", np.dot(weights, inputs) + bias)

# %% [markdown]
# ## C02: a layer of neurons
#
# Three neurons: a weight matrix of shape `(3 neurons, 4 inputs)`, one bias per neuron.
# `np.dot(weights, inputs)` takes each neuron's row times the inputs: three sums.

# %%
layer_weights = np.array([[0.2, 0.8, -0.5, 1.0], [0.5, -0.91, 0.26, -0.5],
                          [-0.26, -0.27, 0.17, 0.87]])
biases = np.array([2.0, 3.0, 0.5])
print("one sample through a layer:", np.dot(layer_weights, inputs) + biases)

# %% [markdown]
# ## C03: a batch
#
# Three samples, shape `(3, 4)`. `np.dot(batch, weights)` now fails: it multiplies
# `(3, 4) . (3, 4)`. Transposing the weights to `(4 inputs, 3 neurons)` lines the axes up:
# `(samples, inputs) @ (inputs, neurons) -> (samples, neurons)`. (Keras and TF1 store the
# kernel already as `(inputs, units)`, so there it is `x @ kernel`.)

# %%
batch = np.array([[1.0, 2.0, 3.0, 2.5], [2.0, 5.0, -1.0, 2.0], [-1.5, 2.7, 3.3, -0.8]])
try:
    np.dot(batch, layer_weights)
except ValueError as e:
    print("np.dot(batch, weights) ->", e)
outputs = batch @ layer_weights.T + biases  # the biases broadcast over the samples
print("a batch through the layer (samples, neurons):\n", outputs)

# %% [markdown]
# ## C16: the layouts data comes in
#
# Whatever the data, the samples axis comes first.

# %%
for name, shape in LAYOUTS.items():
    print(f"  {name:22s} rank {len(shape)}  {shape}")

# %% [markdown]
# ## C29: class labels, and their one-hot rows
#
# A classifier's targets as integers, and as the rows a softmax output is compared with.

# %%
labels = np.array([0, 2, 1])
print("labels", labels, "-> one-hot\n", one_hot(labels, 3))

# %% [markdown]
# ## The layer's outputs in TensorBoard
#
# A histogram of the outputs and a note of the shapes, under `logs/01_neuron_and_batches`.

# %%
writer = summary_writer(args.logdir, "01_neuron_and_batches")
with writer.as_default():
    tf.summary.histogram("layer/outputs", outputs, step=0)
    tf.summary.text("layer/shapes", f"batch {batch.shape} @ weights.T {layer_weights.T.shape} "
                    f"-> {outputs.shape}", step=0)
writer.flush()
print(f"Logs: {args.logdir}/01_neuron_and_batches")
print("Next: lesson 2, activations (scripts/02_activations.py)")

# %% [markdown]
# In Jupyter, TensorBoard opens inside the notebook (jupytext turns these comments into the
# notebook's magics):

# %%
# %load_ext tensorboard
# %tensorboard --logdir logs
