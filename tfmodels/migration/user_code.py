"""What the user names by reference: `module:function`, `module:factory`, `module:build`.

Code the user names runs, as `python -m` would run it; files given (checkpoints, `.keras` files)
never do (`tfmodels.migration.checkpoints`, which also loads a Keras model given either way). A
mistake in the reference, or an exception from the user's code, is one line naming the
reference.
"""

from __future__ import annotations

import importlib
import inspect
import os
import sys

from tfmodels.core.errors import UserError, folded

__all__ = ["graph_variables", "load_callable", "missing_hub", "takes_argument"]

# KerasHub is an extra: a model of it (`keras_hub.models.BertBackbone`, ...) named without it
# installed is this line, not an ImportError's traceback.
_HUB = 'needs KerasHub (keras_hub), which is not installed: pip install -e ".[hub]"'


def missing_hub(e: BaseException, what: str) -> UserError | None:
    """The one line for `e` when it is KerasHub missing, else None: an import of `keras_hub`
    that failed, or an error naming keras_hub (Keras reading a `.keras` file of a KerasHub
    model) where importing it fails."""
    name = getattr(e, "name", None) or ""
    if isinstance(e, ImportError) and name.partition(".")[0] == "keras_hub":
        return UserError(f"{what} {_HUB}")
    if "keras_hub" in str(e):
        try:
            import keras_hub  # noqa: F401
        except ImportError:
            return UserError(f"{what} {_HUB}")
    return None


def takes_argument(function, name: str) -> bool:
    """Whether `function` accepts the keyword argument `name` (or any, through **kwargs)."""
    try:
        parameters = inspect.signature(function).parameters.values()
    except (TypeError, ValueError):  # some builtins have no signature
        return False
    return any(p.name == name or p.kind is p.VAR_KEYWORD for p in parameters)


def _module_path(ref: str, module_name: str, what: str) -> tuple[str, str]:
    """(the folder to put first on sys.path, the dotted module name) of `module_name`."""
    if module_name.endswith(".py") or os.sep in module_name or "/" in module_name:
        path = os.path.abspath(module_name)
        if not os.path.isfile(path):
            raise UserError(f"{what} {ref!r}: no such file {module_name!r}")
        base, dotted = os.path.dirname(path), os.path.splitext(os.path.basename(path))[0]
        while os.path.isfile(os.path.join(base, "__init__.py")):
            base, dotted = os.path.dirname(base), f"{os.path.basename(base)}.{dotted}"
        return base, dotted
    return os.getcwd(), module_name


def load_callable(ref: str, what: str):
    """`module:function` -> the function. A `path/to/file.py` module is imported as pytest's
    default ("prepend") does: its first folder upwards without an `__init__.py` goes first on
    `sys.path` and the module is imported by its dotted name from there; a dotted name is
    imported with the working directory first on `sys.path`, as `python -m` does."""
    module_name, sep, attr = ref.rpartition(":")
    if not sep or not module_name or not attr.isidentifier():
        raise UserError(f"{what} {ref!r}: expected module:function (or path/to/file.py:function)")
    base, module_name = _module_path(ref, module_name, what)
    if base not in sys.path:
        sys.path.insert(0, base)
    try:
        module = importlib.import_module(module_name)
    except ImportError as e:
        if missing_hub(e, f"{what} {ref!r}"):
            raise missing_hub(e, f"{what} {ref!r}") from None
        if e.name and module_name.startswith(e.name):
            raise UserError(f"{what} {ref!r}: cannot import module {module_name!r}") from None
        raise UserError(f"{what} {ref!r}: importing it failed ({type(e).__name__}: "
                        f"{folded(e)})") from None
    except Exception as e:  # the user's module: their mistake, said in one line
        raise UserError(f"{what} {ref!r}: importing it raised {type(e).__name__}: "
                        f"{folded(e)}") from None
    function = getattr(module, attr, None)
    if not callable(function):
        raise UserError(f"{what} {ref!r}: module {module_name!r} has no function {attr!r}")
    return function


def graph_variables(build: str | object):
    """(graph, {name: variable}) of the TF1 variables `build()` makes in a fresh graph."""
    import tensorflow as tf

    function = load_callable(build, "TF1 graph") if isinstance(build, str) else build
    graph = tf.Graph()
    with graph.as_default():
        try:
            function()
        except Exception as e:
            raise UserError(f"TF1 graph {build!r} raised {type(e).__name__}: "
                            f"{folded(e)}") from None
        variables = {v.op.name: v for v in tf.compat.v1.global_variables()}
    if not variables:
        raise UserError(f"TF1 graph {build!r} made no variables (tf.compat.v1.global_variables() "
                        f"is empty after calling it)")
    return graph, variables
