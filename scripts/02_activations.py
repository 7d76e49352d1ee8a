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
# ## The same functions in the two tracks
#
# The Keras track computes eagerly in `keras.ops`; the TF1 track builds graph ops and runs them
# in a Session. All in float64, so the three differ by a rounding or two at most.

# %%
with tf.Graph().as_default(), tf.compat.v1.Session() as sess:
    x = tf.constant(z)
    tf1_values = sess.run({name: getattr(tf1_act, name)(x) for name in formulas})
    drawn = sess.run(tf1_act.randomized_relu(x, training=True, seed=0))
writer = summary_writer(args.logdir, "02_activations")
for name, formula in formulas.items():
    keras_value = np.asarray(getattr(keras_act, name)(tf.constant(z)))
    numpy_value = formula(z)
    difference = max(np.abs(keras_value - numpy_value).max(),
                     np.abs(tf1_values[name] - numpy_value).max())
    print(f"{name:11s}", np.round(keras_value, 3), "same in TF1 and NumPy:", difference < 1e-12,
          f"(largest difference {difference:.1e})")
    with writer.as_default():
        tf.summary.histogram(f"activations/{name}", keras_value, step=0)
print("softmax sums to", keras_act.softmax(tf.constant(z)).numpy().sum())
print("softmax of [1000, 0] (no overflow):", keras_act.softmax(tf.constant([1000.0, 0.0])).numpy())

# %% [markdown]
# ## Randomized ReLU
#
# While training, each negative input gets its own slope drawn from U(1/8, 1/3); at inference
# the slope is their mean, so the layer's output is deterministic.

# %%
layer = keras_act.RandomizedReLU(seed=0)
print("randomized ReLU, training (TF1):", np.round(drawn, 3))
print("randomized ReLU, training (Keras):", np.round(layer(z, training=True).numpy(), 3))
print("randomized ReLU, inference:", np.round(layer(z).numpy(), 3))
writer.flush()
print(f"Logs: {args.logdir}/02_activations")

# %% [markdown]
# In Jupyter, TensorBoard opens inside the notebook (jupytext turns these comments into the
# notebook's magics):

# %%
# %load_ext tensorboard
# %tensorboard --logdir logs
