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
# # Lesson 14: why deep networks train
#
# Stack enough sigmoid layers and the first ones stop learning: backpropagation multiplies the
# gradient by each layer's weights and by the sigmoid's slope (at most 1/4) on the way down, so
# it shrinks layer after layer. The notes name three fixes beyond new activations and
# optimizers: batch normalization, residual connections and depthwise separable convolutions.
# Here the same 16-layer stack is built three ways (plain, residual, batch-normalised); we
# measure the gradient that reaches each layer at initialisation, in Keras, in a TF1 graph built
# from the same spec, and in NumPy by hand, then train each for a few epochs. Last, separable
# against standard convolutions: parameters, multiply-adds and accuracy.

# %%
import os
import time

import keras
import matplotlib.pyplot as plt
import numpy as np
import tensorflow as tf

from tf1_compat.model import build_layers, tf1_variable_names
from tfmodels.core import reference as ref
from tfmodels.core.data import load_dataset
from tfmodels.core.logs import new_run_dir
from tfmodels.core.spec import ModelSpec, initial_weights
from tfmodels.lessons import lesson_args, log_figure, write_curves

args = lesson_args("Lesson 14: why deep networks train")
v1 = tf.compat.v1
started = time.perf_counter()
data = load_dataset("digits")
run_dir = new_run_dir(args.logdir, "14_why_deep_networks_train")
DEPTH, WIDTH = 16, 32  # 16 hidden layers of 32 sigmoid units, then 10 softmax outputs

# %% [markdown]
# ## 1. Three deep stacks, written as Keras functional models
#
# `plain` is a chain. `residual` adds each layer's input to its output, `h + f(h)`: a
# `keras.layers.Add` with two inputs, so the model is a graph, not a `Sequential`. `batchnorm`
# normalises each layer's pre-activations over the batch before the sigmoid.

# %%
def plain(h):
    for i in range(DEPTH):
        h = keras.layers.Dense(WIDTH, activation="sigmoid", name=f"dense_{i}")(h)
    return h


def residual(h):
    h = keras.layers.Dense(WIDTH, activation="sigmoid", name="dense_0")(h)
    for i in range(1, DEPTH):
        f = keras.layers.Dense(WIDTH, activation="sigmoid", name=f"dense_{i}")(h)
        h = keras.layers.Add(name=f"add_{i}")([h, f])  # the shortcut: h + f(h)
    return h


def batchnorm(h):
    for i in range(DEPTH):
        h = keras.layers.Dense(WIDTH, name=f"dense_{i}")(h)
        # momentum 0.9: the moving statistics settle within the few steps of this lesson
        h = keras.layers.BatchNormalization(momentum=0.9, name=f"batch_normalization_{i}")(h)
        h = keras.layers.Activation("sigmoid", name=f"activation_{i}")(h)
    return h


def functional(body):
    inputs = keras.Input((64,))
    outputs = keras.layers.Dense(10, activation="softmax", name="output")(body(inputs))
    model = keras.Model(inputs, outputs, name=body.__name__)
    model.compile(optimizer=keras.optimizers.Adam(learning_rate=0.003),
                  loss="categorical_crossentropy", metrics=["accuracy"])
    return model


models = {body.__name__: functional(body) for body in (plain, residual, batchnorm)}

# %% [markdown]
# Each model read back as the project's spec, the one description both tracks build from. The
# residual one is a graph: each `add_i` names its two inputs. All three start from the spec's
# seeded Glorot weights (`initial_weights`), so NumPy can start from them too.

# %%
specs, weights = {}, {}
for label, model in models.items():
    specs[label] = spec = ModelSpec.from_keras(model, dataset="digits", seed=0)
    weights[label] = initial_weights(spec)  # in the spec's order, layer by layer
    given = iter(weights[label])
    for name in spec.wiring.names:
        layer = model.get_layer(name)
        layer.set_weights([next(given) for _ in layer.get_weights()])
print("residual spec, first layers:", [
    d if "inputs" in d else d["kind"] for d in specs["residual"].layer_dicts()[:3]])
kernel_layers = [f"dense_{i}" for i in range(DEPTH)] + ["output"]

# %% [markdown]
# ## 2. The gradient each layer gets at initialisation, three ways
#
# One batch of 256 digits, the loss's gradient for every layer's kernel, its norm.
# **Keras**: `GradientTape`, the batch norm in training mode (it normalises by the batch).

# %%
x, y = data.x_train[:256], data.y_train[:256]


def keras_gradients(model):
    kernels = [model.get_layer(name).kernel for name in kernel_layers]
    with tf.GradientTape() as tape:
        loss = tf.reduce_mean(keras.losses.categorical_crossentropy(y, model(x, training=True)))
    return tape.gradient(loss, kernels)


norms = {label: {"keras": [float(tf.norm(g)) for g in keras_gradients(model)]}
         for label, model in models.items()}

# %% [markdown]
# **TF1**: the spec built as a TF1 graph (`build_layers`: `get_variable`, `tf.add` for the
# merges, `batch_normalization(training=True)`), the same weights loaded, `tf.gradients`.

# %%
def tf1_norms(spec, values):
    with tf.Graph().as_default():
        xs = v1.placeholder(tf.float32, (None, 64))
        ys = v1.placeholder(tf.float32, (None, 10))
        _, logits = build_layers(spec, xs, training=True)
        loss = tf.reduce_mean(tf.nn.softmax_cross_entropy_with_logits(labels=ys, logits=logits))
        variables = {v.op.name: v for v in v1.global_variables()}
        grads = tf.gradients(loss, [variables[f"{name}/kernel"] for name in kernel_layers])
        with v1.Session() as sess:
            sess.run(v1.global_variables_initializer())
            names = [name for names in tf1_variable_names(spec) for name in names]
            sess.run([variables[name].assign(value)
                      for name, value in zip(names, values, strict=True)])
            return [float(np.linalg.norm(g)) for g in sess.run(grads, {xs: x, ys: y})]


for label in models:
    norms[label]["tf1"] = tf1_norms(specs[label], weights[label])

# %% [markdown]
# **NumPy**, in float64: each layer's forward pass and its chain rule, walked over the spec's
# graph by `graph_backward` (the input of a residual `h + f(h)` gets the gradient of both paths,
# summed).

# %%
def numpy_layer(layer, given):
    """(forward, backward) of one layer; backward returns (input gradients, weight gradients)."""
    if layer.kind == "Add":
        return (lambda ins: ref.merge_forward("Add", ins),
                lambda ins, d: (ref.merge_backward("Add", ins, d), []))
    if layer.kind == "Activation":
        act = layer.activation
        return (lambda ins: ref.ACTIVATION_FUNCTIONS[act](ins[0]),
                lambda ins, d: ([ref.ACTIVATION_GRADS[act](ins[0], d)], []))
    if layer.kind == "BatchNormalization":
        gamma, beta, mean, var = (next(given) for _ in range(4))
        eps = layer.epsilon

        def bn_backward(ins, d):
            dx, dgamma, dbeta = ref.batch_norm_backward(ins[0], gamma, mean, var, d, epsilon=eps)
            return [dx], [dgamma, dbeta]
        return (lambda ins: ref.batch_norm_forward(ins[0], gamma, beta, mean, var,
                                                   epsilon=eps)[0], bn_backward)
    kernel, bias = next(given), next(given)  # Dense
    act = "linear" if layer.activation == "softmax" else layer.activation  # scored on logits

    def backward(ins, d):
        dz = ref.ACTIVATION_GRADS[act](ins[0] @ kernel + bias, d)
        dx, dkernel, dbias = ref.dense_backward(ins[0], kernel, dz)
        return [dx], [dkernel, dbias]
    return lambda ins: ref.ACTIVATION_FUNCTIONS[act](ins[0] @ kernel + bias), backward


def numpy_norms(spec, values):
    given = iter([v.astype(np.float64) for v in values])
    layers = [numpy_layer(layer, given) for layer in spec.layers]
    w = spec.wiring
    outputs = ref.graph_forward([f for f, _ in layers], w.sources, w.order, x.astype(np.float64))
    dlogits = (ref.softmax(outputs[w.output]) - y) / len(x)  # cross-entropy through softmax
    _, grads = ref.graph_backward([b for _, b in layers], w.sources, w.order, outputs, w.output,
                                  dlogits)
    return [float(np.linalg.norm(grads[w.names.index(name)][0])) for name in kernel_layers]


for label in models:
    norms[label]["numpy"] = numpy_norms(specs[label], weights[label])

# %% [markdown]
# The three agree (to float32's rounding: Keras and TF1 compute in float32, NumPy in float64).
# The plain stack's first layer gets ten orders of magnitude less than its last: each sigmoid
# layer passes back at most a quarter of what it gets. The shortcut of `h + f(h)` passes the
# gradient back unchanged, and batch norm rescales each layer's pre-activations to where the
# sigmoid is steep.

# %%
print("gradient norm of each kernel at initialisation (Keras; TF1 and NumPy below)")
print(f"{'layer':9s}" + "".join(f"{label:>12s}" for label in models))
for i, name in enumerate(kernel_layers):
    print(f"{name:9s}" + "".join(f"{norms[label]['keras'][i]:12.3e}" for label in models))
for label in models:
    by = {track: np.array(n) for track, n in norms[label].items()}
    for track in ("tf1", "numpy"):
        apart = np.max(np.abs(by[track] - by["keras"]) / by[track])
        print(f"{label}: {track} norms {' '.join(f'{n:.6e}' for n in by[track])}")
        print(f"{label}: Keras - {track} largest relative difference {apart:.1e}")
ratio = norms["residual"]["keras"][0] / norms["plain"]["keras"][0]
print(f"first layer: residual / plain = {ratio:.1e}, batchnorm / plain = "
      f"{norms['batchnorm']['keras'][0] / norms['plain']['keras'][0]:.1e}")

# %%
fig, ax = plt.subplots(figsize=(7, 3.5), dpi=80)
for label in models:
    ax.semilogy(range(1, DEPTH + 2), norms[label]["keras"], "o-", label=label)
ax.set(xlabel="layer (1 = first)", ylabel="|gradient of kernel|",
       title="gradient reaching each layer at initialisation")
ax.legend()
writer = tf.summary.create_file_writer(os.path.join(run_dir, "lesson"))
log_figure(writer, "gradient_norm_per_layer", fig)
plt.show()

# %% [markdown]
# ## 3. A few epochs of each
#
# Adam (learning rate 0.003), the same start, the same batches. Adam scales each weight's step
# by the size of its own gradients, yet that cannot rescue the plain stack: its first layers'
# gradients (~1e-10) sit far below Adam's epsilon (1e-7), and what reaches the top layers of the
# input is as small, so its loss stays at log(10) = 2.303, chance. The residual stack starts
# rough (its sums grow layer by layer, so its first outputs are far too confident) and then
# learns; batch norm learns fastest. The gradient histograms of every kernel go to TensorBoard
# (Histograms tab), before and after training.

# %%
epochs = 4 if args.quick else 12


def log_gradients(model, label, step):
    with tf.summary.create_file_writer(os.path.join(run_dir, label)).as_default():
        for name, g in zip(kernel_layers, keras_gradients(model)):
            tf.summary.histogram(f"gradients/{name}", g, step=step)


curves = {}
for label, model in models.items():
    log_gradients(model, label, step=0)
    history = model.fit(data.x_train, data.y_train, batch_size=64, epochs=epochs, shuffle=False,
                        validation_data=(data.x_val, data.y_val), verbose=0)
    log_gradients(model, label, step=epochs)
    curves[label] = history.history["loss"]
    print(f"{label}: loss {' '.join(f'{v:.4f}' for v in history.history['loss'])}; "
          f"val accuracy {history.history['val_accuracy'][-1]:.4f}")
write_curves(writer, "loss", curves)

fig, ax = plt.subplots(figsize=(7, 3.5), dpi=80)
for label, values in curves.items():
    ax.plot(range(1, epochs + 1), values, "o-", label=label)
ax.set(xlabel="epoch", ylabel="training loss", title=f"{DEPTH} sigmoid layers, Adam")
ax.legend()
log_figure(writer, "loss_curves", fig)
plt.show()

# %% [markdown]
# ## 4. Separable against standard convolutions
#
# A standard 3x3 convolution from `c` channels to `f` filters has 3·3·c·f weights, and does that
# many multiply-adds at every output pixel. A depthwise separable one filters each channel on
# its own (3·3·c) and then mixes the channels with a 1x1 convolution (c·f): far fewer of both.
# The same small convnet both ways; the multiply-adds from the spec's shapes.

# %%
def convnet(conv):
    keras.utils.set_random_seed(0)
    model = keras.Sequential([
        keras.Input((8, 8, 1)),
        conv(16, 3, padding="same", activation="relu"),
        conv(32, 3, padding="same", activation="relu"),
        conv(32, 3, padding="same", activation="relu"),
        keras.layers.GlobalAveragePooling2D(),
        keras.layers.Dense(10, activation="softmax"),
    ])
    model.compile(optimizer=keras.optimizers.Adam(learning_rate=0.01),
                  loss="categorical_crossentropy", metrics=["accuracy"])
    return model


def multiply_adds(spec):
    """Multiply-adds of one image: per output pixel, a standard convolution's kh·kw·c·f; a
    separable one's kh·kw·c (depthwise) plus c·f (pointwise); a Dense layer's inputs·units."""
    total = 0
    for layer, shape, out in zip(spec.layers, spec.input_shapes(), spec.layer_shapes()):
        if layer.kind == "Conv2D":
            total += out[0] * out[1] * np.prod(layer.kernel_size) * shape[-1] * layer.filters
        elif layer.kind == "SeparableConv2D":
            total += out[0] * out[1] * (np.prod(layer.kernel_size) * shape[-1]
                                        + shape[-1] * layer.filters)
        elif layer.kind == "Dense":
            total += shape[-1] * layer.units
    return int(total)


conv_epochs = 3 if args.quick else 10
table = {}
for label, conv in (("standard", keras.layers.Conv2D), ("separable", keras.layers.SeparableConv2D)):
    model = convnet(conv)
    model.summary()
    spec = ModelSpec.from_keras(model, dataset="digits")
    history = model.fit(data.x_train.reshape(-1, 8, 8, 1), data.y_train, batch_size=64,
                        epochs=conv_epochs, verbose=0,
                        validation_data=(data.x_val.reshape(-1, 8, 8, 1), data.y_val))
    table[label] = (model.count_params(), multiply_adds(spec),
                    history.history["val_accuracy"][-1])
print(f"{'convnet':10s} {'parameters':>10s} {'multiply-adds':>14s} {'val accuracy':>13s}")
for label, (params, madds, accuracy) in table.items():
    print(f"{label:10s} {params:10d} {madds:14d} {accuracy:13.4f}")
print(f"separable / standard: parameters {table['separable'][0] / table['standard'][0]:.2f}, "
      f"multiply-adds {table['separable'][1] / table['standard'][1]:.2f}")

# %% [markdown]
# A sixth of the weights and a seventh of the multiply-adds, but on these tiny images it learns
# slower (full settings, 10 epochs: 0.68 validation accuracy against 0.96): each separable
# filter is a spatial filter per channel times a channel mix, a narrower family than a full
# 3x3xc kernel. MobileNet-style networks buy that back with more filters and batch norm after
# each convolution (the registry's `digits_separable`: `tfmodels list`), spending some of the
# saving; on a large image, where the multiply-adds are the cost, the trade pays.

# %%
print(f"lesson run time {time.perf_counter() - started:.0f} s")
print(f"tensorboard --logdir={args.logdir}")
print("Next: the last lesson. scripts/README.md lists them all; scripts/tensorboard_tour.py "
      "walks through the logs they wrote")

# %% [markdown]
# In Jupyter, TensorBoard opens inside the notebook (jupytext turns these comments into the
# notebook's magics):

# %%
# %load_ext tensorboard
# %tensorboard --logdir logs
