"""`tf.contrib.training.HParams` again: named hyperparameters with TF1's types, parsing and JSON.

    from tf1_compat.contrib.training import HParams
    hparams = HParams(learning_rate=0.1, num_layers=2, layers=[64, 32], activation="relu")
    hparams.parse("learning_rate=0.01,layers=[128,64]")   # from a command line flag
    hparams.learning_rate                                  # 0.01
    hparams.to_json()                                      # '{"learning_rate": 0.01, ...}'

As TF1's: a hyperparameter's type is fixed by its first value (a list's by its first element);
setting or parsing a value converts it to that type when the conversion loses nothing (an int
for a float parameter) and refuses it otherwise (a float for an int, a number for a string or a
bool, a string for a number, a list for a single value and the other way round). Refusals are
one-line `UserError`s (ValueErrors, as TF1's were; an unknown name is also a KeyError).
"""

from __future__ import annotations

import json
import numbers
import re

from tfmodels.core.errors import UserError

__all__ = ["HParams", "parse_values", "UnknownHParam"]


class UnknownHParam(UserError, KeyError):
    """An hyperparameter that was never added (TF1 raised a KeyError)."""

    def __str__(self):
        return str(self.args[0])


# TF1's grammar: name=value, name=[v1,v2,...] or name[index]=value, separated by commas.
_PARAM = re.compile(r"""
  (?P<name>[a-zA-Z][\w\.]*)
  (\[\s*(?P<index>\d+)\s*\])?
  \s*=\s*
  ((?P<val>[^,\[]*) | \[(?P<vals>[^\]]*)\])
  ($|,\s*)""", re.VERBOSE)


def _parse_fail(name, var_type, value, values):
    raise UserError(f"Could not parse hparam '{name}' of type '{var_type.__name__}' with value "
                    f"'{value}' in {values}")


def _reuse_fail(name, values):
    raise UserError(f"Multiple assignments to variable '{name}' in {values}")


def _parser(name, var_type, values):
    """TF1's parser of one value: the type itself, but for bools true/True/false/False/ints."""
    if var_type is not bool:
        return var_type

    def parse_bool(value):
        if value in ("true", "True"):
            return True
        if value in ("false", "False"):
            return False
        try:
            return bool(int(value))
        except ValueError:
            _parse_fail(name, var_type, value, values)

    return parse_bool


def parse_values(values, type_map, ignore_unknown=False):
    """`{name: value, name: [values], name: {index: value}}` from TF1's "a=1,b=[1,2],c[0]=3"."""
    results, pos = {}, 0
    while pos < len(values):
        match = _PARAM.match(values, pos)
        if not match:
            raise UserError(f"Malformed hyperparameter value: {values[pos:]}")
        pos = match.end()
        groups = match.groupdict()
        name = groups["name"]
        if name not in type_map:
            if ignore_unknown:
                continue
            raise UserError(f"Unknown hyperparameter type for {name}")
        var_type = type_map[name]
        parse = _parser(name, var_type, values)
        if groups["val"] is not None:
            try:
                parsed = parse(groups["val"])
            except ValueError:
                _parse_fail(name, var_type, groups["val"], values)
            if not groups["index"]:
                if name in results:
                    _reuse_fail(name, values)
                results[name] = parsed
            else:
                if not isinstance(results.setdefault(name, {}), dict):
                    _reuse_fail(name, values)
                index = int(groups["index"])
                if index in results[name]:
                    _reuse_fail(f"{name}[{index}]", values)
                results[name][index] = parsed
        else:
            if groups["index"] is not None:
                raise UserError(f"Assignment of a list to a list index: {values}")
            if name in results:
                _reuse_fail(name, values)
            try:
                results[name] = [parse(e) for e in re.split("[ ,]", groups["vals"]) if e]
            except ValueError:
                _parse_fail(name, var_type, groups["vals"], values)
    return results


def _cast(name, param_type, value):
    """`value` as `param_type` where TF1 allowed it (an int to a float, a float to a float, ...),
    else a UserError."""
    if type(value) is param_type or issubclass(param_type, type(None)):
        return value
    fail = f"Could not cast hparam '{name}' of type '{param_type}' from value {value!r}"
    if issubclass(param_type, (str, bytes)) and not isinstance(value, (str, bytes)):
        raise UserError(fail)
    if issubclass(param_type, bool) != isinstance(value, bool):
        raise UserError(fail)
    if issubclass(param_type, numbers.Integral) and not isinstance(value, numbers.Integral):
        raise UserError(fail)
    if issubclass(param_type, numbers.Number) and not isinstance(value, numbers.Number):
        raise UserError(fail)
    return param_type(value)


class HParams:
    """TF1's `tf.contrib.training.HParams(**kwargs)`: each keyword an hyperparameter, read and
    written as an attribute (writing an attribute checks nothing, as in TF1; `set_hparam`
    checks the type)."""

    def __init__(self, hparam_def=None, model_structure=None, **kwargs):
        if hparam_def is not None:
            raise UserError("HParams(hparam_def=...) (a protocol buffer) is not supported: "
                            "pass the hyperparameters as keywords")
        self._hparam_types = {}
        self._model_structure = model_structure
        for name, value in kwargs.items():
            self.add_hparam(name, value)

    def add_hparam(self, name, value):
        """A new hyperparameter; its type is its value's (a list's: its first element's)."""
        if getattr(self, name, None) is not None:
            raise UserError(f"Hyperparameter name is reserved: {name}")
        if isinstance(value, (list, tuple)):
            if not value:
                raise UserError(f"Multi-valued hyperparameters cannot be empty: {name}")
            self._hparam_types[name] = (type(value[0]), True)
        else:
            self._hparam_types[name] = (type(value), False)
        setattr(self, name, value)

    def set_hparam(self, name, value):
        """Set an existing hyperparameter, converted to its type (see the module)."""
        if name not in self._hparam_types:
            raise UnknownHParam(f"Unknown hyperparameter: {name!r}")
        param_type, is_list = self._hparam_types[name]
        if isinstance(value, list):
            if not is_list:
                raise UserError(f"Must not pass a list for single-valued parameter: {name}")
            setattr(self, name, [_cast(name, param_type, v) for v in value])
        else:
            if is_list:
                raise UserError(f"Must pass a list for multi-valued parameter: {name}.")
            setattr(self, name, _cast(name, param_type, value))

    def del_hparam(self, name):
        if hasattr(self, name):
            delattr(self, name)
            del self._hparam_types[name]

    def parse(self, values):
        """Override from TF1's "name=value,name=[v1,v2]" string; returns self."""
        types = {name: t for name, (t, _) in self._hparam_types.items()}
        return self.override_from_dict(parse_values(values, types))

    def override_from_dict(self, values_dict):
        for name, value in values_dict.items():
            self.set_hparam(name, value)
        return self

    def set_model_structure(self, model_structure):
        self._model_structure = model_structure

    def get_model_structure(self):
        return self._model_structure

    def to_json(self, indent=None, separators=None, sort_keys=False):
        """The values as JSON (callables left out, as TF1 did)."""
        def without_callables(obj):
            if isinstance(obj, dict):
                return {k: without_callables(v) for k, v in obj.items() if not callable(v)}
            if isinstance(obj, (list, tuple)):
                return [without_callables(v) for v in obj if not callable(v)]
            return obj

        return json.dumps(without_callables(self.values()), indent=indent,
                          separators=separators, sort_keys=sort_keys)

    def parse_json(self, values_json):
        return self.override_from_dict(json.loads(values_json))

    def values(self):
        """`{name: value}` of every hyperparameter."""
        return {name: getattr(self, name) for name in self._hparam_types}

    def get(self, key, default=None):
        """The value of `key`, else `default` (which must fit the key's type, as in TF1)."""
        if key not in self._hparam_types:
            return default
        if default is not None:
            param_type, is_list = self._hparam_types[key]
            type_str = f"list<{param_type}>" if is_list else str(param_type)
            if is_list != isinstance(default, list):
                raise UserError(f"Hparam '{key}' of type '{type_str}' is incompatible with "
                                f"default={default!r}")
            for value in default if is_list else [default]:
                _cast(key, param_type, value)
        return getattr(self, key)

    def __contains__(self, key):
        return key in self._hparam_types

    def __str__(self):
        return str(sorted(self.values().items()))

    def __repr__(self):
        return f"{type(self).__name__}({self})"
