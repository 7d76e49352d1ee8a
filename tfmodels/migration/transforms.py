"""How TF1 tensor(s) become one Keras 3 weight, and back: the transforms of the pairing.

TF1 programs often keep a weight in another layout than the Keras layer that replaces them: BERT
keeps attention's query kernel as `(hidden, hidden)`, Keras's `MultiHeadAttention` as
`(hidden, heads, head_dim)`; GPT-2 keeps query, key and value in one `c_attn/w` of shape
`(1, n_embd, 3 * n_embd)`. A `Transform` says how: the TF1 variable(s) it reads (`from`) and
steps applied in order, each with its inverse, so `tfmodels convert` moves the values either way.

A map file entry is today's plain form, or an object whose keys after `from` are the steps, in
the order written (JSON objects keep their order):

    {"keras/path": "tf1/name"}                                   as it is
    {"keras/path": {"from": "tf1/name", "reshape": [32, 4, 8]}}
    {"mha/query/kernel": {"from": "h0/attn/c_attn/w", "squeeze": 0,
                          "split": {"axis": -1, "parts": 3, "index": 0}, "reshape": [32, 4, 8]}}
    {"keras/path": {"from": ["a", "b"], "concat": 0}}

The steps (TF1 -> Keras; the inverse undoes each on the way back):

- `concat`: AXIS, the `from` variables (a list) joined along AXIS (first step only);
  back: split at their own sizes;
- `squeeze`: AXIS (a size-1 axis dropped); back: `expand` AXIS;
- `expand`: AXIS (`np.expand_dims`); back: `squeeze` AXIS;
- `reshape`: [SHAPE] (C order, as `np.reshape`; one -1 allowed); back: the shape it came from;
- `transpose`: [PERMUTATION]; back: its inverse permutation;
- `split`: {"axis": A, "parts": N, "index": I} (or "sizes": [S, ...] instead of "parts"): part I
  of N along A; one TF1 variable fills several Keras weights, one entry per part; back: the parts
  joined, which needs every part paired (at most one split per entry);
- `gates`: {"axis": A, "from": "ijfo", "to": "ifjo"}: equal blocks along A reordered (TF1's LSTM
  gate order to Keras's); back: the reverse reorder;
- `add`: {"value": V} adds V (or {"value": V, "axis": A, "parts": N, "index": I}: to block I of N
  along A only, e.g. LSTM's forget bias, which TF1 did not store); back: V subtracted.

The derived pairing (`tfmodels.migration.matching`) makes the same transforms itself where the
shapes leave one reading (a reshape that only splits or merges adjacent axes; a leading size-1
axis squeezed; a split along the one axis that gives such a reshape).
"""

from __future__ import annotations

import numpy as np

from tfmodels.core.errors import UserError

__all__ = ["KINDS", "Misfit", "Transform", "cell_transforms", "invert", "regroups",
           "shape_text"]

KINDS = ("concat", "squeeze", "expand", "reshape", "transpose", "split", "gates", "add")


class Misfit(ValueError):
    """A step does not fit the shape it is given (the message says which and why)."""


def shape_text(shape) -> str:
    return "(" + ", ".join(str(int(d)) for d in shape) + ("," if len(shape) == 1 else "") + ")"


def _axis(axis, rank: int, step: str) -> int:
    if not isinstance(axis, int) or isinstance(axis, bool) or not -rank <= axis < rank:
        raise Misfit(f"{step}: axis {axis!r} is not an axis of a rank-{rank} tensor")
    return axis % rank


def _bounds(spec: dict, size: int, step: str) -> list:
    """The (start, stop) of each block a `split`/`add` spec cuts an axis of `size` into."""
    sizes = spec.get("sizes")
    if sizes is None:
        parts = spec.get("parts")
        if not isinstance(parts, int) or parts < 1 or size % parts:
            raise Misfit(f"{step}: {size} does not split into {parts!r} equal parts")
        sizes = [size // parts] * parts
    if not all(isinstance(s, int) and s >= 0 for s in sizes) or sum(sizes) != size:
        raise Misfit(f"{step}: sizes {sizes!r} do not add up to {size}")
    ends = np.cumsum([0, *sizes]).tolist()
    return list(zip(ends[:-1], ends[1:]))


def _block(spec: dict, shape, step: str):
    """(axis, start, stop) of the block `spec` names in a tensor of `shape`."""
    axis = _axis(spec.get("axis", -1), len(shape), step)
    bounds = _bounds(spec, shape[axis], step)
    index = spec.get("index")
    if not isinstance(index, int) or not 0 <= index < len(bounds):
        raise Misfit(f"{step}: index {index!r} is not one of the {len(bounds)} parts")
    return axis, *bounds[index]


def _take(x, axis, start, stop):
    return x[(slice(None),) * axis + (slice(start, stop),)]


def _gate_blocks(spec: dict, x, reverse: bool):
    order_from, order_to = spec.get("from"), spec.get("to")
    if reverse:
        order_from, order_to = order_to, order_from
    axis = _axis(spec.get("axis", -1), x.ndim, "gates")
    if (not isinstance(order_from, str) or not isinstance(order_to, str)
            or sorted(order_from) != sorted(order_to) or x.shape[axis] % len(order_from)):
        raise Misfit(f"gates: {order_from!r} -> {order_to!r} is not a reorder of equal blocks "
                     f"of the {x.shape[axis]} entries along axis {axis}")
    parts = dict(zip(order_from, np.split(x, len(order_from), axis=axis)))
    return np.concatenate([parts[g] for g in order_to], axis=axis)


def _added(spec: dict, x, sign: float):
    value = spec.get("value")
    if not isinstance(value, (int, float)) or isinstance(value, bool):
        raise Misfit(f"add: value {value!r} is not a number")
    x = np.array(x)
    if "index" in spec:
        axis, start, stop = _block(spec, x.shape, "add")
        x[(slice(None),) * axis + (slice(start, stop),)] += np.asarray(sign * value, x.dtype)
    else:
        x += np.asarray(sign * value, x.dtype)
    return x


def _reshaped(arg, shape) -> tuple:
    if not isinstance(arg, list) or not all(isinstance(d, int) and d >= -1 for d in arg):
        raise Misfit(f"reshape: {arg!r} is not a shape (a list of sizes)")
    size = int(np.prod(shape))
    known = int(np.prod([d for d in arg if d != -1]))
    if arg.count(-1) == 1 and known and size % known == 0:
        arg = [size // known if d == -1 else d for d in arg]
    if arg.count(-1) or int(np.prod(arg)) != size:
        raise Misfit(f"reshape {shape_text(arg)} does not fit {shape_text(shape)} "
                     f"({size} values)")
    return tuple(arg)


def _step_shape(kind: str, arg, shape: tuple) -> tuple:
    """The shape after one step (not `concat`, `split`: `Transform` does those)."""
    if kind == "squeeze":
        axis = _axis(arg, len(shape), "squeeze")
        if shape[axis] != 1:
            raise Misfit(f"squeeze {arg}: axis {arg} of {shape_text(shape)} is not of size 1")
        return shape[:axis] + shape[axis + 1:]
    if kind == "expand":
        axis = _axis(arg, len(shape) + 1, "expand")
        return shape[:axis] + (1,) + shape[axis:]
    if kind == "reshape":
        return _reshaped(arg, shape)
    if kind == "transpose":
        if not isinstance(arg, list) or sorted(arg) != list(range(len(shape))):
            raise Misfit(f"transpose {arg!r} is not a permutation of the {len(shape)} axes of "
                         f"{shape_text(shape)}")
        return tuple(shape[a] for a in arg)
    if kind == "gates":
        _gate_blocks(arg, np.zeros(shape, np.int8), False)
        return shape
    if kind == "add":
        _added(arg, np.zeros(shape, np.float32), 1.0)
        return shape
    raise Misfit(f"{kind}: not a step")


def _forward(kind: str, arg, x):
    if kind == "squeeze":
        return np.squeeze(x, axis=arg)
    if kind == "expand":
        return np.expand_dims(x, axis=arg)
    if kind == "reshape":
        return np.reshape(x, _reshaped(arg, x.shape))
    if kind == "transpose":
        return np.transpose(x, arg)
    if kind == "gates":
        return _gate_blocks(arg, x, False)
    return _added(arg, x, 1.0)


def _backward(kind: str, arg, y, shape_in: tuple):
    if kind == "squeeze":
        return np.expand_dims(y, axis=arg)
    if kind == "expand":
        return np.squeeze(y, axis=arg)
    if kind == "reshape":
        return np.reshape(y, shape_in)
    if kind == "transpose":
        return np.transpose(y, np.argsort(arg))
    if kind == "gates":
        return _gate_blocks(arg, y, True)
    return _added(arg, y, -1.0)


def _describe(kind: str, arg) -> str:
    if kind in ("reshape", "transpose"):
        return f"{kind} {shape_text(arg) if kind == 'reshape' else tuple(arg)}"
    if kind == "split":
        what = f"{arg['parts']}" if "parts" in arg else f"sizes {arg['sizes']}"
        return f"split {what} along {arg.get('axis', -1)} #{arg['index']}"
    if kind == "gates":
        return f"gates {arg['from']}->{arg['to']}"
    if kind == "add":
        where = f" to #{arg['index']} along {arg.get('axis', -1)}" if "index" in arg else ""
        return f"add {arg['value']}{where}"
    return f"{kind} {arg}"


class Transform:
    """TF1 variable(s) `sources` to one Keras weight through `steps` [(kind, argument)]."""

    def __init__(self, sources, steps=()):
        self.sources = [sources] if isinstance(sources, str) else list(sources)
        self.steps = [(k, a) for k, a in steps]

    @classmethod
    def parse(cls, key: str, entry) -> Transform:
        """A map file's entry for Keras weight `key`: a TF1 name, or an object (module doc)."""
        if isinstance(entry, str):
            return cls(entry)
        where = f"map file: {key!r}"
        if not isinstance(entry, dict) or "from" not in entry:
            raise UserError(f'{where}: expected a TF1 variable name or an object {{"from": '
                            f'NAME, STEP: ARGUMENT, ...}}. Received: {entry!r}')
        sources = entry["from"]
        if not (isinstance(sources, str) or (isinstance(sources, list) and sources
                                              and all(isinstance(s, str) for s in sources))):
            raise UserError(f"{where}: from must be a TF1 variable name or a list of them. "
                            f"Received: from={sources!r}")
        steps = [(k, v) for k, v in entry.items() if k != "from"]
        for i, (kind, _) in enumerate(steps):
            if kind not in KINDS:
                raise UserError(f"{where}: unknown step {kind!r}; expected one of "
                                f"{', '.join(KINDS)}")
            if kind == "concat" and i:
                raise UserError(f"{where}: concat joins the from variables, so it comes first")
        if isinstance(sources, list) and len(sources) > 1 and (not steps
                                                               or steps[0][0] != "concat"):
            raise UserError(f"{where}: from names {len(sources)} TF1 variables; join them "
                            f'with "concat": AXIS first')
        if sum(k == "split" for k, _ in steps) > 1:
            raise UserError(f"{where}: one split per entry")
        return cls(sources, steps)

    @property
    def plain(self) -> bool:
        return not self.steps

    def linear(self) -> Transform:
        """This transform without its constants (`add`): how a gradient moves along it."""
        return Transform(self.sources, [(k, a) for k, a in self.steps if k != "add"])

    @property
    def split(self) -> int | None:
        """The position of the split step, or None."""
        return next((i for i, (k, _) in enumerate(self.steps) if k == "split"), None)

    def trace(self, shapes) -> list:
        """The shape before each step and after the last; `Misfit` where a step does not fit."""
        shapes = [tuple(int(d) for d in s) for s in shapes]
        if len(shapes) != len(self.sources):
            raise Misfit(f"{len(self.sources)} TF1 variables, {len(shapes)} shapes")
        steps = self.steps
        if steps and steps[0][0] == "concat":
            axis = _axis(steps[0][1], len(shapes[0]), "concat")
            rest = [s[:axis] + s[axis + 1:] for s in shapes]
            if len({len(s) for s in shapes}) != 1 or len(set(rest)) != 1:
                raise Misfit(f"concat {steps[0][1]}: {' + '.join(map(shape_text, shapes))} "
                             f"differ off axis {steps[0][1]}")
            shapes = [shapes[0][:axis] + (sum(s[axis] for s in shapes),) + shapes[0][axis + 1:]]
            steps = steps[1:]
        elif len(shapes) != 1:
            raise Misfit(f"{len(shapes)} TF1 variables without a concat")
        trace = [shapes[0]]
        for kind, arg in steps:
            shape = trace[-1]
            if kind == "split":
                axis, start, stop = _block(arg, shape, "split")
                trace.append(shape[:axis] + (stop - start,) + shape[axis + 1:])
            else:
                trace.append(_step_shape(kind, arg, shape))
        return trace

    def shape(self, shapes) -> tuple:
        return self.trace(shapes)[-1]

    def apply(self, arrays):
        """The Keras weight's value from the TF1 variables' `arrays`."""
        arrays = [np.asarray(a) for a in arrays]
        steps = self.steps
        if steps and steps[0][0] == "concat":
            x, steps = np.concatenate(arrays, axis=steps[0][1]), steps[1:]
        else:
            x = arrays[0]
        for kind, arg in steps:
            if kind == "split":
                axis, start, stop = _block(arg, x.shape, "split")
                x = _take(x, axis, start, stop)
            else:
                x = _forward(kind, arg, x)
        return np.array(x)

    def describe(self) -> str:
        return ", ".join(_describe(k, a) for k, a in self.steps) or "as is"

    def __eq__(self, other):
        return (isinstance(other, Transform) and self.sources == other.sources
                and self.steps == other.steps)

    def __repr__(self):
        return f"Transform({self.sources!r}, {self.steps!r})"


def _undo(steps, trace, y):
    """`y` back through `steps` (not concat/split), whose input shapes `trace` lists."""
    for (kind, arg), shape_in in reversed(list(zip(steps, trace))):
        y = _backward(kind, arg, y, shape_in)
    return y


def invert(group, shapes) -> dict:
    """The TF1 variables' values `{name: array}` from Keras values: `group` is [(Transform,
    value)], every transform reading the same TF1 variables (of `shapes`, in order); with a
    split, one per part, each part once (UserError naming the missing or doubled part)."""
    transform = group[0][0]
    names = transform.sources
    start = 1 if transform.steps and transform.steps[0][0] == "concat" else 0
    if transform.split is None:
        if len(group) > 1:
            raise UserError(f"TF1 {' + '.join(names)} is filled by {len(group)} Keras weights "
                            f"and none of their transforms splits it")
        x = _undo(transform.steps[start:], transform.trace(shapes), group[0][1])
    else:
        x = _joined(group, shapes, start)
    if start:
        axis = transform.steps[0][1]
        bounds = np.cumsum([s[axis] for s in shapes])[:-1]
        return dict(zip(names, np.split(x, bounds, axis=axis)))
    return {names[0]: np.array(x)}


def _same_but_index(a: Transform, b: Transform) -> bool:
    """Whether two transforms read the same variables the same way up to the split's part."""
    if a.split is None or a.split != b.split or a.sources != b.sources:
        return False
    arg_a, arg_b = a.steps[a.split][1], b.steps[b.split][1]
    return (a.steps[:a.split] == b.steps[:b.split]
            and {k: v for k, v in arg_a.items() if k != "index"}
            == {k: v for k, v in arg_b.items() if k != "index"})


def _joined(group, shapes, start):
    """The parts of a split, each undone to the split's output, joined, then undone before it."""
    transform = group[0][0]
    cut = transform.split - start  # the split's place in the steps after a concat
    trace = transform.trace(shapes)
    arg = transform.steps[transform.split][1]
    axis = _axis(arg.get("axis", -1), len(trace[cut]), "split")
    count = len(_bounds(arg, trace[cut][axis], "split"))
    parts = {}
    for t, value in group:
        if not _same_but_index(transform, t):
            raise UserError(f"TF1 {' + '.join(t.sources)}: its Keras weights read it in "
                            f"different ways ({transform.describe()}; {t.describe()})")
        index = t.steps[t.split][1]["index"]
        if index in parts:
            raise UserError(f"TF1 {' + '.join(t.sources)}: part {index} of its split is given "
                            f"to two Keras weights")
        parts[index] = _undo(t.steps[t.split + 1:], t.trace(shapes)[cut + 1:], value)
    missing = [i for i in range(count) if i not in parts]
    if missing:
        raise UserError(f"TF1 {' + '.join(transform.sources)} is split in {count} parts; "
                        f"part {missing[0]} has no Keras weight, so it cannot be written back")
    joined = np.concatenate([parts[i] for i in range(count)], axis=axis)
    return _undo(transform.steps[start:transform.split], trace, joined)


def regroups(a, b) -> bool:
    """Whether a reshape from shape `a` to `b` only merges or splits adjacent axes (one reading
    of it): the boundaries both share cut them into blocks of one axis on at least one side."""
    a, b = tuple(int(d) for d in a), tuple(int(d) for d in b)
    if a == b or int(np.prod(a)) != int(np.prod(b)):
        return False
    a, b = tuple(d for d in a if d != 1), tuple(d for d in b if d != 1)
    ends_a, ends_b = np.cumprod(a).tolist(), np.cumprod(b).tolist()
    common = [e for e in ends_a if e in set(ends_b)]
    prev = 1
    for end in common:
        n_a = sum(prev < e <= end for e in ends_a)
        n_b = sum(prev < e <= end for e in ends_b)
        if n_a > 1 and n_b > 1:
            return False
        prev = end
    return True


def cell_transforms(cell: str, scope: str, depth: int, units: int,
                    forget_bias: float = 1.0) -> list:
    """A TF1 recurrent cell's variables under `scope` as Transforms of its Keras layer's
    (kernel, recurrent_kernel, bias), made from the layout table's fields (`tf1_compat.layouts`:
    the fact lives there once): the cell's kernels (several: joined along their columns) become
    Keras's gate order and are split into the input and state rows of TF1's kernel over
    `[x, h]`; its biases take the same gate order and, for an LSTM, the forget bias (not stored
    by TF1) is added to Keras's forget block."""
    from tf1_compat.layouts import CELLS

    if cell not in CELLS:
        raise UserError(f"cell={cell!r}: expected {', '.join(CELLS)}")
    layout = CELLS[cell]
    kernels = [f"{scope}/{v}" for v in layout.variables[0::2]]
    biases = [f"{scope}/{v}" for v in layout.variables[1::2]]
    order = [("gates", {"axis": -1, "from": layout.gates[0], "to": layout.gates[1]})] \
        if layout.gates[0] != layout.gates[1] else []
    joined = [("concat", 1)] if len(kernels) > 1 else []
    bias_steps = ([("concat", 0)] if len(biases) > 1 else []) + order
    if layout.forget is not None:
        bias_steps.append(("add", {"value": forget_bias, "axis": -1,
                                   "parts": len(layout.gates[1]), "index": layout.forget}))
    return [Transform(kernels, joined + order + [("split", {"axis": 0, "sizes": [depth, units],
                                                            "index": index})])
            for index in (0, 1)] + [Transform(biases, bias_steps)]
