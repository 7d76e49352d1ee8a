"""One classic TF1 program, run against two `layers` modules: the real `tf.compat.v1.layers`
(tf_keras's legacy layers, alive only with `TF_USE_LEGACY_KERAS=1` set before TensorFlow is
imported, so in a process of its own) and the drop-in `tf1_compat.layers`.

    python tests/tf1_program.py OUT_DIR     # with TF_USE_LEGACY_KERAS=1: the oracle's side

writes `OUT_DIR/structure.json` and `OUT_DIR/arrays.npz`, which `run_all(tf1_compat.layers)`
returns in the test process (tests/test_layers_oracle.py compares the two). Nothing here imports
tf1_compat: the same code runs against whichever `layers` it is handed.
"""

from __future__ import annotations

import json
import os
import sys
import zlib

import numpy as np
import tensorflow as tf

v1 = tf.compat.v1

GRAPH_SEED = 1234
DROPOUT_SEED = 7
DROPOUT_RATE = 0.3
BATCH, IMAGE, CLASSES = 32, (28, 28, 1), 10
TRAINING_STEPS = 5
OPTIMIZERS = {"gd": lambda: v1.train.GradientDescentOptimizer(0.1),
              "adam": lambda: v1.train.AdamOptimizer(0.01)}


def build(layers, x, training):
    """A small convnet in TF1's style: `(logits, end_points)`, every layer's output by name."""
    end_points = {}
    h = end_points["conv2d"] = layers.conv2d(x, 8, 5, strides=2, padding="same",
                                             activation=tf.nn.relu)                # 14x14x8
    h = end_points["bn_fused"] = layers.batch_normalization(h, training=training)  # 4-D: fused
    h = end_points["max_pool"] = layers.max_pooling2d(h, 2, 2)                   # 7x7x8
    h = end_points["conv2d_valid"] = layers.conv2d(h, 12, 3, strides=2, padding="valid",
                                                   activation=tf.nn.relu)        # 3x3x12
    # 2x2x12; the windows at the border cover 1 of 2 rows (columns): the padding is not averaged
    h = end_points["avg_pool"] = layers.average_pooling2d(h, 2, 2, padding="same")
    h = end_points["flatten"] = layers.flatten(h)                                 # 48
    h = end_points["dropout"] = layers.dropout(h, DROPOUT_RATE, training=training,
                                               seed=DROPOUT_SEED)
    h = end_points["dense"] = layers.dense(h, 16, activation=tf.nn.relu)
    h = end_points["bn_plain"] = layers.batch_normalization(h, training=training)  # 2-D: moments
    logits = end_points["logits"] = layers.dense(h, CLASSES)
    return logits, end_points


def data():
    rng = np.random.default_rng(0)
    images = rng.normal(size=(BATCH, *IMAGE)).astype(np.float32)
    labels = rng.integers(0, CLASSES, BATCH).astype(np.int32)
    return images, labels


def start_value(name, shape):
    """The value every variable starts from on both sides, drawn from its name (not from an
    initializer): kernels He-normal, gammas and moving variances around 1, the rest around 0."""
    rng = np.random.default_rng(zlib.crc32(name.encode()))
    kind = name.rsplit("/", 1)[-1]
    if kind == "kernel":
        value = rng.normal(0, np.sqrt(2 / np.prod(shape[:-1])), shape)
    elif kind in ("gamma", "moving_variance"):
        value = rng.uniform(0.5, 2.0, shape)
    else:  # bias, beta, moving_mean
        value = rng.normal(0, 0.3, shape)
    return value.astype(np.float32)


def model_variables(graph):
    """The program's variables in creation order (not an optimizer's slots)."""
    return [v for v in graph.get_collection(v1.GraphKeys.GLOBAL_VARIABLES)
            if v.op.name.rsplit("/", 1)[-1] in ("kernel", "bias", "gamma", "beta", "moving_mean",
                                                "moving_variance")]


def session_on(graph):
    """A session that runs on the CPU even where there is a GPU (whose convolution gradients
    need not be deterministic): both sides run the same kernels, on any machine."""
    return v1.Session(graph=graph, config=v1.ConfigProto(device_count={"GPU": 0}))


def values(session, variables):
    return dict(zip((v.op.name for v in variables), session.run(variables)))


# -- what the graph says about a variable --------------------------------------------------------

RANDOM_KINDS = {"RandomUniform": "uniform", "StatelessRandomUniformV2": "uniform",
                "RandomStandardNormal": "normal", "StatelessRandomNormalV2": "normal",
                "TruncatedNormal": "truncated_normal",
                "StatelessTruncatedNormalV2": "truncated_normal"}


def initializer_kind(variable):
    """`{"random": [distributions], "constants": [float constants]}` of the subgraph that makes a
    variable's initial value: Glorot uniform is a uniform draw with the constants -limit, limit;
    zeros and ones are a constant 0 or 1. Seeds and op names are left out."""
    seen, todo, random, constants = set(), [variable.initializer.inputs[1].op], set(), set()
    while todo:
        op = todo.pop()
        if op.name in seen:
            continue
        seen.add(op.name)
        if op.type in RANDOM_KINDS:
            random.add(RANDOM_KINDS[op.type])
        elif "Random" in op.type and "KeyCounter" not in op.type:
            random.add(op.type)
        if op.type == "Const" and op.outputs[0].dtype.is_floating:
            constants.update(float(c) for c in np.unique(tf.make_ndarray(op.get_attr("value"))))
        todo.extend(i.op for i in op.inputs)
    return {"random": sorted(random), "constants": sorted(constants)}


def describe(graph, variables):
    keys = graph.get_all_collection_keys()
    return [{"name": v.op.name, "shape": v.shape.as_list(), "dtype": v.dtype.base_dtype.name,
             "collections": sorted(k for k in keys if any(v is w for w in graph.get_collection(k))),
             "initializer": initializer_kind(v)} for v in variables]


# -- the runs ------------------------------------------------------------------------------------


def program_graph(layers, optimizer=None, training=None):
    """The program in a graph of its own; `training` a placeholder unless given a Python bool."""
    graph = tf.Graph()
    with graph.as_default():
        v1.set_random_seed(GRAPH_SEED)
        x = v1.placeholder(tf.float32, (None, *IMAGE), name="x")
        y = v1.placeholder(tf.int32, (None,), name="y")
        if training is None:
            training = v1.placeholder(tf.bool, (), name="training")
        logits, end_points = build(layers, x, training)
        updates = v1.get_collection(v1.GraphKeys.UPDATE_OPS)
        parts = dict(x=x, y=y, training=training, logits=logits, end_points=end_points,
                     updates=updates)
        if optimizer is not None:
            loss = tf.reduce_mean(tf.nn.sparse_softmax_cross_entropy_with_logits(y, logits))
            with tf.control_dependencies(updates):
                parts["train_op"] = OPTIMIZERS[optimizer]().minimize(loss)
            parts["loss"] = loss
        parts["init"] = v1.global_variables_initializer()
    return graph, parts


def start(graph, parts):
    """A session on the program's graph, its variables at `start_value`."""
    session = session_on(graph)
    session.run(parts["init"])
    load(session, model_variables(graph))
    return session


def load(session, variables):
    """`variable.load(start_value)` for each (`load` adds an op: in the session's graph)."""
    with session.graph.as_default():
        for v in variables:
            v.load(start_value(v.op.name, v.shape.as_list()), session)


def run_forward(layers, structure, arrays):
    """Structure and initial values; every end point in inference and training; the update ops."""
    images, _ = data()
    graph, parts = program_graph(layers)
    variables = model_variables(graph)
    structure["variables"] = describe(graph, variables)
    structure["update_ops"] = len(parts["updates"])
    structure["end_points"] = {k: t.name for k, t in parts["end_points"].items()}
    structure["end_point_shapes"] = {k: t.shape.as_list() for k, t in parts["end_points"].items()}
    with session_on(graph) as session:  # the initializers' own values, graph seed set
        session.run(parts["init"])
        arrays.update({f"init/{k}": v for k, v in values(session, variables).items()})
    x, training, ends = parts["x"], parts["training"], parts["end_points"]
    with start(graph, parts) as session:
        for step, flag in (("infer", False), ("train", True), ("train_again", True)):
            got = session.run(ends, {x: images, training: flag})  # training draws masks
            arrays.update({f"{step}/{k}": v for k, v in got.items()})
        session.run(parts["updates"], {x: images, training: False})  # move nothing
        arrays.update({f"after_false_updates/{k}": v
                       for k, v in values(session, variables).items()})
        session.run([parts["logits"], parts["updates"]], {x: images, training: True})
        arrays.update({f"after_updates/{k}": v for k, v in values(session, variables).items()})
        got = session.run(ends, {x: images, training: False})
        arrays.update({f"infer_after_updates/{k}": v for k, v in got.items()})


def run_training(layers, optimizer, structure, arrays):
    """`TRAINING_STEPS` steps of `optimizer` with the update ops; every variable after them."""
    images, labels = data()
    graph, parts = program_graph(layers, optimizer)
    feed = {parts["x"]: images, parts["y"]: labels, parts["training"]: True}
    with start(graph, parts) as session:
        losses = [session.run([parts["loss"], parts["train_op"]], feed)[0]
                  for _ in range(TRAINING_STEPS)]
        arrays[f"{optimizer}/losses"] = np.array(losses)
        everything = graph.get_collection(v1.GraphKeys.GLOBAL_VARIABLES)
        structure[f"{optimizer}/variables"] = [v.op.name for v in everything]
        arrays.update({f"{optimizer}/{k}": v for k, v in values(session, everything).items()})
        got = session.run(parts["end_points"], {parts["x"]: images, parts["training"]: False})
        arrays.update({f"{optimizer}/infer/{k}": v for k, v in got.items()})


def run_static(layers, structure, arrays):
    """`training` a Python bool, as many TF1 scripts wrote it (no cond): True makes the update
    ops, False none; both train with gradient descent (False: batch norm frozen, no dropout)."""
    images, labels = data()
    for flag in (True, False):
        graph, parts = program_graph(layers, "gd", training=flag)
        structure[f"static_{flag}/update_ops"] = len(parts["updates"])
        feed = {parts["x"]: images, parts["y"]: labels}
        with start(graph, parts) as session:
            got = session.run(parts["end_points"], feed)
            arrays.update({f"static_{flag}/outputs/{k}": v for k, v in got.items()})
            for _ in range(TRAINING_STEPS):
                session.run(parts["train_op"], feed)
            arrays.update({f"static_{flag}/{k}": v
                           for k, v in values(session, model_variables(graph)).items()})


def run_naming(layers, structure, arrays):
    """TF1's automatic names, `name=` and `reuse`: every variable and every output's name."""
    rng = np.random.default_rng(1)
    graph = tf.Graph()
    with graph.as_default():
        x = v1.placeholder(tf.float32, (None, 4, 4, 2), name="x")
        flat = tf.reshape(x, (-1, 32))
        calls = [
            layers.dense(flat, 3),
            layers.dense(flat, 3),
            layers.conv2d(x, 2, 1),
            layers.dense(flat, 3),
            layers.dense(flat, 3, name="fc"),
            layers.dense(flat, 3, name="fc", reuse=True),
            layers.dense(flat, 3, name="fc", reuse=v1.AUTO_REUSE),
            layers.dense(flat, 3, reuse=True),  # unnamed, reused: dense's variables
            layers.conv2d(x, 2, 3, name="cv"),
            layers.conv2d(x, 2, 3, name="cv", reuse=True),
            layers.max_pooling2d(x, 2, 2, name="pool"),
            layers.max_pooling2d(x, 2, 2, name="pool"),
            layers.average_pooling2d(x, 2, 2),
            layers.flatten(x),
            layers.dropout(flat, 0.5),
            layers.batch_normalization(x, name="bn"),
            layers.batch_normalization(x, name="bn", reuse=True),
            layers.batch_normalization(flat),
        ]
        with v1.variable_scope("block"):
            calls += [layers.dense(flat, 2), layers.dense(flat, 2), layers.conv2d(x, 1, 1)]
        with v1.variable_scope("block", reuse=True):
            calls.append(layers.dense(flat, 2))
        with v1.variable_scope("tower"):
            calls += [layers.dense(flat, 2, name="head")]
        with v1.variable_scope("tower", reuse=True):
            calls += [layers.dense(flat, 2, name="head")]
        structure["naming/variables"] = [v.op.name for v in v1.global_variables()]
        structure["naming/trainable"] = [v.op.name for v in v1.trainable_variables()]
        structure["naming/outputs"] = [t.name for t in calls]
        init = v1.global_variables_initializer()
    with session_on(graph) as session:
        session.run(init)
        load(session, graph.get_collection(v1.GraphKeys.GLOBAL_VARIABLES))
        got = session.run(calls, {x: rng.normal(size=(3, 4, 4, 2)).astype(np.float32)})
    arrays.update({f"naming/{i}": v for i, v in enumerate(got)})


def run_dropout(layers, structure, arrays):
    """Unseeded dropout over many elements (no graph seed): two draws of the mask."""
    graph = tf.Graph()
    with graph.as_default():
        out = layers.dropout(tf.ones((400, 250)), DROPOUT_RATE, training=True)
    with session_on(graph) as session:
        arrays["dropout/first"], arrays["dropout/second"] = session.run(out), session.run(out)


def run_all(layers):
    """Everything the oracle test compares: `(structure, arrays)`, JSON and numpy arrays."""
    structure, arrays = {}, {}
    run_forward(layers, structure, arrays)
    for optimizer in OPTIMIZERS:
        run_training(layers, optimizer, structure, arrays)
    run_static(layers, structure, arrays)
    run_naming(layers, structure, arrays)
    run_dropout(layers, structure, arrays)
    return structure, arrays


def initial_values_tf1_behaviour(layers):
    """The initializers' values under `disable_v2_behavior()`, TF1's own semantics (call last:
    it changes the whole process)."""
    v1.disable_v2_behavior()
    graph, parts = program_graph(layers)
    with session_on(graph) as session:
        session.run(parts["init"])
        return {f"init_v1/{k}": v for k, v in values(session, model_variables(graph)).items()}


def main(out_dir):
    if os.environ.get("TF_USE_LEGACY_KERAS") != "1":
        sys.exit("the oracle needs TF_USE_LEGACY_KERAS=1 set before TensorFlow is imported")
    try:
        import tf_keras  # the legacy layers live there
    except ImportError:
        sys.exit("the oracle needs tf_keras (the dev extra: pip install -e '.[dev]')")
    layers = v1.layers
    structure, arrays = run_all(layers)
    structure["tf_keras"] = tf_keras.__version__
    arrays.update(initial_values_tf1_behaviour(layers))
    with open(os.path.join(out_dir, "structure.json"), "w") as f:
        json.dump(structure, f, indent=1)
    np.savez(os.path.join(out_dir, "arrays.npz"), **arrays)


if __name__ == "__main__":
    main(sys.argv[1])
