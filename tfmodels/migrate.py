"""Any TF1 `Saver` checkpoint into any Keras 3 model, and a Keras model back into a TF1 checkpoint.

    from tfmodels.migrate import tf1_to_keras, keras_to_tf1
    tf1_to_keras("old/model.ckpt-1000", "my_models:build", "new.keras")   # prints the table
    keras_to_tf1("new.keras", "back/model.ckpt", graph="my_tf1:build")

`tfmodels/convert.py` moves weights of the project's own registered models, whose variables the
spec names. This module knows nothing of the models: it *derives* which TF1 variable fills which
Keras weight, from the names, the order of layers and variables, and the shapes:

1. a map file (JSON `{"keras weight path": "tf1 variable name"}`) decides first;
2. names: a Keras weight `dense_1/kernel` (its `path`, the model's own name left off) takes the
   TF1 variable `dense_1/kernel` (lower case, `:0` left off; a scope around every TF1 variable,
   `model/dense_1/kernel`, left off too), if the shapes agree;
3. order: the Keras weights left with one leaf name (`kernel`, `bias`, `gamma`, `beta`,
   `moving_mean`, `moving_variance`, ...) and one shape take the TF1 variables left with that leaf
   and shape, in order: the Keras model's layer order, TF1's numbering (`dense`, `dense_1`,
   `dense_2`, ...; names are compared with their numbers as numbers). A single candidate needs no
   order; several need names that differ only in their numbers, and as many on either side;
4. the same by shape alone, for TF1 variables named freely (`W1`, `b1`, `W2`, ...).

A Keras `LSTM` takes a TF1 `LSTMCell`'s two variables (`<scope>/lstm_cell/kernel` over `[x, h]`
and `bias`) as one: the kernel is split into Keras's `kernel` and `recurrent_kernel`, the gates go
from TF1's order i, c, f, o to Keras's i, f, c, o and the cell's `forget_bias` (not stored by TF1;
1.0 unless given) moves into the bias (`tf1_compat.rnn.lstm_to_keras`). Likewise a `GRU` built
with `reset_after=False` takes a `GRUCell`'s four (`gates/kernel`, `gates/bias`,
`candidate/kernel`, `candidate/bias`; gates r, u to Keras's z, r), a `SimpleRNN` a
`BasicRNNCell`'s two, and a `Bidirectional` layer's forward and backward layers the cells of
`bidirectional_dynamic_rnn`'s `fw` and `bw` scopes, in that order (`CELLS`). Keras's default
`GRU(reset_after=True)` computes another cell, and is left over, saying so. A partitioned
variable is one tensor in a checkpoint and is taken as any other; a `--tf1-graph` holding
partitioned variables (`.../part_0`) is not matched. Optimizer state
(`.../Adam`, `.../Adam_1`, `beta1_power`, `global_step`, `.../Momentum`, `.../RMSProp`, ...) and
the drop-in dropout's `seed_counter` are skipped. A `TF1StyleLayer`'s weights go by the TF1 names
its function gave them. Where several TF1 variables could fill the same weights and nothing
tells them apart, the conversion is refused and asks for a map file. Nothing is written unless
every weight found a source, or was named as allowed to keep its initial value; the table of what
matched and what was left (and why) is printed either way.

Nothing is executed or unpickled from the files read: TF1 checkpoints are read with
`tf.train.load_checkpoint` (tensors only), `.keras` files with `safe_mode=True`. A Keras model may
also be `module:factory`, a function of the user's returning a built model (called after
`keras.backend.clear_session()`, so its layers are numbered as in a fresh process), and the
reverse direction's TF1 names may come from `module:build`, a function of the user's that makes
the TF1 graph's variables (called with no arguments in a fresh `tf.Graph`): code the user names
runs, as `python -m` would run it; files given never do.
"""

from __future__ import annotations

import importlib
import json
import os
import re
import sys
from dataclasses import dataclass, field

import numpy as np

from tfmodels.core.errors import UserError
from tfmodels.table import table

# TF1 optimizers' slot variables (`<var>/Adam`, `<var>/Adam_1`, ...) and their counters.
_SLOT = re.compile(r"/(Adam|Adam_\d+|Momentum|RMSProp|RMSProp_\d+|Adagrad|Adadelta|Adadelta_\d+|"
                   r"Ftrl|Ftrl_\d+|AdagradDA|AdagradDA_\d+|Nadam|Nadam_\d+|Adamax|Adamax_\d+|"
                   r"ExponentialMovingAverage)$")
_COUNTERS = re.compile(r"(^|/)(beta1_power|beta2_power|global_step)(_\d+)?$")


@dataclass(frozen=True)
class Cell:
    """A TF1 recurrent cell whose variables fill one Keras recurrent layer's three weights."""

    keras: str        # the Keras layer
    scopes: tuple     # the cell's variable scope in TF1
    variables: tuple  # its variables under that scope, in order: (kernel, bias) pairs
    widths: tuple     # each pair's width in units: the kernel (depth + units, w * units)
    note: str         # what the conversion does, for the table

    def shapes(self, depth: int, units: int) -> tuple:
        """The TF1 variables' shapes for inputs of `depth` and `units` units."""
        return tuple(s for w in self.widths for s in ((depth + units, w * units), (w * units,)))

    def scope_of(self, name: str, first: bool = False) -> str | None:
        """The cell's scope if `name` is one of its variables (`first`: its first), else None."""
        for v in self.variables[:1] if first else self.variables:
            if name.endswith("/" + v):
                return name[:-len(v) - 1]
        return None

    def members(self, scope: str) -> list[str]:
        return [f"{scope}/{v}" for v in self.variables]


CELLS = {
    "lstm_cell": Cell("LSTM", ("lstm_cell", "basic_lstm_cell"), ("kernel", "bias"), (4,),
                      "LSTM: gates i,c,f,o <-> i,f,c,o"),
    "gru_cell": Cell("GRU", ("gru_cell",),
                     ("gates/kernel", "gates/bias", "candidate/kernel", "candidate/bias"), (2, 1),
                     "GRU: gates r,u <-> z,r"),
    "basic_rnn_cell": Cell("SimpleRNN", ("basic_rnn_cell",), ("kernel", "bias"), (1,),
                           "RNN: kernel over [x, h] split"),
}
_RESET_AFTER = "gru_reset_after"  # a Keras GRU no TF1 cell computes
# TF1's bidirectional_dynamic_rnn scopes (`.../fw/...`, `.../bw/...`); Keras's Bidirectional
# names its layers forward_<layer> and backward_<layer>.
_DIRECTION = re.compile(r"(^|/)(fw|bw|forward_[^/]*|backward_[^/]*)(?=/|$)")


def _direction(match) -> str:
    return f"{match[1]}{'0' if match[2].startswith(('fw', 'forward_')) else '1'}dir"


def cell_to_keras(cell: str, values, forget_bias: float = 1.0):
    """A TF1 cell's variables as its Keras layer's (kernel, recurrent_kernel, bias)."""
    from tf1_compat import rnn

    if cell == "lstm_cell":
        return rnn.lstm_to_keras(*values, forget_bias=forget_bias)
    return {"gru_cell": rnn.gru_to_keras, "basic_rnn_cell": rnn.rnn_to_keras}[cell](*values)


def cell_from_keras(cell: str, arrays, forget_bias: float = 1.0):
    """A Keras recurrent layer's weights as its TF1 cell's variables; `cell_to_keras` undone."""
    from tf1_compat import rnn

    if cell == "lstm_cell":
        return rnn.lstm_from_keras(*arrays, forget_bias=forget_bias)
    return {"gru_cell": rnn.gru_from_keras, "basic_rnn_cell": rnn.rnn_from_keras}[cell](*arrays)


def skipped_reason(name: str) -> str | None:
    """Why a TF1 variable is not a weight of the model, or None if it is one."""
    if _SLOT.search(name):
        return "optimizer slot"
    if _COUNTERS.search(name):
        return "optimizer counter" if "power" in name else "step counter"
    if name.endswith("/seed_counter"):
        return "dropout seed counter"
    return None


def _natural(name: str):
    """`dense_10` after `dense_2`: the numbers in a name compared as numbers."""
    return [int(p) if p.isdigit() else p for p in re.split(r"(\d+)", name)]


def _stem(name: str) -> str:
    """The name without its numbering: `dense_1/kernel` and `dense/kernel` share `dense/kernel`,
    `W1` and `W2` share `W`; nor its direction: `bidirectional_rnn/fw/lstm_cell` and
    `.../bw/lstm_cell` share one."""
    return re.sub(r"_?\d+", "", _DIRECTION.sub(r"\1dir", name))


def _order(name: str):
    """Where a name goes among its stem's: by its numbers, forward (fw) before backward (bw)."""
    return _natural(_DIRECTION.sub(_direction, name))


def _norm(name: str) -> str:
    name = name.lower()
    return name[:-2] if name.endswith(":0") else name


def _shape(shape) -> str:
    return "(" + ", ".join(str(int(d)) for d in shape) + ("," if len(shape) == 1 else "") + ")"


# -- the two sides -------------------------------------------------------------------------------


@dataclass
class Slot:
    """A Keras weight, or a recurrent layer's three weights, to be filled from TF1."""

    key: str             # the weight's path without the model's name (recurrent: its cell's path)
    variables: list      # Keras variables
    tf1_shapes: tuple    # the shapes the TF1 side has: one, or its cell's variables'
    dtype: str
    index: int           # model order
    cell: str | None = None  # a key of CELLS: the TF1 cell whose variables fill this layer's

    @property
    def leaf(self) -> str:
        return self.cell or self.key.rpartition("/")[2]

    @property
    def label(self) -> str:
        if self.cell is None:
            return self.key
        return f"{self.key}/{{{','.join(k.rpartition('/')[2] for k in self.keys)}}}"

    @property
    def keys(self) -> list[str]:
        if self.cell is None:
            return [self.key]
        return [f"{self.key}/{v.path.rpartition('/')[2]}" for v in self.variables]


@dataclass
class Source:
    """A TF1 variable, or a recurrent cell's variables, that can fill a slot."""

    key: str          # the variable's name (a cell: its scope)
    names: list       # TF1 variable names: one, or the cell's
    shapes: tuple
    dtype: str
    cell: str | None = None  # a key of CELLS

    @property
    def leaf(self) -> str:
        return self.cell or self.key.rpartition("/")[2]


@dataclass
class Match:
    """The outcome of matching: pairs, what was left on either side and why, what was skipped."""

    pairs: list = field(default_factory=list)      # (Slot, Source, how)
    missing: list = field(default_factory=list)    # (Slot, why)
    unused: list = field(default_factory=list)     # (Source, why)
    skipped: list = field(default_factory=list)    # (name, shape, why)

    def table(self, arrow: str = "<-", allowed=frozenset()) -> str:
        rows = [["Keras weight", "", "TF1 variable", "shape", "how"]]
        for slot, source, how in self.pairs:
            if slot.cell is not None:
                rows.append([slot.label, arrow, " + ".join(source.names),
                             " + ".join(_shape(s) for s in source.shapes),
                             f"{how}; {CELLS[slot.cell].note}"])
            else:
                rows.append([slot.key, arrow, source.key, _shape(source.shapes[0]), how])
        for slot, why in self.missing:
            if {slot.key, *slot.keys} & allowed:
                why += "; --allow-missing: keeps its initial value"
            rows.append([slot.label, arrow, "(nothing)",
                         " + ".join(_shape(s) for s in slot.tf1_shapes), why])
        for source, why in self.unused:
            if set(source.names) <= allowed:
                why += "; --allow-missing: keeps its initial value"
            rows.append(["(nothing)", arrow, " + ".join(source.names),
                         " + ".join(_shape(s) for s in source.shapes), why])
        for name, shape, why in self.skipped:
            rows.append(["(skipped)", arrow, name, _shape(shape), why])
        return table(rows, align="l")


def _layers(model):
    """The layers holding weights, in model order; nested models opened, a Bidirectional
    layer's forward layer then its backward one."""
    import keras

    for layer in model.layers:
        if isinstance(layer, keras.Model):
            yield from _layers(layer)
        elif isinstance(layer, keras.layers.Bidirectional):
            yield layer.forward_layer
            yield layer.backward_layer
        elif layer.weights:
            yield layer


def keras_slots(model) -> list[Slot]:
    import keras

    prefix = model.name + "/"

    def key(path):
        return path[len(prefix):] if path.startswith(prefix) else path

    kinds = {getattr(keras.layers, c.keras): name for name, c in CELLS.items()}
    slots = []
    for layer in _layers(model):
        cell = kinds.get(type(layer))
        if cell is not None and layer.cell.use_bias:
            units, depth = layer.cell.units, layer.cell.kernel.shape[0]
            shapes = CELLS[cell].shapes(depth, units)
            if cell == "gru_cell" and layer.cell.reset_after:
                cell, shapes = _RESET_AFTER, ()
            ws = [layer.cell.kernel, layer.cell.recurrent_kernel, layer.cell.bias]
            slots.append(Slot(key(layer.cell.kernel.path).rpartition("/")[0], ws, shapes,
                              layer.cell.kernel.dtype, len(slots), cell=cell))
            continue
        # A TF1StyleLayer's weights go by their TF1 names (the layer's own scope left off).
        tf1_names = {id(w): n for n, w in getattr(layer, "tf1_variables", {}).items()}
        for w in layer.weights:
            slots.append(Slot(tf1_names.get(id(w)) or key(w.path), [w], (tuple(w.shape),),
                              w.dtype, len(slots)))
    return slots


def tf1_sources(shapes: dict, dtypes: dict, whole=frozenset()) -> tuple[list[Source], list]:
    """The TF1 variables `{name: shape}` as sources (an LSTM cell's two as one, unless `whole`,
    the Keras weights' keys, names both: a TF1StyleLayer holds them as they are), and the
    skipped."""
    skipped, names = [], []
    for name in sorted(shapes, key=_natural):
        why = skipped_reason(name)
        if why:
            skipped.append((name, tuple(shapes[name]), why))
        else:
            names.append(name)
    sources, taken = [], set()
    for name in names:
        for cell_name, cell in CELLS.items():
            scope = cell.scope_of(name, first=True)
            if scope is None or scope.rpartition("/")[2] not in cell.scopes:
                continue
            members = cell.members(scope)
            if (all(m in shapes and m not in taken for m in members)
                    and not {_norm(m) for m in members} <= whole):
                sources.append(Source(scope, members, tuple(tuple(shapes[m]) for m in members),
                                      dtypes[name], cell=cell_name))
                taken |= set(members)
    for name in names:
        if name not in taken:
            sources.append(Source(name, [name], (tuple(shapes[name]),), dtypes[name]))
    return sources, skipped


# -- matching ------------------------------------------------------------------------------------


def _fits(slot: Slot, source: Source) -> bool:
    return (slot.cell == source.cell and slot.tf1_shapes == source.shapes
            and slot.dtype == source.dtype)


def _why_missing(slot: Slot, sources: list, all_sources: list) -> str:
    if slot.cell == _RESET_AFTER:
        return ("Keras's GRU(reset_after=True), its default, is another cell than TF1's "
                "GRUCell: build the port with GRU(reset_after=False)")
    for s in all_sources:
        if _norm(s.key) == _norm(slot.key) and slot.cell == s.cell:
            if s.shapes != slot.tf1_shapes:
                return (f"shape: TF1 {s.key} is {' + '.join(map(_shape, s.shapes))}, this "
                        f"weight needs {' + '.join(map(_shape, slot.tf1_shapes))}")
            if s.dtype != slot.dtype:
                return f"dtype: TF1 {s.key} is {s.dtype}, this weight {slot.dtype}"
    for s in sources:
        if s.shapes == slot.tf1_shapes and s.dtype != slot.dtype:
            return f"dtype: TF1 {s.key} has the shape but is {s.dtype}, this weight {slot.dtype}"
    if slot.cell is not None:
        return (f"no source: no TF1 {slot.cell} left with variables "
                f"{' + '.join(map(_shape, slot.tf1_shapes))}")
    return f"no source: no TF1 variable left of shape {_shape(slot.tf1_shapes[0])}"


def _why_unused(source: Source, slots: list) -> str:
    for s in slots:
        if _norm(s.key) == _norm(source.key) and s.tf1_shapes != source.shapes:
            return (f"shape: Keras {s.key} needs {' + '.join(map(_shape, s.tf1_shapes))}")
    return "no counterpart in the Keras model"


def _ambiguity(slots: list, sources: list) -> str:
    shape = " + ".join(map(_shape, slots[0].tf1_shapes))
    return (f"Keras weights {', '.join(s.key for s in slots)} (shape {shape}) could each take "
            f"TF1 variable {' or '.join(s.key for s in sources)}")


def _ambiguous(groups: list) -> str:
    """One line: every ambiguous group, and a map file that would settle the first."""
    slots, sources = groups[0]
    example = ", ".join(f'"{k}": "{n}"' for k, n in
                        zip((s.keys[0] for s in slots[:2]), (s.names[0] for s in sources[:2])))
    return (f"{'; '.join(_ambiguity(*g) for g in groups)}; neither name nor order tells which: "
            f"write a map file {{{example}, ...}} (Keras weight path: TF1 variable name) and "
            f"pass it with --map FILE")


def _read_map(path: str) -> dict:
    try:
        with open(path, encoding="utf-8") as f:
            given = json.load(f)
    except FileNotFoundError:
        raise UserError(f"--map {path!r}: no such file") from None
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as e:
        raise UserError(f"--map {path!r} is not a JSON file ({type(e).__name__}: "
                        f"{' '.join(str(e).split())[:120]})") from None
    if not isinstance(given, dict) or not all(isinstance(k, str) and isinstance(v, str)
                                              for k, v in given.items()):
        raise UserError(f"--map {path!r}: expected one JSON object of strings, "
                        f'{{"keras weight path": "tf1 variable name", ...}}')
    return given


def match(slots: list[Slot], sources: list[Source], skipped=(), mapping: dict | None = None,
          shapes: dict | None = None, dtypes: dict | None = None) -> Match:
    """Which source fills which slot: the map, then names, then order and shape (module doc).
    Raises UserError where several sources could fill the same slots ambiguously."""
    result = Match(skipped=list(skipped))
    slots_left, sources_left = list(slots), list(sources)

    def pair(slot, source, how):
        result.pairs.append((slot, source, how))
        slots_left.remove(slot)
        if source in sources_left:
            sources_left.remove(source)

    if mapping:
        by_key = {}
        for slot in slots:
            for k in slot.keys:
                by_key[_norm(k)] = slot
        wanted = {}
        for k, name in mapping.items():
            slot = by_key.get(_norm(k))
            if slot is None:
                raise UserError(f"map file: {k!r} is not a weight of the Keras model (its weights: "
                                f"{', '.join(k for s in slots[:6] for k in s.keys[:3])}, ...)")
            if name not in (shapes or {}):
                raise UserError(f"map file: {k!r} -> {name!r}, which is not a TF1 variable here")
            wanted.setdefault(id(slot), (slot, {}))[1][k.rpartition("/")[2]] = name
        for slot, given in wanted.values():
            if slot.cell in CELLS:  # a recurrent layer takes its TF1 cell's variables, all
                cell = CELLS[slot.cell]
                scopes = {cell.scope_of(n) for n in given.values()} - {None}
                names = cell.members(next(iter(scopes))) if len(scopes) == 1 else []
                if not names or not all(n in shapes for n in names):
                    raise UserError(
                        f"map file: {cell.keras} {slot.key} takes the variables of one TF1 "
                        f"{slot.cell} ({', '.join(cell.variables)} under its scope); map "
                        f"{slot.key}/kernel to its {cell.variables[0]}, e.g. "
                        f'"{slot.key}/kernel": "rnn/{cell.scopes[0]}/{cell.variables[0]}"')
            else:
                names = [next(iter(given.values()))]
            source = next((s for s in sources if s.names == names), None) or Source(
                next(iter(scopes)) if slot.cell in CELLS else names[0], names,
                tuple(tuple(shapes[n]) for n in names), dtypes[names[0]],
                slot.cell if slot.cell in CELLS else None)
            if not _fits(slot, source):
                raise UserError(f"map file: {slot.key} <- {' + '.join(names)}: TF1 has "
                                f"{' + '.join(map(_shape, source.shapes))} {source.dtype}, the "
                                f"Keras weight needs {' + '.join(map(_shape, slot.tf1_shapes))} "
                                f"{slot.dtype}")
            taken = next((f"{s.key}" for s, src, how in result.pairs
                          if how == "map file" and set(src.names) & set(names)), None)
            if taken:
                raise UserError(f"map file: {' + '.join(names)} is given to both {taken} and "
                                f"{slot.key}; one TF1 variable fills one Keras weight")
            pair(slot, source, "map file")
            for s in [s for s in sources_left if set(s.names) & set(names)]:
                sources_left.remove(s)

    by_name = {_norm(s.key): s for s in sources_left}
    scopes = {s.key.partition("/")[0] for s in sources_left if "/" in s.key}
    if len(scopes) == 1 and all("/" in s.key for s in sources_left):
        # one scope around the whole TF1 program (`model/dense/kernel`): compared without it
        by_name.update({_norm(s.key.partition("/")[2]): s for s in sources_left})
    for slot in list(slots_left):
        source = by_name.get(_norm(slot.key))
        if source is not None and source in sources_left and _fits(slot, source):
            pair(slot, source, "name")

    messages = []
    for use_leaf in (True, False):  # leaf name and shape, then shape alone
        groups = {}
        for slot in slots_left:
            groups.setdefault((slot.leaf if use_leaf else "", slot.tf1_shapes, slot.dtype,
                               slot.cell), ([], []))[0].append(slot)
        for source in sources_left:
            key = (source.leaf if use_leaf else "", source.shapes, source.dtype, source.cell)
            if key in groups:
                groups[key][1].append(source)
        for group_slots, group_sources in groups.values():
            if not group_sources:
                continue
            if len(group_slots) == 1 and len(group_sources) == 1:
                pair(group_slots[0], group_sources[0], "only one of its shape")
            elif (len(group_slots) == len(group_sources)
                  and len({_stem(s.key) for s in group_sources}) == 1):
                ordered = sorted(group_sources, key=lambda s: _order(s.key))
                for slot, source in zip(sorted(group_slots, key=lambda s: s.index), ordered):
                    pair(slot, source, "order")
            elif not use_leaf:
                messages.append((group_slots, group_sources))
    for slot in slots_left:
        result.missing.append((slot, _why_missing(slot, sources_left, sources)))
    for source in sources_left:
        result.unused.append((source, _why_unused(source, slots)))
    if messages:
        raise Ambiguous(_ambiguous(messages), result)
    result.pairs.sort(key=lambda p: p[0].index)
    return result


class Ambiguous(UserError):
    """Several TF1 variables could fill the same Keras weights: a map file must say which."""

    def __init__(self, message, result: Match):
        super().__init__(message)
        self.result = result


# -- loading what the user names -----------------------------------------------------------------


def load_callable(ref: str, what: str):
    """`module:function` -> the function. A `path/to/file.py` module is imported as pytest's
    default ("prepend") does: its first folder upwards without an `__init__.py` goes first on
    `sys.path` and the module is imported by its dotted name from there; a dotted name is
    imported with the working directory first on `sys.path`, as `python -m` does."""
    module_name, sep, attr = ref.rpartition(":")
    if not sep or not module_name or not attr.isidentifier():
        raise UserError(f"{what} {ref!r}: expected module:function (or path/to/file.py:function)")
    if module_name.endswith(".py") or os.sep in module_name or "/" in module_name:
        path = os.path.abspath(module_name)
        if not os.path.isfile(path):
            raise UserError(f"{what} {ref!r}: no such file {module_name!r}")
        base, dotted = os.path.dirname(path), os.path.splitext(os.path.basename(path))[0]
        while os.path.isfile(os.path.join(base, "__init__.py")):
            base, dotted = os.path.dirname(base), f"{os.path.basename(base)}.{dotted}"
        module_name = dotted
    else:
        base = os.getcwd()
    if base not in sys.path:
        sys.path.insert(0, base)
    try:
        module = importlib.import_module(module_name)
    except ImportError as e:
        if e.name and module_name.startswith(e.name):
            raise UserError(f"{what} {ref!r}: cannot import module {module_name!r}") from None
        raise UserError(f"{what} {ref!r}: importing it failed ({type(e).__name__}: {e})") from None
    except Exception as e:  # the user's module: their mistake, said in one line
        raise UserError(f"{what} {ref!r}: importing it raised {type(e).__name__}: "
                        f"{' '.join(str(e).split())[:160]}") from None
    function = getattr(module, attr, None)
    if not callable(function):
        raise UserError(f"{what} {ref!r}: module {module_name!r} has no function {attr!r}")
    return function


def load_keras_model(ref: str):
    """A `.keras` file (safe mode) or `module:factory`, as a built Keras model."""
    import keras

    from tfmodels.convert import load_keras_file

    if ref.endswith(".keras"):
        return load_keras_file(ref, "give the model as module:factory instead")
    factory = load_callable(ref, "Keras model")
    keras.backend.clear_session()  # layers numbered dense, dense_1, ... as in a fresh process
    try:
        model = factory()
    except Exception as e:
        raise UserError(f"Keras model {ref!r} raised {type(e).__name__}: "
                        f"{' '.join(str(e).split())[:160]}") from None
    if not isinstance(model, keras.Model):
        raise UserError(f"Keras model {ref!r} returned {type(model).__name__}, not a Keras model")
    if not model.built or not model.weights:
        raise UserError(f"Keras model {ref!r} returned a model without weights; build it "
                        f"(keras.Input first) before returning it")
    return model


def _unreadable(source: str, e: Exception) -> UserError:
    first = (str(e).strip().splitlines() or [""])[0]
    return UserError(f"{source!r} is not a TF1 checkpoint ({type(e).__name__}: "
                     f"{' '.join(first.split())[:160]}); expected a Saver prefix (PREFIX.index, "
                     f"PREFIX.data-*) or a folder with a `checkpoint` file")


def read_checkpoint(source: str):
    """(reader, {name: shape}, {name: dtype}) of a TF1 checkpoint, read as tensors."""
    import tensorflow as tf

    if not os.path.exists(source) and not os.path.exists(source + ".index"):
        raise FileNotFoundError(f"{source!r}: no such checkpoint or file")
    try:
        reader = tf.train.load_checkpoint(source)
        shapes = reader.get_variable_to_shape_map()
        dtypes = {n: d.name for n, d in reader.get_variable_to_dtype_map().items()}
    except (tf.errors.OpError, ValueError, IndexError) as e:
        raise _unreadable(source, e) from None
    return reader, shapes, dtypes


def _allow(allow_missing, names: set, side: str) -> set:
    allowed = set()
    for item in allow_missing or ():
        allowed |= {a for a in item.split(",") if a}
    unknown = sorted(a for a in allowed if a not in names)
    if unknown:
        raise UserError(f"--allow-missing {unknown[0]}: not a {side} of the model")
    return allowed


def _nothing_written(count: int, what: str, other: str, names: list) -> UserError:
    """The refusal when `count` of one side's weights found nothing on the other side."""
    many = count > 1
    return UserError(f"{count} {what}{'s' * many} found no {other} ({', '.join(names)}; see the "
                     f"table); nothing written. Map {'them' if many else 'it'} with --map FILE, "
                     f"or keep {'their' if many else 'its'} initial value with --allow-missing "
                     f"{names[0]}")


def _target(target: str, formats) -> tuple[str, str]:
    from tfmodels.convert import _target_folder

    if formats and not target.endswith(formats):
        raise UserError(f"{target!r}: a Keras target must end in {' or '.join(formats)}")
    folder = _target_folder(target)
    return folder, os.path.basename(target)


# -- TF1 -> Keras --------------------------------------------------------------------------------


def tf1_to_keras(source: str, keras_model, target: str, mapping: str | dict | None = None,
                 allow_missing=(), forget_bias: float = 1.0, out=print):
    """Fill the Keras model (a model, `.keras` file or `module:factory`) from the TF1 checkpoint
    `source` and write it to `target` (`.keras` or `.weights.h5`); returns the `Match`. The table
    goes to `out` before anything is written; a Keras weight without a source is refused unless
    `allow_missing` names it (it keeps its initial value)."""
    import tensorflow as tf

    formats = (".keras", ".weights.h5")
    folder, name = _target(target, formats)
    reader, shapes, dtypes = read_checkpoint(source)
    model = load_keras_model(keras_model) if isinstance(keras_model, str) else keras_model
    slots = keras_slots(model)
    allowed = _allow(allow_missing, {k for s in slots for k in s.keys} | {s.key for s in slots},
                     "Keras weight")
    sources, skipped = tf1_sources(shapes, dtypes, {_norm(s.key) for s in slots})
    if isinstance(mapping, str):
        mapping = _read_map(mapping)
    try:
        result = match(slots, sources, skipped, mapping, shapes, dtypes)
    except Ambiguous as e:
        out(e.result.table())
        raise
    out(result.table(allowed=allowed))
    missing = [s for s, _ in result.missing if not ({s.key, *s.keys} & allowed)]
    if missing:
        raise _nothing_written(len(missing), "Keras weight", "TF1 variable",
                               [k for s in missing for k in s.keys])
    try:
        for slot, src, _ in result.pairs:
            values = [reader.get_tensor(n) for n in src.names]
            if slot.cell is not None:
                values = cell_to_keras(slot.cell, values, forget_bias)
            for variable, value in zip(slot.variables, values):
                variable.assign(np.asarray(value))
    except (tf.errors.OpError, ValueError, IndexError) as e:
        raise _unreadable(source, e) from None
    os.makedirs(folder, exist_ok=True)
    tmp = os.path.join(folder, f".tmp-{name}")  # written whole, then renamed into place
    (model.save if target.endswith(".keras") else model.save_weights)(tmp)
    os.replace(tmp, target)
    return result


# -- Keras -> TF1 --------------------------------------------------------------------------------


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
                            f"{' '.join(str(e).split())[:160]}") from None
        variables = {v.op.name: v for v in tf.compat.v1.global_variables()}
    if not variables:
        raise UserError(f"TF1 graph {build!r} made no variables (tf.compat.v1.global_variables() "
                        f"is empty after calling it)")
    return graph, variables


def keras_to_tf1(source: str, target: str, graph=None, mapping: str | dict | None = None,
                 keras_model=None, allow_missing=(), forget_bias: float = 1.0, out=print):
    """Write the weights of a Keras model as a TF1 `Saver` checkpoint at prefix `target`.

    The model is `source` (a `.keras` file, or a model), or `keras_model` (`module:factory`)
    filled from the `.weights.h5` file `source`. The TF1 names come from `graph`, a function
    (`module:build`) making the TF1 program's variables in a fresh graph: matched to the Keras
    weights as in `tf1_to_keras`, every variable of it must find a Keras weight (or be named in
    `allow_missing`, keeping its initializer's value), optimizer slots are saved at their initial
    values, so the program's own `Saver` restores the file. Without `graph`, the map file alone
    names them: each Keras weight it names is saved under its TF1 name, nothing else."""
    import tensorflow as tf

    if graph is None and not mapping:
        raise UserError("the TF1 names come from a TF1 graph (--tf1-graph module:build) or a map "
                        "file (--map FILE); give one")
    if keras_model is not None:
        if not source.endswith(".weights.h5"):
            raise UserError(f"{source!r}: with --keras-model the source is a .weights.h5 file")
        if not os.path.exists(source):
            raise FileNotFoundError(f"{source!r}: no such file")
        model = load_keras_model(keras_model) if isinstance(keras_model, str) else keras_model
        try:
            model.load_weights(source)
        except (OSError, KeyError, ValueError, TypeError) as e:
            raise UserError(f"cannot load {source!r} into {keras_model!r} ({type(e).__name__}: "
                            f"{' '.join(str(e).split())[:160]})") from None
    elif isinstance(source, str):
        if not source.endswith(".keras"):
            raise UserError(f"{source!r}: a Keras source is a .keras file, or a .weights.h5 "
                            f"file with --keras-model module:factory")
        model = load_keras_model(source)
    else:
        model = source
    folder, name = _target(target, ())
    if isinstance(mapping, str):
        mapping = _read_map(mapping)
    slots = keras_slots(model)
    if graph is not None:
        g, variables = graph_variables(graph)
        shapes = {n: tuple(v.shape) for n, v in variables.items()}
        dtypes = {n: v.dtype.base_dtype.name for n, v in variables.items()}
    else:  # the map's names, with the shapes and dtypes the Keras weights give them
        g, variables, shapes, dtypes = tf.Graph(), None, {}, {}
        given = {_norm(k): v for k, v in mapping.items()}
        for slot in slots:
            for k in slot.keys:
                if _norm(k) in given:
                    tf1_name = given[_norm(k)]
                    if slot.cell in CELLS:  # the map names one of the cell's: name them all
                        scope = CELLS[slot.cell].scope_of(tf1_name)  # (None: match() says so)
                        members = CELLS[slot.cell].members(scope) if scope else []
                        for member, tf1_shape in zip(members, slot.tf1_shapes):
                            shapes[member], dtypes[member] = tf1_shape, slot.dtype
                    else:
                        shapes[tf1_name], dtypes[tf1_name] = slot.tf1_shapes[0], slot.dtype
        slots_named = {_norm(k) for s in slots for k in s.keys}
        unknown = [k for k in mapping if _norm(k) not in slots_named]
        if unknown:
            raise UserError(f"map file: {unknown[0]!r} is not a weight of the Keras model")
    sources, skipped = tf1_sources(shapes, dtypes, {_norm(s.key) for s in slots})
    try:
        result = match(slots, sources, skipped, mapping, shapes, dtypes)
    except Ambiguous as e:
        out(e.result.table(arrow="->"))
        raise
    if graph is None:  # only what the map names is written
        result.missing = []
    allowed = _allow(allow_missing, set(shapes), "TF1 variable")
    out(result.table(arrow="->", allowed=allowed))
    missing = [s for s, _ in result.unused if not set(s.names) <= allowed]
    if missing:
        raise _nothing_written(len(missing), "TF1 variable", "Keras weight",
                               [n for s in missing for n in s.names])
    values = {}
    for slot, src, _ in result.pairs:
        arrays = [np.asarray(v.numpy()) for v in slot.variables]
        if slot.cell is not None:
            arrays = cell_from_keras(slot.cell, arrays, forget_bias)
        values.update(zip(src.names, arrays))
    os.makedirs(folder, exist_ok=True)
    tmp = f".tmp-{name}"
    with g.as_default():
        if variables is None:
            variables = {n: tf.compat.v1.get_variable(n, shapes[n], dtypes[n]) for n in values}
        loads = {n: tf.compat.v1.placeholder(variables[n].dtype.base_dtype, shapes[n])
                 for n in values}
        assigns = [variables[n].assign(p) for n, p in loads.items()]
        saver = tf.compat.v1.train.Saver(list(variables.values()))
        with tf.compat.v1.Session(graph=g) as session:
            session.run(tf.compat.v1.global_variables_initializer())
            session.run(assigns, {loads[n]: values[n] for n in loads})
            saver.save(session, os.path.join(folder, tmp), write_meta_graph=False,
                       write_state=False)
    for file in os.listdir(folder):  # renamed into place once whole, the .index last
        if file.startswith(tmp + ".") and not file.endswith(".index"):
            os.replace(os.path.join(folder, file), os.path.join(folder, name + file[len(tmp):]))
    os.replace(os.path.join(folder, tmp + ".index"), os.path.join(folder, name + ".index"))
    return result
