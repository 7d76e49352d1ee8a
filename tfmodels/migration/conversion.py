"""Weights between TF1 `Saver` checkpoints and Keras 3 models, in both directions.

    from tfmodels.migration import tf1_to_keras, keras_to_tf1, convert
    tf1_to_keras("old/model.ckpt-1000", "my_models:build", "new.keras")   # prints the table
    keras_to_tf1("new.keras", "back/model.ckpt", graph="my_tf1:build")
    convert("ckpt/", "model.keras", "tf1", "keras")     # a checkpoint of `tfmodels train`

Any model (`tf1_to_keras`, `keras_to_tf1`): which TF1 variable fills which Keras weight is
derived from names, order and shapes, or given by a map file (`tfmodels.migration.matching`),
and the table of what matched is printed before anything is written. Nothing is written unless
every weight found a source, or was named as allowed to keep its initial value
(`allow_missing`). The project's own models (`convert`): the spec names every weight in both
tracks (`dense_<i>/kernel`; a recurrent layer's TF1 cell in the layout table,
`tf1_compat.layouts`), so nothing is derived, and every name and shape is checked before anything
is written. Only the weights move; optimizer state stays behind, so a converted model predicts
the same but starts training anew.

Nothing is executed or unpickled from the files read (`tfmodels.migration.checkpoints`). A Keras
model may also be `module:factory` and the TF1 names may come from `module:build`
(`tfmodels.migration.user_code`): code the user names runs, as `python -m` would run it.
"""

from __future__ import annotations

import os

import numpy as np

from tfmodels.core.errors import UserError, folded
from tfmodels.core.spec import TRACKS
from tfmodels.migration.checkpoints import (
    KERAS_FORMATS,
    keras_target,
    load_keras_file,
    load_keras_model,
    read_checkpoint,
    read_keras2,
    read_tensors,
    save_keras,
    save_tf1,
    target_folder,
)
from tfmodels.migration.matching import (
    Ambiguous,
    keras_slots,
    keras_values,
    match,
    normalized,
    read_map,
    sourced,
    tf1_sources,
    tf1_values,
)
from tfmodels.migration.transforms import Transform
from tfmodels.migration.user_code import graph_variables

__all__ = ["convert", "keras2_matched", "keras2_to_keras", "keras_to_tf1", "read_keras",
           "read_tf1", "tf1_to_keras", "write_keras", "write_tf1"]


def _allowed(allow_missing, names: set, side: str) -> set:
    """The names `allow_missing` gives (each item one name or NAME,NAME), each checked."""
    allowed = set()
    for item in allow_missing or ():
        allowed |= {a for a in item.split(",") if a}
    unknown = sorted(a for a in allowed if a not in names)
    if unknown:
        raise UserError(f"allow_missing={unknown[0]}: not a {side} of the model")
    return allowed


def _nothing_written(count: int, what: str, other: str, names: list) -> UserError:
    """The refusal when `count` of one side's weights found nothing on the other side."""
    many = count > 1
    return UserError(f"{count} {what}{'s' * many} found no {other} ({', '.join(names)}; see the "
                     f"table); nothing written. Map {'them' if many else 'it'} with mapping=FILE, "
                     f"or keep {'their' if many else 'its'} initial value with allow_missing="
                     f"{names[0]}")


def _matched(slots, shapes, dtypes, mapping, out, arrow, other="TF1 variable"):
    """`match` of the slots and the TF1 variables (or a Keras 2 file's weights, `other`: each
    its own, no cells); the table goes to `out` even when refused."""
    cells = other == "TF1 variable"
    sources, skipped = tf1_sources(shapes, dtypes, {normalized(s.key) for s in slots}, cells)
    if isinstance(mapping, str):
        mapping = read_map(mapping)
    try:
        return match(slots, sources, skipped, mapping, shapes, dtypes)
    except Ambiguous as e:
        out(e.result.table(arrow=arrow, other=other))
        if cells:
            raise
        raise Ambiguous(sourced(str(e), other), e.result) from None


# -- any model: TF1 (or Keras 2) -> Keras ---------------------------------------------------------


def _fill(read, source: str, keras_model, target: str, mapping, allow_missing, forget_bias,
          out, other: str):
    """The Keras model filled from what `read(source)` gives, written to `target`."""
    keras_target(target)
    reader, shapes, dtypes = read(source)
    model = load_keras_model(keras_model) if isinstance(keras_model, str) else keras_model
    slots = keras_slots(model, cells=other == "TF1 variable")
    allowed = _allowed(allow_missing, {k for s in slots for k in s.keys} | {s.key for s in slots},
                       "Keras weight")
    result = _matched(slots, shapes, dtypes, mapping, out, "<-", other)
    out(result.table(allowed=allowed, other=other))
    missing = [s for s, _ in result.missing if not ({s.key, *s.keys} & allowed)]
    if missing:
        raise _nothing_written(len(missing), "Keras weight", other,
                               [k for s in missing for k in s.keys])
    for slot, src, _ in result.pairs:
        values = keras_values(slot, src, read_tensors(reader, src.names, source), forget_bias)
        for variable, value in zip(slot.variables, values):
            variable.assign(np.asarray(value))
    save_keras(model, target)
    return result


def tf1_to_keras(source: str, keras_model, target: str, mapping: str | dict | None = None,
                 allow_missing=(), forget_bias: float = 1.0, out=print):
    """Fill the Keras model (a model, `.keras` file or `module:factory`) from the TF1 checkpoint
    `source` and write it to `target` (`.keras` or `.weights.h5`); returns the `Match`. The table
    goes to `out` before anything is written; a Keras weight without a source is refused unless
    `allow_missing` names it (it keeps its initial value)."""
    return _fill(read_checkpoint, source, keras_model, target, mapping, allow_missing,
                 forget_bias, out, "TF1 variable")


def keras2_matched(model, shapes: dict, dtypes: dict, mapping=None, out=print):
    """The `Match` of a Keras 3 model's weights with a Keras 2 file's (`read_keras2`), each
    weight as it is; the table goes to `out` where it is refused."""
    if isinstance(mapping, str):
        mapping = read_map(mapping)
    return _matched(keras_slots(model, cells=False), shapes, dtypes, mapping, out, "<-",
                    "Keras 2 weight")


def keras2_to_keras(source: str, keras_model, target: str, mapping: str | dict | None = None,
                    allow_missing=(), out=print):
    """Fill the Keras 3 model (a model, `.keras` file or `module:factory`) from a Keras 2
    (tf_keras) file `source` and write it to `target` (`.keras` or `.weights.h5`); returns the
    `Match`. `source`: an `.h5` file of tf_keras's `model.save` or `save_weights`, the TF
    checkpoint of `save_weights("prefix")`, or a SavedModel folder (`checkpoints.read_keras2`).
    The weights pair as a TF1 checkpoint's do (names, order, shapes, a map file), each as it is:
    Keras 2 and Keras 3 keep the same layouts (an LSTM's `kernel`, `recurrent_kernel`, `bias`;
    a GRU's `reset_after` bias). Nothing runs tf_keras: the file is read as data."""
    return _fill(read_keras2, source, keras_model, target, mapping, allow_missing, 1.0, out,
                 "Keras 2 weight")


# -- any model: Keras -> TF1 ---------------------------------------------------------------------


def _keras_source(source, keras_model):
    """The Keras model to read: `source` (a `.keras` file, or a model), or `keras_model`
    (`module:factory`) filled from the `.weights.h5` file `source`."""
    if keras_model is None:
        if not isinstance(source, str):
            return source
        if not source.endswith(".keras"):
            raise UserError(f"{source!r}: a Keras source is a .keras file, or a .weights.h5 "
                            f"file with keras_model=module:factory")
        return load_keras_model(source)
    if not source.endswith(".weights.h5"):
        raise UserError(f"{source!r}: with keras_model the source is a .weights.h5 file")
    if not os.path.exists(source):
        raise FileNotFoundError(f"{source!r}: no such file")
    model = load_keras_model(keras_model) if isinstance(keras_model, str) else keras_model
    try:
        model.load_weights(source)
    except (OSError, KeyError, ValueError, TypeError) as e:
        raise UserError(f"cannot load {source!r} into {keras_model!r} ({type(e).__name__}: "
                        f"{folded(e)})") from None
    return model


def _named_by_map(slots, mapping: dict):
    """The TF1 variables a map file names ({name: shape}, {name: dtype}), with the shapes and
    dtypes of the Keras weights it gives them (a recurrent layer's: its whole cell's)."""
    from tf1_compat.layouts import CELLS

    shapes, dtypes = {}, {}
    given = {normalized(k): v for k, v in mapping.items()}
    for k, entry in mapping.items():
        if not Transform.parse(k, entry).plain:
            raise UserError(f"map file: {k!r} has a transform; without the TF1 graph "
                            f"(graph=module:build) the TF1 shape it comes back to is unknown")
    for slot in slots:
        for k in slot.keys:
            if normalized(k) not in given:
                continue
            tf1_name = given[normalized(k)]
            if slot.cell in CELLS:  # the map names one of the cell's: name them all
                scope = CELLS[slot.cell].scope_of(tf1_name)  # (None: match() says so)
                members = CELLS[slot.cell].members(scope) if scope else []
                for member, tf1_shape in zip(members, slot.tf1_shapes):
                    shapes[member], dtypes[member] = tf1_shape, slot.dtype
            else:
                shapes[tf1_name], dtypes[tf1_name] = slot.tf1_shapes[0], slot.dtype
    named = {normalized(k) for s in slots for k in s.keys}
    unknown = [k for k in mapping if normalized(k) not in named]
    if unknown:
        raise UserError(f"map file: {unknown[0]!r} is not a weight of the Keras model")
    return shapes, dtypes


def _write_variables(graph, variables, values: dict, shapes: dict, dtypes: dict, target: str):
    """The TF1 checkpoint at `target` of `graph`'s `variables` holding `values` (the others at
    their initial values); without variables, ones made by those names."""
    import tensorflow as tf

    v1 = tf.compat.v1
    with graph.as_default():
        if variables is None:
            variables = {n: v1.get_variable(n, shapes[n], dtypes[n]) for n in values}
        loads = {n: v1.placeholder(variables[n].dtype.base_dtype, shapes[n]) for n in values}
        assigns = [variables[n].assign(p) for n, p in loads.items()]
        saver = v1.train.Saver(list(variables.values()))
        with v1.Session(graph=graph) as session:
            session.run(v1.global_variables_initializer())
            session.run(assigns, {loads[n]: values[n] for n in loads})
            save_tf1(saver, session, target)


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
        raise UserError("the TF1 names come from a TF1 graph (graph=module:build) or a map "
                        "file (mapping=FILE); give one")
    model = _keras_source(source, keras_model)
    target_folder(target)
    if isinstance(mapping, str):
        mapping = read_map(mapping)
    slots = keras_slots(model)
    if graph is not None:
        g, variables = graph_variables(graph)
        shapes = {n: tuple(v.shape) for n, v in variables.items()}
        dtypes = {n: v.dtype.base_dtype.name for n, v in variables.items()}
    else:
        g, variables = tf.Graph(), None
        shapes, dtypes = _named_by_map(slots, mapping)
    result = _matched(slots, shapes, dtypes, mapping, out, "->")
    if graph is None:  # only what the map names is written
        result.missing = []
    allowed = _allowed(allow_missing, set(shapes), "TF1 variable")
    out(result.table(arrow="->", allowed=allowed))
    missing = [s for s, _ in result.unused if not set(s.names) <= allowed]
    if missing:
        raise _nothing_written(len(missing), "TF1 variable", "Keras weight",
                               [n for s in missing for n in s.names])
    values = tf1_values(result.pairs, shapes, forget_bias)
    _write_variables(g, variables, values, shapes, dtypes, target)
    return result


# -- the project's own models: the spec names the weights ----------------------------------------


def _spec_from_folder(folder: str, track: str, model: str | None):
    """A checkpoint folder of ours names its model and settings; returns (spec, weights path)."""
    from tfmodels.core.registry import get_spec
    from tfmodels.core.training_state import STATE_FILE, load_state

    state = load_state(os.path.join(folder, STATE_FILE))
    try:
        fp = state.spec
        spec = get_spec(state.model, dataset=fp["dataset"], batch_size=fp["batch_size"],
                        seed=fp["seed"])
    except (KeyError, TypeError) as e:
        raise UserError(f"corrupted checkpoint: {folder}/{STATE_FILE} names no usable model "
                        f"settings ({type(e).__name__})") from None
    if model and model != spec.name:
        raise UserError(f"{folder} holds a checkpoint of {spec.name!r}, not {model!r}")
    if state.track != track:
        raise UserError(f"{folder} holds a {state.track} checkpoint; use from_track={state.track}")
    return spec, os.path.join(folder, state.weights)


def _check_shapes(expected_shapes: list, shapes: dict, source: str, spec) -> None:
    for name, expected in expected_shapes:
        if name not in shapes:
            raise UserError(f"{source} has no variable {name} (model {spec.name!r} expects "
                            f"{len(expected_shapes)} weight arrays)")
        if tuple(shapes[name]) != tuple(expected):
            raise UserError(f"variable {name} has shape {tuple(shapes[name])} in {source}; "
                            f"model {spec.name!r} expects {tuple(expected)}")


def read_tf1(source: str, spec) -> list[np.ndarray]:
    """The spec's weights, in Keras's layout, from a TF1 checkpoint prefix (or a folder with a
    `checkpoint` file)."""
    from tf1_compat.model import tf1_variable_names, tf1_variable_shapes, to_keras

    reader, shapes, _ = read_checkpoint(source)
    expected = tf1_variable_shapes(spec)
    _check_shapes(expected, shapes, f"TF1 checkpoint {source!r}", spec)
    given, weights = iter(read_tensors(reader, [name for name, _ in expected], source)), []
    for layer, names in zip(spec.layers, tf1_variable_names(spec)):
        weights += to_keras(layer, [next(given) for _ in names])
    return weights


def _keras_weights(source: str, spec):
    """(spec, weights) of a `.keras` model (safe mode) or a `.weights.h5` file of `spec`."""
    from tfmodels.core.registry import get_spec
    from tfmodels.keras_track.model import build_model, spec_ordered

    if source.endswith(".keras"):
        loaded = load_keras_file(source, "convert only files of models you trust, saved "
                                         "without such layers")
        spec = spec or get_spec(loaded.name)
        if not spec.wiring.chain:  # a graph's weights by name: Keras walks it in its own order
            return spec, [np.asarray(v) for v in spec_ordered(loaded, spec.weight_names())]
        return spec, loaded.get_weights()
    if not source.endswith(".weights.h5"):
        raise UserError(f"{source!r} is not a Keras file; expected a name ending in "
                        f"{' or '.join(KERAS_FORMATS)}")
    if spec is None:
        raise UserError(f"{source} does not name its model; pass model=NAME")
    model = build_model(spec)
    model.load_weights(source)
    return spec, model.get_weights()


def read_keras(source: str, spec) -> tuple:
    """(spec, weights) from a `.keras` model or a `.weights.h5` file of the spec's model, every
    weight's name and shape checked against the spec."""
    try:
        spec, weights = _keras_weights(source, spec)
    except (UserError, FileNotFoundError):
        raise
    except (OSError, KeyError, ValueError, TypeError) as e:  # what h5py says of a bad file
        raise UserError(f"cannot read Keras file {source!r} ({type(e).__name__}: "
                        f"{folded(e)})") from None
    names = spec.weight_names()
    shapes = {name: np.shape(w) for name, w in zip(names, weights)}
    _check_shapes(list(zip(names, spec.weight_shapes())), shapes, f"Keras file {source!r}",
                  spec)
    if len(weights) != len(names):
        raise UserError(f"Keras file {source!r} has {len(weights)} weight arrays; model "
                        f"{spec.name!r} has {len(names)}")
    return spec, weights


def write_keras(target: str, spec, weights) -> None:
    from tfmodels.keras_track.model import build_model

    keras_target(target)
    save_keras(build_model(spec, weights), target)


def write_tf1(target: str, spec, weights) -> None:
    """A `Saver` checkpoint of the TF1 track's model at prefix `target`, which that model's own
    `Saver` restores (optimizer slots at their initial values)."""
    from tf1_compat.model import Model

    target_folder(target)
    with Model(spec, weights) as model, model.graph.as_default():
        save_tf1(model.saver, model.session, target)


def _read(source: str, spec, track: str):
    """(spec, weights) of a TF1 checkpoint prefix or a Keras file."""
    if not os.path.exists(source) and not os.path.exists(source + ".index"):
        raise FileNotFoundError(f"{source!r}: no such checkpoint or file")
    if track == "tf1":
        if spec is None:
            raise UserError(f"{source} does not name its model; pass model=NAME")
        return spec, read_tf1(source, spec)
    return read_keras(source, spec)


def convert(source: str, target: str, from_track: str, to_track: str,
            model: str | None = None, dataset: str | None = None):
    """Read the weights of `source` (track `from_track`: a checkpoint folder of `tfmodels train`,
    a TF1 checkpoint prefix or a Keras file) and write them as `to_track`; returns the spec."""
    from tfmodels.core.registry import get_spec
    from tfmodels.core.training_state import STATE_FILE, snapshot

    for label, track in (("from_track", from_track), ("to_track", to_track)):
        if track not in TRACKS:
            raise UserError(f"{label}={track!r}: expected keras or tf1")
    if from_track == to_track:
        raise UserError(f"from_track and to_track are both {from_track}; nothing to convert")
    if dataset is not None and model is None:
        raise UserError(f"dataset={dataset}: goes with model=NAME (it sets that model's input "
                        f"size); a checkpoint folder or a .keras file names both itself")
    spec = get_spec(model, dataset=dataset) if model else None
    if os.path.isdir(source) and os.path.exists(os.path.join(source, STATE_FILE)):
        # A run may be training into the folder: read a copy of its current checkpoint.
        with snapshot(source) as copy:
            spec, path = _spec_from_folder(copy, from_track, model)
            if dataset is not None and dataset != spec.dataset:
                raise UserError(f"dataset={dataset}: the checkpoint in {copy!r} was trained "
                                f"on {spec.dataset!r}; leave it out")
            spec, weights = _read(path, spec, from_track)
    else:
        spec, weights = _read(source, spec, from_track)
    (write_keras if to_track == "keras" else write_tf1)(target, spec, weights)
    return spec
