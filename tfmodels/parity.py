"""The parity proof: train both tracks from the same weights on the same batches, compare.

    report = compare(get_spec("mnist_mlp"), load_dataset("digits"))
    print(report.table())
    assert report.ok

Each track trains through its public `fit`, exactly as a user would call it; the comparison
then looks at every per-epoch number both returned, the final weights and the predictions.
"""

from __future__ import annotations

import os
from dataclasses import dataclass

import numpy as np

from tfmodels.core.data import Data, for_spec
from tfmodels.core.errors import UserError
from tfmodels.core.inputs import NamedInputs, as_arrays, is_named
from tfmodels.core.logs import LogOptions
from tfmodels.core.spec import LOSS_RTOL, PREDICTION_ATOL, WEIGHT_ATOL, ModelSpec, initial_weights
from tfmodels.core.table import table
from tfmodels.training import TrackResult, train

__all__ = ["train_keras", "train_tf1", "ParityReport", "parity", "log_parity", "compare",
           "prove_same_model"]


def train_keras(spec: ModelSpec, data: Data, weights, log_dir=None, verbose=0,
                options: LogOptions | None = None, **distribute) -> TrackResult:
    """Train the Keras track; with `log_dir`, log for TensorBoard as `options` say."""
    return train("keras", spec, data, weights=weights, log_dir=log_dir, options=options,
                 verbose=verbose, log=None, **distribute)


def train_tf1(spec: ModelSpec, data: Data, weights, log_dir=None, verbose=0,
              options: LogOptions | None = None, **distribute) -> TrackResult:
    """Train the TF1 track; with `log_dir`, log for TensorBoard as `options` say."""
    return train("tf1", spec, data, weights=weights, log_dir=log_dir, options=options,
                 verbose=verbose, log=None, **distribute)


@dataclass
class ParityReport:
    keras: TrackResult
    tf1: TrackResult
    loss_rdiff: list  # per epoch: the largest relative difference of any loss (train, val)
    weight_diff: float  # largest |w_keras - w_tf1| over all final weights
    prediction_diff: float  # largest |p_keras - p_tf1| over the validation predictions

    @property
    def max_loss_rdiff(self) -> float:
        return max(self.loss_rdiff)

    @property
    def ok(self) -> bool:
        return (self.max_loss_rdiff <= LOSS_RTOL and self.weight_diff <= WEIGHT_ATOL
                and self.prediction_diff <= PREDICTION_ATOL)

    def table(self) -> str:
        # loss first, then the metrics, then the same on validation data, as Keras prints them
        keys = sorted(self.keras.history, key=lambda k: (k.startswith("val_"), k != "loss"
                                                         and k != "val_loss", k))
        header = ["epoch"] + [f"{k} {t}" for k in keys for t in ("keras", "tf1")] + ["loss rel.Δ"]
        rows = []
        for e, rdiff in enumerate(self.loss_rdiff):
            values = [f"{h.history[k][e]:.6f}" for k in keys for h in (self.keras, self.tf1)]
            rows.append([str(e + 1)] + values + [f"{rdiff:.1e}"])
        lines = [table([header, *rows])]
        verdict = ("OK: both tracks computed the same numbers" if self.ok else
                   "FAILED: the tracks disagree beyond the tolerance")
        lines += [
            "",
            f"largest relative difference in an epoch's loss: {self.max_loss_rdiff:.1e}"
            f"  (tolerance {LOSS_RTOL:.0e})",
            f"largest difference in the final weights:        {self.weight_diff:.1e}"
            f"  (tolerance {WEIGHT_ATOL:.0e})",
            f"largest difference in the predictions:          {self.prediction_diff:.1e}"
            f"  (tolerance {PREDICTION_ATOL:.0e})",
            f"parity: {verdict}",
        ]
        return "\n".join(lines)


def parity(keras_result: TrackResult, tf1_result: TrackResult) -> ParityReport:
    """Compare two tracks' results number by number."""
    k, t = keras_result.history, tf1_result.history
    if set(k) != set(t):
        raise ValueError(f"the tracks logged different metrics: {sorted(k)} vs {sorted(t)}")
    epochs = len(k["loss"])
    loss_keys = [key for key in k if key in ("loss", "val_loss")]
    rdiff = [
        max(abs(k[key][e] - t[key][e]) / max(abs(k[key][e]), 1e-12) for key in loss_keys)
        for e in range(epochs)
    ]
    weight_diff = max(float(np.max(np.abs(a - b)))
                      for a, b in zip(keras_result.weights, tf1_result.weights))
    prediction_diff = float(np.max(np.abs(keras_result.predictions - tf1_result.predictions)))
    return ParityReport(keras_result, tf1_result, rdiff, weight_diff, prediction_diff)


def log_parity(report: ParityReport, log_dir: str) -> dict:
    """The `parity/` scalars: per epoch, how far apart the two tracks' numbers are.

    `parity/<key>_abs_diff` for every number both histories hold (`loss`, `val_accuracy`, ...),
    `parity/loss_rel_diff` (the report's per-epoch figure, checked against `LOSS_RTOL`), and at
    the last epoch `parity/weight_max_abs_diff` and `parity/prediction_max_abs_diff`. Returns
    `{tag: [values per step]}` as written.
    """
    import tensorflow as tf

    k, t = report.keras.history, report.tf1.history
    epochs = len(report.loss_rdiff)
    series = {f"parity/{key}_abs_diff": [abs(k[key][e] - t[key][e]) for e in range(epochs)]
              for key in k}
    series["parity/loss_rel_diff"] = list(report.loss_rdiff)
    last = {"parity/weight_max_abs_diff": report.weight_diff,
            "parity/prediction_max_abs_diff": report.prediction_diff}
    writer = tf.summary.create_file_writer(log_dir)
    with writer.as_default():
        for tag, values in series.items():
            for epoch, value in enumerate(values):
                tf.summary.scalar(tag, value, step=epoch)
        for tag, value in last.items():
            tf.summary.scalar(tag, value, step=epochs - 1)
    writer.close()
    return {**series, **{tag: [value] for tag, value in last.items()}}


def prove_same_model(user_model, spec: ModelSpec, x) -> float:
    """The spec's own Keras model, given the user's weights, predicts what the user's model
    predicts on `x` (inference: Dropout off, batch norm on its moving averages); returns the
    largest difference, or refuses in one line naming it.

    `ModelSpec.from_keras` reads what a spec carries; this checks the reading by the numbers,
    before any training, so a setting it missed cannot be proven in the user's name.
    """
    from tfmodels.keras_track.model import build_model

    user_weights = [np.asarray(w) for w in user_model.get_weights()]
    if [w.shape for w in user_weights] != [tuple(s) for s in spec.weight_shapes()]:
        raise UserError(f"the spec's model has weights of shapes {spec.weight_shapes()}, the "
                        f"Keras model {[w.shape for w in user_weights]}: not the same model")
    ours = build_model(spec, user_weights)
    x = ({n: np.asarray(a, dtype=np.float32) for n, a in as_arrays(x).items()}
         if is_named(x) else np.asarray(x, dtype=np.float32))
    theirs_out = np.asarray(user_model(x, training=False), dtype=np.float64)
    ours_out = np.asarray(ours(x, training=False), dtype=np.float64)
    if theirs_out.shape != ours_out.shape:
        raise UserError(f"the spec's model predicts shape {ours_out.shape}, the Keras model "
                        f"{theirs_out.shape}: not the same model")
    diff = np.abs(theirs_out - ours_out)
    largest = float(np.max(diff)) if diff.size else 0.0
    if not largest <= PREDICTION_ATOL:  # NaN is a difference too
        at = np.unravel_index(int(np.nanargmax(diff)) if np.isfinite(diff).any() else 0,
                              diff.shape)
        raise UserError(f"the spec's model is not the Keras model: their predictions differ "
                        f"by up to {largest:.3g} (at {tuple(int(i) for i in at)}: "
                        f"{theirs_out[at]:.6g} against {ours_out[at]:.6g}; tolerance "
                        f"{PREDICTION_ATOL:.0e})")
    return largest


def compare(spec: ModelSpec, data: Data, run_dir: str | None = None, weights=None,
            verbose=0, options: LogOptions | None = None, keras_options: dict | None = None,
            user_model=None, **distribute) -> ParityReport:
    """Train both tracks from `weights` (default: the spec's seeded start) and compare them.

    With `run_dir`, each track writes TensorBoard logs to `<run_dir>/<track>` as `options` say
    (default: `LogOptions()`), and the differences go to `<run_dir>/parity` (`log_parity`).
    `distribute` (`strategy=`, `tf1_pattern=`) is passed on to `train`; `keras_options` (its
    `jit_compile=`, `steps_per_execution=`, `fused_optimizer=`) to the Keras track's only.
    With `user_model` (the Keras model `ModelSpec.from_keras` read `spec` from), the spec's
    model is first checked to predict what it predicts (`prove_same_model`, on the first
    validation samples) and both tracks start from its weights unless `weights` are given.
    """
    if user_model is not None:
        x_val = for_spec(data, spec).x_val
        prove_same_model(user_model, spec, (NamedInputs(x_val) if isinstance(x_val, dict)
                                            else x_val)[:64])
        weights = user_model.get_weights() if weights is None else weights
    weights = initial_weights(spec) if weights is None else weights
    log = (lambda track: os.path.join(run_dir, track)) if run_dir else (lambda track: None)
    if verbose:
        model = "keras.Sequential" if spec.wiring.chain else "a functional keras.Model"
        print(f"\n-- Keras track ({model}, compile/fit) --")
    keras_result = train_keras(spec, data, weights, log("keras"), verbose, options,
                               **(keras_options or {}), **distribute)
    if verbose:
        print("\n-- TF1 track (tf.compat.v1 Graph, Session, feed_dict) --")
    tf1_result = train_tf1(spec, data, weights, log("tf1"), verbose, options, **distribute)
    report = parity(keras_result, tf1_result)
    if run_dir:
        log_parity(report, log("parity"))
    return report
