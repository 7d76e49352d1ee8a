"""Lesson 1: a neuron, a layer, a batch (C01, C02, C03, C16, C29).

A neuron is a weighted sum of its inputs plus a bias, `x . w + b`; a layer is several neurons;
a batch is many samples stacked on axis 0, shape (samples, features).
"""

import numpy as np
import tensorflow as tf

from tfmodels.core.data import one_hot
from tfmodels.keras_track.basics import LAYOUTS, neuron_outputs
from tfmodels.lessons import lesson_args, summary_writer

args = lesson_args(__doc__)

# C01: one neuron, 4 inputs; without an activation it is linear regression's `x . w + b`.
inputs = np.array([1.0, 2.0, 3.0, 2.5])
weights = np.array([0.2, 0.8, -0.5, 1.0])
bias = 2.0
print("one neuron:", np.dot(weights, inputs) + bias)

# C02: a layer of 3 neurons: weights (3 neurons, 4 inputs), one bias per neuron.
layer_weights = np.array([[0.2, 0.8, -0.5, 1.0], [0.5, -0.91, 0.26, -0.5],
                          [-0.26, -0.27, 0.17, 0.87]])
biases = np.array([2.0, 3.0, 0.5])
print("one sample through a layer:", neuron_outputs(inputs, layer_weights, biases))

# C03: a batch of 3 samples, shape (3, 4). np.dot(batch, weights) fails: (3,4) . (3,4).
batch = np.array([[1.0, 2.0, 3.0, 2.5], [2.0, 5.0, -1.0, 2.0], [-1.5, 2.7, 3.3, -0.8]])
try:
    np.dot(batch, layer_weights)
except ValueError as e:
    print("np.dot(batch, weights) ->", e)
outputs = neuron_outputs(batch, layer_weights, biases)  # batch @ weights.T + biases
print("a batch through the layer (samples, neurons):\n", outputs)

# C16: the layouts data comes in; the samples axis is always first.
for name, shape in LAYOUTS.items():
    print(f"  {name:22s} rank {len(shape)}  {shape}")

# C29: integer class labels and their one-hot rows.
labels = np.array([0, 2, 1])
print("labels", labels, "-> one-hot\n", one_hot(labels, 3))

writer = summary_writer(args.logdir, "01_neuron_and_batches")
with writer.as_default():
    tf.summary.histogram("layer/outputs", outputs, step=0)
    tf.summary.text("layer/shapes", f"batch {batch.shape} @ weights.T {layer_weights.T.shape} "
                    f"-> {outputs.shape}", step=0)
writer.flush()
print(f"Logs: {args.logdir}/01_neuron_and_batches")
