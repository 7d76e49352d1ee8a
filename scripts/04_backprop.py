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
# # Lesson 4: backpropagation is the chain rule (C13)
#
# The gradient of a 2-layer network's loss, three ways: by hand in NumPy (layer by layer,
# backwards), by TensorFlow's `GradientTape` (what Keras's `fit` uses), and by a TF1 graph
# (`tf.gradients`, what `minimize` uses). All three must give the same numbers.

# %%
import numpy as np
import tensorflow as tf

from tfmodels.lessons import lesson_args, summary_writer

args = lesson_args("Lesson 4: backpropagation")
v1 = tf.compat.v1
rng = np.random.default_rng(0)
x = rng.normal(size=(8, 2))
y = np.eye(3)[rng.integers(0, 3, 8)]  # 8 samples, 3 classes, one-hot
weights = [rng.normal(0, 0.5, s) for s in [(2, 4), (4,), (4, 3), (3,)]]  # W1, b1, W2, b2

# %% [markdown]
# ## By hand
#
# Forward: `hidden = relu(x W1 + b1)`, `logits = hidden W2 + b2`, softmax, the mean
# cross-entropy. Backward, each step the chain rule: the loss's slope with respect to the
# logits is `(p - y) / n` (softmax and cross-entropy together); a layer `a @ W + b` passes
# `a.T @ d` to its weights, `d` summed over samples to its bias and `d @ W.T` to its input;
# ReLU lets the slope through where its input was positive.

# %%
w1, b1, w2, b2 = weights
z1 = x @ w1 + b1
hidden = np.maximum(z1, 0)
logits = hidden @ w2 + b2
p = np.exp(logits - logits.max(axis=1, keepdims=True))
p /= p.sum(axis=1, keepdims=True)
loss = -np.mean(np.sum(y * np.log(p), axis=1))

d_logits = (p - y) / len(x)
d_w2, d_b2 = hidden.T @ d_logits, d_logits.sum(axis=0)
d_z1 = (d_logits @ w2.T) * (z1 > 0)
d_w1, d_b1 = x.T @ d_z1, d_z1.sum(axis=0)
by_hand = [d_w1, d_b1, d_w2, d_b2]

# %% [markdown]
# ## By `GradientTape` (TF 2, eager)
#
# The tape records the operations as they run, then walks them backwards.

# %%
variables = [tf.Variable(w) for w in weights]
with tf.GradientTape() as tape:
    tape_hidden = tf.nn.relu(x @ variables[0] + variables[1])
    tape_logits = tape_hidden @ variables[2] + variables[3]
    tape_loss = tf.reduce_mean(tf.nn.softmax_cross_entropy_with_logits(y, tape_logits))
by_tape = tape.gradient(tape_loss, variables)

# %% [markdown]
# ## By `tf.gradients` (a TF1 graph)
#
# The graph holds the forward pass; `tf.gradients` adds the backward pass to it as more ops,
# and the Session runs them.

# %%
with tf.Graph().as_default(), v1.Session() as sess:
    xs = v1.placeholder(tf.float64, (None, 2))
    graph_vars = [v1.get_variable(name, initializer=w)
                  for name, w in zip(["W1", "b1", "W2", "b2"], weights)]
    graph_hidden = tf.nn.relu(tf.matmul(xs, graph_vars[0]) + graph_vars[1])
    graph_logits = tf.matmul(graph_hidden, graph_vars[2]) + graph_vars[3]
    graph_loss = tf.reduce_mean(tf.nn.softmax_cross_entropy_with_logits(labels=y,
                                                                        logits=graph_logits))
    grads = tf.gradients(graph_loss, graph_vars)
    sess.run(v1.global_variables_initializer())
    by_graph = sess.run(grads, {xs: x})

# %% [markdown]
# ## The three agree

# %%
print(f"loss: NumPy {loss:.12f}  tape {float(tape_loss):.12f}")
largest = 0.0
for name, a, b, c in zip(["W1", "b1", "W2", "b2"], by_hand, by_tape, by_graph):
    tape_diff, graph_diff = np.abs(a - b.numpy()).max(), np.abs(a - c).max()
    largest = max(largest, tape_diff, graph_diff)
    print(f"d loss / d {name}: largest difference NumPy-tape {tape_diff:.1e}, "
          f"NumPy-TF1 {graph_diff:.1e}")
# float64: the three ways round differently, but only in the last digits
print("the three gradients agree to 1e-12:", largest < 1e-12)

writer = summary_writer(args.logdir, "04_backprop")
with writer.as_default():
    for name, g in zip(["W1", "b1", "W2", "b2"], by_hand):
        tf.summary.histogram(f"gradients/{name}", g, step=0)
writer.flush()
print(f"Logs: {args.logdir}/04_backprop")
print("Next: lesson 5, why non-linearity (scripts/05_sine_linear_vs_relu.py)")

# %% [markdown]
# In Jupyter, TensorBoard opens inside the notebook (jupytext turns these comments into the
# notebook's magics):

# %%
# %load_ext tensorboard
# %tensorboard --logdir logs
