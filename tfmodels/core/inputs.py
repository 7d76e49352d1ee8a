"""A model's several named inputs as data: `{"image": images, "extra": scalars}`, one array
per input, their first (samples) axis alike.

Keras takes such a dict for a functional model with named `keras.Input`s; TF1 fed one
placeholder per input (`feed_dict={image: ..., extra: ...}`). `check_inputs` checks a user's
dict against a spec's `inputs` and returns `NamedInputs`, which the loops both tracks share
(`tfmodels.core.loop`, `split_validation`, `batch_indices`) index like one array:
`len(x)` is the sample count, `x[idx]` gathers the same rows of every input.
"""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np

from tfmodels.core.checks import check_x
from tfmodels.core.errors import UserError

__all__ = ["NamedInputs", "check_inputs", "is_named", "as_arrays", "num_samples"]


class NamedInputs:
    """One array per named input, indexed together: `x[idx]` (a slice, an index array) takes
    the same samples of each; `x["image"]` is one input's array."""

    def __init__(self, arrays: dict):
        self.arrays = dict(arrays)

    @property
    def names(self) -> tuple:
        return tuple(self.arrays)

    def __len__(self) -> int:
        return len(next(iter(self.arrays.values())))

    def __getitem__(self, key):
        if isinstance(key, str):
            return self.arrays[key]
        return NamedInputs({name: a[key] for name, a in self.arrays.items()})

    def __repr__(self) -> str:
        shapes = ", ".join(f"{n!r}: {np.shape(a)}" for n, a in self.arrays.items())
        return f"NamedInputs({{{shapes}}})"


def is_named(x) -> bool:
    """Whether `x` is data for several named inputs (a dict, or `NamedInputs`)."""
    return isinstance(x, (Mapping, NamedInputs))


def as_arrays(x):
    """`x` as Keras and feeds take it: a plain dict of arrays for named inputs, else `x`."""
    return dict(x.arrays) if isinstance(x, NamedInputs) else x


def check_inputs(x, shapes: dict, what: str = "x") -> NamedInputs:
    """`x` must be a dict of exactly the model's input names (`shapes`: name -> one sample's
    shape), each array `(samples, *shape)` of finite numbers, all of one sample count; returns
    them float32 as `NamedInputs`. One line naming the input where not."""
    if isinstance(x, NamedInputs):
        x = x.arrays
    if not isinstance(x, Mapping):
        raise UserError(f"{what} must be a dict of the model's inputs "
                        f"({', '.join(shapes)}) to arrays, got {type(x).__name__}")
    given, expected = list(x), list(shapes)
    if set(given) != set(expected):
        missing = [n for n in expected if n not in x]
        unknown = [n for n in given if n not in shapes]
        wrong = (f"no input named {unknown[0]!r}" if unknown
                 else f"input {missing[0]!r} is missing")
        raise UserError(f"{what} has inputs {given}: {wrong}; expected the model's inputs "
                        f"{expected}")
    arrays = {name: check_x(x[name], shapes[name], f"{what}[{name!r}]") for name in expected}
    counts = {name: len(a) for name, a in arrays.items()}
    if len(set(counts.values())) > 1:
        raise UserError(f"{what}'s inputs hold different numbers of samples: {counts}; "
                        f"expected one sample count")
    return NamedInputs(arrays)


def num_samples(x) -> int:
    """The sample count of `x`: one array's length, or a dict of named inputs' (the first's)."""
    if isinstance(x, Mapping):
        return len(next(iter(x.values()))) if x else 0
    return len(x)
