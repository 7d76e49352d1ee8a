"""`tf.contrib` again, for the parts TF1 programs used most (TF 2 removed `tf.contrib`):

    from tf1_compat.contrib import layers as contrib_layers   # was: tf.contrib.layers (slim)
    from tf1_compat.contrib import training                   # HParams
    from tf1_compat import contrib; contrib.rnn.LSTMCell       # the submodules load on first use

The submodules `layers`, `training`, `rnn` and `framework` are imported on first access, so that
importing the package starts nothing.
"""

import importlib

__all__ = ["framework", "layers", "rnn", "training"]


def __getattr__(name):
    if name in __all__:
        module = importlib.import_module(f"{__name__}.{name}")
        globals()[name] = module
        return module
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def __dir__():
    return sorted(set(globals()) | set(__all__))
