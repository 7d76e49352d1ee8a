"""Runs one corpus program, unmodified, in this process: `python launch.py MODE PROG [ARG ...]`.

MODE `ours`: as `tfmodels run PROG ARGS` does (`tf1_compat.runner.run_program`, the TF1
namespace of `tf1_compat.shim`). MODE `legacy` (the oracle; start it with TF_USE_LEGACY_KERAS=1):
the same import hook of `tf1_compat.runner`, but `import tensorflow as tf` in the program gives
TensorFlow's own legacy TF1 code - `tf.compat.v1` (whose `tf.layers` and `tf.nn.rnn_cell` are
tf_keras's legacy layers and cells under TF_USE_LEGACY_KERAS=1), with `tf.contrib.rnn` mapped to
`tf.compat.v1.nn.rnn_cell` and the `tf.compat.v1.nn` functions, `tf.contrib.layers` to
`tf_slim.layers`; no `tf1_compat` drop-in is reachable from the program.

Equal starting values without touching the program: the launcher wraps
`tf.compat.v1.global_variables_initializer` (so it knows the initializer op) and `Session.run`;
right after the first run of that initializer in the process it
- writes the names and shapes of the graph's global variables to `$TF1_CORPUS_DIR/variables.json`;
- with `TF1_CORPUS_SAVE=1`, writes their values to `$TF1_CORPUS_DIR/initial.npz`;
- with `TF1_CORPUS_INIT=file.npz`, loads the values of that file into the variables of the same
  names (`Variable.load`), and lists in variables.json the names it had no value for.
The test runs the oracle first with TF1_CORPUS_SAVE=1, then ours with TF1_CORPUS_INIT set to the
oracle's values: both start from the same numbers, whatever random ops made them.
"""

from __future__ import annotations

import json
import os
import sys
import types

__all__ = ["main"]


def _legacy_namespace():
    """The TF1 namespace of the oracle: `tf.compat.v1` and a `contrib` of real TF1 code."""
    import tensorflow as tf

    v1 = tf.compat.v1
    rnn = types.ModuleType("tf.contrib.rnn")
    for name in dir(v1.nn.rnn_cell):
        if not name.startswith("_"):
            setattr(rnn, name, getattr(v1.nn.rnn_cell, name))
    for name in ("static_rnn", "static_bidirectional_rnn", "static_state_saving_rnn"):
        setattr(rnn, name, getattr(v1.nn, name))
    contrib = types.ModuleType("tf.contrib")
    contrib.rnn = rnn
    try:
        import tf_slim
    except ImportError:
        pass  # a program using tf.contrib.layers fails in the oracle: the test skips it
    else:
        # tf.contrib.layers held the layers and the regularizers/initializers tf_slim keeps
        # at its top level
        contrib.layers = types.ModuleType("tf.contrib.layers")
        for source in (tf_slim, tf_slim.layers):
            contrib.layers.__dict__.update(
                {k: v for k, v in vars(source).items() if not k.startswith("_")})
        contrib.framework = tf_slim
    root = types.ModuleType("tensorflow")
    root.__dict__.update({k: getattr(v1, k) for k in dir(v1) if not k.startswith("__")})
    root.contrib, root.__version__ = contrib, tf.__version__
    return root


def _record(session, graph) -> None:
    import numpy as np
    import tensorflow as tf

    folder = os.environ["TF1_CORPUS_DIR"]
    variables = graph.get_collection(tf.compat.v1.GraphKeys.GLOBAL_VARIABLES)
    names = [v.op.name for v in variables]
    missing = []
    if os.environ.get("TF1_CORPUS_SAVE"):
        values = session.run(variables)
        np.savez(os.path.join(folder, "initial.npz"), **{f"v{i}": a for i, a in enumerate(values)})
        with open(os.path.join(folder, "initial_names.json"), "w") as file:
            json.dump(names, file)
    if os.environ.get("TF1_CORPUS_INIT"):
        source = os.environ["TF1_CORPUS_INIT"]
        with open(os.path.join(os.path.dirname(source), "initial_names.json")) as file:
            given = json.load(file)
        values = np.load(source)
        index = {name: i for i, name in enumerate(given)}
        for name, variable in zip(names, variables):
            if name in index:
                variable.load(values[f"v{index[name]}"], session)
            else:
                missing.append(name)
    with open(os.path.join(folder, "variables.json"), "w") as file:
        json.dump({"variables": [[n, v.shape.as_list()] for n, v in zip(names, variables)],
                   "not_loaded": missing}, file)


def _hook_initializer() -> None:
    """Wraps `tf.compat.v1.global_variables_initializer` and `Session.run` (see the docstring)."""
    import tensorflow as tf
    from tensorflow.python.client import session as session_lib

    v1 = tf.compat.v1
    made, state = set(), {"done": False}
    original_init, original_run = v1.global_variables_initializer, session_lib.BaseSession.run

    def global_variables_initializer():
        op = original_init()
        made.add(op)
        return op

    def run(self, fetches, *args, **kwargs):
        result = original_run(self, fetches, *args, **kwargs)
        listed = fetches if isinstance(fetches, (list, tuple)) else [fetches]
        if not state["done"] and any(f in made for f in listed if hasattr(f, "type")):
            state["done"] = True
            _record(self, self.graph)
        return result

    v1.global_variables_initializer = global_variables_initializer
    v1.initialize_all_variables = global_variables_initializer
    session_lib.BaseSession.run = run


def main(argv) -> int:
    mode, program, args = argv[0], argv[1], argv[2:]
    if mode == "legacy" and os.environ.get("TF_USE_LEGACY_KERAS") != "1":
        print("launch.py legacy: start it with TF_USE_LEGACY_KERAS=1", file=sys.stderr)
        return 2
    from tf1_compat import runner, shim

    if os.environ.get("TF1_CORPUS_DIR"):
        _hook_initializer()  # before the namespace copies tf.compat.v1's names
    if mode == "legacy":
        namespace = _legacy_namespace()
        shim.tf1 = lambda: namespace  # the runner's hook asks shim.tf1() for the namespace
    sys.stdout.flush()
    return runner.run_program(program, args)


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
