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
# # Lesson 10: TF1's graph and Session (C15-C22), and the same in Keras 3
#
# In TF1 a program is built first and run later. Python calls add *operations* to a graph;
# nothing is computed until a `Session` runs the graph. This lesson builds the pieces of every
# TF1 model: constants, placeholders with `None` for the batch size, variables (and how
# `get_variable` shares them), the initializer, a logits layer trained by `minimize`, and a
# `FileWriter` that puts the graph in TensorBoard. Each piece is a small function; next to it
# is its twin in Keras 3, which computes at once (eager) and needs no Session.
#
# Run it as `python scripts/10_tf1_session_basics.py`, or open it in Jupyter (jupytext). The
# functions are also what `tests/test_basics.py` checks, against NumPy and against each other:
# imported there, the lesson defines them and shows nothing.

# %%
import keras
import matplotlib.pyplot as plt
import numpy as np
import tensorflow as tf
from keras import ops

from tfmodels.core.data import LAYOUTS
from tfmodels.core.errors import UserError
from tfmodels.core.logs import new_run_dir
from tfmodels.lessons import lesson_args

v1 = tf.compat.v1  # TF1's API, as TF 2 keeps it
SHOW = __name__ == "__main__"  # run as a script or a notebook (not imported by a test)
if SHOW:
    args = lesson_args("Lesson 10: TF1's graph and Session")

# %% [markdown]
# ## C15-C16: tensors in a graph, and the layouts data comes in
#
# A graph's `tf.zeros` or `tf.transpose` is a tensor without a value until a Session runs it;
# Keras's `ops` compute it at once. Whatever the layout, the samples axis comes first
# (`tfmodels.core.data.LAYOUTS`), and a layer's neurons are `weights @ inputs + biases`.


# %%
def example(layout: str, dtype="float32"):
    """C16: zeros in a named layout, made by a graph's `tf.zeros` and run in a Session."""
    if layout not in LAYOUTS:
        raise UserError(f"unknown layout {layout!r}; expected one of: {', '.join(LAYOUTS)}")
    with tf.Graph().as_default() as graph, v1.Session(graph=graph) as sess:
        return sess.run(tf.zeros(LAYOUTS[layout], dtype=dtype))


def keras_example(layout: str, dtype="float32"):
    """C16 in Keras 3: a tensor of zeros in a named layout, at once."""
    if layout not in LAYOUTS:
        raise UserError(f"unknown layout {layout!r}; expected one of: {', '.join(LAYOUTS)}")
    return ops.zeros(LAYOUTS[layout], dtype=dtype)


def to_channels_first(images):
    """(samples, h, w, c) -> (samples, c, h, w) with `tf.transpose` on a placeholder."""
    images = np.asarray(images)
    with tf.Graph().as_default() as graph:
        x = v1.placeholder(tf.as_dtype(images.dtype), (None, *images.shape[1:]), name="images")
        first = tf.transpose(x, (0, 3, 1, 2))
        with v1.Session(graph=graph) as sess:
            return sess.run(first, {x: images})


def keras_to_channels_first(images):
    """The same in Keras 3: the same pixels, another axis order."""
    return ops.transpose(images, (0, 3, 1, 2))


def neuron_outputs(inputs, weights, biases):
    """C02 in a graph: `matvec(weights, inputs) + biases` for one sample, and
    `matmul(inputs, weights, transpose_b=True) + biases` for a batch."""
    inputs, weights = np.asarray(inputs), np.asarray(weights)
    with tf.Graph().as_default() as graph:
        x, w = tf.constant(inputs), tf.constant(weights)
        if inputs.ndim == 1:
            out = tf.linalg.matvec(w, x) + biases
        else:
            out = tf.matmul(x, w, transpose_b=True) + biases
        with v1.Session(graph=graph) as sess:
            return sess.run(out)


def keras_neuron_outputs(inputs, weights, biases):
    """C02 in Keras 3: `dot(weights, inputs) + biases` for one sample; for a batch the weights
    must be transposed: `inputs @ weights.T + biases`."""
    inputs, weights = np.asarray(inputs), np.asarray(weights)
    if inputs.ndim == 1:
        return ops.convert_to_numpy(ops.dot(weights, inputs) + biases)
    return ops.convert_to_numpy(ops.matmul(inputs, ops.transpose(weights)) + biases)


if SHOW:
    print("zeros in a layout, from a Session:", {n: example(n).shape for n in LAYOUTS})
    pictures = np.arange(2 * 4 * 5 * 3, dtype=np.float32).reshape(2, 4, 5, 3)
    print("channels last", pictures.shape, "-> first", to_channels_first(pictures).shape,
          "| in Keras 3:", tuple(keras_to_channels_first(pictures).shape))

# %% [markdown]
# ## C17: constants, and `sess.run`
#
# `a * b` is a graph tensor: it has a shape and a dtype, but no value. `sess.run` computes what
# it is asked for and returns NumPy values shaped like the fetches (one tensor, or a tuple).
# In Keras 3 the same product has its value at once.


# %%
def run_constants():
    """C17: returns the graph tensor `a * b`, its value from `sess.run`, and `(a, sum(b))`."""
    with tf.Graph().as_default() as graph:
        a = tf.constant(2.0, name="a")
        b = tf.constant([[1.0, 2.0], [3.0, 4.0]], name="b")
        product = a * b
        with v1.Session(graph=graph) as sess:
            return product, sess.run(product), sess.run((a, tf.reduce_sum(b)))


def keras_run_constants():
    """C17 in Keras 3: the product (a tensor holding its value), that value and `(a, sum(b))`,
    as the TF1 twin returns them from `sess.run`."""
    a = ops.convert_to_tensor(2.0)
    b = ops.convert_to_tensor([[1.0, 2.0], [3.0, 4.0]])
    product = a * b
    return product, ops.convert_to_numpy(product), (float(a), float(ops.sum(b)))


if SHOW:
    product, value, pair = run_constants()
    print("a graph tensor:", product)
    print("sess.run(product) ->\n", value, "\nsess.run((a, sum(b))) ->", pair)
    print("in Keras 3, at once:", keras_run_constants()[0].numpy().tolist())

# %% [markdown]
# ## C18: a placeholder takes a batch of any size
#
# `None` in a placeholder's shape is the batch axis: the same graph runs on 1 sample or 4,
# each fed through `feed_dict`. Keras's `keras.Input(shape=(3,))` is the same `(None, 3)`.


# %%
def run_placeholder(batches):
    """C18: `placeholder(float32, shape=(None, 3))` takes a batch of any size through
    `feed_dict`; returns the placeholder and each batch's row sums."""
    with tf.Graph().as_default() as graph:
        x = v1.placeholder(tf.float32, shape=(None, 3), name="x")
        row_sums = tf.reduce_sum(x, axis=1)
        with v1.Session(graph=graph) as sess:
            return x, [sess.run(row_sums, feed_dict={x: batch}) for batch in batches]


def keras_run_placeholder(batches):
    """C18 in Keras 3: `keras.Input(shape=(3,))` is a symbolic batch of shape `(None, 3)`; the
    model built on it takes a batch of any size. Returns the input and each batch's row sums."""
    x = keras.Input(shape=(3,), name="x")
    row_sums = keras.Model(x, ops.sum(x, axis=1))
    return x, [ops.convert_to_numpy(row_sums(batch)) for batch in batches]


if SHOW:
    x, sums = run_placeholder([np.ones((n, 3), np.float32) for n in (1, 4)])
    print("placeholder", x.shape, "fed batches of 1 and 4 -> row sums",
          [s.tolist() for s in sums])
    print("keras.Input:", keras_run_placeholder([np.ones((1, 3), np.float32)])[0].shape)

# %% [markdown]
# ## C19: `tf.Variable` makes a new variable every time; `get_variable` can share
#
# Two `tf.Variable`s named `w` are two variables (TF renames the second `w_1`). `get_variable`
# looks the name up in its `variable_scope`: with `reuse=True` or `AUTO_REUSE` it hands back
# the variable already made, which is how TF1 layers share weights. A Keras layer makes its
# weights once, when first called, and every later call uses the very same ones.


# %%
def variable_and_get_variable():
    """C19: returns `((first, second), (made, reused, auto))`: two `tf.Variable`s of one name,
    and `get_variable`'s first variable with what `reuse=True` and `AUTO_REUSE` hand back."""
    with tf.Graph().as_default():
        first, second = tf.Variable(1.0, name="w"), tf.Variable(1.0, name="w")
        with v1.variable_scope("layer"):
            made = v1.get_variable("w", shape=(2,), initializer=v1.ones_initializer())
        with v1.variable_scope("layer", reuse=True):
            reused = v1.get_variable("w")
        with v1.variable_scope("layer", reuse=v1.AUTO_REUSE):
            auto = v1.get_variable("w", shape=(2,))
        return (first, second), (made, reused, auto)


def keras_variable_and_get_variable():
    """C19 in Keras 3: two `keras.Variable`s of one name are two variables; a layer's kernel
    is made at its first call and every later call (eager or in a `tf.function`) uses the very
    same one. Returns `((first, second), (made, reused, in_function))` like the TF1 twin."""
    first, second = keras.Variable(1.0, name="w"), keras.Variable(1.0, name="w")
    layer = keras.layers.Dense(2, name="layer")
    x = np.ones((1, 2), np.float32)
    layer(x)
    made = layer.kernel
    layer(x)
    reused = layer.kernel
    tf.function(layer)(x)
    return (first, second), (made, reused, layer.kernel)


def get_variable_without_reuse():
    """C19: asking `get_variable` for an existing name without reuse raises TF's ValueError."""
    with tf.Graph().as_default():
        with v1.variable_scope("layer"):
            v1.get_variable("w", shape=(2,))
        with v1.variable_scope("layer"):
            v1.get_variable("w", shape=(2,))  # raises


def keras_get_variable_without_reuse():
    """C19's mistake in Keras 3: two layers of one name in one model raise Keras's ValueError."""
    keras.Sequential([keras.Input((2,)), keras.layers.Dense(2, name="layer"),
                      keras.layers.Dense(2, name="layer")])  # raises


if SHOW:
    (first, second), (made, reused, auto) = variable_and_get_variable()
    print("tf.Variable twice:", first.name, second.name)
    print("get_variable, reuse=True / AUTO_REUSE:", made.name, reused is made, auto is made)
    try:  # without reuse, asking again for the same name is a mistake TF reports
        get_variable_without_reuse()
    except ValueError as e:
        print("get_variable again without reuse ->", str(e).splitlines()[0])
    _, (made, reused, in_function) = keras_variable_and_get_variable()
    print("a Keras layer's kernel, called again and in a tf.function:", reused is made,
          in_function is made)

# %% [markdown]
# ## C20: the initializer runs first
#
# A variable has no value in a Session until its initializer has run; reading it before
# raises `FailedPreconditionError`. A Keras layer has no weights until it is built.


# %%
def initialised_value():
    """C20: returns (the error of reading before the initializer, the value after it)."""
    with tf.Graph().as_default() as graph:
        w = v1.get_variable("w", shape=(2,), initializer=v1.constant_initializer(0.5))
        with v1.Session(graph=graph) as sess:
            error = None
            try:
                sess.run(w)
            except tf.errors.FailedPreconditionError as e:
                error = e
            sess.run(v1.global_variables_initializer())
            return error, sess.run(w)


def keras_initialised_value():
    """C20 in Keras 3: reading a layer's kernel before it is built raises AttributeError;
    building draws it from the initializer. Returns (the error, the value after building)."""
    layer = keras.layers.Dense(2, kernel_initializer=keras.initializers.Constant(0.5))
    error = None
    try:
        layer.kernel  # noqa: B018 - the read is the lesson
    except AttributeError as e:
        error = e
    layer.build((None, 1))
    return error, ops.convert_to_numpy(layer.kernel)[0]


if SHOW:
    error, initialised = initialised_value()
    print("read before the initializer ->", type(error).__name__, "| after ->", initialised)
    error, built = keras_initialised_value()
    print("a Keras kernel read before build ->", type(error).__name__, "| after ->", built)

# %% [markdown]
# ## C21: a logits layer from variables, its loss, and `minimize`
#
# Two classes of 2-D points (is `x0 + x1 > 0`?). The layer is `x @ kernel + bias` from
# `get_variable`s; the loss is the softmax cross-entropy computed from the logits (stabler
# than from probabilities); `minimize` adds the gradients and the update ops to the graph, and
# each `sess.run(train_op)` is one step. Keras's twin: a `Dense` layer, `compile` and
# `train_on_batch`.


# %%
def train_logits_layer(x, labels, start, optimizer="gradient_descent", steps=50,
                       learning_rate=0.1):
    """C21: trains `x @ kernel + bias` from `start` (kernel, bias) on all of `(x, labels)` a
    step; returns the loss before each step."""
    make = {"gradient_descent": v1.train.GradientDescentOptimizer,
            "adam": v1.train.AdamOptimizer}[optimizer]
    with tf.Graph().as_default() as graph:
        xs = v1.placeholder(tf.float32, (None, x.shape[1]), name="x")
        ys = v1.placeholder(tf.float32, (None, labels.shape[1]), name="y")
        with v1.variable_scope("logits"):
            kernel = v1.get_variable("kernel", initializer=start[0])
            bias = v1.get_variable("bias", initializer=start[1])
        logits = tf.matmul(xs, kernel) + bias
        loss = tf.reduce_mean(tf.nn.softmax_cross_entropy_with_logits(labels=ys, logits=logits))
        train_op = make(learning_rate).minimize(loss)
        with v1.Session(graph=graph) as sess:
            sess.run(v1.global_variables_initializer())
            # the loss before each step: run with the train op, it is read before the update
            return [sess.run((loss, train_op), {xs: x, ys: labels})[0] for _ in range(steps)]


def keras_train_logits_layer(x, labels, start, optimizer="gradient_descent", steps=50,
                             learning_rate=0.1):
    """C21 in Keras 3: a `Dense` logits layer from `start`, the cross-entropy on its logits
    (`from_logits=True`), `train_on_batch` once per step; the loss before each step."""
    model = keras.Sequential([keras.Input((x.shape[1],)),
                              keras.layers.Dense(labels.shape[1], name="logits")])
    model.set_weights(start)
    make = {"gradient_descent": keras.optimizers.SGD,
            # TF1's AdamOptimizer defaults to epsilon 1e-8, Keras's Adam to 1e-7
            "adam": lambda lr: keras.optimizers.Adam(lr, epsilon=1e-8)}[optimizer]
    model.compile(make(learning_rate), keras.losses.CategoricalCrossentropy(from_logits=True))
    return [float(model.train_on_batch(x, labels)) for _ in range(steps)]


if SHOW:
    rng = np.random.default_rng(0)
    features = rng.normal(size=(100, 2)).astype(np.float32)
    labels = np.eye(2, dtype=np.float32)[(features.sum(axis=1) > 0).astype(int)]
    start = [rng.normal(0, 0.5, (2, 2)).astype(np.float32), np.zeros(2, np.float32)]
    steps = 20 if args.quick else 100
    curves = {}
    for name in ("gradient_descent", "adam"):  # the same start for both
        losses = train_logits_layer(features, labels, start, name, steps)
        print(f"{name:16s} minimize: loss {losses[0]:.3f} -> {losses[-1]:.3f} in {steps} steps")
        twin = keras_train_logits_layer(features, labels, start, name, steps)
        print(f"  in Keras 3, train_on_batch: loss {twin[0]:.3f} -> {twin[-1]:.3f}")
        curves[f"TF1 {name}"], curves[f"Keras {name}"] = losses, twin

# %% [markdown]
# Drawn: each TF1 Session's losses, and the Keras twin's on top of them (dashed).

# %%
if SHOW:
    fig, ax = plt.subplots(figsize=(6, 4), dpi=80)
    for label, losses in curves.items():
        ax.plot(losses, "--" if label.startswith("Keras") else "-", label=label)
    ax.set(title="one logits layer, 100 samples", xlabel="step", ylabel="loss")
    ax.legend()
    plt.show()

# %% [markdown]
# ## C22: the graph in TensorBoard
#
# A `FileWriter` given the graph writes it for the Graphs tab; `add_summary` adds each step's
# scalar for the Scalars tab. Then `tensorboard --logdir logs`.

# %%
if SHOW:
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
    print("Next: lesson 11, Keras's Sequential (scripts/11_keras_sequential.py)")

# %% [markdown]
# In Jupyter, TensorBoard opens inside the notebook (jupytext turns these comments into the
# notebook's magics):

# %%
# %load_ext tensorboard
# %tensorboard --logdir logs
