"""Models a user writes without editing the project: `--spec FILE` and `ModelSpec.from_keras`."""

import json
import os

import keras
import pytest

from tfmodels.cli import main
from tfmodels.core.data import load_dataset
from tfmodels.core.spec import Conv2D, Dense, ModelSpec
from tfmodels.parity import compare

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
EXAMPLE = os.path.join(ROOT, "scripts", "my_model.json")


def _example() -> dict:
    with open(EXAMPLE) as f:
        return json.load(f)


def _with(**changes) -> dict:
    return {**_example(), **changes}


def _layers(*layers) -> dict:
    return _with(layers=list(layers))


DENSE10 = {"kind": "Dense", "units": 10, "activation": "softmax"}
FLAT = {"kind": "Flatten"}

# (what the file holds, the words its one-line error must contain)
MALFORMED = [
    ("{not json", "not valid JSON (Expecting property name enclosed in double quotes at line 1"),
    (_layers({"kind": "Conv3D", "filters": 4}, FLAT, DENSE10),
     "layers[0]: unknown layer kind 'Conv3D'; expected one of: Dense, Conv2D"),
    (_layers(FLAT, {"kind": "Dense", "activation": "softmax"}),
     "layers[1] (Dense): missing 'units'"),
    (_layers(FLAT, {"kind": "Conv2D", "filters": 4}, FLAT, DENSE10),
     "layer 1 (Conv2D) does not fit what layer 0 (Flatten) gives: Conv2D needs inputs shaped "
     "(height, width, channels) per sample, got (64,)"),
    (_layers({"kind": "MaxPooling2D", "pool_size": 9}, FLAT, DENSE10),
     "MaxPooling2D pool_size (9, 9) does not fit inputs (8, 8, 1)"),
    (_layers({"kind": "Reshape", "target_shape": [7, 7]}, FLAT, DENSE10),
     "Reshape target_shape (7, 7) holds 49 numbers, its inputs (8, 8, 1) hold 64"),
    (_layers(FLAT, {"kind": "Dense", "units": 10, "activation": "sigmoid"}),
     "categorical_crossentropy expects a softmax output layer; the output layer (Dense, "
     "output (10,)) has activation 'sigmoid'"),
    (_with(loss="binary_crossentropy",
           layers=[FLAT, {"kind": "Dense", "units": 10, "activation": "sigmoid"}]),
     "binary_crossentropy expects a 1-unit output layer"),
    (_layers({"kind": "Conv2D", "filters": 4}, DENSE10),
     "must give one vector per sample; add a Flatten"),
    (_with(optimiser={"name": "adam"}), "unknown field(s) ['optimiser']"),
    (_with(optimizer={"name": "adamw"}), "optimizer: unknown optimizer 'adamw'"),
    ({k: v for k, v in _example().items() if k != "layers"}, "missing field 'layers'"),
    (_layers({"kind": "Dropout", "rate": 1.5}, FLAT, DENSE10),
     "Dropout rate must be in [0, 1), got 1.5"),
    (_layers({"kind": "Conv2D", "filters": 4, "padding": "full"}, FLAT, DENSE10),
     "Conv2D padding must be 'valid' or 'same', got 'full'"),
    (_layers(FLAT, {"kind": "Dense", "units": 10, "activation": "step"}),
     "uses activation 'step', which has no gradient"),
    (_with(input_shape=[7, 7, 1], layers=[FLAT, DENSE10]),
     "data set 'digits' has samples of shape (64,) (64 numbers); model 'my_cnn' takes "
     "input_shape (7, 7, 1)"),
]


def _write(tmp_path, content) -> str:
    path = tmp_path / "model.json"
    path.write_text(content if isinstance(content, str) else json.dumps(content))
    return str(path)


@pytest.mark.parametrize("content, message", MALFORMED,
                         ids=[m[:40] for _, m in MALFORMED])
def test_a_malformed_spec_file_is_one_line_exit_2_nothing_written(content, message, tmp_path,
                                                                   capsys):
    path, logdir = _write(tmp_path, content), tmp_path / "logs"
    code = main(["train", "--spec", path, "--logdir", str(logdir), "--checkpoint-dir",
                 str(tmp_path / "ckpt"), "--verbose", "0"])
    err = capsys.readouterr().err.strip()
    assert code == 2
    assert err.startswith(f"tfmodels: error: --spec {path}") or "data set" in err
    assert message in err and "\n" not in err
    assert not logdir.exists() and not (tmp_path / "ckpt").exists()


def test_a_missing_spec_file_and_a_name_with_a_spec_are_one_line(tmp_path, capsys):
    assert main(["train", "--spec", str(tmp_path / "nope.json")]) == 2
    assert "cannot read it (No such file or directory)" in capsys.readouterr().err
    assert main(["train", "spiral", "--spec", EXAMPLE]) == 2
    assert "give a model name or --spec, not both" in capsys.readouterr().err


def test_the_example_spec_file_trains_and_both_tracks_agree(tmp_path, capsys):
    code = main(["compare", "--spec", EXAMPLE, "--epochs", "1", "--logdir",
                 str(tmp_path / "logs"), "--no-images", "--histogram-freq", "0"])
    out = capsys.readouterr().out
    assert code == 0 and "parity: OK" in out
    assert (tmp_path / "logs" / "my_cnn").is_dir()


def test_a_spec_survives_its_own_dict():
    spec = ModelSpec.from_file(EXAMPLE)
    assert ModelSpec.from_dict(json.loads(json.dumps(spec.to_dict()))) == spec
    assert spec.layers[0] == Conv2D(4, (3, 3), padding="same", activation="relu")
    assert spec.layer_shapes() == [(8, 8, 4), (4, 4, 4), (64,), (64,), (10,)]


def test_a_users_keras_sequential_becomes_a_spec_and_its_tf1_twin_agrees():
    model = keras.Sequential([
        keras.Input((8, 8)), keras.layers.SimpleRNN(6), keras.layers.Dense(16),
        keras.layers.LeakyReLU(negative_slope=0.1), keras.layers.Dense(10)], name="users")
    model.compile(keras.optimizers.Adam(0.01),
                  keras.losses.SparseCategoricalCrossentropy(from_logits=True),
                  metrics=["sparse_categorical_accuracy"])
    spec = ModelSpec.from_keras(model, dataset="digits", epochs=1)
    assert spec.layers[1] == Dense(16, "leaky_relu", alpha=0.1)
    assert spec.from_logits and spec.loss == "sparse_categorical_crossentropy"
    assert spec.optimizer.learning_rate == pytest.approx(0.01)
    report = compare(spec, load_dataset("digits"), weights=model.get_weights())
    assert report.ok, report.table()


def test_a_keras_layer_without_a_spec_kind_is_refused_by_name():
    model = keras.Sequential([keras.Input((4,)), keras.layers.GaussianNoise(0.1),
                              keras.layers.Dense(1)])
    model.compile("sgd", "mse")
    with pytest.raises(ValueError, match=r"^layer 'gaussian_noise' \(GaussianNoise\) has no "
                                         r"spec kind; expected one of: Dense"):
        ModelSpec.from_keras(model, dataset="binary4")
