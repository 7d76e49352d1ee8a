"""Both tracks' event files, read back with TensorBoard's own reader."""

import os

import numpy as np
import pytest
import tensorflow as tf
from tensorboard.backend.event_processing.plugin_event_accumulator import EventAccumulator

from tfmodels.registry import get_spec


def read(folder):
    acc = EventAccumulator(folder)
    acc.Reload()
    scalars = {tag: [(e.step, float(tf.make_ndarray(e.tensor_proto))) for e in acc.Tensors(tag)]
               for tag in acc.Tags()["tensors"] if not tag.startswith("__")}
    return acc, scalars


@pytest.mark.parametrize("name", ["mnist_mlp", "sine"])
def test_both_tracks_log_the_same_tags_with_their_history_values(compared, name):
    report, run_dir = compared(name)
    epochs = get_spec(name).epochs
    tags = {}
    for track, result in (("keras", report.keras), ("tf1", report.tf1)):
        for split, prefix in (("train", ""), ("validation", "val_")):
            folder = os.path.join(run_dir, track, split)
            assert os.path.isdir(folder), folder
            _, scalars = read(folder)
            tags[track, split] = set(scalars)
            for key, values in result.history.items():
                if (split == "validation") != key.startswith("val_"):
                    continue
                tag = "epoch_" + key[len(prefix):]
                steps, logged = zip(*scalars[tag])
                assert list(steps) == list(range(epochs))
                # summaries hold float32: the History's values, rounded once
                np.testing.assert_array_equal(np.float32(logged), np.float32(values))
    for split in ("train", "validation"):
        assert tags["keras", split] == tags["tf1", split]
    assert {"epoch_loss", "epoch_learning_rate"} <= tags["tf1", "train"]


def test_tf1_track_writes_its_graph_with_readable_scopes(compared):
    _, run_dir = compared("mnist_mlp")
    acc, _ = read(os.path.join(run_dir, "tf1", "train"))
    names = {node.name for node in acc.Graph().node}
    assert {"x", "y", "dense_0/kernel", "dense_1/bias"} <= names
    assert any(n.startswith("loss/") for n in names) and any(n.startswith("train/") for n in names)


def test_runs_never_share_a_folder(tmp_path):
    from tfmodels.logs import new_run_dir

    runs = {new_run_dir(str(tmp_path), "m") for _ in range(20)}
    assert len(runs) == 20 and all(os.path.isdir(r) for r in runs)


def test_a_clashing_run_id_draws_another(tmp_path, monkeypatch):
    from tfmodels import logs

    suffixes = iter(["aaaaaa", "aaaaaa", "bbbbbb"])
    monkeypatch.setattr(logs.secrets, "token_hex", lambda n: next(suffixes))
    first, second = logs.new_run_dir(str(tmp_path), "m"), logs.new_run_dir(str(tmp_path), "m")
    assert first.endswith("aaaaaa") and second.endswith("bbbbbb")
