"""The Keras 3 half of `verify_keras2`'s training steps (`tfmodels.migration.keras2_reference`,
whose docstring says what is compared and why): the inputs, batches and targets both sides
use, the optimizer each side trains with, the Keras 3 port's steps, and the comparison with the
weights the Keras 2 process (`keras2_side`) saved after each of its steps.
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass, field, fields

import numpy as np

from tfmodels.core.errors import UserError
from tfmodels.migration.dropout_masks import flat_layers
from tfmodels.migration.equivalence import Check, Options, leaf_differences

__all__ = ["MASK_SEED", "SETTINGS", "Training", "keras2_values", "optimizer_differences",
           "setting_differences"]

MASK_SEED = 1337  # of the dropout masks both sides apply (`dropout_masks`)

# A weight that drifts first where Keras 2 and Keras 3 compute batch norm differently.
_FUSED = ("Keras 2's BatchNormalization on 4-D and 5-D inputs runs TensorFlow's fused kernel, "
          "which moves the moving variance towards the batch variance times n/(n-1), Keras 3's "
          "towards the batch variance: port it as tfmodels.migration.FusedBatchNormalization")
_SPARSE = ("tf_keras's optimizers sum a sparse gradient's repeated rows (a token read twice "
           "in a batch) before the update, Keras 3's apply each occurrence's slice as it is, so "
           "Adam's, RMSprop's and Adagrad's squares differ: port the layer as "
           "tfmodels.keras_track.embedding.DenseGradientEmbedding (or train with sgd)")
_MASKS = ("dropout masks aligned ({}): Keras 2 and Keras 3 draw different masks for one seed "
          "(keras#19993, tensorflow#71829), so both sides applied the same masks, drawn by "
          "NumPy")


# Layer settings whose defaults or meaning moved between Keras 2 and Keras 3, or that a port
# gets wrong: compared layer by layer (same class, in model order) and named in the report.
SETTINGS = ("activation", "recurrent_activation", "epsilon", "momentum", "center", "scale",
            "reset_after", "unit_forget_bias", "use_bias", "padding", "strides",
            "dilation_rate", "data_format", "return_sequences", "go_backwards", "rate",
            "input_dim", "output_dim", "units", "filters", "kernel_size", "pool_size")


def _same(a, b) -> bool:
    if isinstance(a, (int, float)) and isinstance(b, (int, float)):
        return bool(np.isclose(a, b, rtol=1e-12, atol=0))
    if isinstance(a, (list, tuple)) and isinstance(b, (list, tuple)):
        return len(a) == len(b) and all(_same(x, y) for x, y in zip(a, b))
    return a == b


def setting_differences(keras2_layers: list, model) -> list:
    """["batch_normalization: epsilon 0.001 in Keras 2, 1e-05 in Keras 3", ...]: the settings
    (`SETTINGS`) that differ between the Keras 2 model's layers (`keras2_side`'s
    `layers.json`) and the Keras 3 model's, layers of one class paired in model order."""
    by_class = {}
    for layer in keras2_layers:
        by_class.setdefault(layer["class"], []).append(layer)
    seen, found = {}, []
    for layer in flat_layers(model):
        kind = type(layer).__name__
        index = seen[kind] = seen.get(kind, -1) + 1
        if index >= len(by_class.get(kind, ())):
            continue
        old = by_class[kind][index]["config"]
        try:
            new = layer.get_config()
        except (NotImplementedError, TypeError, ValueError):
            continue
        for key in SETTINGS:
            if key in old and key in new and not _same(old[key], new[key]):
                found.append(f"{layer.name}: {key} {old[key]!r} in Keras 2, {new[key]!r} in "
                             f"Keras 3")
    return found


def keras2_values(result, path: str, gradients: bool = False) -> list:
    """[(slot, source, [the Keras 2 values in the slot's layout])] of every pair of `result`,
    read from the Keras 2 weights file `path` (of gradients, `keras2_side`'s `grads<k>.h5`,
    with `gradients`)."""
    from tfmodels.migration.checkpoints import read_keras2, read_tensors
    from tfmodels.migration.matching import keras_values

    reader = read_keras2(path)[0]
    return [(slot, src, keras_values(slot, src, read_tensors(reader, src.names, path),
                                     gradients=gradients))
            for slot, src, _ in result.pairs]


def optimizer_differences(keras2: dict, keras3) -> list:
    """["epsilon 1e-07 in Keras 2, 0.001 in Keras 3", ...] of two optimizers' specs (the Keras 2
    side's `{"name", "params"}`, the Keras 3 side's `OptimizerSpec`)."""
    if keras2["name"] != keras3.name:
        return [f"{keras2['name']} in Keras 2, {keras3.name} in Keras 3"]
    return [f"{k} {_number(v)} in Keras 2, {_number(keras3.params.get(k))} in Keras 3"
            for k, v in keras2["params"].items()
            if not np.isclose(float(v), float(keras3.params.get(k)), rtol=1e-6, atol=0)]


def _number(value) -> str:
    """A hyper-parameter as a user wrote it: float32's 0.0010000000474974513 as 0.001."""
    return f"{value:.7g}" if isinstance(value, float) else repr(value)


def _floating(outputs: dict) -> dict:
    return {k: np.asarray(v) for k, v in outputs.items() if np.asarray(v).dtype.kind == "f"}


@dataclass
class Training:
    """What both sides share: the Keras 3 model, the inputs `x0` of the outputs check, the
    batches and targets of each step, the loss and the optimizers."""

    model: object
    inputs: object  # model_io.Inputs
    batch_size: int
    x0: object
    batches: list  # [(inputs as the model takes them, {output name: targets})]
    loss: object
    fallback: object  # the OptimizerSpec named (used where the Keras 2 model has none)
    own: object  # the Keras 3 model's compiled optimizer's spec, or None
    named: bool = False  # whether the optimizer was named, not verify's default
    keras2_layers: list = field(default_factory=list)

    @classmethod
    def prepare(cls, model, steps: int, batch_size: int, seed: int, int_range, optimizer,
                learning_rate, loss) -> Training:
        from tfmodels.migration.dropout_masks import described, unaligned
        from tfmodels.migration.equivalence import draw_targets, loss_function, optimizer_spec
        from tfmodels.migration.model_io import leaves, model_inputs

        inputs = model_inputs(model, int_range)
        inputs.check_batch(batch_size)
        rng = np.random.default_rng(seed)
        x0 = inputs.draw(rng, batch_size)
        _, kind = loss_function(loss)
        batches = []
        if steps:
            random = unaligned(described(model))
            if random:
                raise UserError(f"training steps: the Keras 3 model draws random numbers the "
                                f"check cannot give both sides alike: {', '.join(random)}; "
                                f"steps=0 compares the outputs only")
            trained = _floating(leaves(model(x0, training=False),
                                       getattr(model, "output_names", None)))
            if not trained:
                raise UserError("training steps: the Keras 3 model has no floating-point "
                                "output to train through; steps=0 compares the outputs only")
            for _ in range(steps):
                x = inputs.draw(rng, batch_size)
                batches.append((x, draw_targets(trained, kind, rng, batch_size)))
        default = {f.name: f.default for f in fields(Options)}
        named = (optimizer, learning_rate) != (default["optimizer"], default["learning_rate"])
        return cls(model, inputs, batch_size, x0, batches, loss,
                   optimizer_spec(optimizer, learning_rate), _compiled(model) if steps else None,
                   named)

    def request(self) -> dict:
        """The Keras 2 process's `request.json`, less the source."""
        names = sorted(self.batches[0][1]) if self.batches else []
        return {"names": [i.name for i in self.inputs.items], "steps": len(self.batches),
                "loss": self.loss, "targets": names, "seed": MASK_SEED,
                "optimizer": {"name": self.fallback.name, "params": self.fallback.params}}

    def arrays(self) -> dict:
        """`inputs.npz` (`x<i>`) and `batches.npz` (`b<k>_x<i>`, `t<k>_<j>`), as `keras2_side`
        reads them."""
        flat = self.inputs.flat(self.x0)
        batches = {}
        for step, (x, targets) in enumerate(self.batches, start=1):
            for i, value in enumerate(self.inputs.flat(x)):
                batches[f"b{step}_x{i}"] = value
            for j, name in enumerate(sorted(targets)):
                batches[f"t{step}_{j}"] = targets[name]
        return {"inputs.npz": {f"x{i}": v for i, v in enumerate(flat)},
                "batches.npz": batches}

    def check_steps(self, result, folder: str, rtol: float, atol: float) -> Check:
        """3. the steps: the loss before each and every weight after it, as Keras 2's."""
        from tfmodels.core.spec import OptimizerSpec
        from tfmodels.keras_track.optimizers import make_optimizer
        from tfmodels.migration.dropout_masks import Masks, unaligned

        random = unaligned(self.keras2_layers)
        if random:
            raise UserError(f"training steps: the Keras 2 model draws random numbers the check "
                            f"cannot give both sides alike: {', '.join(random)}; steps=0 "
                            f"compares the outputs only")
        with open(os.path.join(folder, "training.json")) as f:
            keras2 = json.load(f)
        spec = self.own or OptimizerSpec(keras2["optimizer"]["name"],
                                         keras2["optimizer"]["params"])
        optimizer, masks = make_optimizer(spec), Masks(MASK_SEED)
        name = (f"{len(self.batches)} training steps ({spec.name}, learning rate "
                f"{spec.learning_rate:g})")
        causes = self._causes(keras2, spec)
        worst = slope = 0.0
        for step, (x, targets) in enumerate(self.batches, start=1):
            loss, own = self._gradients(x, targets, masks.at(step))
            why, _ = leaf_differences({"loss": keras2["losses"][step - 1]}, {"loss": loss},
                                      rtol, atol)
            if why:
                return Check(name, False, f"step {step}: the loss before the step differs: "
                                          f"{_keras2(why)}{causes}")
            applied, why, step_slope = self._keras2_gradients(
                result, os.path.join(folder, f"grads{step}.h5"), own, rtol, atol)
            if why:
                return Check(name, False, f"step {step}: {why}{causes}")
            slope = max(slope, step_slope)
            optimizer.apply([g for g, _ in applied], [v for _, v in applied])
            why, step_worst = self._weights(result, os.path.join(folder, f"step{step}.h5"),
                                            rtol, atol)
            if why:
                return Check(name, False, f"step {step}: {why}{causes}")
            worst = max(worst, step_worst)
        losses = keras2["losses"]
        return Check(name, True, f"weights equal after every step (max |difference| "
                                 f"{worst:.3g}; gradients {slope:.3g}; losses "
                                 f"{losses[0]:.6g} -> {losses[-1]:.6g}); "
                                 f"optimizer: {self._said(keras2)}; "
                                 f"{_masks_said(keras2['dropout'])}", worst)

    def _causes(self, keras2: dict, spec) -> str:
        """"; optimizer settings that differ: ...; dropout layers: ...; layer settings ..."."""
        from tfmodels.migration.dropout_masks import dropout_layers
        found = []
        differ = optimizer_differences(keras2["optimizer"], spec)
        if differ:
            found.append(f"optimizer settings that differ: {'; '.join(differ)}")
        mine = [{"name": layer.name, "rate": float(layer.rate)}
                for layer in dropout_layers(self.model)]
        if len(mine) != len(keras2["dropout"]):
            found.append(f"dropout layers: {_dropout_text(keras2['dropout'])} in Keras 2, "
                         f"{_dropout_text(mine)} in Keras 3")
        settings = setting_differences(self.keras2_layers, self.model)
        if settings:
            found.append(f"layer settings that differ: {'; '.join(settings)}")
        return "".join(f"; {c}" for c in found)

    def _said(self, keras2: dict) -> str:
        """Which optimizer each side trained with, and where it came from."""
        came = keras2["came"] if keras2["came"] != "named" else (
            "named: the Keras 2 model has no compiled optimizer")
        port = ("the Keras 3 model's own compiled optimizer" if self.own else
                "the same for the Keras 3 model")
        unused = ""
        if keras2["came"] != "named" and self.named:
            unused = (f" (the optimizer named, {self.fallback.name} at learning rate "
                      f"{self.fallback.learning_rate:g}, is for a Keras 2 model without one)")
        return f"{keras2['optimizer']['name']} ({came}), {port}; both started afresh{unused}"

    def _gradients(self, x, targets: dict, masks) -> tuple:
        """(the loss before the step, [(gradient, variable)]) of the Keras 3 model."""
        import tensorflow as tf

        from tfmodels.migration.dropout_masks import given_masks
        from tfmodels.migration.equivalence import loss_function
        from tfmodels.migration.model_io import leaves

        model, (loss_fn, _) = self.model, loss_function(self.loss)
        trainable = model.trainable_variables
        with given_masks(model, masks), tf.GradientTape() as tape:
            outputs = leaves(model(x, training=True), getattr(model, "output_names", None))
            if len(outputs) == 1 and len(targets) == 1:
                outputs = {next(iter(targets)): next(iter(outputs.values()))}
            loss = loss_fn({k: tf.constant(v) for k, v in targets.items()}, outputs)
            if model.losses:
                loss = loss + tf.add_n([tf.cast(v, tf.float32) for v in model.losses])
        return float(loss), [(g, v) for g, v in zip(tape.gradient(loss, trainable), trainable)
                             if g is not None]

    def _keras2_gradients(self, result, path: str, own: list, rtol: float,
                          atol: float) -> tuple:
        """`equivalence.reference_gradients` of `own` against Keras 2's (`grads<k>.h5`): (the
        gradients to apply, None or one line naming the first that differs, the largest
        difference)."""
        from tfmodels.migration.equivalence import reference_gradients

        keras2, names = {}, {}
        for slot, source, arrays in keras2_values(result, path, gradients=True):
            for key, variable, array in zip(slot.keys, slot.variables, arrays):
                keras2[id(variable)] = array
                names[id(variable)] = (key, source)
        applied, differs, worst = reference_gradients(own, keras2, rtol, atol)
        if differs is None:
            return applied, None, worst
        variable, why = differs
        key, source = names[id(variable)]
        return None, (f"the gradient of weight {key} (Keras 2 {' + '.join(source.names)}): "
                      f"{_keras2(why)}"), None

    def _weights(self, result, path: str, rtol: float, atol: float) -> tuple:
        """(None or the first weight that differs from the Keras 2 file `path`, the largest
        difference)."""
        worst = 0.0
        for slot, source, arrays in keras2_values(result, path):
            for key, variable, array in zip(slot.keys, slot.variables, arrays):
                why, difference = leaf_differences({"w": array}, {"w": variable.numpy()}, rtol,
                                                   atol)
                if why:
                    hint = _hint(self.model, variable)
                    return (f"weight {key} (Keras 2 {' + '.join(source.names)}): "
                            f"{_keras2(why)}{hint}"), None
                worst = max(worst, difference)
        return None, worst


def _keras2(why: str) -> str:
    """`leaf_differences`' words, the reference side called Keras 2."""
    return why.replace("(TF1 ", "(Keras 2 ")


def _masks_said(layers: list) -> str:
    if not layers:
        return "no Dropout layer (none to align)"
    return _MASKS.format(_dropout_text(layers))


def _dropout_text(layers: list) -> str:
    if not layers:
        return "no Dropout layer"
    return ", ".join(f"{d['name']} rate {d['rate']:g}" for d in layers)


def _compiled(model):
    """The `OptimizerSpec` of the Keras 3 model's compiled optimizer, or None."""
    optimizer = getattr(model, "optimizer", None)
    if optimizer is None:
        return None
    from tfmodels.core.keras_configs import check_optimizer
    from tfmodels.core.spec import OPTIMIZER_DEFAULTS, OptimizerSpec

    try:
        return OptimizerSpec(*check_optimizer(optimizer, OPTIMIZER_DEFAULTS))
    except UserError as e:
        raise UserError(f"the Keras 3 model's compiled {e}") from None


def _hint(model, variable) -> str:
    """"; why" where the weight that drifts is one Keras 2 and Keras 3 update differently."""
    owner = next((layer for layer in flat_layers(model)
                  if any(w is variable for w in layer.weights)), None)
    kind = type(owner).__name__
    if kind == "BatchNormalization" and variable.path.endswith("moving_variance"):
        return f"; {_FUSED}"
    if kind == "Embedding" and variable.path.endswith("embeddings"):
        return f"; {_SPARSE}"
    return ""
