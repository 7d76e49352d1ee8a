"""The generated part of the bad-input catalogue: boundary values for every number a user gives.

For every command-line option of `train`, `compare`, `sweep`, `evaluate`, `predict`, `convert`
and `verify` that takes a number (found in the parser, so a new option is covered the day it is
added), and for every numeric field of a spec (the spec's own, each layer kind's, each
optimizer's), values at the edges of their type (0, -1, huge integers, NaN, infinities, 1e-50,
1e308, booleans, text) either work or are refused in one line: exit status 2 / `UserError`,
never exit 70 (a bug) or a traceback. Nothing trains: an accepted command stops where its work
would begin (its working function is replaced by one that raises `Reached`).

Fixed examples (`derandomize=True`): 25 per option here, 200 under `slow`.
"""

from __future__ import annotations

import dataclasses
import math

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tfmodels.cli import build_parser, main
from tfmodels.core.errors import UserError
from tfmodels.core.spec import LAYER_KINDS, OPTIMIZER_DEFAULTS, ModelSpec

QUICK, SLOW = 25, 200


class Reached(BaseException):
    """Raised where an accepted command's work would begin (not an Exception: main lets it
    through)."""


# The function each command's work starts in, replaced while a value is tried.
WORK = {"train": "tfmodels.training.train", "compare": "tfmodels.parity.compare",
        "sweep": "tfmodels.sweep.sweep",
        "convert": "tfmodels.migration.conversion.convert",
        "verify": "tfmodels.migration.equivalence._tf1_function"}
# Each command with the least it needs, the option under test appended as --option=VALUE.
BASE = {"train": ["train", "binary4", "--verbose", "0", "--logdir", "{tmp}/logs"],
        "compare": ["compare", "binary4", "--verbose", "0", "--logdir", "{tmp}/logs"],
        "sweep": ["sweep", "binary4", "--lr", "0.1", "--logdir", "{tmp}/logs"],
        "evaluate": ["evaluate", "{tmp}/no_checkpoint"],
        "predict": ["predict", "{tmp}/no_checkpoint", "--data", "{tmp}/x.npy"],
        "convert": ["convert", "{tmp}/no_checkpoint", "{tmp}/out.keras", "--from", "keras",
                    "--to", "tf1"],
        "verify": ["verify", "--tf1", "mine:build", "--input-shape", "4"]}
_NUMERIC_TYPES = ("int", "float", "integer", "_verbose")


def numeric_options() -> list[tuple[str, str]]:
    """(command, option) for every option of the commands above that takes a number (or a list
    of numbers)."""
    parser = build_parser()
    sub = next(a for a in parser._actions if a.__class__.__name__ == "_SubParsersAction")
    found = []
    for command in BASE:
        for action in sub.choices[command]._actions:
            if not action.option_strings or action.nargs == 0:
                continue
            typed = getattr(action.type, "__name__", None) in _NUMERIC_TYPES
            counted = any(w in (action.metavar or "") for w in ("N", "LR", "D,", "FIRST"))
            if typed or counted:
                found.append((command, action.option_strings[0]))
    return found


OPTIONS = numeric_options()
EDGES = ["0", "-1", "1", "-0", "2", "1.5", str(2**31), str(2**32), str(2**63), str(2**64),
         str(10**30), "nan", "inf", "-inf", "1e-50", "1e308", "1e400", "-1e308", "True",
         "False", "x", "", " 3", "0x10", "1,2", ",", "0,0", "3,-1", "nan,1", "1e-50,0.1"]
values = st.one_of(st.sampled_from(EDGES), st.integers(-2**70, 2**70).map(str),
                   st.floats(allow_nan=True, allow_infinity=True).map(repr))


def _run(command, option, value, tmp, monkeypatch, capsys) -> None:
    def reached(*args, **kwargs):
        raise Reached

    if command in WORK:
        monkeypatch.setattr(WORK[command], reached)
    argv = [a.format(tmp=tmp) for a in BASE[command]] + [f"{option}={value}"]
    try:
        status = main(argv)
    except Reached:
        capsys.readouterr()
        return
    out, err = capsys.readouterr()
    assert status == 2, f"{argv}: status {status}: {err[-800:]!r}"
    assert "Traceback" not in err and err.count("\n") == 1, f"{argv}: {err[-800:]!r}"


def test_the_commands_have_the_numeric_options_this_file_expects():
    """The search itself works: it finds the options the catalogue's rows name by hand."""
    assert {("train", "--epochs"), ("train", "--batch-size"), ("train", "--seed"),
            ("sweep", "--lr"), ("sweep", "--batch-size"), ("verify", "--batch-size"),
            ("verify", "--rtol"), ("convert", "--forget-bias")} <= set(OPTIONS)
    assert not [c for c, _ in OPTIONS if c in ("evaluate", "predict")]  # none: paths only


def _option_test(examples):
    @pytest.mark.parametrize("command, option", OPTIONS, ids=[f"{c} {o}" for c, o in OPTIONS])
    @settings(derandomize=True, max_examples=examples, deadline=None, database=None,
              suppress_health_check=[HealthCheck.function_scoped_fixture])
    @given(value=values)
    def test(command, option, value, tmp_path, monkeypatch, capsys):
        with monkeypatch.context() as patch:
            patch.chdir(tmp_path)
            _run(command, option, value, str(tmp_path), patch, capsys)
    return test


test_each_numeric_option_works_or_is_refused_in_one_line = _option_test(QUICK)
test_each_numeric_option_many_values = pytest.mark.slow(_option_test(SLOW))


# --- the spec's numbers ------------------------------------------------------------------------

_HOSTS = {  # (input shape, the layers after the one under test)
    "Dense": ([4], [{"kind": "Dense", "units": 1, "activation": "sigmoid"}]),
    "Conv2D": ([6, 6, 1], [{"kind": "Flatten"},
                           {"kind": "Dense", "units": 1, "activation": "sigmoid"}]),
    "MaxPooling2D": ([6, 6, 1], [{"kind": "Flatten"},
                                 {"kind": "Dense", "units": 1, "activation": "sigmoid"}]),
    "AveragePooling2D": ([6, 6, 1], [{"kind": "Flatten"},
                                     {"kind": "Dense", "units": 1, "activation": "sigmoid"}]),
    "Flatten": ([4], [{"kind": "Dense", "units": 1, "activation": "sigmoid"}]),
    "Reshape": ([4], [{"kind": "Flatten"},
                      {"kind": "Dense", "units": 1, "activation": "sigmoid"}]),
    "Dropout": ([4], [{"kind": "Dense", "units": 1, "activation": "sigmoid"}]),
    "BatchNormalization": ([4], [{"kind": "Dense", "units": 1, "activation": "sigmoid"}]),
    "SimpleRNN": ([3, 2], [{"kind": "Dense", "units": 1, "activation": "sigmoid"}]),
    "LSTM": ([3, 2], [{"kind": "Dense", "units": 1, "activation": "sigmoid"}]),
}
_OUT = {"kind": "Dense", "units": 1, "activation": "sigmoid"}
_HOSTS.update({  # issue 27's kinds
    "DepthwiseConv2D": ([6, 6, 2], [{"kind": "Flatten"}, _OUT]),
    "SeparableConv2D": ([6, 6, 2], [{"kind": "Flatten"}, _OUT]),
    "GlobalAveragePooling2D": ([3, 3, 2], [_OUT]),
    "Activation": ([4], [_OUT]),
    "ZeroPadding2D": ([3, 3, 1], [{"kind": "Flatten"}, _OUT]),
    "LayerNormalization": ([4], [_OUT]),
    "Embedding": ([4], [{"kind": "Flatten"}, _OUT]),
    "GRU": ([3, 2], [_OUT]),
})
_REQUIRED = {"Dense": {"units": 3}, "Conv2D": {"filters": 2}, "SimpleRNN": {"units": 2},
             "LSTM": {"units": 2}, "Reshape": {"target_shape": [2, 2]},
             "SeparableConv2D": {"filters": 2}, "GRU": {"units": 2},
             "Embedding": {"input_dim": 5, "output_dim": 2}}


def _numeric(f) -> bool:
    return any(t in str(f.type) for t in ("int", "float", "tuple", "bool"))


SPEC_FIELDS = ([("spec", f.name) for f in dataclasses.fields(ModelSpec)
                if _numeric(f) and f.name != "input_dim"]
               + [(kind, f.name) for kind, cls in LAYER_KINDS.items()
                  for f in dataclasses.fields(cls) if _numeric(f)]
               + [(f"optimizer {name}", p) for name, ps in OPTIMIZER_DEFAULTS.items()
                  for p in ps])
SPEC_EDGES = [0, -1, 1, 2, 1.5, 2**31, 2**32, 2**63, 2**64, 2**70, math.nan, math.inf,
              -math.inf, 1e-50, 1e308, -1e308, True, False, "3", "x", None, [], [0, 0],
              [2, 2], [1, 1, 1], 0.0, 0.99, 1.0]
spec_values = st.one_of(st.sampled_from(SPEC_EDGES), st.integers(-2**70, 2**70),
                        st.floats(allow_nan=True, allow_infinity=True))


def _spec_dict(where: str, name: str, value) -> dict:
    d = {"name": "edges", "dataset": "binary4", "input_shape": [4], "loss": "binary_crossentropy",
         "optimizer": {"name": "adam"}, "metrics": [], "epochs": 1,
         "layers": [{"kind": "Dense", "units": 1, "activation": "sigmoid"}]}
    if where == "spec":
        d[name] = value
    elif where.startswith("optimizer "):
        d["optimizer"] = {"name": where.split()[1], name: value}
    else:
        shape, after = _HOSTS[where]
        d["input_shape"] = shape
        d["layers"] = [{"kind": where, **_REQUIRED.get(where, {}), name: value}, *after]
    return d


def _spec_test(examples):
    @pytest.mark.parametrize("where, name", SPEC_FIELDS, ids=[f"{w} {n}" for w, n in SPEC_FIELDS])
    @settings(derandomize=True, max_examples=examples, deadline=None, database=None)
    @given(value=spec_values)
    def test(where, name, value):
        try:
            ModelSpec.from_dict(_spec_dict(where, name, value))
        except UserError as e:
            assert "\n" not in str(e) and str(e), repr(str(e))
    return test


test_each_numeric_spec_field_works_or_is_refused_in_one_line = _spec_test(QUICK)
test_each_numeric_spec_field_many_values = pytest.mark.slow(_spec_test(SLOW))
