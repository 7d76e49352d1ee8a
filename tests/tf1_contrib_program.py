"""TF-Slim's layers, initializers and regularizers (`tf.contrib.layers`) in small graphs, run
against two modules: the real `tf_slim` (it needs TF1's legacy layers, so `TF_USE_LEGACY_KERAS=1`
in a process of its own) and `tf1_compat.contrib.layers`.

    python tests/tf1_contrib_program.py OUT_DIR     # with TF_USE_LEGACY_KERAS=1: tf_slim's side

writes `OUT_DIR/structure.json` and `OUT_DIR/arrays.npz`, which `run_all(module)` returns in the
test process (tests/test_contrib_oracle.py compares the two). The cases run through
tests/tf1_layers_program.py's `run_case` (variables, collections, initializer kinds, outputs,
update ops, regularization losses, 3 steps of gradient descent with the update ops after each).
tf_slim 1.1 imports TF1's layers from `tf_keras.legacy_tf_layers`, which tf_keras now keeps
under `tf_keras.src.legacy_tf_layers`, and reads `ops.Tensor` and `control_flow_ops.cond`, gone
from TensorFlow 2.21: `legacy_tf_slim` points the old names at the new places.
"""

from __future__ import annotations

import importlib
import json
import os
import sys

import numpy as np
import tensorflow as tf

try:
    from tests import tf1_layers_program as base
except ImportError:  # run as a script: tests/ is on the path
    import tf1_layers_program as base

v1 = tf.compat.v1
BATCH = 4


def init_variables(S, x):
    """The initializers alone: variables made with them, added to the outputs."""
    shapes = {"xavier": (5, 3, 4, 6), "xavier_normal": (7, 9), "he": (3, 3, 4, 8),
              "fan_out_uniform": (6, 10), "fan_avg_normal": (2, 3, 5)}
    makers = {"xavier": S.xavier_initializer(), "xavier_normal": S.xavier_initializer(False),
              "he": S.variance_scaling_initializer(),
              "fan_out_uniform": S.variance_scaling_initializer(1.5, "FAN_OUT", True),
              "fan_avg_normal": S.variance_scaling_initializer(1.0, "FAN_AVG", False)}
    outs = []
    for name, shape in shapes.items():
        w = v1.get_variable(f"{name}/kernel", shape, initializer=makers[name])
        outs.append(tf.reduce_sum(w) * x)
    return outs


def regularizers(S, x):
    a = v1.get_variable("a/kernel", (3, 4), initializer=v1.ones_initializer())
    b = v1.get_variable("b/kernel", (5,), initializer=v1.ones_initializer())
    penalties = [S.apply_regularization(S.l1_regularizer(0.3), [a, b]),
                 S.apply_regularization(S.l2_regularizer(0.05), [a]),
                 S.apply_regularization(S.l1_l2_regularizer(0.1, 0.2), [a, b]),
                 S.apply_regularization(S.l2_regularizer(0.0), [a])]
    return [x * p for p in penalties]


def arg_scoped(S, x):
    """Defaults from nested `arg_scope`s; a keyword in the call still wins."""
    with S.arg_scope([S.fully_connected, S.conv2d], activation_fn=None,
                     weights_regularizer=S.l2_regularizer(0.1)):
        with S.arg_scope([S.fully_connected], biases_initializer=None):
            a = S.fully_connected(x, 3)
        b = S.fully_connected(x, 2, activation_fn=tf.nn.relu)
    return [a, b, S.fully_connected(x, 2)]


CASES = {
    "fully_connected": ((BATCH, 5), lambda S, x, t: [
        S.fully_connected(x, 4),
        S.fully_connected(x, 3, activation_fn=None, weights_regularizer=S.l2_regularizer(0.1),
                          biases_regularizer=S.l1_regularizer(0.2)),
        S.fully_connected(x[:, None], 2, activation_fn=tf.nn.tanh),
        S.fully_connected(x, 3, scope="fc", biases_initializer=None),
        S.fully_connected(x * 2.0, 3, scope="fc", reuse=True, biases_initializer=None)]),
    "fully_connected_batch_norm": ((BATCH * 2, 5), lambda S, x, t: [
        S.fully_connected(x, 4, normalizer_fn=S.batch_norm,
                          normalizer_params={"is_training": t, "scale": True}),
        S.fully_connected(x, 3, normalizer_fn=S.batch_norm,
                          normalizer_params={"updates_collections": None, "decay": 0.9})]),
    "conv2d": ((BATCH, 6, 6, 3), lambda S, x, t: [
        S.conv2d(x, 4, [3, 3]),
        S.conv2d(x, 2, 3, stride=2, padding="VALID", activation_fn=None,
                 weights_regularizer=S.l2_regularizer(0.01)),
        S.conv2d(x, 3, [2, 3], rate=2, scope="dilated"),
        S.conv2d(tf.transpose(x, (0, 3, 1, 2)), 2, 3, data_format="NCHW")]),
    "conv2d_batch_norm_and_flatten": ((BATCH, 5, 5, 2), lambda S, x, t: [
        S.flatten(S.conv2d(x, 3, 3, normalizer_fn=S.batch_norm,
                           normalizer_params={"is_training": t, "decay": 0.5})),
        S.flatten(x), S.flatten(x, scope="flat")]),
    "batch_norm": ((BATCH * 2, 3, 3, 2), lambda S, x, t: [
        S.batch_norm(x, is_training=t),
        S.batch_norm(x, scale=True, decay=0.9, is_training=True),
        S.batch_norm(x, updates_collections=None, is_training=t, center=False),
        S.batch_norm(x, is_training=False, scope="frozen"),
        S.batch_norm(tf.reshape(x, (-1, 6)), is_training=t, scale=True, decay=0.8),
        S.batch_norm(tf.reshape(x, (-1, 6)), updates_collections=None, epsilon=0.01),
        S.batch_norm(tf.transpose(x, (0, 3, 1, 2)), data_format="NCHW", is_training=t)]),
    "layer_norm": ((BATCH, 4, 3), lambda S, x, t: [
        S.layer_norm(x),
        S.layer_norm(x, begin_norm_axis=-1, begin_params_axis=1, activation_fn=tf.nn.relu),
        S.layer_norm(x, center=False, scope="ln"),
        S.layer_norm(x * 3.0, scope="ln", reuse=True, center=False),
        S.layer_norm(x[:, 0], scale=False)]),
    "arg_scope": ((BATCH, 5), lambda S, x, t: arg_scoped(S, x)),
    "initializers": ((1,), lambda S, x, t: init_variables(S, x)),
    "regularizers": ((1,), lambda S, x, t: regularizers(S, x)),
}


def run_all(module):
    structure, arrays = {}, {}
    for name in CASES:
        base.run_case(module, name, structure, arrays, CASES)
    return structure, arrays


def legacy_tf_slim():
    """tf_slim, its imports of `tf_keras.legacy_tf_layers.*` pointed at tf_keras's `src`, and
    the `ops.Tensor` and `control_flow_ops.cond` its `smart_cond` reads (TensorFlow 2.21 keeps
    them as `tf.Tensor` and `tf.compat.v1.cond`)."""
    import tf_keras  # noqa: F401 - the legacy layers live there
    from tensorflow.python.framework import ops
    from tensorflow.python.ops import control_flow_ops

    if not hasattr(ops, "Tensor"):
        ops.Tensor = tf.Tensor
    if not hasattr(control_flow_ops, "cond"):
        control_flow_ops.cond = v1.cond

    for name in ("base", "core", "convolutional", "pooling", "normalization"):
        sys.modules[f"tf_keras.legacy_tf_layers.{name}"] = importlib.import_module(
            f"tf_keras.src.legacy_tf_layers.{name}")
    import tf_slim

    return tf_slim


def main(out_dir):
    if os.environ.get("TF_USE_LEGACY_KERAS") != "1":
        sys.exit("the oracle needs TF_USE_LEGACY_KERAS=1 set before TensorFlow is imported")
    try:
        slim = legacy_tf_slim()
    except ImportError as error:
        sys.exit(f"the oracle needs tf_slim and tf_keras (the dev extra): {error}")
    structure, arrays = run_all(slim)
    structure["tf_slim"] = getattr(slim, "__version__", "1.1.0")
    base.initial_values_tf1_behaviour(slim, arrays, CASES)
    with open(os.path.join(out_dir, "structure.json"), "w") as f:
        json.dump(structure, f, indent=1)
    np.savez(os.path.join(out_dir, "arrays.npz"), **arrays)


if __name__ == "__main__":
    main(sys.argv[1])
