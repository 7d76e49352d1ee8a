"""Every layer of `tf.compat.v1.layers`, function and class, in small graphs run against two
`layers` modules: the real one (tf_keras's legacy layers, alive only with `TF_USE_LEGACY_KERAS=1`
set before TensorFlow is imported, so in a process of its own) and `tf1_compat.layers`.

    python tests/tf1_layers_program.py OUT_DIR     # with TF_USE_LEGACY_KERAS=1: the oracle's side

writes `OUT_DIR/structure.json` and `OUT_DIR/arrays.npz`, which `run_all(tf1_compat.layers)`
returns in the test process (tests/test_layers_all_oracle.py compares the two). Each case is a
graph of its own: one input of a known shape, one or more layer calls; recorded are the
variables (names, shapes, dtypes, collections, initializer kinds), the outputs' names and
shapes, the update ops and regularization losses, the outputs from the same variable values
(`start_value`), and every variable after `STEPS` steps of gradient descent on a loss that
weighs every output element differently. Nothing here imports tf1_compat.
"""

from __future__ import annotations

import json
import os
import sys
import zlib

import numpy as np
import tensorflow as tf

try:
    from tests.tf1_program import describe, session_on
except ImportError:  # run as a script: tests/ is on the path
    from tf1_program import describe, session_on

v1 = tf.compat.v1

GRAPH_SEED = 99
STEPS = 3
BATCH = 2
ACTIVATIONS = ["linear", "relu", "elu", "selu", "sigmoid", "tanh", "softplus", "softsign",
               "exponential", "swish", "softmax", "gelu"]


def start_value(name, shape):
    """Every variable's start value on both sides, drawn from its name: kernels He-normal,
    gammas and moving variances around 1, the rest around 0."""
    rng = np.random.default_rng(zlib.crc32(name.encode()))
    kind = name.rsplit("/", 1)[-1]
    if kind.endswith("kernel"):
        value = rng.normal(0, np.sqrt(2 / max(1, np.prod(shape[:-1]))), shape)
    elif kind in ("gamma", "moving_variance"):
        value = rng.uniform(0.5, 2.0, shape)
    else:
        value = rng.normal(0, 0.3, shape)
    return value.astype(np.float32)


def l2(weight):
    return lambda t: weight * tf.reduce_sum(tf.square(t))


def custom_layer_class(layers):
    """A user's subclass of TF1's base `Layer`: `add_weight` and `add_variable` in `build`."""

    class Scale(layers.Layer):
        def build(self, input_shape):
            self.w = self.add_weight("w", (input_shape[-1],), initializer=v1.ones_initializer())
            self.b = self.add_variable("b", (), trainable=False,
                                       initializer=v1.zeros_initializer())
            self.built = True

        def call(self, inputs):
            return inputs * self.w + self.b

    return Scale


# Each case: (input shape, build(layers, x, training) -> list of outputs). `training` is a
# placeholder (fed True when running, so dropout and batch norm train).
CASES = {
    "conv1d_same_dilated": ((BATCH, 9, 3), lambda L, x, t: [
        L.conv1d(x, 4, 3, padding="same", dilation_rate=2, activation=tf.nn.relu)]),
    "conv1d_valid_strided": ((BATCH, 9, 3), lambda L, x, t: [
        L.conv1d(x, 3, 2, strides=2, kernel_regularizer=l2(0.1), activity_regularizer=l2(0.01))]),
    "conv1d_channels_first_reused": ((BATCH, 3, 9), lambda L, x, t: [
        L.conv1d(x, 2, 3, data_format="channels_first", name="c1"),
        L.conv1d(x, 2, 3, data_format="channels_first", name="c1", reuse=True)]),
    "conv2d_dilated_numpy_filters": ((BATCH, 7, 6, 2), lambda L, x, t: [
        L.conv2d(x, np.int64(3), (3, 2), dilation_rate=(2, 1), padding="same",
                 activation="tanh")]),
    "conv3d": ((BATCH, 5, 6, 4, 2), lambda L, x, t: [
        L.conv3d(x, 3, (2, 3, 2), strides=(1, 2, 1), padding="same", activation=tf.nn.relu),
        L.conv3d(x, 2, 2, dilation_rate=2, use_bias=False)]),
    "conv2d_transpose": ((BATCH, 4, 5, 3), lambda L, x, t: [
        L.conv2d_transpose(x, 2, 3, strides=2, padding="same", activation=tf.nn.relu),
        L.conv2d_transpose(x, 3, (3, 2), strides=(2, 3)),
        L.conv2d_transpose(x, 2, 2, strides=1, padding="valid", use_bias=False)]),
    "conv2d_transpose_channels_first": ((BATCH, 3, 4, 5), lambda L, x, t: [
        L.conv2d_transpose(x, 2, 3, strides=2, padding="same", data_format="channels_first")]),
    "conv3d_transpose": ((BATCH, 3, 4, 3, 2), lambda L, x, t: [
        L.conv3d_transpose(x, 2, 3, strides=2, padding="same"),
        L.conv3d_transpose(x, 3, (2, 3, 2), strides=(1, 2, 2), activation=tf.nn.tanh)]),
    "separable_conv1d": ((BATCH, 10, 3), lambda L, x, t: [
        L.separable_conv1d(x, 4, 3, padding="same", depth_multiplier=2, activation=tf.nn.relu),
        L.separable_conv1d(x, 2, 3, strides=2),
        L.separable_conv1d(x, 2, 2, dilation_rate=2, depthwise_regularizer=l2(0.1))]),
    "separable_conv2d": ((BATCH, 8, 7, 3), lambda L, x, t: [
        L.separable_conv2d(x, 5, 3, depth_multiplier=2, padding="same"),
        L.separable_conv2d(x, 4, (3, 2), strides=2, activation=tf.nn.relu),
        L.separable_conv2d(x, 2, 2, dilation_rate=2, pointwise_regularizer=l2(0.1))]),
    "pooling1d": ((BATCH, 9, 3), lambda L, x, t: [
        L.max_pooling1d(x, 2, 2), L.max_pooling1d(x, 3, 2, padding="same"),
        L.average_pooling1d(x, 2, 2), L.average_pooling1d(x, 3, 2, padding="same"),
        L.max_pooling1d(tf.transpose(x, (0, 2, 1)), 2, 1, data_format="channels_first"),
        L.average_pooling1d(tf.transpose(x, (0, 2, 1)), 3, 2, padding="same",
                            data_format="channels_first")]),
    "pooling3d": ((BATCH, 5, 6, 4, 2), lambda L, x, t: [
        L.max_pooling3d(x, 2, 2), L.max_pooling3d(x, (3, 2, 2), 2, padding="same"),
        L.average_pooling3d(x, 2, 2), L.average_pooling3d(x, 3, (2, 1, 2), padding="same"),
        L.max_pooling3d(tf.transpose(x, (0, 4, 1, 2, 3)), 2, 2, data_format="channels_first"),
        L.average_pooling3d(tf.transpose(x, (0, 4, 1, 2, 3)), 2, 1,
                            data_format="channels_first")]),
    "channels_first_convolutions": ((BATCH, 3, 6, 5), lambda L, x, t: [
        L.conv2d(x, 2, 3, strides=2, padding="same", data_format="channels_first"),
        L.conv3d(x[:, :, None], 2, (1, 2, 2), data_format="channels_first",
                 activation=tf.nn.relu),
        L.conv3d_transpose(x[:, :, None], 2, 2, strides=2, data_format="channels_first"),
        L.separable_conv1d(x[:, :, 0], 2, 3, depth_multiplier=2, data_format="channels_first"),
        L.separable_conv2d(x, 2, 3, padding="same", data_format="channels_first")]),
    "channels_first_pooling2d": ((BATCH, 3, 6, 5), lambda L, x, t: [
        L.max_pooling2d(x, 2, 2, data_format="channels_first"),
        L.average_pooling2d(x, 3, 2, padding="same", data_format="channels_first")]),
    "pooling2d_and_flatten": ((BATCH, 6, 5, 3), lambda L, x, t: [
        L.max_pooling2d(x, 2, 2, padding="same"), L.average_pooling2d(x, (3, 2), 1),
        L.flatten(x), L.flatten(tf.transpose(x, (0, 3, 1, 2)), data_format="channels_first")]),
    "classes_conv_and_dense": ((BATCH, 6, 6, 2), lambda L, x, t: classes(L, x)),
    "classes_pooling_flatten_dropout": ((BATCH, 6, 6, 2), lambda L, x, t: pooling_classes(L, x)),
    "class_batch_norm": ((BATCH * 3, 4, 3, 2), lambda L, x, t: batch_norm_class(L, x, t)),
    "custom_layer": ((BATCH, 5), lambda L, x, t: custom_layer(L, x)),
    "dense_numpy_units_string_activations": ((BATCH, 4), lambda L, x, t: [
        L.dense(x, np.int64(3), activation=name, name=f"act_{name}") for name in ACTIVATIONS]),
    "dropout_tensor_rate": ((BATCH * 50, 8), lambda L, x, t: [
        L.dropout(x, v1.placeholder_with_default(0.4, ()), seed=5, training=t),
        L.Dropout(0.25, seed=6)(x, training=t)]),
}


def classes(L, x):
    """Class objects: one called twice shares its variables; named ones take unique scopes."""
    conv = L.Conv2D(3, 3, padding="same", activation="relu")
    a = conv(x)
    b = conv(x * 2.0)
    dense = L.Dense(4, name="fc", kernel_regularizer=l2(0.5))
    flat = L.Flatten()(a)
    outs = [a, b, dense(flat), dense(flat + 1.0), L.Dense(2, name="fc")(flat)]
    outs += [L.Conv1D(2, 2)(x[:, 0]), L.Conv3D(2, 2)(x[..., None]),
             L.Conv2DTranspose(2, 2, strides=2)(x), L.Conv3DTranspose(1, 2)(x[..., None]),
             L.SeparableConv1D(2, 2)(x[:, 0]), L.SeparableConv2D(2, 2, depth_multiplier=3)(x)]
    frozen = L.Dense(2, trainable=False)
    outs.append(frozen(flat))
    layers_info = {"conv": info(conv), "dense": info(dense), "frozen": info(frozen)}
    return outs, layers_info


def pooling_classes(L, x):
    outs = [L.MaxPooling2D(2, 2)(x), L.AveragePooling2D(3, 1, padding="same")(x),
            L.MaxPooling1D(2, 1)(x[:, 0]), L.AveragePooling1D(2, 2)(x[:, 0]),
            L.MaxPooling3D(2, 1)(x[..., None]), L.AveragePooling3D(2, 2)(x[..., None]),
            L.Flatten()(x), L.Dropout(0.5)(x, training=False)]
    return outs, {}


def batch_norm_class(L, x, training):
    bn = L.BatchNormalization(momentum=0.5)
    a = bn(x, training=training)
    b = bn(x, training=False)  # the same variables, in inference
    plain = L.BatchNormalization(axis=2, fused=False, name="plain")
    c = plain(x, training=True)
    return [a, b, c], {"bn": info(bn), "plain": info(plain)}


def custom_layer(L, x):
    scale_class = custom_layer_class(L)
    first = scale_class()
    outs = [first(x), first(x + 1.0)]
    named = scale_class(name="s", trainable=False)
    outs.append(named(x))
    return outs, {"first": info(first), "named": info(named)}


def info(layer):
    """What a layer object says about itself."""
    return {"name": layer.name, "scope_name": layer.scope_name,
            "variables": [v.op.name for v in layer.variables],
            "trainable_variables": [v.op.name for v in layer.trainable_variables],
            "non_trainable_variables": [v.op.name for v in layer.non_trainable_variables],
            "losses": len(layer.losses), "updates": len(layer.updates), "built": layer.built}


def build_case(layers, name, graph, cases=None):
    shape, build = (cases or CASES)[name]
    with graph.as_default():
        v1.set_random_seed(GRAPH_SEED)
        x = v1.placeholder(tf.float32, shape, name="x")
        training = v1.placeholder(tf.bool, (), name="training")
        outs = build(layers, x, training)
        extra = {}
        if isinstance(outs, tuple):
            outs, extra = outs
        weights = [tf.reshape(tf.sin(tf.cast(tf.range(tf.size(o)), tf.float32) * 0.7 + 0.3),
                            tf.shape(o)) for o in outs]
        loss = tf.add_n([tf.reduce_sum(o * w) for o, w in zip(outs, weights)])
        reg = v1.get_collection(v1.GraphKeys.REGULARIZATION_LOSSES)
        if reg:
            loss = tf.add_n([loss, *reg])
        updates = v1.get_collection(v1.GraphKeys.UPDATE_OPS)
        trainable = v1.trainable_variables()
        step = (v1.train.GradientDescentOptimizer(0.05).minimize(loss) if trainable
                else tf.no_op())
        init = v1.global_variables_initializer()
    return x, training, outs, extra, loss, reg, updates, step, init


def model_variables(graph):
    return [v for v in graph.get_collection(v1.GraphKeys.GLOBAL_VARIABLES)]


def run_case(layers, name, structure, arrays, cases=None):
    """One case of `cases` (default `CASES`): its structure and arrays, keyed by its name."""
    cases = cases or CASES
    graph = tf.Graph()
    x, training, outs, extra, loss, reg, updates, step, init = build_case(layers, name, graph,
                                                                          cases)
    variables = model_variables(graph)
    structure[name] = {"variables": describe(graph, variables), "extra": extra,
                       "outputs": [o.name for o in outs],
                       "shapes": [o.shape.as_list() for o in outs],
                       "regularization_losses": len(reg), "update_ops": len(updates)}
    data = np.random.default_rng(zlib.crc32(name.encode())).normal(
        size=cases[name][0]).astype(np.float32)
    feed = {x: data, training: True}
    with session_on(graph) as session:
        session.run(init)
        arrays.update({f"init/{name}/{v.op.name}": session.run(v) for v in variables})
        with graph.as_default():
            for v in variables:
                v.load(start_value(v.op.name, v.shape.as_list()), session)
        got, regs = session.run([outs, reg], feed)
        arrays.update({f"{name}/out{i}": o for i, o in enumerate(got)})
        arrays.update({f"{name}/regularization{i}": r for i, r in enumerate(regs)})
        losses = []
        for _ in range(STEPS):  # one run each: no run reads a variable that it writes
            losses.append(session.run(loss, feed))
            session.run(step, feed)
            session.run(updates, feed)
        arrays[f"{name}/losses"] = np.array(losses)
        arrays.update({f"{name}/after/{v.op.name}": session.run(v) for v in variables})


def run_refusals(layers, structure):
    """What each side does with the string 'False' for `training` (TF1's smart_cond refused it)."""
    graph = tf.Graph()
    got = {}
    with graph.as_default():
        x = v1.placeholder(tf.float32, (2, 3))
        for what, call in (("dropout", lambda: layers.dropout(x, 0.5, training="False")),
                           ("batch_normalization",
                            lambda: layers.batch_normalization(x, training="False"))):
            try:
                call()
                got[what] = "accepted"
            except Exception as error:  # noqa: BLE001 - recorded, compared by the test
                got[what] = type(error).__name__
    structure["refusals"] = got


def initial_values_tf1_behaviour(layers, arrays, cases=None):
    """The initializers' own values under `disable_v2_behavior()` (TF1's semantics: graph seed
    and op-seed count), for every case. Call last: it changes the whole process."""
    v1.disable_v2_behavior()
    for name in cases or CASES:
        graph = tf.Graph()
        init = build_case(layers, name, graph, cases)[-1]
        with session_on(graph) as session:
            session.run(init)
            for v in model_variables(graph):
                arrays[f"init_v1/{name}/{v.op.name}"] = session.run(v)


def run_all(layers):
    structure, arrays = {}, {}
    for name in CASES:
        run_case(layers, name, structure, arrays)
    run_refusals(layers, structure)
    return structure, arrays


def main(out_dir):
    if os.environ.get("TF_USE_LEGACY_KERAS") != "1":
        sys.exit("the oracle needs TF_USE_LEGACY_KERAS=1 set before TensorFlow is imported")
    try:
        import tf_keras  # the legacy layers live there
    except ImportError:
        sys.exit("the oracle needs tf_keras (the dev extra: pip install -e '.[dev]')")
    structure, arrays = run_all(v1.layers)
    structure["tf_keras"] = tf_keras.__version__
    initial_values_tf1_behaviour(v1.layers, arrays)
    with open(os.path.join(out_dir, "structure.json"), "w") as f:
        json.dump(structure, f, indent=1)
    np.savez(os.path.join(out_dir, "arrays.npz"), **arrays)


if __name__ == "__main__":
    main(sys.argv[1])
