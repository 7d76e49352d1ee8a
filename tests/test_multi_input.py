"""Several named inputs in a graph spec (`ModelSpec(inputs={...})`): the wiring, data as dicts,
both tracks against the NumPy witness, training parity, the dataset pipeline, checkpoints,
conversion, TensorBoard and the refusals."""

import json
import re

import numpy as np
import pytest

from tests.helpers import numpy_graph_forward
from tf1_compat.model import build_model as build_tf1
from tfmodels.core.data import load_dataset
from tfmodels.core.errors import UserError
from tfmodels.core.registry import get_spec
from tfmodels.core.spec import LOSS_RTOL, PREDICTION_ATOL, WEIGHT_ATOL, ModelSpec, initial_weights
from tfmodels.keras_track.model import build_model
from tfmodels.parity import compare

# Two inputs: `a` (3 numbers) through a tanh Dense, `b` (2 numbers) through a Dense, summed,
# concatenated with `a` itself, gated by a Dense of `b` (Multiply), then a softmax.
TWO = {
    "name": "two", "dataset": "digits_plus", "epochs": 1,
    "inputs": {"a": [3], "b": [2]},
    "loss": "categorical_crossentropy", "metrics": ["accuracy"], "optimizer": "adam",
    "layers": [
        {"kind": "Dense", "units": 4, "activation": "tanh", "name": "from_a", "inputs": ["a"]},
        {"kind": "Dense", "units": 4, "name": "from_b", "inputs": ["b"]},
        {"kind": "Add", "name": "sum", "inputs": ["from_a", "from_b"]},
        {"kind": "Concatenate", "name": "cat", "inputs": ["sum", "a"]},
        {"kind": "Dense", "units": 7, "activation": "sigmoid", "name": "gate", "inputs": ["b"]},
        {"kind": "Multiply", "name": "gated", "inputs": ["cat", "gate"]},
        {"kind": "Dense", "units": 3, "activation": "softmax", "name": "out"},
    ],
}


def _x(rng, n=16):
    return {"a": rng.normal(size=(n, 3)).astype(np.float32),
            "b": rng.normal(size=(n, 2)).astype(np.float32)}


def _numpy_forward(spec, weights, x):
    """The spec's graph in NumPy, the inputs in the spec's order."""
    inputs = [x[name].astype(np.float64) for name in spec.input_names]
    return numpy_graph_forward(spec, weights, inputs)


def test_a_spec_of_named_inputs_wires_them_by_name_and_round_trips(tmp_path):
    spec = ModelSpec.from_dict(TWO)
    assert spec.input_names == ("a", "b")
    assert spec.input_shapes_by_name == {"a": (3,), "b": (2,)}
    # input k is source -(k + 1); the layers take them by name
    assert spec.wiring.sources[:4] == ((-1,), (-2,), (0, 1), (2, -1))
    assert spec.layer_shapes()[3] == (7,)  # 4 + 3
    path = tmp_path / "two.json"
    path.write_text(json.dumps(spec.to_dict()))
    again = ModelSpec.from_file(str(path))
    assert again == spec and again.to_dict()["inputs"] == {"a": [3], "b": [2]}
    assert "input_shape" not in spec.to_dict()
    # a spec of one input is written as it always was
    one = get_spec("digits_resnet").to_dict()
    assert "inputs" not in one and one["input_shape"] == [8, 8, 1]


@pytest.mark.parametrize("change, message", [
    (lambda d: d["layers"][1].update(inputs=["bb"]),
     "layer 'from_b' (Dense) takes 'bb', which is no layer's name nor the input's; expected one "
     "of: from_a, from_b, sum, cat, gate, gated, out, a, b"),
    (lambda d: d["layers"][4].update(inputs=["a"]) or d["layers"][1].update(inputs=["a"]),
     "input 'b' is taken by no layer; expected it in the inputs of a layer"),
    (lambda d: d["layers"][0].update(name="b"),
     "layer 0 (Dense) is named 'b', a model input's name; expected another name"),
    (lambda d: d.update(input_shape=[3]),
     "model 'two' gives both inputs and input_shape (or input_dim); expected one of them"),
    (lambda d: d.update(inputs={"a": [3], "b": [0]}),
     "inputs: input 'b' shape must be a list of positive integers, got [0]"),
    (lambda d: d.update(inputs={"a": [3]}),
     "inputs must name two or more inputs with their shapes"),
    (lambda d: d.update(inputs=[["a", [3]], ["b", [2]]]),
     "inputs must be an object of input names and shapes"),
    (lambda d: d["layers"][3].update(kind="Add"),
     "layer 'cat' (Add) does not fit what 'sum', 'a' give: Add needs inputs of one shape, got "
     "(4,) and (3,)"),
])
def test_named_input_mistakes_are_one_line(change, message):
    d = json.loads(json.dumps(TWO))
    change(d)
    with pytest.raises(UserError, match="^spec: " + re.escape(message)):
        ModelSpec.from_dict(d)


def test_both_tracks_predict_what_the_numpy_witness_computes():
    spec = ModelSpec.from_dict(TWO)
    rng = np.random.default_rng(4)
    # every weight distinct and away from zero (biases included), so each one matters
    weights = [(w + rng.uniform(0.1, 0.5, w.shape)).astype(np.float32)
               for w in initial_weights(spec)]
    x = _x(rng)
    expected = _numpy_forward(spec, [w.astype(np.float64) for w in weights], x)
    swapped = _numpy_forward(spec, [w.astype(np.float64) for w in weights],
                             {"a": x["a"], "b": x["b"][::-1]})
    assert np.abs(expected - swapped).max() > 1e-3  # the witness sees each input's rows
    model = build_model(spec, weights)
    np.testing.assert_allclose(model.predict(x, verbose=0), expected, atol=1e-6)
    with build_tf1(spec, weights) as tf1:
        np.testing.assert_allclose(tf1.predict(x, verbose=0), expected, atol=1e-6)
        names = {op.name for op in tf1.graph.get_operations()}
    assert {"x/a", "x/b"} <= names  # a placeholder per input, under x/


def _run_graph_nodes(folder):
    """The nodes of the run-level GraphDefs in a run's event files (TensorBoard's Graphs tab)."""
    import glob
    import os

    import tensorflow as tf

    events = (tf.compat.v1.Event.FromString(record.numpy())
              for path in sorted(glob.glob(os.path.join(folder, "events.out.tfevents.*")))
              for record in tf.data.TFRecordDataset(path))
    return [node for e in events if e.HasField("graph_def")
            for node in tf.compat.v1.GraphDef.FromString(e.graph_def).node]


def test_both_tracks_train_digits_plus_to_the_same_numbers(tmp_path):
    """The registry's two-input model, one epoch: equal within the parity tolerances (loss
    1e-5 relative, weights and predictions 1e-5), and the scalar input was used. Both run
    graphs have the same top-level groups, the inputs as `x/image` and `x/extra`."""
    import os

    spec = get_spec("digits_plus").replace(epochs=1)
    report = compare(spec, load_dataset("digits_plus"), str(tmp_path))
    groups = {}
    for track in ("keras", "tf1"):
        nodes = _run_graph_nodes(os.path.join(str(tmp_path), track, "train"))
        groups[track] = {node.name.split("/")[0] for node in nodes}
        inputs = {node.name for node in nodes if node.op == "Placeholder"}
        assert {"x/image", "x/extra"} <= inputs, (track, sorted(inputs))
    assert groups["keras"] == groups["tf1"]
    assert {"x", "y", "conv2d_0", "dense_2", "concatenate_3", "dense_4"} <= groups["tf1"]
    assert report.max_loss_rdiff <= LOSS_RTOL and report.weight_diff <= WEIGHT_ATOL
    assert report.prediction_diff <= PREDICTION_ATOL and report.ok, report.table()
    start = initial_weights(spec)
    extra_kernel = spec.weight_names().index("dense_2/kernel")
    assert np.abs(report.tf1.weights[extra_kernel] - start[extra_kernel]).max() > 1e-3
    assert report.keras.history["val_accuracy"][-1] > 0.8


def test_tf1_dataset_pipeline_trains_what_feed_dict_trains():
    spec = ModelSpec.from_dict(TWO)
    rng = np.random.default_rng(8)
    x, y = _x(rng, 40), np.eye(3, dtype=np.float32)[rng.integers(0, 3, 40)]
    results = []
    for pipeline in ("feed_dict", "dataset"):
        with build_tf1(spec) as model:
            history = model.fit(x, y, batch_size=8, epochs=2, verbose=0, pipeline=pipeline,
                                validation_data=(x, y))
            results.append((history.history["loss"], model.get_weights()))
    assert results[0][0] == results[1][0]
    for a, b in zip(results[0][1], results[1][1]):
        np.testing.assert_array_equal(a, b)
    assert results[0][1][0].tolist() != initial_weights(spec)[0].tolist()


@pytest.mark.parametrize("track", ["keras", "tf1"])
def test_wrong_inputs_are_refused_in_one_line(track):
    spec = ModelSpec.from_dict(TWO)
    rng = np.random.default_rng(0)
    x, y = _x(rng, 6), np.eye(3, dtype=np.float32)[[0, 1, 2, 0, 1, 2]]
    model = build_model(spec) if track == "keras" else build_tf1(spec)
    cases = [
        (lambda: model.fit({"a": x["a"]}, y, verbose=0),
         r"^x has inputs \['a'\]: input 'b' is missing; expected the model's inputs \['a', 'b'\]"),
        (lambda: model.predict({**x, "c": x["b"]}, verbose=0),
         r"^x has inputs \['a', 'b', 'c'\]: no input named 'c'"),
        (lambda: model.evaluate({"a": x["a"], "b": x["a"]}, y, verbose=0),
         r"^x\['b'\] has shape \(6, 3\), but the model expects \(None, 2\)"),
        (lambda: model.predict(x["a"], verbose=0),
         r"^x must be a dict of the model's inputs \(a, b\) to arrays, got ndarray"),
        (lambda: model.fit({"a": x["a"], "b": x["b"][:4]}, y, verbose=0),
         r"^x's inputs hold different numbers of samples: \{'a': 6, 'b': 4\}"),
        (lambda: model.fit(x, y[:5], verbose=0), r"^x has 6 samples but y has 5"),
    ]
    try:
        for call, message in cases:
            with pytest.raises(UserError, match=message):
                call()
    finally:
        if track == "tf1":
            model.close()


def test_data_of_the_wrong_kind_and_distributed_training_are_refused():
    from tfmodels.core.data import for_spec
    from tfmodels.core.strategy import Plan
    from tfmodels.training import train

    spec = get_spec("digits_plus")
    with pytest.raises(UserError, match=r"^data set 'digits' has one input; model 'digits_plus' "
                                        r"takes inputs \['image', 'extra'\]"):
        for_spec(load_dataset("digits"), spec.replace(dataset="digits"))
    with pytest.raises(UserError, match=r"^data set 'digits_plus' has inputs \['image', "
                                        r"'extra'\]; model 'digits_resnet' takes one input"):
        for_spec(load_dataset("digits_plus"), get_spec("digits_resnet", dataset="digits_plus"))
    plan = Plan("mirrored", ["/device:CPU:0", "/device:CPU:1"])
    with pytest.raises(UserError, match=r"^model 'digits_plus' takes several named inputs "
                                        r"\(image, extra\), which distributed training "
                                        r"\(strategy=mirrored\) does not take"):
        train("tf1", spec, load_dataset("digits_plus"), strategy=plan, verbose=0, log=None)


@pytest.mark.parametrize("track", ["keras", "tf1"])
def test_a_two_input_model_resumes_from_its_checkpoint(track, tmp_path):
    """One epoch from weights of our own, checkpointed, resumed to two: the weights of two
    epochs in one unbroken run from those weights."""
    from tfmodels.training import train

    spec = ModelSpec.from_dict({**TWO, "epochs": 2})
    rng = np.random.default_rng(2)
    x, xv = _x(rng, 48), _x(rng, 16)
    y = np.eye(3, dtype=np.float32)[rng.integers(0, 3, 48)]
    data = load_dataset("digits_plus")._replace(x_train=x, y_train=y, x_val=xv, y_val=y[:16])
    start = [w * np.float32(0.5) + np.float32(0.01) for w in initial_weights(spec)]
    folder = str(tmp_path / "ckpt")
    train(track, spec.replace(epochs=1), data, weights=start, checkpoint_dir=folder, verbose=0,
          log=None)
    resumed = train(track, spec, data, checkpoint_dir=folder, verbose=0, log=None)
    unbroken = train(track, spec, data, weights=start, verbose=0, log=None)
    assert len(resumed.history["loss"]) == 2
    for ours, theirs in zip(resumed.weights, unbroken.weights):
        np.testing.assert_array_equal(ours, theirs)
    # the checkpoint is bound to its inputs: another shape of `b` is refused, not resumed
    other = ModelSpec.from_dict({**TWO, "epochs": 3, "inputs": {"a": [3], "b": [4]}})
    data = data._replace(x_train={"a": x["a"], "b": np.tile(x["b"], 2)},
                         x_val={"a": xv["a"], "b": np.tile(xv["b"], 2)})
    with pytest.raises(UserError, match="inputs"):
        train(track, other, data, checkpoint_dir=folder, verbose=0, log=None)


@pytest.mark.parametrize("track", ["keras", "tf1"])
def test_a_two_input_checkpoint_evaluates_on_its_data_set(track, tmp_path):
    """`tfmodels evaluate CHECKPOINT_DIR` (`inference.evaluate`) of digits_plus: the numbers of
    the run's final validation; a data file is refused in one line."""
    from tfmodels.inference import evaluate
    from tfmodels.training import train

    spec = get_spec("digits_plus").replace(epochs=1)
    folder = str(tmp_path / "ckpt")
    result = train(track, spec, load_dataset("digits_plus"), checkpoint_dir=folder, verbose=0,
                   log=None)
    _, numbers = evaluate(folder)
    np.testing.assert_allclose(numbers["loss"], result.history["val_loss"][-1], rtol=1e-6)
    np.savez(tmp_path / "xy.npz", x=np.zeros((2, 64), np.float32),
             y=np.eye(10, dtype=np.float32)[[1, 2]])
    with pytest.raises(UserError, match=r"takes several named inputs \(image, extra\), which a "
                                        r"data file does not carry"):
        evaluate(folder, str(tmp_path / "xy.npz"))


def test_convert_carries_a_two_input_models_weights_between_the_tracks(tmp_path, capsys):
    """digits_plus's weights, every one distinct, TF1 -> .keras -> TF1 by `tfmodels convert`:
    the same predictions from a dict of inputs in all three, the same weights back."""
    import keras

    from tfmodels.cli import main
    from tfmodels.migration.conversion import read_tf1, write_tf1

    spec = get_spec("digits_plus")
    rng = np.random.default_rng(5)
    weights = [(rng.uniform(0.5, 1.5, w.shape) * (1 + 0.1 * i)).astype(np.float32)
               for i, w in enumerate(initial_weights(spec))]
    write_tf1(str(tmp_path / "tf1" / "ckpt"), spec, weights)
    keras_file = str(tmp_path / "m.keras")
    assert main(["convert", "--from", "tf1", "--to", "keras", str(tmp_path / "tf1" / "ckpt"),
                 keras_file, "--model", "digits_plus"]) == 0
    assert main(["convert", "--from", "keras", "--to", "tf1", keras_file,
                 str(tmp_path / "back" / "ckpt"), "--model", "digits_plus"]) == 0
    x = {"image": rng.uniform(0, 1, (16, 8, 8, 1)).astype(np.float32),
         "extra": rng.uniform(0, 1, (16, 1)).astype(np.float32)}
    with build_tf1(spec, weights) as tf1:
        expected = tf1.predict(x, verbose=0)
    loaded = keras.saving.load_model(keras_file, safe_mode=True)
    np.testing.assert_allclose(loaded.predict(x, verbose=0), expected, rtol=1e-5)
    back = read_tf1(str(tmp_path / "back" / "ckpt"), spec)
    for ours, theirs in zip(back, weights):
        np.testing.assert_array_equal(ours, theirs)


def test_from_keras_reads_a_two_input_functional_model_and_compare_proves_its_tf1_twin():
    """A user's functional model of two named `keras.Input`s becomes a spec of those inputs
    (its layer names, its wiring); `compare(user_model=...)` proves both tracks against it."""
    import keras

    image = keras.Input((8, 8, 1), name="image")
    extra = keras.Input((1,), name="extra")
    conv = keras.layers.Conv2D(4, 3, activation="relu", name="conv")(image)
    flat = keras.layers.Flatten(name="flat")(conv)
    scalar = keras.layers.Dense(4, activation="relu", name="scalar")(extra)
    joined = keras.layers.Concatenate(name="joined")([flat, scalar])
    out = keras.layers.Dense(10, activation="softmax", name="out")(joined)
    model = keras.Model({"image": image, "extra": extra}, out, name="user_two")
    model.compile(keras.optimizers.Adam(0.005), "categorical_crossentropy", metrics=["accuracy"])
    spec = ModelSpec.from_keras(model, dataset="digits_plus", batch_size=64)
    assert spec.input_shapes_by_name == {"image": (8, 8, 1), "extra": (1,)} or \
        spec.input_shapes_by_name == {"extra": (1,), "image": (8, 8, 1)}
    assert spec.inputs_of[spec.wiring.names.index("conv")] == ("image",)
    assert spec.inputs_of[spec.wiring.names.index("scalar")] == ("extra",)
    report = compare(spec, load_dataset("digits_plus"), user_model=model)
    assert report.ok, report.table()


def test_the_example_two_input_spec_file_compares_from_the_command_line(tmp_path, capsys):
    import os

    from tests.helpers import ROOT
    from tfmodels.cli import main

    path = os.path.join(ROOT, "scripts", "my_two_inputs.json")
    spec = ModelSpec.from_file(path)
    assert spec.input_names == ("image", "extra")
    assert spec.wiring.sources == ((-1,), (0,), (-2,), (1, 2), (3,))
    assert main(["compare", "--spec", path, "--epochs", "1", "--logdir", str(tmp_path)]) == 0
    assert "parity: OK" in capsys.readouterr().out
