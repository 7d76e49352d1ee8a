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
# # Lesson 7: the learning rate (C10), batch sizes (C11) and iterations (C14)
#
# Gradient descent steps against the gradient, `w -= learning_rate * dL/dw`. Too low a rate
# barely moves the loss; too high jumps across the valley (or overflows). Each step uses one
# sample (stochastic), a mini-batch, or all samples (full batch): an epoch is ceil(N / batch)
# updates, and that is what both tracks count.

# %%
import math

import keras
import matplotlib.pyplot as plt
import numpy as np
import tensorflow as tf

from tfmodels.core.data import load_dataset
from tfmodels.lessons import lesson_args, log_figure, seeded_glorot, summary_writer, write_curves

args = lesson_args("Lesson 7: learning rate, batch sizes, iterations")
v1 = tf.compat.v1


def shuffled_once(x, y):
    """The samples in one fixed random order; `fit(shuffle=False)` keeps it, so the tests can
    retrain each model in NumPy on the same batches."""
    order = np.random.default_rng(0).permutation(len(x))
    return x[order], y[order]


def classifier(inputs, hidden, classes, learning_rate):
    """Dense(hidden, relu) -> Dense(classes, softmax), plain gradient descent."""
    model = keras.Sequential([keras.Input((inputs,)),
                              keras.layers.Dense(hidden, activation="relu"),
                              keras.layers.Dense(classes, activation="softmax")])
    model.set_weights(seeded_glorot(model, seed=0))  # the same start for every run
    model.compile(optimizer=keras.optimizers.SGD(learning_rate=learning_rate),
                  loss="categorical_crossentropy")
    return model


# %% [markdown]
# ## C10: three learning rates
#
# The digits MLP (64 pixels -> 512 ReLU -> 10 softmax) under plain gradient descent, from the
# same weights, at 1e-4, 0.1 and 5.

# %%
epochs = 3 if args.quick else 10
data = load_dataset("digits")
x_train, y_train = shuffled_once(data.x_train, data.y_train)
curves = {}
for rate in (1e-4, 0.1, 5.0):
    model = classifier(64, 512, 10, learning_rate=rate)
    history = model.fit(x_train, y_train, batch_size=32, epochs=epochs, shuffle=False,
                        verbose=0)
    curves[f"lr={rate:g}"] = history.history["loss"]
for name, losses in curves.items():
    print(f"{name:9s} loss per epoch: " + " ".join(f"{v:.3f}" for v in losses))

# %% [markdown]
# ## C11: one sample, a mini-batch, or all 300 per step
#
# The spiral classifier (2 -> 64 ReLU -> 3 softmax) at batch sizes 1, 32 and 300. Smaller
# batches make more (noisier) updates per epoch; the optimizer's `iterations` counts them.

# %%
data = load_dataset("spiral", 0)
x_train, y_train = shuffled_once(data.x_train, data.y_train)
batches = {}
for size in (1, 32, 300):
    model = classifier(2, 64, 3, learning_rate=0.05)
    history = model.fit(x_train, y_train, batch_size=size, epochs=1 if args.quick else 5,
                        shuffle=False, verbose=0)
    batches[f"batch={size}"] = history.history["loss"], int(model.optimizer.iterations)
for name, (losses, updates) in batches.items():
    print(f"{name:10s} {updates:5d} updates, final loss {losses[-1]:.4f}")

# %% [markdown]
# ## C14: iterations = ceil(N / batch) x epochs, in both tracks
#
# 50 samples in batches of 16 are 4 batches an epoch (the last one of 2 samples). Keras counts
# updates in `optimizer.iterations`, TF1 in the `global_step` that `minimize` increments.

# %%
data = load_dataset("binary4", 0)
x, y = data.x_train[:50], data.y_train[:50]
model = keras.Sequential([keras.Input((4,)), keras.layers.Dense(1, activation="sigmoid")])
model.compile(optimizer=keras.optimizers.SGD(0.1), loss="binary_crossentropy")
model.fit(x, y, batch_size=16, epochs=3, verbose=0)
with tf.Graph().as_default():  # the same logistic regression as a TF1 graph
    inputs = v1.placeholder(tf.float32, (None, 4))
    labels = v1.placeholder(tf.float32, (None, 1))
    weights = v1.get_variable("weights", (4, 1))
    bias = v1.get_variable("bias", (1,), initializer=v1.zeros_initializer())
    loss = tf.reduce_mean(tf.nn.sigmoid_cross_entropy_with_logits(
        labels=labels, logits=inputs @ weights + bias))
    global_step = v1.train.get_or_create_global_step()
    train = v1.train.GradientDescentOptimizer(0.1).minimize(loss, global_step=global_step)
    with v1.Session() as sess:
        sess.run(v1.global_variables_initializer())
        for _ in range(3):
            for start in range(0, len(x), 16):
                sess.run(train, {inputs: x[start:start + 16], labels: y[start:start + 16]})
        tf1_iterations = sess.run(global_step)
print(f"50 samples, batch 16, 3 epochs: ceil(50/16) x 3 = {math.ceil(50 / 16) * 3}; "
      f"Keras made {int(model.optimizer.iterations)} updates, TF1 {tf1_iterations}")

# %% [markdown]
# ## Drawn: the loss per epoch at each learning rate

# %%
fig, ax = plt.subplots(figsize=(6, 4), dpi=80)
for name, losses in curves.items():
    ax.plot(range(1, epochs + 1), losses, marker="o", label=name)
ax.set(title="digits MLP, SGD", xlabel="epoch", ylabel="training loss", yscale="log")
ax.legend()
writer = summary_writer(args.logdir, "07_learning_rate_and_batches")
write_curves(writer, "loss", {**curves, **{k: v[0] for k, v in batches.items()}})
log_figure(writer, "learning_rates", fig)
plt.show()
print(f"Logs: {args.logdir}/07_learning_rate_and_batches")
print("Next: lesson 8, optimizers in both tracks (scripts/08_optimizers.py)")

# %% [markdown]
# In Jupyter, TensorBoard opens inside the notebook (jupytext turns these comments into the
# notebook's magics):

# %%
# %load_ext tensorboard
# %tensorboard --logdir logs
