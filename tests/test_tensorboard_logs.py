"""Both tracks' event files, read back with TensorBoard's own reader.

The runs are the session's `compared` fixture: every model at its defaults, logged with the
default `LogOptions` (epoch scalars, histograms every epoch, graphs, pictures), plus the `parity`
run `compare` adds.
"""

import glob
import json
import os
import re

import numpy as np
import pytest
import tensorflow as tf
from tensorboard.compat.proto.config_pb2 import RunMetadata

from tests.helpers import accumulate, images, read, tags_of
from tfmodels.core.registry import MODELS, get_spec


@pytest.mark.parametrize("name", ["mnist_mlp", "sine"])
def test_both_tracks_log_the_same_tags_with_their_history_values(compared, name):
    report, run_dir = compared(name)
    epochs = get_spec(name).epochs
    tags = {}
    for track, result in (("keras", report.keras), ("tf1", report.tf1)):
        for split, prefix in (("train", ""), ("validation", "val_")):
            folder = os.path.join(run_dir, track, split)
            assert os.path.isdir(folder), folder
            _, logged_scalars = read(folder)
            tags[track, split] = set(logged_scalars)
            for key, values in result.history.items():
                if (split == "validation") != key.startswith("val_"):
                    continue
                tag = "epoch_" + key[len(prefix):]
                steps, logged = zip(*logged_scalars[tag])
                assert list(steps) == list(range(epochs))
                # summaries hold float32: the History's values, rounded once
                np.testing.assert_array_equal(np.float32(logged), np.float32(values))
    for split in ("train", "validation"):
        assert tags["keras", split] == tags["tf1", split]
    assert {"epoch_loss", "epoch_learning_rate"} <= tags["tf1", "train"]
    assert {"evaluation_loss_vs_iterations"} <= tags["tf1", "validation"]


def test_tf1_track_writes_its_graph_with_readable_scopes(compared):
    _, run_dir = compared("mnist_mlp")
    acc, _ = read(os.path.join(run_dir, "tf1", "train"))
    names = {node.name for node in acc.Graph().node}
    assert {"x", "y", "dense_0/kernel", "dense_1/bias"} <= names
    assert any(n.startswith("loss/") for n in names) and any(n.startswith("train/") for n in names)


def run_graphs(folder):
    """The run-level `GraphDef` events of a run's event files, read raw: the graph TensorBoard's
    Graphs tab opens on (its "Op graph" of the run, before any tag)."""
    events = (tf.compat.v1.Event.FromString(record.numpy())
              for path in sorted(glob.glob(os.path.join(folder, "events.out.tfevents.*")))
              for record in tf.data.TFRecordDataset(path))
    return [tf.compat.v1.GraphDef.FromString(e.graph_def) for e in events
            if e.HasField("graph_def")]


@pytest.mark.parametrize("track", ["keras", "tf1"])
def test_each_track_writes_one_run_graph_of_a_training_step_in_its_layers_scopes(compared,
                                                                                 track):
    _, run_dir = compared("mnist_mlp")
    (graph,) = run_graphs(os.path.join(run_dir, track, "train"))  # one: TensorBoard keeps one
    ops = {node.name: node.op for node in graph.node}
    for layer in ("dense_0", "dense_1"):  # Keras's scopes may add a suffix: dense_0_1
        in_layer = {op for name, op in ops.items() if re.search(rf"(^|/){layer}(_\d+)?/", name)}
        assert {"MatMul", "BiasAdd"} <= in_layer, (layer, sorted(ops)[:20])
    assert {"Relu", "Softmax", "ReluGrad", "SoftmaxCrossEntropyWithLogits"} <= set(ops.values())


def top_level_groups(graph):
    """What TensorBoard draws as the main graph's nodes: each node name's first part."""
    return {node.name.split("/")[0] for node in graph.node}


@pytest.mark.parametrize("name", sorted(MODELS))
def test_both_tracks_run_graphs_have_the_same_top_level_groups_named_by_the_spec(compared,
                                                                                  name):
    _, run_dir = compared(name)
    spec = get_spec(name)
    groups = {track: top_level_groups(run_graphs(os.path.join(run_dir, track, "train"))[-1])
              for track in ("keras", "tf1")}
    layers = {layer.name(i) for i, layer in enumerate(spec.layers)}
    # the spec's names, no model box (mnist_mlp_1), no `_1` copies, no loose ops (Shape, Cast)
    assert groups["keras"] == layers | {"x", "y", "global_step", "loss", "metrics", "train"}
    assert groups["tf1"] == groups["keras"]


def test_keras_track_writes_its_conceptual_and_its_traced_op_graph(compared):
    from tfmodels.core.logs import TRACE_TAG

    _, run_dir = compared("mnist_mlp")
    acc = accumulate(os.path.join(run_dir, "keras", "train"))
    (conceptual,) = acc.Tensors("keras")
    config = json.loads(tf.make_ndarray(conceptual.tensor_proto).item())
    layers = [layer["config"]["name"] for layer in config["config"]["layers"]]
    assert layers[-2:] == ["dense_0", "dense_1"]

    assert TRACE_TAG in tags_of(acc, "graph_run_metadata_graph")
    (traced,) = acc.Tensors(TRACE_TAG)
    metadata = RunMetadata.FromString(tf.make_ndarray(traced.tensor_proto).item())
    graphs = [g.pre_optimization_graph for g in metadata.function_graphs]
    ops = {node.op for g in graphs for node in g.node}
    ops |= {node.op for g in graphs for f in g.library.function for node in f.node_def}
    # the ops one training step ran: forward, loss, backward; the batch comes from the
    # iterator (as an optional where Keras loops over several steps per call)
    assert {"MatMul", "BiasAdd", "Relu", "Softmax", "ReluGrad",
            "SoftmaxCrossEntropyWithLogits"} <= ops
    assert ops & {"IteratorGetNext", "IteratorGetNextAsOptional"}
    assert traced.step == 1


def histograms(folder):
    acc = accumulate(folder)
    return {tag: [(e.step, tf.make_ndarray(e.tensor_proto)) for e in acc.Tensors(tag)]
            for tag in tags_of(acc, "histograms")}


@pytest.mark.parametrize("name", ["mnist_mlp", "binary4"])
def test_both_tracks_log_every_weight_histogram_under_one_name(compared, name):
    report, run_dir = compared(name)
    spec = get_spec(name)
    expected = {f"dense_{i}/{w}" for i in range(len(spec.layers)) for w in ("kernel", "bias")}
    logged = {track: histograms(os.path.join(run_dir, track, "train"))
              for track in ("keras", "tf1")}
    for track, result in (("keras", report.keras), ("tf1", report.tf1)):
        assert set(logged[track]) == expected  # no `_1`, no model-name prefix
        final = dict(zip(sorted(expected, key=lambda t: (t.split("/")[0], t.endswith("bias"))),
                         result.weights))
        for tag, events in logged[track].items():
            assert [step for step, _ in events] == list(range(spec.epochs))
            buckets = events[-1][1]  # (left edge, right edge, count) rows
            weights = final[tag]
            assert buckets[:, 2].sum() == weights.size
            if weights.min() < weights.max():
                assert buckets[0, 0] == pytest.approx(weights.min())
                assert buckets[-1, 1] == pytest.approx(weights.max())
                edges = np.append(buckets[:, 0], buckets[-1, 1])
                counts, _ = np.histogram(weights.astype(np.float64), edges)
                assert np.abs(counts - buckets[:, 2]).sum() <= 2  # a point on an edge at most
    for tag in expected:  # the two tracks' histograms lie on top of each other
        (_, keras_last), (_, tf1_last) = logged["keras"][tag][-1], logged["tf1"][tag][-1]
        np.testing.assert_allclose(keras_last[:, :2], tf1_last[:, :2], atol=1e-5)
        assert np.abs(keras_last[:, 2] - tf1_last[:, 2]).sum() <= 2


@pytest.mark.parametrize("name, validation_pictures", [
    ("mnist_mlp", {"confusion_matrix", "misclassified_digits"}),
    ("spiral", {"confusion_matrix", "decision_regions"}),
    ("sine", {"sine_fit_linear_vs_relu"}),
])
def test_both_tracks_log_the_pictures_of_their_model(compared, name, validation_pictures):
    _, run_dir = compared(name)
    last_epoch = get_spec(name).epochs - 1
    for track in ("keras", "tf1"):
        logged = {split: images(os.path.join(run_dir, track, split))
                  for split in ("train", "validation")}
        assert set(logged["train"]) == {"activation_functions"}
        assert set(logged["validation"]) == validation_pictures
        for pictures in logged.values():
            for tag, ((step, tensor),) in pictures.items():
                assert step == last_epoch
                width, height = int(tensor[0]), int(tensor[1])
                pixels = tf.io.decode_png(tensor[2]).numpy()
                assert pixels.shape[:2] == (height, width) and width > 100
                assert len(np.unique(pixels.reshape(-1, pixels.shape[-1]), axis=0)) > 4, tag


@pytest.mark.parametrize("name", ["mnist_mlp", "sine"])
def test_parity_scalars_are_the_per_epoch_differences(compared, name):
    report, run_dir = compared(name)
    epochs = get_spec(name).epochs
    _, logged = read(os.path.join(run_dir, "parity"))
    k, t = report.keras.history, report.tf1.history
    assert set(logged) == ({f"parity/{key}_abs_diff" for key in k}
                           | {"parity/loss_rel_diff", "parity/weight_max_abs_diff",
                              "parity/prediction_max_abs_diff"})
    for key in k:
        steps, values = zip(*logged[f"parity/{key}_abs_diff"])
        assert list(steps) == list(range(epochs))
        expected = [abs(a - b) for a, b in zip(k[key], t[key])]
        np.testing.assert_array_equal(np.float32(values), np.float32(expected))
    steps, values = zip(*logged["parity/loss_rel_diff"])
    np.testing.assert_array_equal(np.float32(values), np.float32(report.loss_rdiff))
    assert logged["parity/weight_max_abs_diff"] == [(epochs - 1,
                                                     float(np.float32(report.weight_diff)))]


def test_runs_never_share_a_folder(tmp_path):
    from tfmodels.core.logs import new_run_dir

    runs = {new_run_dir(str(tmp_path), "m") for _ in range(20)}
    assert len(runs) == 20 and all(os.path.isdir(r) for r in runs)


def test_a_clashing_run_id_draws_another(tmp_path, monkeypatch):
    from tfmodels.core import logs

    suffixes = iter(["aaaaaa", "aaaaaa", "bbbbbb"])
    monkeypatch.setattr(logs.secrets, "token_hex", lambda n: next(suffixes))
    first, second = logs.new_run_dir(str(tmp_path), "m"), logs.new_run_dir(str(tmp_path), "m")
    assert first.endswith("aaaaaa") and second.endswith("bbbbbb")
