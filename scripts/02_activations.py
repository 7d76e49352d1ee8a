"""Lesson 2: activations (C06, C08), the same numbers in Keras, TF1 and NumPy.

The output layer's activation follows the task (C08): 1 sigmoid unit for binary labels, K
softmax units for K classes, 1 linear unit for regression.
"""

import numpy as np
import tensorflow as tf

from tf1_compat import activations as tf1_act
from tfmodels.core import reference as ref
from tfmodels.keras_track import activations as keras_act
from tfmodels.lessons import lesson_args, summary_writer

args = lesson_args(__doc__)
z = np.linspace(-3, 3, 7)
names = ["step", "sigmoid", "tanh", "relu", "leaky_relu", "swish", "softmax"]

print("z:", z)
with tf.Graph().as_default(), tf.compat.v1.Session() as sess:
    x = tf.constant(z)
    tf1_values = sess.run({name: getattr(tf1_act, name)(x) for name in names})
    drawn = sess.run(tf1_act.randomized_relu(x, training=True, seed=0))
writer = summary_writer(args.logdir, "02_activations")
for name in names:
    keras_value = np.asarray(getattr(keras_act, name)(tf.constant(z)))
    numpy_value = getattr(ref, name)(z) if name != "leaky_relu" else ref.leaky_relu(
        z, float(np.float32(0.2)))  # TF takes alpha as a float32 attribute
    # float64 all through: the three differ by a rounding or two at most
    difference = max(np.abs(keras_value - numpy_value).max(),
                     np.abs(tf1_values[name] - numpy_value).max())
    print(f"{name:11s}", np.round(keras_value, 3), "same in TF1 and NumPy:", difference < 1e-12,
          f"(largest difference {difference:.1e})")
    with writer.as_default():
        tf.summary.histogram(f"activations/{name}", keras_value, step=0)
print("softmax sums to", keras_act.softmax(tf.constant(z)).numpy().sum())
print("softmax of [1000, 0] (no overflow):", keras_act.softmax(tf.constant([1000.0, 0.0])).numpy())
layer = keras_act.RandomizedReLU(seed=0)
print("randomized ReLU, training (TF1):", np.round(drawn, 3))
print("randomized ReLU, training (Keras):", np.round(layer(z, training=True).numpy(), 3))
print("randomized ReLU, inference:", np.round(layer(z).numpy(), 3))
writer.flush()
print(f"Logs: {args.logdir}/02_activations")
