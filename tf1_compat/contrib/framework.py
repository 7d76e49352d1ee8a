"""`tf.contrib.framework` again, the names TF1 programs used most: the global step, the
variable lookups, model variables and `arg_scope`.

    from tf1_compat.contrib import framework, layers as slim
    step = framework.get_or_create_global_step()
    with framework.arg_scope([slim.conv2d, slim.fully_connected], activation_fn=tf.nn.elu):
        h = slim.conv2d(x, 32, 3)           # activation_fn=tf.nn.elu
    framework.get_variables("Conv")         # [Conv/weights, Conv/biases]
"""

from __future__ import annotations

import contextlib
import functools
import threading

import tensorflow as tf

from tfmodels.core.errors import UserError

v1 = tf.compat.v1

__all__ = ["add_arg_scope", "arg_scope", "arg_scoped_arguments", "get_global_step",
           "get_model_variables", "get_or_create_global_step", "get_trainable_variables",
           "get_variables", "get_variables_by_name", "get_variables_by_suffix",
           "get_variables_to_restore", "has_arg_scope", "model_variable", "variable"]

get_or_create_global_step = v1.train.get_or_create_global_step
get_global_step = v1.train.get_global_step


# -- variables -----------------------------------------------------------------------------------


def get_variables(scope=None, suffix=None, collection=v1.GraphKeys.GLOBAL_VARIABLES):
    """The variables of `collection` whose names start with `scope` (a string or a variable
    scope) and end with `suffix`."""
    if isinstance(scope, v1.VariableScope):
        scope = scope.name
    variables = v1.get_collection(collection, scope)
    if suffix is not None:
        variables = [v for v in variables if v.op.name.endswith(suffix)]
    return variables


def get_model_variables(scope=None, suffix=None):
    return get_variables(scope, suffix, v1.GraphKeys.MODEL_VARIABLES)


def get_trainable_variables(scope=None, suffix=None):
    return get_variables(scope, suffix, v1.GraphKeys.TRAINABLE_VARIABLES)


def get_variables_by_suffix(suffix, scope=None):
    return get_variables(scope=scope, suffix=suffix)


def get_variables_by_name(given_name, scope=None):
    """The variables whose last name component is `given_name`."""
    return [v for v in get_variables(scope=scope, suffix=given_name)
            if v.op.name.rsplit("/", 1)[-1] == given_name]


def get_variables_to_restore(include=None, exclude=None):
    """Every global variable under the scopes of `include` (all by default), less those under
    the scopes of `exclude`."""
    chosen = ([v for scope in include for v in get_variables(scope)] if include
              else get_variables())
    excluded = {id(v) for scope in exclude or [] for v in get_variables(scope)}
    return [v for v in chosen if id(v) not in excluded]


def variable(name, shape=None, dtype=None, initializer=None, regularizer=None, trainable=True,
             collections=None, caching_device=None, device=None, partitioner=None,
             custom_getter=None, use_resource=None):
    """`get_variable` in `collections` (default GLOBAL_VARIABLES), on `device`."""
    collections = list(collections if collections is not None
                       else [v1.GraphKeys.GLOBAL_VARIABLES])
    with tf.device(device or ""):
        return v1.get_variable(name, shape, dtype, initializer, regularizer, trainable,
                               collections=list(dict.fromkeys(collections)),
                               caching_device=caching_device, partitioner=partitioner,
                               custom_getter=custom_getter, use_resource=use_resource)


def model_variable(name, shape=None, dtype=tf.float32, initializer=None, regularizer=None,
                   trainable=True, collections=None, caching_device=None, device=None,
                   partitioner=None, custom_getter=None, use_resource=None):
    """A `variable` also in MODEL_VARIABLES (what TF-Slim's layers make)."""
    collections = list(collections or []) + [v1.GraphKeys.GLOBAL_VARIABLES,
                                             v1.GraphKeys.MODEL_VARIABLES]
    return variable(name, shape, dtype, initializer, regularizer, trainable, collections,
                    caching_device, device, partitioner, custom_getter, use_resource)


# -- arg_scope -----------------------------------------------------------------------------------

_STACK = threading.local()  # .scopes: [{function key: {argument: value}}], innermost last


def _scopes():
    if not hasattr(_STACK, "scopes"):
        _STACK.scopes = [{}]
    return _STACK.scopes


def _key(function):
    return getattr(function, "_arg_scope_key", None)


def add_arg_scope(function):
    """Let `arg_scope` set the default arguments of `function` (a keyword given in the call
    still wins)."""
    key = (function.__module__, function.__name__)

    @functools.wraps(function)
    def scoped(*args, **kwargs):
        defaults = _scopes()[-1].get(key, {})
        return function(*args, **{**defaults, **kwargs})

    scoped._arg_scope_key = key
    return scoped


def has_arg_scope(function):
    return _key(function) is not None


def arg_scoped_arguments(function):
    """The arguments `arg_scope` may set: the function's parameters."""
    import inspect

    return list(inspect.signature(function).parameters)


@contextlib.contextmanager
def arg_scope(list_ops_or_scope, **kwargs):
    """TF-Slim's `arg_scope`: within the block, the functions listed (decorated with
    `add_arg_scope`) take `kwargs` as defaults, on top of the enclosing scopes'. Given the dict
    an earlier `arg_scope` yielded (and no keywords), that scope again."""
    if isinstance(list_ops_or_scope, dict):
        if kwargs:
            raise UserError("arg_scope: a saved scope takes no keyword arguments, got "
                            f"{sorted(kwargs)}")
        current = list_ops_or_scope
    else:
        if not isinstance(list_ops_or_scope, (list, tuple)):
            raise UserError(f"arg_scope needs a list or tuple of functions, or a saved scope, "
                            f"got {list_ops_or_scope!r}")
        current = dict(_scopes()[-1])
        for function in list_ops_or_scope:
            key = _key(function)
            if key is None:
                raise UserError(f"{getattr(function, '__name__', function)!r} is not "
                                f"decorated with add_arg_scope")
            current[key] = {**current.get(key, {}), **kwargs}
    _scopes().append(current)
    try:
        yield current
    finally:
        _scopes().pop()
