"""How TF1's Estimator called the user's functions and checked what came back.

`input_fn` and `model_fn` receive only the arguments their signatures name (`mode`, `params`,
`config`, and for `model_fn` `labels`), as TF1's `fn_args` decided; an `input_fn` may return a
`tf.data.Dataset` (of `(features, labels)` or of features) or the tensors themselves. A model
folder's checkpoint is compared with the graph before it is restored, so that another model's
checkpoint is refused in one line instead of a `NotFoundError` from inside the session.
"""

from __future__ import annotations

import inspect

import tensorflow as tf

from tf1_compat.estimator.spec import EstimatorSpec
from tfmodels.core.errors import UserError

v1 = tf.compat.v1

__all__ = ["DatasetInitializerHook", "call_input_fn", "call_model_fn", "check_checkpoint",
           "check_model_fn",
           "fn_args"]


def fn_args(fn) -> tuple:
    """The names `fn` can take by keyword (a function, a `functools.partial`, a callable)."""
    try:
        parameters = inspect.signature(fn).parameters.values()
    except (TypeError, ValueError):
        return ()
    kinds = (inspect.Parameter.POSITIONAL_OR_KEYWORD, inspect.Parameter.KEYWORD_ONLY)
    return tuple(p.name for p in parameters if p.kind in kinds)


class DatasetInitializerHook(v1.train.SessionRunHook):
    """Initializes the iterator of a `Dataset` that `input_fn` returned, as TF1's Estimator."""

    def __init__(self, iterator):
        self._iterator = iterator

    def after_create_session(self, session, coord):
        del coord
        session.run(self._iterator.initializer)


def _name(fn) -> str:
    return getattr(fn, "__name__", type(fn).__name__)


def call_input_fn(input_fn, mode, params, config):
    """`(features, labels, hooks)` from `input_fn`, called with what its signature names."""
    if not callable(input_fn):
        raise UserError(f"input_fn must be a function. Received: {type(input_fn).__name__}")
    names = fn_args(input_fn)
    kwargs = {key: value for key, value in (("mode", mode), ("params", params),
                                            ("config", config)) if key in names}
    with tf.device("/cpu:0"):
        result = input_fn(**kwargs)
    hooks = []
    if isinstance(result, tf.data.Dataset):
        iterator = v1.data.make_initializable_iterator(result)
        hooks.append(DatasetInitializerHook(iterator))
        result = iterator.get_next()
    if isinstance(result, (tuple, list)):
        if len(result) != 2:
            raise UserError(f"input_fn {_name(input_fn)!r} must return features, a "
                            f"(features, labels) pair or a Dataset of them. Received: a "
                            f"{type(result).__name__} of {len(result)} items")
        return result[0], result[1], hooks
    return result, None, hooks


def check_model_fn(model_fn, params):
    """TF1's checks of a `model_fn`'s signature when the Estimator is made."""
    if not callable(model_fn):
        raise UserError(f"Estimator's model_fn must be a function. "
                        f"Received: {type(model_fn).__name__}")
    names = fn_args(model_fn)
    if "features" not in names:
        raise UserError(f"model_fn {_name(model_fn)!r} must take an argument named 'features', "
                        f"as TF1 required. Received arguments: {list(names)}")
    if params is not None and "params" not in names:
        raise UserError(f"model_fn {_name(model_fn)!r} takes no 'params' argument, but params "
                        f"were given to the Estimator. Received: params={params!r}")


def call_model_fn(model_fn, features, labels, mode, params, config):
    """The `EstimatorSpec` of `model_fn`, called with what its signature names."""
    names = fn_args(model_fn)
    kwargs = {}
    if "labels" in names:
        kwargs["labels"] = labels
    elif labels is not None:
        raise UserError(f"model_fn {_name(model_fn)!r} takes no 'labels' argument, but input_fn "
                        "returned labels")
    for key, value in (("mode", mode), ("params", params), ("config", config)):
        if key in names:
            kwargs[key] = value
    spec = model_fn(features=features, **kwargs)
    if not isinstance(spec, EstimatorSpec):
        raise UserError(f"model_fn {_name(model_fn)!r} must return a tf.estimator.EstimatorSpec. "
                        f"Received: {type(spec).__module__}.{type(spec).__qualname__}")
    return spec


def _graph_variables(graph) -> dict:
    """`{checkpoint name: shape}` of what a Saver of `graph` would restore."""
    found = {}
    for variable in graph.get_collection(v1.GraphKeys.GLOBAL_VARIABLES):
        info = getattr(variable, "_save_slice_info", None)
        if info is not None:
            found[info.full_name] = list(info.full_shape)
        else:
            found[variable.op.name] = variable.shape.as_list()
    return found


def check_checkpoint(checkpoint, graph, model_dir):
    """Refuses `checkpoint` unless it holds every variable of `graph` with the same shape."""
    if checkpoint is None:
        return
    stored = dict(v1.train.list_variables(checkpoint))
    for name, shape in sorted(_graph_variables(graph).items()):
        if name not in stored or list(stored[name]) != shape:
            held = ", ".join(f"{key} {list(value)}" for key, value in sorted(stored.items())[:4])
            what = ("is not in it" if name not in stored
                    else f"has shape {list(stored[name])} there")
            raise UserError(
                f"model_dir {model_dir!r} holds a checkpoint of another model "
                f"({checkpoint.rsplit('/', 1)[-1]}): the graph's variable {name!r} {shape} "
                f"{what} (it holds {held}{', ...' if len(stored) > 4 else ''}); use an empty "
                "model_dir or the model that wrote it")
