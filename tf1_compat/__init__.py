"""The TF1 track: each model as a `tf.Graph` built through `tf.compat.v1`, run in a `Session`.

Placeholders with a `None` batch dimension, layers made of `get_variable` inside
`variable_scope`, a `tf.compat.v1.train` optimizer's `minimize`, `global_variables_initializer`,
a `Session` loop fed by `feed_dict`, and `summary.FileWriter` for TensorBoard. Keras 3 removed
`tf.compat.v1.layers`, so the layers are built from variables by hand - the lesson of the notes.
It imports only the shared core (`tfmodels.core`), never the Keras track.

    from tf1_compat import build_model
    with build_model(spec) as model:          # a tf.Graph in a Session
        model.fit(x, y, batch_size=128, epochs=5)

An unmodified TF 1.x program runs with `python -m tf1_compat prog.py [args]` (`tf1_compat.runner`);
in a notebook, `tf1_compat.enable()` makes `import tensorflow as tf` give the TF1 namespace.
"""

import os

__all__ = ["build_model"]

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")


def __getattr__(name):  # on first use: importing the package starts no TensorFlow
    if name == "build_model":
        from tf1_compat.model import build_model

        return build_model
    if name in ("enable", "disable", "run_program"):
        from tf1_compat import runner

        return getattr(runner, name)
    raise AttributeError(f"module 'tf1_compat' has no attribute {name!r}")
