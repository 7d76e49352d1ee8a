"""Which TF1 variable fills which Keras 3 weight: derived, or given by a map file.

    from tfmodels.migration.matching import keras_slots, match, tf1_sources
    result = match(keras_slots(model), *tf1_sources(shapes, dtypes))
    print(result.table())

Every conversion and every check of the kit pairs weights here: `tfmodels convert` and
`tfmodels verify` of any model (`tfmodels.migration.conversion`, `.equivalence`). It knows
nothing of the models: it *derives* which TF1 variable fills which Keras weight, from the names,
the order of layers and variables, and the shapes:

1. a map file (JSON `{"keras weight path": "tf1 variable name"}`) decides first; then a known
   layout (`tfmodels.migration.known_layouts`: google-research/bert into KerasHub's
   `BertBackbone`, openai/gpt-2 into `GPT2Backbone`) where it names every Keras weight left and
   every TF1 variable it names is there, each pair's reshape or split derived as in step 5;
2. names: a Keras weight `dense_1/kernel` (its `path`, the model's own name left off) takes the
   TF1 variable `dense_1/kernel` (lower case, `:0` left off; a scope around every TF1 variable,
   `model/dense_1/kernel`, left off too), if the shapes agree;
3. order: the Keras weights left with one leaf name (`kernel`, `bias`, `gamma`, `beta`,
   `moving_mean`, `moving_variance`, ...) and one shape take the TF1 variables left with that leaf
   and shape, in order: the Keras model's layer order, TF1's numbering (`dense`, `dense_1`,
   `dense_2`, ...; names are compared with their numbers as numbers). A single candidate needs no
   order; several need names that differ only in their numbers, and as many on either side;
4. the same by shape alone, for TF1 variables named freely (`W1`, `b1`, `W2`, ...);
5. transforms (`tfmodels.migration.transforms`) where the shapes leave one reading: a TF1
   variable of another shape whose leading size-1 axes squeezed and adjacent axes merged or split
   give the weight's (BERT's `(hidden, hidden)` query kernel for `MultiHeadAttention`'s
   `(hidden, heads, head_dim)`), by the last two parts of the name, else the only one of its
   size; one TF1 variable split into the weights of one layer, leaf and shape, in model order
   (GPT-2's `c_attn/w` into query, key and value). Two readings are refused naming both; steps
   3 to 5 run again while either pairs something. A map file entry may give a transform
   itself: `{"keras/path": {"from": "tf1/name", "reshape": [32, 4, 8]}}`.

A Keras `LSTM` takes a TF1 `LSTMCell`'s two variables (`<scope>/lstm_cell/kernel` over `[x, h]`
and `bias`) as one: the kernel is split into Keras's `kernel` and `recurrent_kernel`, the gates go
from TF1's order i, c, f, o to Keras's i, f, c, o and the cell's `forget_bias` (not stored by TF1;
1.0 unless given) moves into the bias (`tf1_compat.rnn.lstm_to_keras`; the values move through
the same transforms as any other pair, `transforms.cell_transforms`, `keras_values`,
`tf1_values`). Likewise a `GRU` built
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
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field

import numpy as np

from tf1_compat.layouts import CELLS
from tfmodels.core.checks import check_regular_file
from tfmodels.core.errors import UserError, folded
from tfmodels.core.table import table
from tfmodels.migration.known_layouts import layout_names
from tfmodels.migration.transforms import (
    Misfit,
    Transform,
    cell_transforms,
    invert,
    regroups,
    shape_text,
)

__all__ = ["Ambiguous", "Match", "Slot", "Source", "keras_slots", "keras_values", "match",
           "normalized", "pair_transforms", "read_map", "skipped_reason", "sourced", "tf1_sources",
           "tf1_values"]

# TF1 optimizers' slot variables (`<var>/Adam`, `<var>/Adam_1`, ...) and their counters.
_SLOT = re.compile(r"/(Adam|Adam_\d+|Momentum|RMSProp|RMSProp_\d+|Adagrad|Adadelta|Adadelta_\d+|"
                   r"Ftrl|Ftrl_\d+|AdagradDA|AdagradDA_\d+|Nadam|Nadam_\d+|Adamax|Adamax_\d+|"
                   r"ExponentialMovingAverage)$")
_COUNTERS = re.compile(r"(^|/)(beta1_power|beta2_power|global_step)(_\d+)?$")


_RESET_AFTER = "gru_reset_after"  # a Keras GRU no TF1 cell computes
# TF1's bidirectional_dynamic_rnn scopes (`.../fw/...`, `.../bw/...`); Keras's Bidirectional
# names its layers forward_<layer> and backward_<layer>.
_DIRECTION = re.compile(r"(^|/)(fw|bw|forward_[^/]*|backward_[^/]*)(?=/|$)")


def _direction(match) -> str:
    return f"{match[1]}{'0' if match[2].startswith(('fw', 'forward_')) else '1'}dir"


def skipped_reason(name: str) -> str | None:
    """Why a TF1 variable is not a weight of the model, or None if it is one."""
    if _SLOT.search(name):
        return "optimizer slot"
    if _COUNTERS.search(name):
        return "optimizer counter" if "power" in name else "step counter"
    if name.endswith("/seed_counter"):
        return "dropout seed counter"
    return None


def sourced(text: str, other: str) -> str:
    """A message of the pairing about TF1 variables said of another source (`Keras 2 weight`):
    the pairing is one, its sources differ."""
    return text.replace("TF1 variable", other).replace("TF1 ", other.rpartition(" ")[0] + " ")


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


def normalized(name: str) -> str:
    """A name as the matching compares it: lower case, without TensorFlow's `:0`."""
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
    transform: Transform | None = None  # how the variables become the weight (None: as is)

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

    def table(self, arrow: str = "<-", allowed=frozenset(), other: str = "TF1 variable") -> str:
        """The pairs, then what was left on either side and why; `other`: the source's kind."""
        rows = [["Keras weight", "", other, "shape", "how"]]
        said = (lambda why: why) if other == "TF1 variable" else (lambda why: sourced(why, other))
        for slot, source, how in self.pairs:
            if slot.cell is not None:
                rows.append([slot.label, arrow, " + ".join(source.names),
                             " + ".join(_shape(s) for s in source.shapes),
                             f"{how}; {CELLS[slot.cell].note}"])
            elif source.transform is not None:
                rows.append([slot.key, arrow, " + ".join(source.names),
                             " + ".join(_shape(s) for s in source.shapes),
                             f"{how}; {source.transform.describe()}"])
            else:
                rows.append([slot.key, arrow, source.key, _shape(source.shapes[0]), how])
        for slot, why in self.missing:
            why = said(why)
            if {slot.key, *slot.keys} & allowed:
                why += "; allow_missing: keeps its initial value"
            rows.append([slot.label, arrow, "(nothing)",
                         " + ".join(_shape(s) for s in slot.tf1_shapes), why])
        for source, why in self.unused:
            why = said(why)
            if set(source.names) <= allowed:
                why += "; allow_missing: keeps its initial value"
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


def keras_slots(model, cells: bool = True) -> list[Slot]:
    """The Keras model's weights to fill, in model order; a recurrent layer's three as its TF1
    cell's (`CELLS`), unless `cells=False` (a Keras 2 source holds them as Keras 3 does)."""
    import keras

    prefix = model.name + "/"

    def key(path):
        return path[len(prefix):] if path.startswith(prefix) else path

    kinds = {getattr(keras.layers, c.keras): name for name, c in CELLS.items()}
    slots = []
    for layer in _layers(model):
        cell = kinds.get(type(layer)) if cells else None
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


def tf1_sources(shapes: dict, dtypes: dict, whole=frozenset(),
                cells: bool = True) -> tuple[list[Source], list]:
    """The TF1 variables `{name: shape}` as sources (an LSTM cell's two as one, unless `whole`,
    the Keras weights' keys, names both: a TF1StyleLayer holds them as they are; or `cells` is
    False: a Keras 2 file's weights, each its own), and the skipped."""
    skipped, names = [], []
    for name in sorted(shapes, key=_natural):
        why = skipped_reason(name)
        if why:
            skipped.append((name, tuple(shapes[name]), why))
        else:
            names.append(name)
    sources, taken = [], set()
    for name in names if cells else ():
        for cell_name, cell in CELLS.items():
            scope = cell.scope_of(name, first=True)
            if scope is None or scope.rpartition("/")[2] not in cell.scopes:
                continue
            members = cell.members(scope)
            if (all(m in shapes and m not in taken for m in members)
                    and not {normalized(m) for m in members} <= whole):
                sources.append(Source(scope, members, tuple(tuple(shapes[m]) for m in members),
                                      dtypes[name], cell=cell_name))
                taken |= set(members)
    for name in names:
        if name not in taken:
            sources.append(Source(name, [name], (tuple(shapes[name]),), dtypes[name]))
    return sources, skipped


# -- matching ------------------------------------------------------------------------------------


def _fits(slot: Slot, source: Source) -> bool:
    if source.transform is not None:
        return (slot.cell is None and source.cell is None and slot.dtype == source.dtype
                and source.transform.shape(source.shapes) == slot.tf1_shapes[0])
    return (slot.cell == source.cell and slot.tf1_shapes == source.shapes
            and slot.dtype == source.dtype)


def _why_missing(slot: Slot, sources: list, all_sources: list) -> str:
    if slot.cell == _RESET_AFTER:
        return ("Keras's GRU(reset_after=True), its default, is another cell than TF1's "
                "GRUCell: build the port with GRU(reset_after=False)")
    for s in all_sources:
        if normalized(s.key) == normalized(slot.key) and slot.cell == s.cell:
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
        if normalized(s.key) == normalized(source.key) and s.tf1_shapes != source.shapes:
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
            f"pass it with mapping=FILE")


def read_map(path: str) -> dict:
    """A map file: `{"keras weight path": "tf1 variable name" or a transform}`, checked
    (`tfmodels.migration.transforms`)."""
    check_regular_file(path, "mapping")  # a named pipe would be waited on forever
    try:
        with open(path, encoding="utf-8") as f:
            given = json.load(f)
    except FileNotFoundError:
        raise UserError(f"mapping={path!r}: no such file") from None
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as e:
        raise UserError(f"mapping={path!r} is not a JSON file ({type(e).__name__}: "
                        f"{folded(e, 120)})") from None
    if not isinstance(given, dict) or not all(isinstance(k, str) for k in given):
        raise UserError(f"mapping={path!r}: expected one JSON object of strings (or "
                        f"transforms, tfmodels.migration.transforms), "
                        f'{{"keras weight path": "tf1 variable name", ...}}')
    for k, v in given.items():
        Transform.parse(k, v)  # a mistake in an entry is one line here
    return given


class _Pairing:
    """The slots and sources left, and the pairs made so far."""

    def __init__(self, slots, sources, skipped):
        self.result = Match(skipped=list(skipped))
        self.slots_left, self.sources_left = list(slots), list(sources)

    def pair(self, slot, source, how):
        self.result.pairs.append((slot, source, how))
        self.slots_left.remove(slot)
        if source in self.sources_left:
            self.sources_left.remove(source)


def _mapped_names(slot, given: dict, shapes: dict) -> list:
    """The TF1 names a map file gives `slot`: one, or its whole cell's."""
    if slot.cell not in CELLS:
        return [next(iter(given.values()))]
    cell = CELLS[slot.cell]  # a recurrent layer takes its TF1 cell's variables, all
    scopes = {cell.scope_of(n) for n in given.values()} - {None}
    names = cell.members(next(iter(scopes))) if len(scopes) == 1 else []
    if not names or not all(n in shapes for n in names):
        raise UserError(
            f"map file: {cell.keras} {slot.key} takes the variables of one TF1 "
            f"{slot.cell} ({', '.join(cell.variables)} under its scope); map "
            f"{slot.key}/kernel to its {cell.variables[0]}, e.g. "
            f'"{slot.key}/kernel": "rnn/{cell.scopes[0]}/{cell.variables[0]}"')
    return names


def _by_map(state: _Pairing, slots, sources, mapping: dict, shapes: dict, dtypes: dict):
    """Step 1: what the map file says, each pair checked."""
    by_key = {normalized(k): slot for slot in slots for k in slot.keys}
    parsed = {k: Transform.parse(k, v) for k, v in mapping.items()}
    _by_map_transforms(state, {k: t for k, t in parsed.items() if not t.plain}, by_key,
                       shapes, dtypes)
    wanted = {}
    for k, name in ((k, t.sources[0]) for k, t in parsed.items() if t.plain):
        slot = by_key.get(normalized(k))
        if slot is None:
            raise UserError(f"map file: {k!r} is not a weight of the Keras model (its weights: "
                            f"{', '.join(k for s in slots[:6] for k in s.keys[:3])}, ...)")
        if name not in (shapes or {}):
            raise UserError(f"map file: {k!r} -> {name!r}, which is not a TF1 variable here")
        wanted.setdefault(id(slot), (slot, {}))[1][k.rpartition("/")[2]] = name
    for slot, given in wanted.values():
        names = _mapped_names(slot, given, shapes)
        cell = slot.cell if slot.cell in CELLS else None
        source = next((s for s in sources if s.names == names), None) or Source(
            CELLS[cell].scope_of(names[0]) if cell else names[0], names,
            tuple(tuple(shapes[n]) for n in names), dtypes[names[0]], cell)
        if not _fits(slot, source):
            raise UserError(f"map file: {slot.key} <- {' + '.join(names)}: TF1 has "
                            f"{' + '.join(map(_shape, source.shapes))} {source.dtype}, the "
                            f"Keras weight needs {' + '.join(map(_shape, slot.tf1_shapes))} "
                            f"{slot.dtype}")
        taken = next((f"{s.key}" for s, src, how in state.result.pairs
                      if how == "map file" and set(src.names) & set(names)), None)
        if taken:
            raise UserError(f"map file: {' + '.join(names)} is given to both {taken} and "
                            f"{slot.key}; one TF1 variable fills one Keras weight")
        state.pair(slot, source, "map file")
        for s in [s for s in state.sources_left if set(s.names) & set(names)]:
            state.sources_left.remove(s)


def _both_split(a: Source, b: Source) -> bool:
    """Whether two sources reading one TF1 variable each take a part of it (a split)."""
    return all(s.transform is not None and s.transform.split is not None for s in (a, b))


def _by_map_transforms(state: _Pairing, given: dict, by_key, shapes, dtypes):
    """Step 1 for the map's transform entries: each checked to fit, one line where not."""
    for k, transform in given.items():
        slot = by_key.get(normalized(k))
        if slot is None or slot.cell is not None:
            why = "is a recurrent layer's" if slot else "is not a"
            raise UserError(f"map file: {k!r} {why} weight of the Keras model; a transform "
                            f"fills one weight")
        names = transform.sources
        unknown = [n for n in names if n not in (shapes or {})]
        if unknown:
            raise UserError(f"map file: {k!r} <- {unknown[0]!r}, which is not a TF1 variable "
                            f"here")
        source = Source(names[0], names, tuple(tuple(shapes[n]) for n in names),
                        dtypes[names[0]], transform=transform)
        tf1 = " + ".join(f"{n} {_shape(s)}" for n, s in zip(names, source.shapes))
        try:
            shape = transform.shape(source.shapes)
        except Misfit as e:
            raise UserError(f"map file: Keras {slot.key} {_shape(slot.tf1_shapes[0])} <- TF1 "
                            f"{tf1}: {e}") from None
        if shape != slot.tf1_shapes[0] or source.dtype != slot.dtype:
            raise UserError(f"map file: Keras {slot.key} needs {_shape(slot.tf1_shapes[0])} "
                            f"{slot.dtype}; TF1 {tf1} through {transform.describe()} gives "
                            f"{_shape(shape)} {source.dtype}")
        taken = next((s.key for s, src, _ in state.result.pairs
                      if set(src.names) & set(names) and not _both_split(src, source)), None)
        if taken:
            raise UserError(f"map file: {' + '.join(names)} is given to both {taken} and "
                            f"{slot.key}; one TF1 variable fills several Keras weights only "
                            f"through a split")
        state.pair(slot, source, "map file")
        for s in [s for s in state.sources_left if set(s.names) & set(names)]:
            state.sources_left.remove(s)


def _by_name(state: _Pairing) -> None:
    """Step 2: equal names (a scope around the whole TF1 program left off)."""
    by_name = {normalized(s.key): s for s in state.sources_left}
    scopes = {s.key.partition("/")[0] for s in state.sources_left if "/" in s.key}
    if len(scopes) == 1 and all("/" in s.key for s in state.sources_left):
        by_name.update({normalized(s.key.partition("/")[2]): s for s in state.sources_left})
    for slot in list(state.slots_left):
        source = by_name.get(normalized(slot.key))
        if source is not None and source in state.sources_left and _fits(slot, source):
            state.pair(slot, source, "name")


def _by_order(state: _Pairing) -> list:
    """Steps 3 and 4: by leaf name and shape in order, then by shape alone; returns the groups
    that nothing tells apart."""
    ambiguous = []
    for use_leaf in (True, False):
        groups = {}
        for slot in state.slots_left:
            groups.setdefault((slot.leaf if use_leaf else "", slot.tf1_shapes, slot.dtype,
                               slot.cell), ([], []))[0].append(slot)
        for source in state.sources_left:
            key = (source.leaf if use_leaf else "", source.shapes, source.dtype, source.cell)
            if key in groups:
                groups[key][1].append(source)
        for group_slots, group_sources in groups.values():
            if not group_sources:
                continue
            if len(group_slots) == 1 and len(group_sources) == 1:
                state.pair(group_slots[0], group_sources[0], "only one of its shape")
            elif (len(group_slots) == len(group_sources)
                  and len({_stem(s.key) for s in group_sources}) == 1):
                ordered = sorted(group_sources, key=lambda s: _order(s.key))
                for slot, source in zip(sorted(group_slots, key=lambda s: s.index), ordered):
                    state.pair(slot, source, "order")
            elif not use_leaf:
                ambiguous.append((group_slots, group_sources))
    return ambiguous


# -- step 5: transforms the shapes leave one reading of (`tfmodels.migration.transforms`) --------


def _squeezed(shape: tuple, target: tuple) -> tuple:
    """(steps, shape): the TF1 shape's leading size-1 axes squeezed, unless `target` keeps them."""
    steps = []
    while len(shape) > 1 and shape[0] == 1 and target[:1] != (1,):
        steps.append(("squeeze", 0))
        shape = shape[1:]
    return steps, shape


def _reshape_to(source: Source, shape: tuple) -> Transform | None:
    """The transform from one TF1 variable to a weight of `shape` by squeeze and a reshape that
    only merges or splits adjacent axes; None where there is none."""
    steps, squeezed = _squeezed(source.shapes[0], shape)
    if squeezed != shape:
        if not regroups(squeezed, shape):
            return None
        steps.append(("reshape", list(shape)))
    return Transform(source.names, steps) if steps else None


def _tail(name: str) -> str:
    return "/".join(normalized(name).split("/")[-2:])


def _plain(state: _Pairing):
    return ([s for s in state.slots_left if s.cell is None],
            [s for s in state.sources_left if s.cell is None and len(s.names) == 1])


def _by_reshape(state: _Pairing) -> list:
    """A TF1 variable whose values fit one weight by squeeze/reshape: by the last two parts of
    the name (`query/kernel`), else the only one of its size; returns what stays ambiguous."""
    slots, sources = _plain(state)
    options = {id(slot): [(src, t) for src in sources if src.dtype == slot.dtype
                          for t in [_reshape_to(src, slot.tf1_shapes[0])] if t]
               for slot in slots}
    takers = {}
    for slot in slots:
        for src, _ in options[id(slot)]:
            takers.setdefault(id(src), []).append(slot)
    ambiguous = []
    for slot in slots:
        named = [(s, t) for s, t in options[id(slot)] if _tail(s.key) == _tail(slot.key)]
        chosen = named if len(named) == 1 else options[id(slot)]
        if len(chosen) == 1 and (named or len(takers[id(chosen[0][0])]) == 1):
            src, t = chosen[0]
            if src in state.sources_left:
                state.pair(slot, Source(src.key, src.names, src.shapes, src.dtype,
                                        transform=t), "name" if named else "only one of its size")
                state.sources_left.remove(src)
        elif len(chosen) > 1:
            ambiguous.append(f"Keras weight {slot.key} {_shape(slot.tf1_shapes[0])} could take "
                             f"TF1 {' or '.join(s.key for s, _ in chosen)} "
                             f"({' or '.join(shape_text(s.shapes[0]) for s, _ in chosen)})")
    for src in [s for s in sources if s in state.sources_left]:
        left = [t for t in takers.get(id(src), ()) if t in state.slots_left
                and len(options[id(t)]) == 1]
        if len(left) > 1:
            ambiguous.append(f"TF1 {src.key} {_shape(src.shapes[0])} could fill Keras "
                             f"{' or '.join(t.key for t in left)}")
    return ambiguous


def _split_axes(shape: tuple, parts: int, target: tuple) -> list:
    """The axes along which `shape` splits into `parts` that each reshape to `target`."""
    axes = []
    for axis, size in enumerate(shape):
        if size % parts == 0:
            part = shape[:axis] + (size // parts,) + shape[axis + 1:]
            if part == target or regroups(part, target):
                axes.append(axis - len(shape))
    return axes


def _split_groups(slots) -> dict:
    """The weights that one fused TF1 variable could fill: of one layer, one leaf and shape."""
    groups = {}
    for slot in slots:
        layer = slot.key.rsplit("/", 2)[0]
        groups.setdefault((layer, slot.leaf, slot.tf1_shapes[0], slot.dtype), []).append(slot)
    return {k: sorted(g, key=lambda s: s.index) for k, g in groups.items() if len(g) > 1}


def _split_options(slots, sources):
    """({source id: [(source, group, squeeze steps, axis)]}, what has two readings)."""
    found, ambiguous = {}, []
    for src in sources:
        for group in _split_groups(slots).values():
            shape = group[0].tf1_shapes[0]
            steps, squeezed = _squeezed(src.shapes[0], shape)
            if (src.dtype != group[0].dtype
                    or int(np.prod(squeezed)) != len(group) * int(np.prod(shape))):
                continue
            axes = _split_axes(squeezed, len(group), shape)
            if len(axes) > 1:
                ambiguous.append(f"TF1 {src.key} {_shape(src.shapes[0])} could fill Keras "
                                 f"{', '.join(s.key for s in group)} split along axis "
                                 f"{' or axis '.join(map(str, axes))}")
            elif axes:
                found.setdefault(id(src), []).append((src, group, steps, axes[0]))
    return found, ambiguous


def _by_split(state: _Pairing) -> list:
    """A TF1 variable holding several weights side by side (GPT-2's `c_attn/w`, query, key and
    value): squeezed, split in the weights' model order, each part reshaped."""
    found, ambiguous = _split_options(*_plain(state))
    for options in found.values():
        src, group, _, axis = options[0]
        rivals = [o for f in found.values() for o in f if o[1] is group]
        if len(options) > 1 or len(rivals) > 1:
            ambiguous.append(f"TF1 {' or '.join(o[0].key for o in rivals)} could fill Keras "
                             f"{' or '.join(', '.join(s.key for s in o[1]) for o in options)}")
            continue
        for index, slot in enumerate(group):
            t = _split_transform(src, slot.tf1_shapes[0], axis, len(group), index)
            state.pair(slot, Source(src.key, src.names, src.shapes, src.dtype, transform=t),
                       "split in model order")
        state.sources_left.remove(src)
    return ambiguous


def _split_transform(src: Source, shape: tuple, axis: int, parts: int, index: int) -> Transform:
    """Part `index` of `parts` of `src` along `axis` (after its leading size-1 axes are squeezed),
    reshaped to the weight's `shape` where the part has another."""
    steps, squeezed = _squeezed(src.shapes[0], shape)
    a = axis % len(squeezed)
    part = squeezed[:a] + (squeezed[a] // parts,) + squeezed[a + 1:]
    t = Transform(src.names, steps + [("split", {"axis": axis, "parts": parts, "index": index})])
    if part != shape:
        t.steps.append(("reshape", list(shape)))
    return t


# -- step 1b: a known layout (`tfmodels.migration.known_layouts`) --------------------------------


def _layout_transform(slot: Slot, src: Source, split) -> Transform | None:
    """How the TF1 variable the layout names becomes `slot`'s weight: as it is, squeezed and
    reshaped, or part `split` = (index, parts) along its last axis; Misfit where none fits."""
    shape = slot.tf1_shapes[0]
    if src.dtype != slot.dtype:
        raise Misfit(f"TF1 is {src.dtype}, the weight {slot.dtype}")
    if split is None:
        if src.shapes[0] == shape:
            return None
        t = _reshape_to(src, shape)
    else:
        index, parts = split
        squeezed = _squeezed(src.shapes[0], shape)[1]
        part = squeezed[:-1] + (squeezed[-1] // parts,)
        fits = squeezed[-1] % parts == 0 and (part == shape or regroups(part, shape))
        t = _split_transform(src, shape, -1, parts, index) if fits else None
    if t is None:
        what = f"part {split[0] + 1} of {split[1]} along the last axis" if split else "it"
        raise Misfit(f"no squeeze or reshape of {what} gives {_shape(shape)}")
    return t


def _by_layout(state: _Pairing) -> None:
    """Step 1b: a known layout that names every Keras weight left, with TF1 names all here."""
    slots = [s for s in state.slots_left if s.cell is None]
    sources = {normalized(s.key): s for s in state.sources_left
               if s.cell is None and len(s.names) == 1}
    if len(slots) != len(state.slots_left):
        return
    found = layout_names([normalized(s.key) for s in slots], sources)
    if found is None:
        return
    label, named = found
    how = f"known layout ({label.split()[1]})"
    used = set()
    for slot in slots:
        name, split = named[normalized(slot.key)]
        src = sources[name]
        try:
            t = _layout_transform(slot, src, split)
        except Misfit as e:
            raise UserError(f"{label}: Keras {slot.key} {_shape(slot.tf1_shapes[0])} <- TF1 "
                            f"{src.key} {_shape(src.shapes[0])}: {e}") from None
        state.pair(slot, Source(src.key, src.names, src.shapes, src.dtype, transform=t)
                   if t else src, how)
        used.add(name)
    state.sources_left = [s for s in state.sources_left if normalized(s.key) not in used]


def _by_transform(state: _Pairing) -> list:
    """Step 5: reshape and split, again while either pairs something; what stays ambiguous."""
    while True:
        before = len(state.slots_left)
        ambiguous = _by_reshape(state) + _by_split(state)
        if len(state.slots_left) == before or not state.slots_left:
            return ambiguous


def match(slots: list[Slot], sources: list[Source], skipped=(), mapping: dict | None = None,
          shapes: dict | None = None, dtypes: dict | None = None) -> Match:
    """Which source fills which slot: the map, then names, then order and shape (module doc).
    Raises `Ambiguous` where several sources could fill the same slots and nothing tells."""
    state = _Pairing(slots, sources, skipped)
    if mapping:
        _by_map(state, slots, sources, mapping, shapes, dtypes)
    _by_layout(state)
    _by_name(state)
    while True:  # a transform that pairs some leaves fewer for order and shape, and again
        before = len(state.slots_left)
        ambiguous = _by_order(state)
        transforms_ambiguous = _by_transform(state)
        if len(state.slots_left) == before:
            break
    result = state.result
    for slot in state.slots_left:
        result.missing.append((slot, _why_missing(slot, state.sources_left, sources)))
    for source in state.sources_left:
        result.unused.append((source, _why_unused(source, slots)))
    if ambiguous:
        raise Ambiguous(_ambiguous(ambiguous), result)
    if transforms_ambiguous:
        raise Ambiguous(f"{'; '.join(transforms_ambiguous)}; the shapes leave more than one "
                        f"reading: write a map file (Keras weight path: TF1 variable name or "
                        f"transform) and pass it with mapping=FILE", result)
    result.pairs.sort(key=lambda p: p[0].index)
    return result


class Ambiguous(UserError):
    """Several TF1 variables could fill the same Keras weights: a map file must say which."""

    def __init__(self, message, result: Match):
        super().__init__(message)
        self.result = result




# -- moving the values of a pair, either way -----------------------------------------------------


def pair_transforms(slot: Slot, source: Source, forget_bias: float = 1.0) -> list:
    """One Transform per Keras variable of `slot`: a recurrent cell's layout rules
    (`transforms.cell_transforms`), the pair's own transform, or the TF1 variable as it is."""
    if slot.cell is not None:
        kernel = slot.variables[0]
        units = int(slot.variables[1].shape[0])
        return cell_transforms(slot.cell, CELLS[slot.cell].scope_of(source.names[0]),
                               int(kernel.shape[0]), units, forget_bias)
    return [source.transform or Transform(source.names[0])]


def keras_values(slot: Slot, source: Source, arrays, forget_bias: float = 1.0,
                 gradients: bool = False) -> list:
    """The values of `slot`'s Keras variables from the TF1 `arrays` of `source.names` (with
    `gradients`, the arrays are gradients: the transforms' constants left out)."""
    named = dict(zip(source.names, arrays))
    return [(t.linear() if gradients else t).apply([named[n] for n in t.sources])
            for t in pair_transforms(slot, source, forget_bias)]


def tf1_values(pairs, shapes: dict, forget_bias: float = 1.0) -> dict:
    """`{TF1 name: value}` from the Keras variables of `pairs` (a `Match`'s), every transform
    inverted; a split's parts joined (`transforms.invert`)."""
    import numpy as np

    groups = {}
    for slot, source, _ in pairs:
        for t, v in zip(pair_transforms(slot, source, forget_bias), slot.variables):
            groups.setdefault(tuple(t.sources), []).append((t, np.asarray(v.numpy())))
    values = {}
    for names, group in groups.items():
        values.update(invert(group, [tuple(shapes[n]) for n in names]))
    return values
