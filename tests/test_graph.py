"""A spec as a graph of layers (`tfmodels.core.graph`): wiring, both tracks' builds against the
NumPy witness, training parity, `from_keras` of a functional model, conversion, graph names."""

import json

import keras
import numpy as np
import pytest

from tests.helpers import GRAPH_SPEC, numpy_graph_forward
from tf1_compat.model import build_model as build_tf1
from tfmodels.core.data import load_dataset
from tfmodels.core.errors import UserError
from tfmodels.core.registry import get_spec
from tfmodels.core.spec import ModelSpec, initial_weights
from tfmodels.keras_track.model import build_model
from tfmodels.parity import compare

GRAPH = GRAPH_SPEC


def test_a_plain_list_is_the_chain_it_always_was():
    spec = get_spec("digits_cnn")
    assert spec.wiring.chain and spec.wiring.order == tuple(range(len(spec.layers)))
    assert spec.wiring.names == ("conv2d_0", "max_pooling2d_1", "flatten_2", "dropout_3",
                                 "dense_4")
    assert all({"name", "inputs"}.isdisjoint(d) for d in spec.to_dict()["layers"])
    assert "outputs" not in spec.to_dict()


def test_a_graph_spec_orders_each_layer_after_its_inputs_and_round_trips(tmp_path):
    spec = ModelSpec.from_dict(GRAPH)
    wiring = spec.wiring
    assert not wiring.chain
    assert wiring.names[2:5] == ("skip", "proj", "concatenate_4")
    assert wiring.sources[2] == (1, 3) and wiring.sources[3] == (-1,)
    assert wiring.order.index(3) < wiring.order.index(2)  # proj before the Add that takes it
    assert spec.layer_shapes()[4] == (16,)  # Concatenate: 8 + 8
    # weights in the order the layers are listed
    assert spec.weight_names()[:6] == ["h/kernel", "h/bias", "dense_1/kernel", "dense_1/bias",
                                       "proj/kernel", "proj/bias"]
    path = tmp_path / "graph.json"
    path.write_text(json.dumps(spec.to_dict()))
    assert ModelSpec.from_file(str(path)) == spec


@pytest.mark.parametrize("layers, message", [
    ([{"kind": "Dense", "units": 3, "name": "a"},
      {"kind": "Dense", "units": 4, "name": "b", "inputs": ["input"]},
      {"kind": "Concatenate", "inputs": ["a", "b"]}, {"kind": "Reshape", "target_shape": [7, 1]},
      {"kind": "Concatenate", "inputs": ["reshape_3", "a"]}],
     "layer 'concatenate_4' (Concatenate) does not fit what 'reshape_3', 'a' give: "
     "Concatenate (last axis) needs inputs alike but for their last axis, got (7, 1) and (3,)"),
    ([{"kind": "Dense", "units": 3, "name": "a"}, {"kind": "Multiply", "inputs": ["a", "input"]}],
     "layer 'multiply_1' (Multiply) does not fit what 'a', 'input' give: Multiply needs inputs "
     "of one shape, got (3,) and (2,)"),
    ([{"kind": "Dense", "units": 3, "name": "input"}],
     "layer 0 (Dense) is named 'input', the model input's name; expected another name"),
    ([{"kind": "Dense", "units": 3, "name": "a"}, {"kind": "Dense", "units": 3, "name": "a"}],
     "layer 1 (Dense) is named 'a', as layer 0 is; expected a name of its own"),
    ([{"kind": "Dense", "units": 3, "inputs": "input"}],
     "layer 'dense_0' (Dense) inputs must be a non-empty list of layer names, got 'input'"),
])
def test_wiring_mistakes_name_the_layer(layers, message):
    d = {**GRAPH, "loss": "mean_squared_error", "metrics": [], "layers": layers}
    with pytest.raises(UserError) as e:
        ModelSpec.from_dict(d)
    assert str(e.value) == f"spec: {message}"


def _numpy_forward(spec, weights, x):
    return numpy_graph_forward(spec, weights, x)


def test_both_tracks_predict_what_the_numpy_witness_computes():
    spec = ModelSpec.from_dict(GRAPH)
    weights = initial_weights(spec)
    x = np.random.default_rng(3).normal(size=(16, 2)).astype(np.float32)
    expected = _numpy_forward(spec, [w.astype(np.float64) for w in weights], x)
    model = build_model(spec)
    # Keras walks the graph in its own order (proj first); the spec's order is kept
    with_weights = [layer.name for layer in model.layers if layer.weights]
    listed = [n for n, layer in zip(spec.wiring.names, spec.layers) if not layer.merge]
    assert with_weights != listed
    for ours, theirs in zip(model.get_weights(), weights):
        np.testing.assert_array_equal(ours, theirs)
    np.testing.assert_allclose(model.predict(x, verbose=0), expected, atol=1e-6)
    with build_tf1(spec) as tf1:
        np.testing.assert_allclose(tf1.predict(x, verbose=0), expected, atol=1e-6)
        ops = {op.name.split("/")[0] for op in tf1.graph.get_operations()}
    assert {"h", "skip", "proj", "concatenate_4", "gate", "multiply_7"} <= ops  # spec's names


def test_both_tracks_train_a_graph_to_the_same_numbers():
    spec = ModelSpec.from_dict(GRAPH)
    report = compare(spec, load_dataset("spiral", spec.seed))
    assert report.ok, report.table()
    assert report.keras.history["loss"][-1] < report.keras.history["loss"][0]


def _residual_keras_model():
    inputs = keras.Input((8, 8, 1), name="image")
    conv = keras.layers.Conv2D(4, 3, padding="same", name="conv")(inputs)
    relu = keras.layers.Activation("relu", name="relu")(conv)
    norm = keras.layers.BatchNormalization(name="norm")(relu)
    proj = keras.layers.Conv2D(4, 1, name="proj")(inputs)
    total = keras.layers.Add(name="residual")([norm, proj])
    flat = keras.layers.Flatten(name="flat")(total)
    outputs = keras.layers.Dense(10, activation="softmax", name="out")(flat)
    model = keras.Model(inputs, outputs, name="user_resnet")
    model.compile(keras.optimizers.Adam(0.005), "categorical_crossentropy", metrics=["accuracy"])
    return model


def test_from_keras_reads_a_functional_residual_model_and_compare_proves_its_tf1_twin():
    model = _residual_keras_model()
    spec = ModelSpec.from_keras(model, dataset="digits", batch_size=64)
    assert spec.wiring.names == ("conv", "norm", "proj", "residual", "flat", "out")
    assert spec.layers[0].activation == "relu"  # the Activation joined the Conv2D before it
    assert spec.inputs_of[3] == ("norm", "proj") and spec.inputs_of[2] == ("input",)
    data = load_dataset("digits")
    report = compare(spec, data, user_model=model)
    assert report.ok, report.table()


def test_from_keras_reads_a_residual_separable_model_and_compare_proves_its_tf1_twin():
    """Issue 27's "done when": a functional Keras model with a residual `Add` and a
    `SeparableConv2D` (a MobileNet-style block with a 1x1 projection shortcut) becomes a spec,
    and `compare` proves its TF1 twin, the spec's model first checked against the user's."""
    layers = keras.layers
    inputs = keras.Input((8, 8, 1), name="image")
    body = layers.SeparableConv2D(8, 3, padding="same", activation="relu", name="sep")(inputs)
    shortcut = layers.Conv2D(8, 1, name="proj")(inputs)
    merged = layers.Add(name="residual")([body, shortcut])
    pooled = layers.GlobalAveragePooling2D(name="pool")(merged)
    outputs = layers.Dense(10, activation="softmax", name="out")(pooled)
    model = keras.Model(inputs, outputs, name="user_separable_resnet")
    model.compile(keras.optimizers.Adam(0.01), "categorical_crossentropy", metrics=["accuracy"])
    spec = ModelSpec.from_keras(model, dataset="digits", batch_size=64, epochs=1)
    assert [layer.kind for layer in spec.layers] == [
        "SeparableConv2D", "Conv2D", "Add", "GlobalAveragePooling2D", "Dense"]
    assert spec.inputs_of[2] == ("sep", "proj")
    report = compare(spec, load_dataset("digits"), user_model=model)
    assert report.ok, report.table()


def test_from_keras_refuses_what_a_graph_spec_cannot_say():
    inputs = keras.Input((4,))
    a = keras.layers.Dense(3, name="a")(inputs)
    joined = keras.layers.Concatenate(axis=0, name="cat")([a, a])
    model = keras.Model(inputs, joined)
    model.compile("sgd", "mean_squared_error")
    with pytest.raises(UserError, match=r"^layer 'cat' \(Concatenate\): axis=0 is not carried "
                                        r"by the spec \(only -1\)"):
        ModelSpec.from_keras(model, dataset="binary4")
    shared = keras.layers.Dense(4, name="shared")
    model = keras.Model(inputs, keras.layers.Add()([shared(inputs), shared(inputs)]))
    with pytest.raises(UserError, match=r"^layer 'shared' \(Dense\) is called 2 times"):
        ModelSpec.from_keras(model, dataset="binary4")
    b = keras.layers.Dense(2, name="b")(inputs)
    model = keras.Model(inputs, [a, b])  # several inputs are read (tests/test_multi_input.py)
    with pytest.raises(UserError, match=r"has 1 inputs and 2 outputs; a spec's graph has one "
                                        r"output"):
        ModelSpec.from_keras(model, dataset="binary4")



def test_convert_carries_a_graph_models_weights_between_the_tracks(tmp_path, capsys):
    """digits_resnet's weights, every one distinct (moving statistics included), TF1 -> .keras
    -> TF1: the same predictions in all three."""
    from tfmodels.cli import main
    from tfmodels.migration.conversion import read_tf1, write_tf1

    spec = get_spec("digits_resnet")
    rng = np.random.default_rng(5)
    weights = [(rng.uniform(0.5, 1.5, w.shape) * (1 + 0.1 * i)).astype(np.float32)
               for i, w in enumerate(initial_weights(spec))]
    write_tf1(str(tmp_path / "tf1" / "ckpt"), spec, weights)
    keras_file = str(tmp_path / "m.keras")
    assert main(["convert", "--from", "tf1", "--to", "keras", str(tmp_path / "tf1" / "ckpt"),
                 keras_file, "--model", "digits_resnet"]) == 0
    assert main(["convert", "--from", "keras", "--to", "tf1", keras_file,
                 str(tmp_path / "back" / "ckpt"), "--model", "digits_resnet"]) == 0
    x = rng.normal(size=(16, 8, 8, 1)).astype(np.float32)
    with build_tf1(spec, weights) as tf1:
        expected = tf1.predict(x, verbose=0)
    loaded = keras.saving.load_model(keras_file, safe_mode=True)
    np.testing.assert_allclose(loaded.predict(x, verbose=0), expected, atol=1e-6)
    back = read_tf1(str(tmp_path / "back" / "ckpt"), spec)
    for ours, theirs in zip(back, weights):
        np.testing.assert_array_equal(ours, theirs)


def _run_graph_ops(folder):
    """{op name: op type} of the run-level GraphDef events in a run's event files (the graph
    TensorBoard's Graphs tab opens on)."""
    import glob
    import os

    import tensorflow as tf

    events = (tf.compat.v1.Event.FromString(record.numpy())
              for path in sorted(glob.glob(os.path.join(folder, "events.out.tfevents.*")))
              for record in tf.data.TFRecordDataset(path))
    return {node.name: node.op for e in events if e.HasField("graph_def")
            for node in tf.compat.v1.GraphDef.FromString(e.graph_def).node}


@pytest.mark.parametrize("track", ["keras", "tf1"])
def test_tensorboard_graphs_show_the_branches_and_merges_by_the_specs_names(compared, track):
    import os
    import re

    _, run_dir = compared("digits_resnet")
    ops = _run_graph_ops(os.path.join(run_dir, track, "train"))

    def in_layer(layer):  # Keras's scopes may add a suffix: add_4_1
        return {op for name, op in ops.items() if re.search(rf"(^|/){layer}(_\d+)?/", name)}

    for merge in ("add_4", "add_8"):
        assert in_layer(merge) & {"Add", "AddV2"}, (merge, sorted(ops)[:30])
    for conv in ("conv2d_0", "conv2d_2", "conv2d_5", "conv2d_7"):  # the 1x1 projection too
        assert "Conv2D" in in_layer(conv), conv


def test_the_example_graph_spec_file_compares_from_the_command_line(tmp_path, capsys):
    import os

    from tests.helpers import ROOT
    from tfmodels.cli import main

    path = os.path.join(ROOT, "scripts", "my_resnet.json")
    spec = ModelSpec.from_file(path)
    assert spec.wiring.sources == ((-1,), (0,), (-1,), (1, 2), (3,), (4,))
    assert main(["compare", "--spec", path, "--epochs", "1", "--logdir", str(tmp_path)]) == 0
    out = capsys.readouterr().out
    assert "parity: OK" in out and "a functional keras.Model" in out


@pytest.mark.parametrize("track", ["keras", "tf1"])
def test_a_graph_model_resumes_from_its_checkpoint_where_an_unbroken_run_goes(track, tmp_path):
    """One epoch from weights of our own, checkpointed, then resumed to two: the weights of two
    epochs in one run from those weights (a resume that ignored the checkpoint would start from
    the spec's seeded weights instead)."""
    from tfmodels.training import train

    spec = ModelSpec.from_dict(GRAPH)
    data = load_dataset("spiral", spec.seed)
    start = [w * np.float32(0.5) + np.float32(0.01) for w in initial_weights(spec)]
    folder = str(tmp_path / "ckpt")
    train(track, spec.replace(epochs=1), data, weights=start, checkpoint_dir=folder, verbose=0,
          log=None)
    resumed = train(track, spec, data, checkpoint_dir=folder, verbose=0, log=None)
    unbroken = train(track, spec, data, weights=start, verbose=0, log=None)
    assert len(resumed.history["loss"]) == 2
    for ours, theirs in zip(resumed.weights, unbroken.weights):
        np.testing.assert_array_equal(ours, theirs)
