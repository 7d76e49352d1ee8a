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
# # Lesson 10: TF1's graph and Session (C15, C17-C22)
#
# In TF1 a program is built first and run later. Python calls add *operations* to a graph;
# nothing is computed until a `Session` runs the graph. This lesson builds the pieces of every
# TF1 model: constants, placeholders with `None` for the batch size, variables (and how
# `get_variable` shares them), the initializer, a logits layer trained by `minimize`, and a
# `FileWriter` that puts the graph in TensorBoard.
#
# Run it as `python scripts/10_tf1_session_basics.py`, or open it in Jupyter (jupytext).

# %%
import numpy as np
import tensorflow as tf

from tfmodels.core.logs import new_run_dir
from tfmodels.lessons import lesson_args

args = lesson_args("Lesson 10: TF1's graph and Session")
v1 = tf.compat.v1  # TF1's API, as TF 2 keeps it

# %% [markdown]
# ## C17: constants, and `sess.run`
#
# `a * b` is a graph tensor: it has a shape and a dtype, but no value. `sess.run` computes what
# it is asked for and returns NumPy values shaped like the fetches (one tensor, or a tuple).

# %%
with tf.Graph().as_default() as graph:
    a = tf.constant(2.0, name="a")
    b = tf.constant([[1.0, 2.0], [3.0, 4.0]], name="b")
    product = a * b
    with v1.Session(graph=graph) as sess:
        value = sess.run(product)
        pair = sess.run((a, tf.reduce_sum(b)))
print("a graph tensor:", product)
print("sess.run(product) ->\n", value, "\nsess.run((a, sum(b))) ->", pair)

# %% [markdown]
# ## C18: a placeholder takes a batch of any size
#
# `None` in a placeholder's shape is the batch axis: the same graph runs on 1 sample or 4,
# each fed through `feed_dict`.

# %%
with tf.Graph().as_default() as graph:
    x = v1.placeholder(tf.float32, shape=(None, 3), name="x")
    row_sums = tf.reduce_sum(x, axis=1)
    with v1.Session(graph=graph) as sess:
        sums = [sess.run(row_sums, feed_dict={x: np.ones((n, 3), np.float32)}) for n in (1, 4)]
print("placeholder", x.shape, "fed batches of 1 and 4 -> row sums", [s.tolist() for s in sums])

# %% [markdown]
# ## C19: `tf.Variable` makes a new variable every time; `get_variable` can share
#
# Two `tf.Variable`s named `w` are two variables (TF renames the second `w_1`). `get_variable`
# looks the name up in its `variable_scope`: with `reuse=True` or `AUTO_REUSE` it hands back
# the variable already made, which is how TF1 layers share weights.

# %%
with tf.Graph().as_default():
    first, second = tf.Variable(1.0, name="w"), tf.Variable(1.0, name="w")
    with v1.variable_scope("layer"):
        made = v1.get_variable("w", shape=(2,), initializer=v1.ones_initializer())
    with v1.variable_scope("layer", reuse=True):
        reused = v1.get_variable("w")
    with v1.variable_scope("layer", reuse=v1.AUTO_REUSE):
        auto = v1.get_variable("w", shape=(2,))
    print("tf.Variable twice:", first.name, second.name)
    print("get_variable, reuse=True / AUTO_REUSE:", made.name, reused is made, auto is made)
    try:  # without reuse, asking again for the same name is a mistake TF reports
        with v1.variable_scope("layer"):
            v1.get_variable("w", shape=(2,))
    except ValueError as e:
        print("get_variable again without reuse ->", str(e).splitlines()[0])

# %% [markdown]
# ## C20: the initializer runs first
#
# A variable has no value in a Session until its initializer has run; reading it before
# raises `FailedPreconditionError`.

# %%
with tf.Graph().as_default() as graph:
    w = v1.get_variable("w", shape=(2,), initializer=v1.constant_initializer(0.5))
    with v1.Session(graph=graph) as sess:
        try:
            sess.run(w)
        except tf.errors.FailedPreconditionError as e:
            error = e
        sess.run(v1.global_variables_initializer())
        initialised = sess.run(w)
print("read before the initializer ->", type(error).__name__, "| after ->", initialised)

# %% [markdown]
# ## C21: a logits layer from variables, its loss, and `minimize`
#
# Two classes of 2-D points (is `x0 + x1 > 0`?). The layer is `x @ kernel + bias` from
# `get_variable`s; the loss is the softmax cross-entropy computed from the logits (stabler
# than from probabilities); `minimize` adds the gradients and the update ops to the graph, and
# each `sess.run(train_op)` is one step.

# %%
rng = np.random.default_rng(0)
features = rng.normal(size=(100, 2)).astype(np.float32)
labels = np.eye(2, dtype=np.float32)[(features.sum(axis=1) > 0).astype(int)]
start = [rng.normal(0, 0.5, (2, 2)).astype(np.float32), np.zeros(2, np.float32)]  # kernel, bias
steps = 20 if args.quick else 100
optimizers = {"gradient_descent": v1.train.GradientDescentOptimizer, "adam": v1.train.AdamOptimizer}
for name, make in optimizers.items():
    with tf.Graph().as_default() as graph:
        xs = v1.placeholder(tf.float32, (None, 2), name="x")
        ys = v1.placeholder(tf.float32, (None, 2), name="y")
        with v1.variable_scope("logits"):
            kernel = v1.get_variable("kernel", initializer=start[0])  # the same start for both
            bias = v1.get_variable("bias", initializer=start[1])
        logits = tf.matmul(xs, kernel) + bias
        loss = tf.reduce_mean(tf.nn.softmax_cross_entropy_with_logits(labels=ys, logits=logits))
        train_op = make(0.1).minimize(loss)
        with v1.Session(graph=graph) as sess:
            sess.run(v1.global_variables_initializer())
            # the loss before each step: run with the train op, it is read before the update
            losses = [sess.run((loss, train_op), {xs: features, ys: labels})[0]
                      for _ in range(steps)]
    print(f"{name:16s} minimize: loss {losses[0]:.3f} -> {losses[-1]:.3f} in {steps} steps")

# %% [markdown]
# ## C22: the graph in TensorBoard
#
# A `FileWriter` given the graph writes it for the Graphs tab; `add_summary` adds each step's
# scalar for the Scalars tab. Then `tensorboard --logdir logs`.

# %%
run_dir = new_run_dir(args.logdir, "10_tf1_session_basics")
with tf.Graph().as_default() as graph:
    xs = v1.placeholder(tf.float32, (None, 2), name="x")
    total = tf.reduce_sum(xs, name="total")
    summary = v1.summary.scalar("total", total)
    with v1.Session() as sess:
        writer = v1.summary.FileWriter(run_dir, graph)
        for step in range(3):
            writer.add_summary(sess.run(summary, {xs: features[:step + 1]}), step)
        writer.close()
print(f"Logs: {run_dir} (Graphs tab)")
print(f"tensorboard --logdir={args.logdir} --port=6006")

# %% [markdown]
# In Jupyter, TensorBoard opens inside the notebook (jupytext turns these comments into the
# notebook's magics):

# %%
# %load_ext tensorboard
# %tensorboard --logdir logs
