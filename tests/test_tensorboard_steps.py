"""Per-batch scalars and profiles: steps that advance, in both tracks, across `fit` calls."""

import glob
import os

import keras
import numpy as np
import pytest
import tensorflow as tf
from tensorboard.compat.proto.config_pb2 import RunMetadata

from tests.helpers import accumulate, read, tags_of
from tfmodels.core.data import load_dataset, steps_per_epoch
from tfmodels.core.logs import LogOptions, parse_profile_batches
from tfmodels.core.registry import get_spec

SPEC = get_spec("binary4", epochs=2)
OPTIONS = LogOptions(update_freq="batch", histogram_freq=0, images=False, profile_batches=(2, 3))


class BatchLogs(keras.callbacks.Callback):
    """What `fit` handed its callbacks after each batch."""

    def __init__(self):
        super().__init__()
        self.logs = []

    def on_train_batch_end(self, batch, logs=None):
        self.logs.append({k: float(v) for k, v in logs.items()})


def fit_twice(track, log_dir, options=OPTIONS, spec=SPEC):
    """Epoch 0 in one `fit`, epoch 1 in a second one that resumes (`initial_epoch=1`)."""
    data = load_dataset(spec.dataset, spec.seed)
    recorder = BatchLogs()
    args = dict(batch_size=spec.batch_size, verbose=0, validation_data=(data.x_val, data.y_val))
    if track == "keras":
        from tfmodels.keras_track.model import build_model
        from tfmodels.keras_track.tensorboard import TensorBoard

        model = build_model(spec, steps_per_execution=1)  # callbacks after every step
        for first, last in ((0, 1), (1, 2)):
            model.fit(data.x_train, data.y_train, initial_epoch=first, epochs=last,
                      callbacks=[TensorBoard(log_dir, options), recorder], **args)
    else:
        from tf1_compat.model import Model
        from tf1_compat.tensorboard import TensorBoard

        with Model(spec) as model:
            for first, last in ((0, 1), (1, 2)):
                model.fit(data.x_train, data.y_train, initial_epoch=first, epochs=last,
                          callbacks=[TensorBoard(log_dir, options=options), recorder], **args)
    return recorder.logs, steps_per_epoch(len(data.x_train), spec.batch_size)


@pytest.fixture(scope="module")
def two_fits(tmp_path_factory):
    root = tmp_path_factory.mktemp("steps")
    return {track: (str(root / track), *fit_twice(track, str(root / track)))
            for track in ("keras", "tf1")}


@pytest.mark.parametrize("track", ["keras", "tf1"])
def test_batch_scalars_advance_across_fits_with_the_logged_values(two_fits, track):
    log_dir, batch_logs, steps = two_fits[track]
    _, logged = read(os.path.join(log_dir, "train"))
    assert len(batch_logs) == 2 * steps
    for key in ("loss", "accuracy"):
        logged_steps, values = zip(*logged[f"batch_{key}"])
        # Keras's own callback starts again at 1 in the second fit; ours go on
        assert list(logged_steps) == list(range(1, 2 * steps + 1))
        np.testing.assert_array_equal(np.float32(values),
                                      np.float32([b[key] for b in batch_logs]))
    assert [s for s, _ in logged["epoch_loss"]] == [0, 1]


def test_both_tracks_log_the_same_batch_losses(two_fits):
    (_, keras_logs, _), (_, tf1_logs, _) = two_fits["keras"], two_fits["tf1"]
    np.testing.assert_allclose([b["loss"] for b in keras_logs], [b["loss"] for b in tf1_logs],
                               rtol=1e-5)


def test_keras_track_writes_a_profile_of_the_asked_steps(two_fits):
    log_dir = two_fits["keras"][0]
    assert glob.glob(os.path.join(log_dir, "train", "plugins", "profile", "*", "*.xplane.pb"))
    acc = accumulate(os.path.join(log_dir, "train"))
    assert "batch_3" in tags_of(acc, "graph_run_metadata_graph")  # Keras's trace of step 3


def test_tf1_track_writes_full_trace_run_metadata_of_the_asked_steps(two_fits):
    log_dir = two_fits["tf1"][0]
    acc = accumulate(os.path.join(log_dir, "train"))
    assert tags_of(acc, "graph_tagged_run_metadata") == {"step_2", "step_3"}
    for tag in ("step_2", "step_3"):
        (event,) = acc.Tensors(tag)
        assert event.step == int(tag[len("step_"):])
        metadata = RunMetadata.FromString(tf.make_ndarray(event.tensor_proto).item())
        timed = {node.node_name for dev in metadata.step_stats.dev_stats
                 for node in dev.node_stats}
        assert any("MatMul" in name for name in timed), sorted(timed)[:20]


@pytest.mark.parametrize("track", ["keras", "tf1"])
def test_update_freq_n_writes_every_nth_step(tmp_path, track):
    options = LogOptions(update_freq=5, histogram_freq=0, images=False, trace_graph=False)
    _, steps = fit_twice(track, str(tmp_path), options, SPEC)
    _, logged = read(str(tmp_path / "train"))
    assert [s for s, _ in logged["batch_loss"]] == list(range(5, 2 * steps + 1, 5))


@pytest.mark.parametrize("options, message", [
    (dict(update_freq="often"), "update_freq must be 'epoch', 'batch' or a positive integer, "
                                "got 'often'"),
    (dict(update_freq=0), "update_freq must be 'epoch', 'batch' or a positive integer, got 0"),
    (dict(histogram_freq=-1), "histogram_freq must be an integer >= 0, got -1"),
    (dict(profile_batches=(1, 3)), "profile_batches: expected FIRST,LAST with 2 <= FIRST <= LAST "
                                   "(e.g. 2,4), got '1,3'"),
])
def test_bad_log_options_are_one_line_naming_the_value(options, message):
    with pytest.raises(ValueError) as error:
        LogOptions(**options)
    assert str(error.value) == message


def test_profile_batches_accept_a_pair_or_one_step():
    assert parse_profile_batches("2,4") == (2, 4)
    assert parse_profile_batches(" 5 ") == (5, 5)
    assert parse_profile_batches((3, 3)) == (3, 3)
    with pytest.raises(ValueError, match="got '4,2'"):
        parse_profile_batches("4,2")
