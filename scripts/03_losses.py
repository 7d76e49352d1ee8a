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
# # Lesson 3: losses (C09, C26), on probabilities and on logits
#
# A loss says how far the outputs are from the labels, one number per sample. Keras's
# cross-entropies take probabilities unless told `from_logits=True`; on probabilities they clip
# to [1e-7, 1 - 1e-7], so a certain mistake costs -log(1e-7) = 16.1, not infinity.

# %%
import keras
import numpy as np
import tensorflow as tf

from tfmodels.lessons import lesson_args, summary_writer

args = lesson_args("Lesson 3: losses")
y = np.array([[1.0, 0.0, 0.0], [0.0, 1.0, 0.0]])  # two samples, one-hot
logits = np.array([[2.0, 1.0, 0.1], [0.5, 2.5, 0.3]])
probs = np.exp(logits) / np.exp(logits).sum(axis=1, keepdims=True)  # softmax

# %% [markdown]
# ## L1 and L2, summed and averaged
#
# Summed over a sample's outputs (the notes' L1, L2) or averaged (Keras's MAE, MSE).

# %%
error = np.abs(y - probs)
print("L1 sum", error.sum(axis=1), " MAE", keras.losses.mean_absolute_error(y, probs).numpy())
print("L2 sum", (error**2).sum(axis=1), " MSE",
      keras.losses.mean_squared_error(y, probs).numpy())

# %% [markdown]
# ## Cross-entropy: on probabilities, on logits, with integer labels
#
# `-sum(y * log(p))`: minus the log of the true class's probability. From the logits it is
# `log(sum(exp(z))) - z[true class]`, which never takes the log of a rounded-off probability.

# %%
by_hand = -np.sum(y * np.log(probs), axis=1)
on_probs = keras.losses.categorical_crossentropy(y, probs).numpy()
on_logits = keras.losses.categorical_crossentropy(y, logits, from_logits=True).numpy()
print("categorical CE on probabilities", on_probs, "on logits", on_logits)
print("-sum(y log p) by hand agrees:", np.allclose(by_hand, on_probs, rtol=1e-6))
sparse = keras.losses.sparse_categorical_crossentropy(np.array([0, 1]), probs).numpy()
print("sparse CE with integer labels [0, 1]:", sparse)

# %% [markdown]
# TF1 computes it from the logits in one op, in a graph:

# %%
with tf.Graph().as_default(), tf.compat.v1.Session() as sess:
    tf1_value = sess.run(tf.nn.softmax_cross_entropy_with_logits(labels=y,
                                                                 logits=tf.constant(logits)))
numpy_value = np.log(np.exp(logits).sum(axis=1)) - np.sum(y * logits, axis=1)
print("TF1 softmax_cross_entropy_with_logits:", tf1_value, "NumPy:", numpy_value)

# %% [markdown]
# ## A certain mistake
#
# Probability 0 for the true class: `-log(0)` is infinite, so Keras clips the probability to
# 1e-7 first.

# %%
certain_mistake = np.array([[0.0, 1.0, 0.0]])
capped = keras.losses.categorical_crossentropy(y[:1], certain_mistake).numpy()
print("a certain mistake costs", capped, "= -log(1e-7) =", -np.log(1e-7))

writer = summary_writer(args.logdir, "03_losses")
with writer.as_default():
    for step, p in enumerate(np.linspace(0.01, 0.99, 50)):  # the loss as the true prob. grows
        tf.summary.scalar("cross_entropy_of_true_class", -np.log(p), step=step)
writer.flush()
print(f"Logs: {args.logdir}/03_losses")
print("Next: lesson 4, backpropagation (scripts/04_backprop.py)")

# %% [markdown]
# In Jupyter, TensorBoard opens inside the notebook (jupytext turns these comments into the
# notebook's magics):

# %%
# %load_ext tensorboard
# %tensorboard --logdir logs
