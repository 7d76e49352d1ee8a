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

A mask is described with one rule of how it is drawn (`NAME:SHAPE[:DTYPE]:FILL`, one rule per
input): `ones`, every value 1 (no padding: for a Keras input that the TF1 program has no
counterpart of, such as `GPT2Backbone`'s `padding_mask` beside openai/gpt-2's tokens), or
`lengths`, a length mask of one sequence axis (`(T,)` a sample): each sample's first L values
1 and the rest 0, L drawn from [1, T]. With a `lengths` input the outputs with a position axis
(shape `(batch, T, ...)`, more axes than the mask) are compared only where the mask is 1: both
sides' values at padded positions are set to 0 (`Inputs.at_lengths`) before they are compared
or trained on, and the report says how many positions were compared. That proves a padded
batch where the outputs before the padding cannot depend on it (causal attention, a
right-padded batch), whether or not the TF1 program reads the mask.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from tfmodels.core.checks import WEIGHT_LIMIT
from tfmodels.core.errors import UserError

__all__ = ["FILLS", "Input", "Inputs", "given_inputs", "leaves", "model_inputs",
           "paired_leaves", "described"]

DTYPES = ("float32", "float16", "float64", "int32", "int64", "bool")
FILLS = ("ones", "lengths")  # how a mask is drawn, in place of random values


@dataclass(frozen=True)
class Input:
    """One input: its name, one sample's shape (no batch), its dtype, its ids' bound."""

    name: str
    shape: tuple
    dtype: str = "float32"
    high: int | None = None  # integer inputs: ids drawn from [0, high)
    fill: str | None = None  # one of FILLS: a mask drawn by that rule

    def text(self, batch: int) -> str:
        shape = ", ".join(map(str, (batch, *self.shape)))
        ids = f" in [0, {self.high})" if self.high is not None else ""
        fill = {"ones": " all ones (no padding)", "lengths": " a length mask"}.get(self.fill, "")
        return f"{self.name} ({shape}) {self.dtype}{ids}{fill}"

    def draw(self, rng, batch: int):
        """`batch` samples: a fill's mask, normal floats, ids in [0, high), half-true bools."""
        shape = (batch, *self.shape)
        if self.fill == "ones":
            return np.ones(shape, self.dtype)
        if self.fill == "lengths":
            lengths = rng.integers(1, self.shape[0] + 1, batch)
            return (np.arange(self.shape[0])[None, :] < lengths[:, None]).astype(self.dtype)
        if self.dtype == "bool":
            return rng.integers(0, 2, shape).astype(bool)
        if np.issubdtype(np.dtype(self.dtype), np.integer):
            return rng.integers(0, self.high, shape).astype(self.dtype)
        return rng.standard_normal(shape).astype(self.dtype)


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
        """Random inputs of `batch` samples (`Input.draw`), in the models' structure."""
        return self.structure([i.draw(rng, batch) for i in self.items])

    def _lengths(self):
        """The index of the `lengths` input, or None."""
        return next((n for n, i in enumerate(self.items) if i.fill == "lengths"), None)

    def at_lengths(self, outputs: dict, x) -> dict:
        """`outputs` ({name: tensor}, TF1 graph or eager) with every position where the
        `lengths` input of `x` is 0 set to 0 in the outputs of shape (batch, T, ...); as they
        are without a `lengths` input."""
        import tensorflow as tf

        n = self._lengths()
        if n is None:
            return outputs
        mask, length = self.flat(x)[n], self.items[n].shape[0]
        masked = {}
        for k, y in outputs.items():
            if y.shape.rank is not None and y.shape.rank > 2 and y.shape[1] in (None, length):
                m = tf.cast(tf.cast(mask, tf.bool), y.dtype)
                y = y * tf.reshape(m, tf.concat([tf.shape(m), [1] * (y.shape.rank - 2)], 0))
            masked[k] = y
        return masked

    def compared(self, x, unread=()) -> str:
        """What the fills mean for the comparison, said in words ("" without fills); `unread`:
        the inputs that the TF1 function does not read."""
        said = []
        for i, value in zip(self.items, self.flat(x)):
            side = "; the TF1 function does not read it" if i.name in unread else ""
            if i.fill == "ones":
                said.append(f"{i.name} all ones (no padding){side}")
            elif i.fill == "lengths":
                valid = np.asarray(value).astype(bool)
                lengths = ", ".join(str(int(v)) for v in valid.sum(1))
                said.append(f"outputs of shape (batch, {i.shape[0]}, ...) compared at the "
                            f"{int(valid.sum())} of {valid.size} positions where {i.name} is "
                            f"1 (lengths {lengths}), set to 0 on both sides elsewhere{side}")
        return "; ".join(said)

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
    """`{name: (shape, dtype or None, fill or None)}` of inputs described as
    `NAME:SHAPE[:DTYPE][:FILL]` (the `--input` flag), e.g. `token_ids:12:int32`,
    `image:28,28,1` or `padding_mask:12:lengths` (FILL one of `FILLS`)."""
    given = {}
    for text in texts or ():
        parts = str(text).split(":")
        dims = parts[1].split(",") if len(parts) in (2, 3, 4) else []
        rest = parts[2:]
        fill = rest.pop() if rest and rest[-1] in FILLS else None
        if (len(parts) not in (2, 3, 4) or not parts[0] or not dims
                or not all(d.strip().isdigit() and int(d) > 0 for d in dims)
                or len(rest) > 1 or (rest and rest[0] not in DTYPES)):
            raise UserError(f"input description {text!r}: expected NAME:SHAPE[:DTYPE][:FILL] "
                            f"such as token_ids:12:int32 or padding_mask:12:ones "
                            f"(one sample's shape, without the batch; DTYPE one of "
                            f"{', '.join(DTYPES)}; FILL one of {', '.join(FILLS)})")
        if parts[0] in given:
            raise UserError(f"input {parts[0]!r} described twice ({text!r})")
        if fill == "lengths" and len(dims) != 1:
            raise UserError(f"input description {text!r}: a length mask (lengths) is one "
                            f"sequence axis, one sample's shape (T,), e.g. padding_mask:12:lengths")
        given[parts[0]] = (tuple(int(d) for d in dims), rest[0] if rest else None, fill)
    if sum(fill == "lengths" for _, _, fill in given.values()) > 1:
        raise UserError(f"inputs {', '.join(n for n, g in given.items() if g[2] == 'lengths')} "
                        f"are each a length mask: give one (the outputs are compared where it "
                        f"is 1)")
    return given


def _input(tensor, bounds: dict, int_range, model_name: str, name: str,
           given: dict) -> Input:
    import keras

    dtype = keras.backend.standardize_dtype(tensor.dtype)
    shape, fill = tuple(tensor.shape[1:]), None
    if name in given:
        size, as_given, fill = given[name]
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
    if not (np.issubdtype(np.dtype(dtype), np.floating) or dtype == "bool"
            or np.issubdtype(np.dtype(dtype), np.integer)):
        raise UserError(f"the Keras model {model_name!r} takes input {name!r} of dtype {dtype}; "
                        f"the kit draws floating, integer and boolean inputs")
    if fill is None and dtype != "bool" and np.issubdtype(np.dtype(dtype), np.integer):
        high = bounds.get(id(tensor), int_range)
        if high is None:
            raise UserError(f"the Keras model {model_name!r} takes integer input {name!r} "
                            f"({dtype}) that no Embedding takes (which would say its range): "
                            f"give int_range=N, ids drawn from [0, N), or, for a mask, "
                            f"inputs={name}:SHAPE:ones (no padding) or :lengths")
    return Input(name, shape, dtype, high, fill)


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
