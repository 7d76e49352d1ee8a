"""`tfmodels sweep` for the HParams dashboard, and the TensorBoard options of the CLI."""

import os

import numpy as np
import pytest
from tensorboard.plugins.hparams import metadata as hparams_metadata

from tests.helpers import accumulate, read, tags_of
from tfmodels.cli import main
from tfmodels.core.data import load_dataset
from tfmodels.core.registry import get_spec


def session_hparams(trial_dir):
    acc = accumulate(trial_dir)
    (tag,) = tags_of(acc, hparams_metadata.PLUGIN_NAME)
    assert tag == hparams_metadata.SESSION_START_INFO_TAG
    info = hparams_metadata.parse_session_start_info_plugin_data(
        acc.SummaryMetadata(tag).plugin_data.content)
    values = {}
    for name, value in info.hparams.items():
        values[name] = value.string_value if value.WhichOneof("kind") == "string_value" \
            else value.number_value
    return values, info.group_name


@pytest.mark.parametrize("track", ["keras", "tf1"])
def test_each_trial_logs_its_hparams_and_its_own_history(tmp_path, track):
    from tfmodels.sweep import sweep

    spec = get_spec("binary4", epochs=2)
    data = load_dataset(spec.dataset, spec.seed)
    trials = sweep(spec, data, [0.001, 0.1], [32, 64], track, str(tmp_path))
    assert [(t.learning_rate, t.batch_size) for t in trials] == [
        (0.001, 32), (0.001, 64), (0.1, 32), (0.1, 64)]
    assert len({t.log_dir for t in trials}) == 4
    for trial in trials:
        values, group = session_hparams(trial.log_dir)
        assert values == {"learning_rate": trial.learning_rate,
                          "batch_size": trial.batch_size, "track": track}
        assert group == os.path.relpath(trial.log_dir, tmp_path)
        _, val = read(os.path.join(trial.log_dir, "validation"))
        steps, logged = zip(*val["epoch_loss"])
        assert list(steps) == [0, 1]
        np.testing.assert_array_equal(np.float32(logged),
                                      np.float32(trial.history["val_loss"]))
        _, train = read(os.path.join(trial.log_dir, "train"))
        # the trial really trained at its learning rate
        assert train["epoch_learning_rate"][-1][1] == pytest.approx(trial.learning_rate)
    # another learning rate, another result
    assert trials[0].history["loss"] != trials[2].history["loss"]


def test_sweep_command_prints_a_row_per_trial(capsys, tmp_path):
    assert main(["sweep", "binary4", "--lr", "0.01,0.1", "--batch-size", "32", "--epochs", "1",
                 "--track", "tf1", "--logdir", str(tmp_path)]) == 0
    out = capsys.readouterr().out
    (table_header,) = [line for line in out.splitlines() if line.startswith("learning_rate")]
    assert table_header.split()[:3] == ["learning_rate", "batch_size", "loss"]
    rows = out.split(table_header)[1].strip().splitlines()
    assert [r.split()[:2] for r in rows[:2]] == [["0.01", "32"], ["0.1", "32"]]
    (run,) = os.listdir(tmp_path / "binary4")
    assert sorted(os.listdir(tmp_path / "binary4" / run)) == ["tf1-lr0.01-batch32",
                                                              "tf1-lr0.1-batch32"]


@pytest.mark.parametrize("argv, message", [
    (["sweep", "binary4", "--lr", "0.1,fast"],
     "--lr: expected comma-separated positive numbers, got '0.1,fast'"),
    (["sweep", "binary4", "--lr", "0.1", "--batch-size", "32,0"],
     "--batch-size: expected comma-separated positive integers, got '32,0'"),
    (["sweep", "binary4", "--lr", "-1"],
     "--lr: expected comma-separated positive numbers, got '-1'"),
    (["compare", "binary4", "--update-freq", "sometimes"],
     "--update-freq: expected epoch, batch or a positive integer, got 'sometimes'"),
    (["train", "binary4", "--histogram-freq", "x"],
     "--histogram-freq: expected an integer >= 0, got 'x'"),
    (["compare", "binary4", "--profile-batches", "1,3"],
     "--profile-batches: expected FIRST,LAST with 2 <= FIRST <= LAST (e.g. 2,4), got '1,3'"),
])
def test_bad_tensorboard_options_are_one_line(capsys, tmp_path, argv, message):
    assert main(argv + ["--logdir", str(tmp_path)]) == 2
    assert capsys.readouterr().err.strip() == f"tfmodels: error: {message}"
    assert not os.listdir(tmp_path)  # nothing was written


def test_compare_options_reach_both_tracks(capsys, tmp_path):
    assert main(["compare", "binary4", "--epochs", "1", "--update-freq", "batch",
                 "--histogram-freq", "0", "--no-images", "--logdir", str(tmp_path),
                 "--verbose", "0"]) == 0
    (run,) = os.listdir(tmp_path / "binary4")
    for track in ("keras", "tf1"):
        acc = accumulate(str(tmp_path / "binary4" / run / track / "train"))
        assert "batch_loss" in tags_of(acc, "scalars")
        assert not tags_of(acc, "histograms") and not tags_of(acc, "images")
