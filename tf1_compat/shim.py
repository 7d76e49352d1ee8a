"""The TF1 namespace an unmodified TF 1.x program gets for `import tensorflow as tf`.

`tf1()` is everything of `tf.compat.v1` (TensorFlow 2.21), with what Keras 3 removed put back from
this package, each name looked up when first used:

| the program writes                     | it gets                                                |
|----------------------------------------|--------------------------------------------------------|
| `tf.layers.*`                          | `tf1_compat.layers`                                    |
| `tf.nn.rnn_cell.*`                     | the cells of `tf1_compat.rnn`                          |
| `tf.nn.dynamic_rnn`, `static_rnn`, ... | the functions of `tf1_compat.rnn`                      |
| `tf.contrib.<name>`                    | `tf1_compat.contrib.<name>` (rnn: also tf1_compat.rnn) |
| `tf.estimator.*`                       | `tf1_compat.estimator`                                 |
| `tf.compat.v1.*`                       | this same namespace (code passed through tf_upgrade_v2)|
| anything else, `tf.<a>.<b>`            | `tf.compat.v1.<a>.<b>`                                 |

A name none of these has raises `NotProvided` naming it the way the program wrote it
(`tf.contrib.seq2seq is not provided by tf1_compat (...)`), an `AttributeError`, so `hasattr`
still answers False. Only the `__all__` of a `tf1_compat` module is offered, so a helper of ours
never passes for a TF1 name.
"""

from __future__ import annotations

import importlib
import pkgutil
import sys
import types

import tensorflow as tf

from tf1_compat.notprovided import NotProvided

__all__ = ["Namespace", "tf1"]

_V1_API = "tensorflow._api.v2.compat.v1"

# TF1's tf.nn.rnn_cell, and the functions of tf.nn that ran the cells.
RNN_CELLS = ("BasicLSTMCell", "BasicRNNCell", "DeviceWrapper", "DropoutWrapper", "GRUCell",
             "LSTMCell", "LSTMStateTuple", "MultiRNNCell", "RNNCell", "ResidualWrapper")
RNN_FUNCTIONS = ("bidirectional_dynamic_rnn", "dynamic_rnn", "raw_rnn", "static_bidirectional_rnn",
                 "static_rnn", "static_state_saving_rnn")
_CONTRIB_RNN = RNN_CELLS + ("static_bidirectional_rnn", "static_rnn", "static_state_saving_rnn",
                            "stack_bidirectional_dynamic_rnn", "stack_bidirectional_rnn")


def _module(name: str):
    """The module `name` of this package, or None when there is no such module."""
    try:
        return importlib.import_module(name)
    except ModuleNotFoundError as error:
        if error.name and name.startswith(error.name):
            return None
        raise


def _exposed(module, only) -> list:
    names = getattr(module, "__all__", None)
    if names is None:
        names = [n for n in vars(module) if not n.startswith("_")]
    return sorted(n for n in names if only is None or n in only)


def _listing(names, limit=14) -> str:
    names = list(names)
    return ", ".join(names[:limit]) + (", ..." if len(names) > limit else "")


class Namespace(types.ModuleType):
    """`path` (as `tf.nn`): `overrides` first, then the names the `sources` offer.

    A source is a `tf.compat.v1` module (every public name) or `(module name, only)`: a module of
    this package, imported on first use, offering its `__all__` (limited to `only` unless None).
    """

    def __init__(self, path: str, sources=(), overrides=None, note=None):
        super().__init__(path)
        self.__dict__["_tf1_"] = (tuple(sources), dict(overrides or {}), note)

    def _tf1_modules(self):
        for source in self.__dict__["_tf1_"][0]:
            if isinstance(source, tuple):
                module = _module(source[0])
                if module is not None:
                    yield module, source[1]
            else:
                yield source, None

    def __getattr__(self, name):
        if name.startswith("__") or name == "_tf1_":
            raise AttributeError(name)
        value = self._tf1_resolve(name)
        setattr(self, name, value)
        return value

    def _tf1_resolve(self, name):
        path = f"{self.__name__}.{name}"
        overrides = self.__dict__["_tf1_"][1]
        if name in overrides:
            return overrides[name]()
        for module, only in self._tf1_modules():
            if module.__name__.startswith(_V1_API):
                if not name.startswith("_") and hasattr(module, name):
                    return _wrap(path, getattr(module, name))
            elif name in _exposed(module, only):
                value = getattr(module, name)
                return (Namespace(path, [(value.__name__, None)])
                        if isinstance(value, types.ModuleType) else value)
        raise NotProvided(path, self._tf1_note())

    def _tf1_note(self) -> str:
        note = self.__dict__["_tf1_"][2]
        if note is not None:
            return note() if callable(note) else note
        parts = []
        for module, only in self._tf1_modules():
            if module.__name__.startswith(_V1_API):
                parts.append(f"not in tf.compat.v1{module.__name__[len(_V1_API):]} of "
                             f"TensorFlow {tf.__version__}")
            else:
                parts.append(f"{module.__name__} provides {_listing(_exposed(module, only))}")
        return "; ".join(parts)

    def __dir__(self):
        names = set(self.__dict__["_tf1_"][1])
        for module, only in self._tf1_modules():
            names.update(dir(module) if module.__name__.startswith(_V1_API)
                         else _exposed(module, only))
        return sorted(n for n in names if not n.startswith("_"))


def _wrap(path, value):
    """A `tf.compat.v1` submodule as a Namespace (with its overrides); anything else as it is."""
    if isinstance(value, types.ModuleType) and getattr(value, "__name__", "").startswith(
            _V1_API + "."):
        return Namespace(path, [value], _OVERRIDES.get(path, {}))
    return value


def _rnn_function(name):
    def get():
        module = _module("tf1_compat.rnn")
        if module is not None and name in _exposed(module, None):
            return getattr(module, name)
        raise NotProvided(f"tf.nn.{name}", f"tf1_compat.rnn provides "
                          f"{_listing(_exposed(module, RNN_FUNCTIONS))}")
    return get


def _contrib_names() -> list:
    package = _module("tf1_compat.contrib")
    found = {"rnn"}
    if package is not None:
        found.update(info.name for info in pkgutil.iter_modules(package.__path__)
                     if not info.name.startswith("_"))
    return sorted(found)


class _Contrib(Namespace):
    """`tf.contrib`: `tf1_compat.contrib.<name>` where this package has it, else NotProvided."""

    def _tf1_resolve(self, name):
        module = f"tf1_compat.contrib.{name}"
        sources = [(module, None)] if _module(module) is not None else []
        if name == "rnn":
            sources.append(("tf1_compat.rnn", _CONTRIB_RNN))
        if not sources or name.startswith("_"):
            provided = ", ".join(f"tf.contrib.{n}" for n in _contrib_names())
            raise NotProvided(f"tf.contrib.{name}", "tf.contrib was removed in TensorFlow 2.0; "
                              f"tf1_compat provides {provided}")
        return Namespace(f"tf.contrib.{name}", sources)

    def __dir__(self):
        return _contrib_names()


_ROOT = []


def tf1() -> Namespace:
    """The TF1 namespace (one per process): `tf.compat.v1` with the overrides of this module."""
    if not _ROOT:
        root = Namespace("tf", [tf.compat.v1], _OVERRIDES["tf"])
        root.__dict__["__version__"] = tf.__version__
        _ROOT.append(root)
    return _ROOT[0]


_OVERRIDES = {
    "tf": {
        "layers": lambda: Namespace("tf.layers", [("tf1_compat.layers", None)]),
        "estimator": lambda: Namespace("tf.estimator", [("tf1_compat.estimator", None)]),
        "contrib": lambda: _Contrib("tf.contrib"),
        "python": lambda: sys.modules["tensorflow.python"],
    },
    "tf.compat": {"v1": tf1},
    "tf.nn": {"rnn_cell": lambda: Namespace("tf.nn.rnn_cell", [("tf1_compat.rnn", RNN_CELLS)]),
              **{name: _rnn_function(name) for name in RNN_FUNCTIONS}},
}
