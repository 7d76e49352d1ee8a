"""What `verify` feeds both sides and what it compares: a model's inputs and outputs, any number.

    from tfmodels.migration.model_io import given_inputs, model_inputs, leaves
    inputs = model_inputs(keras_model, int_range=None)   # each input's name, shape and dtype
    x = inputs.draw(rng, batch_size)                     # a tensor, list or dict, as the model
    outputs = leaves(keras_model(x), keras_model.output_names)   # {name: tensor}

A TF1 model function took one tensor and returned one; a port's Keras model may take several
inputs (token ids, a mask, segment ids: a list or a dict, as `keras.Model(inputs=...)` was given
them) and return several outputs (a list or a dict). The inputs are described once (`Inputs`):
from the shape the user gives (one float32 input, as before), or from the Keras model's own
inputs (`model.inputs`: each one's name, shape and dtype). Floating inputs are drawn from a
standard normal; integer inputs are ids drawn uniformly from `[0, high)`, where `high` is the
`input_dim` of the `Embedding` the input goes into, or `int_range` where no Embedding says it;
boolean inputs are drawn half true. The TF1 function gets placeholders in the same structure
(one tensor, a list, a dict by the inputs' names). Outputs are compared leaf by leaf by name
(`leaves`): a dict's keys, a list's `output_names`; one output on each side pairs whatever the
names.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from tfmodels.core.checks import WEIGHT_LIMIT
from tfmodels.core.errors import UserError

__all__ = ["Input", "Inputs", "given_inputs", "leaves", "model_inputs", "paired_leaves",
           "described"]

DTYPES = ("float32", "float16", "float64", "int32", "int64", "bool")


@dataclass(frozen=True)
class Input:
    """One input: its name, one sample's shape (no batch), its dtype, its ids' bound."""

    name: str
    shape: tuple
    dtype: str = "float32"
    high: int | None = None  # integer inputs: ids drawn from [0, high)

    def text(self, batch: int) -> str:
        shape = ", ".join(map(str, (batch, *self.shape)))
        ids = f" in [0, {self.high})" if self.high is not None else ""
        return f"{self.name} ({shape}) {self.dtype}{ids}"


@dataclass(frozen=True)
class Inputs:
    """The inputs, and the structure the models take them in: "one", "list" or "dict"."""

    items: tuple
    kind: str = "one"

    def structure(self, values: list):
        """`values` (one per input, in order) in the models' structure."""
        if self.kind == "one":
            return values[0]
        if self.kind == "dict":
            return {i.name: v for i, v in zip(self.items, values)}
        return list(values)

    def flat(self, structure) -> list:
        """The values of a structure this made, in the inputs' order."""
        if self.kind == "one":
            return [structure]
        if self.kind == "dict":
            return [structure[i.name] for i in self.items]
        return list(structure)

    def draw(self, rng, batch: int):
        """Random inputs of `batch` samples: normal floats, ids in [0, high), half-true bools."""
        values = []
        for i in self.items:
            shape = (batch, *i.shape)
            if i.dtype == "bool":
                values.append(rng.integers(0, 2, shape).astype(bool))
            elif np.issubdtype(np.dtype(i.dtype), np.integer):
                values.append(rng.integers(0, i.high, shape).astype(i.dtype))
            else:
                values.append(rng.standard_normal(shape).astype(i.dtype))
        return self.structure(values)

    def placeholders(self, v1):
        """TF1 placeholders of the inputs (named as they are, the batch left open)."""
        import tensorflow as tf

        return self.structure([v1.placeholder(tf.as_dtype(i.dtype), (None, *i.shape),
                                              name=i.name) for i in self.items])

    def feed(self, placeholders, values) -> dict:
        return dict(zip(self.flat(placeholders), self.flat(values)))

    def text(self, batch: int) -> str:
        if self.kind == "one" and self.items[0].dtype == "float32":
            return f"({', '.join(map(str, (batch, *self.items[0].shape)))})"
        return ", ".join(i.text(batch) for i in self.items)

    def check_batch(self, batch_size: int) -> None:
        """The inputs must be a batch that can be allocated (at most 2**31 values)."""
        count = int(batch_size) * sum(int(np.prod(i.shape, dtype=object)) for i in self.items)
        if count > WEIGHT_LIMIT:
            shapes = ", ".join(str(i.shape) for i in self.items)
            raise UserError(f"batch_size={batch_size} with inputs of shape {shapes} would need "
                            f"{count} input values ({count * 4 / 2**30:.0f} GiB of float32), "
                            f"more than 2**31 = {WEIGHT_LIMIT}; give a smaller batch")


def given_inputs(shape: tuple) -> Inputs:
    """One float32 input of one sample's `shape`: what a TF1 model function took."""
    return Inputs((Input("inputs", tuple(shape)),))


def _embedding_bounds(model) -> dict:
    """{id of an input tensor: the smallest `input_dim` of the Embeddings it goes into}."""
    import keras

    bounds = {}
    for layer in model.layers:
        if not isinstance(layer, keras.layers.Embedding):
            continue
        for node in getattr(layer, "_inbound_nodes", ()):
            for tensor in getattr(node, "input_tensors", ()):
                bounds[id(tensor)] = min(bounds.get(id(tensor), layer.input_dim),
                                         layer.input_dim)
    if isinstance(model, keras.Sequential) and model.layers and isinstance(
            model.layers[0], keras.layers.Embedding) and model.inputs:
        bounds.setdefault(id(model.inputs[0]), model.layers[0].input_dim)
    return bounds


def described(texts) -> dict:
    """`{name: (shape, dtype or None)}` of inputs described as `NAME:SHAPE[:DTYPE]` (the
    `--input` flag), e.g. `token_ids:12:int32` or `image:28,28,1`."""
    given = {}
    for text in texts or ():
        parts = str(text).split(":")
        dims = parts[1].split(",") if len(parts) in (2, 3) else []
        if (len(parts) not in (2, 3) or not parts[0] or not dims
                or not all(d.strip().isdigit() and int(d) > 0 for d in dims)
                or (len(parts) == 3 and parts[2] not in DTYPES)):
            raise UserError(f"input description {text!r}: expected NAME:SHAPE[:DTYPE] such as "
                            f"token_ids:12:int32 "
                            f"(one sample's shape, without the batch; DTYPE one of "
                            f"{', '.join(DTYPES)})")
        if parts[0] in given:
            raise UserError(f"input {parts[0]!r} described twice ({text!r})")
        given[parts[0]] = (tuple(int(d) for d in dims), parts[2] if len(parts) == 3 else None)
    return given


def _input(tensor, bounds: dict, int_range, model_name: str, name: str,
           given: dict) -> Input:
    import keras

    dtype = keras.backend.standardize_dtype(tensor.dtype)
    shape = tuple(tensor.shape[1:])
    if name in given:
        size, as_given = given[name]
        if len(size) != len(shape) or any(d not in (None, g) for d, g in zip(shape, size)):
            raise UserError(f"input description: the Keras model {model_name!r} takes input "
                            f"{name!r} of shape {tuple(tensor.shape)}; the shape given, "
                            f"{size}, does not fit it")
        shape, dtype = size, as_given or dtype
    if not all(isinstance(d, int) for d in shape):
        raise UserError(f"the Keras model {model_name!r} takes input {name!r} of shape "
                        f"{tuple(tensor.shape)}, which leaves a size other than the batch open: "
                        f"give every size in keras.Input(shape=...) or describe the input, e.g. "
                        f"inputs={name}:{','.join('12' if d is None else str(d) for d in shape)}"
                        f" (its sequence length, say)")
    high = None
    if dtype != "bool" and np.issubdtype(np.dtype(dtype), np.integer):
        high = bounds.get(id(tensor), int_range)
        if high is None:
            raise UserError(f"the Keras model {model_name!r} takes integer input {name!r} "
                            f"({dtype}) that no Embedding takes (which would say its range): "
                            f"give int_range=N, ids drawn from [0, N)")
    elif not np.issubdtype(np.dtype(dtype), np.floating) and dtype != "bool":
        raise UserError(f"the Keras model {model_name!r} takes input {name!r} of dtype {dtype}; "
                        f"the kit draws floating, integer and boolean inputs")
    return Input(name, shape, dtype, high)


def model_inputs(model, int_range: int | None = None, inputs=()) -> Inputs:
    """The Keras model's own inputs (`model.inputs`), in the structure it was built with; those
    named in `inputs` (`NAME:SHAPE[:DTYPE]`, `described`) take the shape (a size the model
    leaves open, such as a sequence length) and dtype given."""
    given = described(inputs)
    try:
        structure = model.input
    except (AttributeError, ValueError):  # a Sequential: its inputs are a list of one
        structure = list(getattr(model, "inputs", None) or [])
    if not structure:
        raise UserError(f"the Keras model {model.name!r} has no inputs to read their shapes "
                        f"from (a subclassed model?): give the input shape")
    bounds = _embedding_bounds(model)
    if isinstance(structure, dict):
        kind, tensors = "dict", list(structure.values())
    elif isinstance(structure, (list, tuple)):
        kind, tensors = ("one" if len(structure) == 1 else "list"), list(structure)
    else:
        kind, tensors = "one", [structure]
    names = list(structure) if kind == "dict" else [t.name for t in tensors]  # a dict's keys
    unknown = sorted(set(given) - set(names))
    if unknown:
        raise UserError(f"input description: the Keras model {model.name!r} has no input "
                        f"{unknown[0]!r}; "
                        f"its inputs are {', '.join(names)}")
    return Inputs(tuple(_input(t, bounds, int_range, model.name, n, given)
                        for t, n in zip(tensors, names)), kind)


def leaves(outputs, names=None) -> dict:
    """`{name: tensor}` of a model's outputs: a dict's items, a list's by `names` (the Keras
    model's `output_names`; `output_<i>` without), one tensor as `output`."""
    if isinstance(outputs, dict):
        return dict(outputs)
    if isinstance(outputs, (list, tuple)):
        names = list(names or [])
        if len(names) != len(outputs):
            names = [f"output_{i}" for i in range(len(outputs))]
        return dict(zip(names, outputs))
    return {"output": outputs}


def _said(outputs: dict) -> str:
    if list(outputs) == ["output"]:
        return "one tensor"
    return f"{len(outputs)} outputs ({', '.join(sorted(outputs))})"


def paired_leaves(tf1: dict, keras: dict, model_name: str) -> list:
    """[(name, TF1 name, Keras name)]: one output each pairs as it is, else by name."""
    if len(tf1) == 1 and len(keras) == 1:
        return [(next(iter(keras)), next(iter(tf1)), next(iter(keras)))]
    if set(tf1) != set(keras):
        raise UserError(f"the TF1 function returns {_said(tf1)}; the Keras model "
                        f"{model_name!r} returns {_said(keras)}: the outputs are compared by "
                        f"name, name them alike")
    return [(k, k, k) for k in sorted(tf1)]
