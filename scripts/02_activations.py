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
# # Lesson 2: activations (C06, C08), the same numbers in Keras, TF1 and NumPy
#
# An activation is applied to each neuron's sum. Without one, layers stack into one linear
# function (lesson 5). The output layer's activation follows the task (C08): 1 sigmoid unit
# for binary labels, K softmax units for K classes, 1 linear unit for regression.

# %%
import keras
import numpy as np
import tensorflow as tf

from tf1_compat import activations as tf1_act
from tfmodels.keras_track import activations as keras_act
from tfmodels.lessons import lesson_args, summary_writer

args = lesson_args("Lesson 2: activations")
z = np.linspace(-3, 3, 7)
print("z:", z)

# %% [markdown]
# ## The formulas, in NumPy
#
# Softmax subtracts the largest input before `exp`: the result is the same, and `exp` of a
# large input cannot overflow. TF takes leaky ReLU's `alpha` as a float32 attribute, so the
# slope here is 0.2 rounded to float32.

# %%
alpha = float(np.float32(0.2))
formulas = {
    "step": lambda z: np.where(z > 0, 1.0, 0.0),
    "sigmoid": lambda z: 1 / (1 + np.exp(-z)),
    "tanh": np.tanh,
    "relu": lambda z: np.maximum(z, 0),
    "leaky_relu": lambda z: np.where(z > 0, z, alpha * z),
    "swish": lambda z: z / (1 + np.exp(-z)),  # z * sigmoid(z)
    "softmax": lambda z: np.exp(z - z.max()) / np.exp(z - z.max()).sum(),
}

# %% [markdown]
# ## The same functions in TF1 and in Keras
#
# TF1 builds graph ops (`tf.nn.*`) and runs them in a Session; Keras 3 computes eagerly with
# `keras.activations`. All in float64, so the three differ by a rounding or two at most.

# %%
with tf.Graph().as_default(), tf.compat.v1.Session() as sess:
    x = tf.constant(z)
    tf1_ops = {
        "step": tf.cast(x > 0, x.dtype),
        "sigmoid": tf.nn.sigmoid(x),
        "tanh": tf.nn.tanh(x),
        "relu": tf.nn.relu(x),
        "leaky_relu": tf.nn.leaky_relu(x, alpha=0.2),
        "swish": tf.nn.silu(x),  # TF's name for swish
        "softmax": tf.nn.softmax(x),
    }
    tf1_values = sess.run(tf1_ops)
keras_functions = {
    "step": lambda x: keras.ops.cast(x > 0, x.dtype),
    "sigmoid": keras.activations.sigmoid,
    "tanh": keras.activations.tanh,
    "relu": keras.activations.relu,
    "leaky_relu": lambda x: keras.activations.leaky_relu(x, negative_slope=0.2),
    "swish": keras.activations.silu,
    "softmax": keras.activations.softmax,
}
writer = summary_writer(args.logdir, "02_activations")
for name, formula in formulas.items():
    keras_value = np.asarray(keras_functions[name](tf.constant(z)))
    numpy_value = formula(z)
    difference = max(np.abs(keras_value - numpy_value).max(),
                     np.abs(tf1_values[name] - numpy_value).max())
    print(f"{name:11s}", np.round(keras_value, 3), "same in TF1 and NumPy:", difference < 1e-12,
          f"(largest difference {difference:.1e})")
    with writer.as_default():
        tf.summary.histogram(f"activations/{name}", keras_value, step=0)
print("softmax sums to", keras.activations.softmax(tf.constant(z)).numpy().sum())
print("softmax of [1000, 0] (no overflow):",
      keras.activations.softmax(tf.constant([1000.0, 0.0])).numpy())

# %% [markdown]
# ## Randomized ReLU
#
# While training, each negative input gets its own slope drawn from U(1/8, 1/3); at inference
# the slope is their mean, so the layer's output is deterministic. Neither TF1 nor Keras has
# it; the two tracks' versions are the project's. TF1's `seed=` would draw from TF1's random
# stream, which is not Keras's; `keras_seed=0` makes the TF1 op draw what Keras's
# `RandomizedReLU(seed=0)` draws (a stateless draw from the seed and a call counter, the
# counter a TF1 variable), so both tracks print the same slopes.

# %%
with tf.Graph().as_default(), tf.compat.v1.Session() as sess:
    rrelu = tf1_act.randomized_relu(tf.constant(z), training=True, keras_seed=0)
    sess.run(tf.compat.v1.global_variables_initializer())  # the call counter, at 0
    drawn = sess.run(rrelu)
layer = keras_act.RandomizedReLU(seed=0, dtype="float64")  # float64, as the TF1 op here
print("randomized ReLU, training (TF1):", np.round(drawn, 3))
print("randomized ReLU, training (Keras):", np.round(layer(z, training=True).numpy(), 3))
print("randomized ReLU, inference:", np.round(layer(z).numpy(), 3))
writer.flush()
print(f"Logs: {args.logdir}/02_activations")
print("Next: lesson 3, losses (scripts/03_losses.py)")

# %% [markdown]
# In Jupyter, TensorBoard opens inside the notebook (jupytext turns these comments into the
# notebook's magics):

# %%
# %load_ext tensorboard
# %tensorboard --logdir logs
