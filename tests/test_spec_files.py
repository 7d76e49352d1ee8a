"""Models a user writes without editing the project: `--spec FILE` and `ModelSpec.from_keras`."""

import dataclasses
import inspect
import json
import os

import keras
import numpy as np
import pytest

from tfmodels.cli import main
from tfmodels.core.data import load_dataset
from tfmodels.core.errors import UserError
from tfmodels.core.spec import (
    LAYER_KINDS,
    LOSSES,
    LSTM,
    OPTIMIZER_DEFAULTS,
    PREDICTION_ATOL,
    AveragePooling2D,
    BatchNormalization,
    Conv2D,
    Dense,
    Dropout,
    Flatten,
    MaxPooling2D,
    ModelSpec,
    OptimizerSpec,
    Reshape,
    SimpleRNN,
)
from tfmodels.keras_track.activations import RandomizedReLU, Swish
from tfmodels.keras_track.optimizers import FusedRMSprop
from tfmodels.parity import compare, prove_same_model

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
    (_layers(FLAT, {"kind": "Dense", "units": 10, "activation": "softmax", "alpha": "x"}),
     "Dense alpha must be a number, got 'x'"),
    (_layers(FLAT, {"kind": "Dense", "units": 10, "activation": "softmax", "upper": [1]}),
     "Dense upper must be a number, got [1]"),
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
    report = compare(spec, load_dataset("digits"), user_model=model)
    assert report.ok, report.table()


def test_a_keras_layer_without_a_spec_kind_is_refused_by_name():
    model = keras.Sequential([keras.Input((4,)), keras.layers.GaussianNoise(0.1),
                              keras.layers.Dense(1)])
    model.compile("sgd", "mse")
    with pytest.raises(ValueError, match=r"^layer 'gaussian_noise' \(GaussianNoise\) has no "
                                         r"spec kind; expected one of: Dense"):
        ModelSpec.from_keras(model, dataset="binary4")


# `ModelSpec.from_keras` on its own, without training: each test builds a small compiled Keras
# model with chosen settings and checks the spec field for field against those settings. Marked
# `from_keras`: tools/mutation.sh runs these (and only these of this file) as the second stage of
# spec.py's mutants. Numbers are float32-exact (Keras keeps hyper-parameters as float32).

def _compiled(*layers, optimizer="sgd", loss="mean_squared_error", metrics=None, name=None):
    model = keras.Sequential(list(layers), name=name)
    model.compile(optimizer, loss, metrics=metrics)
    return model


@pytest.mark.from_keras
def test_from_keras_merges_each_activation_layer_into_the_linear_layer_before_it():
    model = _compiled(
        keras.Input((6,)), keras.layers.Dense(5), keras.layers.LeakyReLU(negative_slope=0.25),
        keras.layers.Dense(4), Swish(beta=1.5, trainable_beta=True),
        keras.layers.Dense(4), RandomizedReLU(0.125, 0.25, seed=7),
        keras.layers.Dense(3), keras.layers.Activation("tanh"),
        keras.layers.Dense(2, activation="swish"), keras.layers.Dense(1, activation="relu"))
    spec = ModelSpec.from_keras(model, dataset="binary4")
    assert spec.layers == (
        Dense(5, "leaky_relu", alpha=0.25), Dense(4, "swish", beta=1.5, trainable_beta=True),
        Dense(4, "randomized_relu", lower=0.125, upper=0.25, seed=7), Dense(3, "tanh"),
        Dense(2, "swish"), Dense(1, "relu"))
    for fixed in (Swish(beta=0.5), RandomizedReLU()):  # the defaults Keras writes, read back
        spec = ModelSpec.from_keras(
            _compiled(keras.Input((6,)), keras.layers.Dense(2), fixed, keras.layers.Dense(1)),
            dataset="binary4")
        assert spec.layers[0] in (Dense(2, "swish", beta=0.5, trainable_beta=False),
                                  Dense(2, "randomized_relu", lower=1 / 8, upper=1 / 3))
        assert spec.layers[0].activation != "linear" and spec.layers[1] == Dense(1)


@pytest.mark.from_keras
@pytest.mark.parametrize("layers, message", [
    (lambda: (keras.layers.Activation("gelu", name="a"), keras.layers.Dense(1)),
     "layer 'a' (Activation): Activation activation must be one of linear, sigmoid, tanh, "
     "relu, leaky_relu, swish, softmax, got 'gelu'"),
    (lambda: (keras.layers.Dense(3, activation="relu"), keras.layers.LeakyReLU(name="a"),
              keras.layers.Dense(1)),
     "layer 'a' (LeakyReLU) has no spec kind"),
    (lambda: (keras.layers.Reshape((3, 2)), keras.layers.Flatten(), Swish(name="a"),
              keras.layers.Dense(1)),
     "layer 'a' (Swish) has no spec kind"),
    (lambda: (keras.layers.Dense(3, use_bias=False, name="a"), keras.layers.Dense(1)),
     "layer 'a' (Dense): use_bias=False is not carried by the spec (only True)"),
    (lambda: (keras.layers.Reshape((3, 2)), keras.layers.SimpleRNN(2, "relu", name="a"),
              keras.layers.Dense(1)),
     "layer 'a' (SimpleRNN): activation='relu' is not carried by the spec (only 'tanh')"),
    (lambda: (keras.layers.Reshape((3, 2)), keras.layers.LSTM(2, "relu", name="a"),
              keras.layers.Dense(1)),
     "layer 'a' (LSTM): activation='relu' is not carried by the spec (only 'tanh')"),
    (lambda: (keras.layers.Reshape((3, 2)),
              keras.layers.LSTM(2, recurrent_activation="hard_sigmoid", name="a"),
              keras.layers.Dense(1)),
     "layer 'a' (LSTM): recurrent_activation='hard_sigmoid' is not carried by the spec "
     "(only 'sigmoid')"),
], ids=["activation-gelu", "after-relu", "after-flatten", "no-bias", "rnn-relu", "lstm-relu",
        "lstm-hard-sigmoid"])
def test_from_keras_refuses_what_a_spec_cannot_say_in_one_line(layers, message):
    model = _compiled(keras.Input((6,)), *layers())
    kinds = ("Dense, Conv2D, MaxPooling2D, AveragePooling2D, Flatten, Reshape, Dropout, "
             "BatchNormalization, SimpleRNN, LSTM, DepthwiseConv2D, SeparableConv2D, "
             "GlobalAveragePooling2D, Activation, ZeroPadding2D, LayerNormalization, Embedding, "
             "GRU, Add, Concatenate, Multiply")
    full = f"{message}; expected one of: {kinds}" if message.endswith("spec kind") else message
    with pytest.raises(ValueError) as e:
        ModelSpec.from_keras(model, dataset="binary4")
    assert str(e.value) == full


@pytest.mark.from_keras
def test_from_keras_reads_every_layer_kind_with_its_settings():
    model = _compiled(
        keras.Input((8, 8, 1)), keras.layers.Conv2D(4, [3, 2], strides=2, padding="same"),
        keras.layers.MaxPooling2D(2, padding="same"),
        keras.layers.AveragePooling2D((1, 2), strides=1),
        keras.layers.BatchNormalization(momentum=0.875, epsilon=0.0625),
        keras.layers.Dropout(0.25), keras.layers.Dropout(0.5, seed=3),
        keras.layers.Reshape((2, 4)), keras.layers.SimpleRNN(3, return_sequences=True),
        keras.layers.LSTM(2), keras.layers.Flatten(), keras.layers.Dense(1))
    spec = ModelSpec.from_keras(model, dataset="binary4")
    assert spec.layers == (
        Conv2D(4, (3, 2), strides=(2, 2), padding="same"),
        MaxPooling2D((2, 2), padding="same"), AveragePooling2D((1, 2), strides=(1, 1)),
        BatchNormalization(momentum=0.875, epsilon=0.0625), Dropout(0.25),
        Dropout(0.5, seed=3), Reshape((2, 4)), SimpleRNN(3, return_sequences=True), LSTM(2),
        Flatten(), Dense(1))
    assert isinstance(spec.layers[0].kernel_size, tuple) and spec.input_shape == (8, 8, 1)


@pytest.mark.from_keras
def test_from_keras_reads_the_loss_optimizer_metrics_and_training_settings():
    def spec_of(optimizer, loss, metrics=None, **kwargs):
        model = _compiled(keras.Input((4,)), keras.layers.Dense(3, activation="softmax"),
                          optimizer=optimizer, loss=loss, metrics=metrics, name="users")
        return ModelSpec.from_keras(model, dataset="spiral", **kwargs)

    spec = spec_of(keras.optimizers.Adam(0.25, beta_1=0.75, epsilon=0.0625, name="mine"),
                   keras.losses.CategoricalCrossentropy(), ["accuracy"])
    assert (spec.name, spec.loss, spec.from_logits, spec.metrics) == \
        ("users", "categorical_crossentropy", False, ("accuracy",))
    assert spec.optimizer == OptimizerSpec("adam", {"learning_rate": 0.25, "beta_1": 0.75,
                                                    "epsilon": 0.0625})
    # ModelSpec's own defaults when none are given
    defaults = {f.name: f.default for f in dataclasses.fields(ModelSpec)}
    assert (spec.batch_size, spec.epochs, spec.seed) == \
        (defaults["batch_size"], defaults["epochs"], defaults["seed"]) == (32, 1, 0)
    spec = spec_of(FusedRMSprop(0.5, rho=0.75, momentum=0.5, centered=True),
                   "categorical_crossentropy", name="mine", batch_size=8, epochs=3, seed=5)
    assert spec.optimizer == OptimizerSpec("rmsprop", {"learning_rate": 0.5, "rho": 0.75,
                                                       "momentum": 0.5, "centered": True})
    assert (spec.name, spec.loss, spec.from_logits, spec.metrics) == \
        ("mine", "categorical_crossentropy", False, ())
    assert (spec.batch_size, spec.epochs, spec.seed) == (8, 3, 5)
    spec = spec_of(keras.optimizers.SGD(0.5, momentum=0.5, nesterov=True),
                   "sparse_categorical_crossentropy",
                   [keras.metrics.SparseCategoricalAccuracy()])
    assert spec.optimizer == OptimizerSpec("sgd", {"learning_rate": 0.5, "momentum": 0.5,
                                                   "nesterov": True})
    assert spec.metrics == ("sparse_categorical_accuracy",) and not spec.from_logits
    spec = spec_of(keras.optimizers.RMSprop(), "sparse_categorical_crossentropy")
    assert spec.optimizer == OptimizerSpec("rmsprop", {"learning_rate": float(np.float32(1e-3))})
    logits = _compiled(keras.Input((4,)), keras.layers.Dense(3),
                       loss=keras.losses.SparseCategoricalCrossentropy(from_logits=True))
    spec = ModelSpec.from_keras(logits, dataset="spiral")
    assert (spec.loss, spec.from_logits) == ("sparse_categorical_crossentropy", True)


@pytest.mark.from_keras
def test_from_keras_takes_a_loss_object_without_from_logits_as_probabilities():
    """A Keras Loss object is serialized as a dict; MeanSquaredError's config has no
    from_logits at all, which means False."""
    model = _compiled(keras.Input((4,)), keras.layers.Dense(1),
                      loss=keras.losses.MeanSquaredError())
    spec = ModelSpec.from_keras(model, dataset="binary4")
    assert spec.loss == "mean_squared_error" and spec.from_logits is False


@pytest.mark.from_keras
def test_from_keras_refuses_an_uncompiled_model_and_an_unknown_optimizer():
    model = keras.Sequential([keras.Input((4,)), keras.layers.Dense(1)])
    with pytest.raises(ValueError) as e:
        ModelSpec.from_keras(model, dataset="binary4")
    assert str(e.value) == ("the Keras model is not compiled: compile it with its loss and "
                            "optimizer first")
    model.compile(keras.optimizers.AdamW(), "mean_squared_error")
    with pytest.raises(ValueError) as e:
        ModelSpec.from_keras(model, dataset="binary4")
    assert str(e.value) == "unknown optimizer 'adamw'; expected one of: adagrad, adam, rmsprop, sgd"


# Every constructor argument of every Keras class `from_keras` reads, set to a value other than
# Keras's default: either the spec carries it (and the spec's own model, given the user's
# weights, predicts what the user's model predicts; a loss's or optimizer's setting is read into
# the spec), or it is refused by layer and argument name. The arguments come from
# `inspect.signature`, so an argument a new Keras adds fails `test_the_table_names_every_...`
# until it is given a row.
L = keras.layers
_LAYER_CONTEXT = {  # (input shape, required arguments, layers after it)
    "Dense": ((6,), {"units": 3}, ()),
    "Conv2D": ((5, 5, 4), {"filters": 2, "kernel_size": 3}, (L.Flatten(), L.Dense(1))),
    "MaxPooling2D": ((5, 5, 2), {"pool_size": 2}, (L.Flatten(), L.Dense(1))),
    "AveragePooling2D": ((5, 5, 2), {"pool_size": 2}, (L.Flatten(), L.Dense(1))),
    "Flatten": ((3, 2, 2), {}, (L.Dense(1),)),
    "Reshape": ((6,), {"target_shape": (3, 2)}, (L.Flatten(), L.Dense(1))),
    "Dropout": ((6,), {"rate": 0.5}, (L.Dense(1),)),
    "BatchNormalization": ((6,), {}, (L.Dense(1),)),
    "LSTM": ((3, 2), {"units": 2}, (L.Flatten(), L.Dense(1))),
    "SimpleRNN": ((3, 2), {"units": 2}, (L.Flatten(), L.Dense(1))),
    "LeakyReLU": ((6,), {}, (L.Dense(1),)),  # after a linear Dense(3)
    "Activation": ((6,), {"activation": "relu"}, (L.Dense(1),)),  # after a linear Dense(3)
    "DepthwiseConv2D": ((6, 6, 3), {"kernel_size": 3}, (L.Flatten(), L.Dense(1))),
    "SeparableConv2D": ((6, 6, 3), {"filters": 2, "kernel_size": 3}, (L.Flatten(), L.Dense(1))),
    "GlobalAveragePooling2D": ((3, 3, 2), {}, (L.Dense(1),)),
    "ZeroPadding2D": ((3, 3, 2), {}, (L.Flatten(), L.Dense(1))),
    "LayerNormalization": ((6,), {}, (L.Dense(1),)),
    "Embedding": ((5,), {"input_dim": 6, "output_dim": 2}, (L.Flatten(), L.Dense(1))),
    "GRU": ((3, 2), {"units": 2}, (L.Flatten(), L.Dense(1))),
}
_ANY = {  # a value other than the default, by argument name
    "units": 4, "activation": "relu", "use_bias": False, "kernel_initializer": "he_normal",
    "bias_initializer": "ones", "recurrent_initializer": "glorot_uniform",
    "kernel_regularizer": "l2", "bias_regularizer": "l2", "recurrent_regularizer": "l2",
    "activity_regularizer": "l2", "kernel_constraint": "non_neg", "bias_constraint": "non_neg",
    "recurrent_constraint": "non_neg", "lora_rank": 2, "lora_alpha": 4.0,
    "filters": 3, "kernel_size": 2, "strides": 2, "padding": "same",
    "data_format": "channels_first", "dilation_rate": 2, "groups": 2, "pool_size": 3,
    "target_shape": (2, 3), "rate": 0.25, "noise_shape": (None, 1), "seed": 5, "axis": 1,
    "momentum": 0.5, "epsilon": 0.0625, "center": False, "scale": False,
    "beta_initializer": "ones", "gamma_initializer": "zeros",
    "moving_mean_initializer": "ones", "moving_variance_initializer": "zeros",
    "beta_regularizer": "l2", "gamma_regularizer": "l2", "beta_constraint": "non_neg",
    "gamma_constraint": "non_neg", "renorm": True, "renorm_clipping": {"rmax": 2.0},
    "renorm_momentum": 0.5, "synchronized": True, "recurrent_activation": "hard_sigmoid",
    "unit_forget_bias": False, "dropout": 0.25, "recurrent_dropout": 0.25,
    "return_sequences": True, "return_state": True, "go_backwards": True, "stateful": True,
    "unroll": True, "use_cudnn": False, "negative_slope": 0.125,
    "depth_multiplier": 2, "depthwise_initializer": "he_normal",
    "pointwise_initializer": "he_normal", "depthwise_regularizer": "l2",
    "pointwise_regularizer": "l2", "depthwise_constraint": "non_neg",
    "pointwise_constraint": "non_neg", "keepdims": True, "rms_scaling": True,
    "embeddings_initializer": "ones", "embeddings_regularizer": "l2",
    "embeddings_constraint": "non_neg", "mask_zero": True, "input_dim": 7, "output_dim": 3,
    "reset_after": False,
    # Layer's own keyword arguments
    "dtype": "float64", "trainable": False,
}
_BY_CLASS = {("Activation", "activation"): "tanh", ("Dense", "activation"): "relu",
             ("MaxPooling2D", "strides"): 1, ("AveragePooling2D", "strides"): 1,
             ("BatchNormalization", "momentum"): 0.5, ("SimpleRNN", "activation"): "relu",
             ("ZeroPadding2D", "padding"): ((2, 0), (1, 3)), ("GRU", "activation"): "relu",
             ("Embedding", "weights"): np.linspace(-1, 1, 12).reshape(6, 2)}
# What Keras itself cannot build in a Sequential (refused before from_keras sees it).
_KERAS_CANNOT = {("LSTM", "return_state"), ("SimpleRNN", "return_state"),
                 ("Dense", "quantization_config"), ("Embedding", "quantization_config"),
                 ("GRU", "return_state")}
_CARRIED = {("Dense", "units"), ("Dense", "activation"), ("Conv2D", "filters"),
            ("Conv2D", "kernel_size"), ("Conv2D", "strides"), ("Conv2D", "padding"),
            ("Conv2D", "activation"), ("MaxPooling2D", "pool_size"),
            ("MaxPooling2D", "strides"), ("MaxPooling2D", "padding"),
            ("AveragePooling2D", "pool_size"), ("AveragePooling2D", "strides"),
            ("AveragePooling2D", "padding"), ("Reshape", "target_shape"), ("Dropout", "rate"),
            ("Dropout", "seed"), ("BatchNormalization", "momentum"),
            ("BatchNormalization", "epsilon"), ("LSTM", "units"), ("LSTM", "return_sequences"),
            ("SimpleRNN", "units"), ("SimpleRNN", "return_sequences"),
            ("LeakyReLU", "negative_slope"), ("Activation", "activation"),
            ("LSTM", "use_cudnn"),  # the same maths on cuDNN's kernel or not
            ("Dense", "lora_alpha"),  # without lora_rank, no LoRA at all
            ("SimpleRNN", "activity_regularizer"),  # Keras's SimpleRNN drops it: not its maths
            *((kind, arg) for kind in ("DepthwiseConv2D", "SeparableConv2D")
              for arg in ("kernel_size", "strides", "padding", "depth_multiplier",
                          "activation", "use_bias")),
            ("SeparableConv2D", "filters"), ("ZeroPadding2D", "padding"),
            ("LayerNormalization", "epsilon"), ("LayerNormalization", "center"),
            ("LayerNormalization", "scale"), ("Embedding", "input_dim"),
            ("Embedding", "output_dim"), ("GRU", "units"), ("GRU", "return_sequences"),
            ("GRU", "reset_after"), ("GRU", "use_cudnn"),
            ("Embedding", "weights"),  # initial values only: the weights come with the model
            ("Embedding", "lora_alpha")}  # without lora_rank, no LoRA at all


def _arguments(cls):
    return [p.name for p in inspect.signature(cls).parameters.values()
            if p.kind not in (p.VAR_KEYWORD, p.VAR_POSITIONAL) and p.name != "name"] + \
        ["dtype", "trainable"]


_LAYER_ROWS = [(kind, arg) for kind in _LAYER_CONTEXT for arg in _arguments(getattr(L, kind))
               if (kind, arg) not in _KERAS_CANNOT]


@pytest.mark.from_keras
def test_the_table_names_every_argument_of_every_class_from_keras_reads():
    missing = [(kind, arg) for kind in _LAYER_CONTEXT for arg in _arguments(getattr(L, kind))
               if (kind, arg) not in _BY_CLASS and arg not in _ANY
               and (kind, arg) not in _KERAS_CANNOT]
    assert missing == []
    # the merge kinds cannot sit in a Sequential: tests/test_graph.py reads them from
    # functional models
    merges = {"Add", "Concatenate", "Multiply"}
    assert set(_LAYER_CONTEXT) == set(LAYER_KINDS) - merges | {"LeakyReLU", "Activation"}


def _user_model(kind, arg, value):
    shape, required, after = _LAYER_CONTEXT[kind]
    kwargs = {**required, arg: value}
    before = (L.Dense(3),) if kind in ("LeakyReLU", "Activation") else ()
    after = tuple(type(a).from_config(a.get_config()) for a in after)
    layer = getattr(L, kind)(**kwargs, name="it")
    model = keras.Sequential([keras.Input(shape, batch_size=4), *before, layer, *after])
    model.compile("sgd", "mean_squared_error")
    rng = np.random.default_rng(1)
    model.set_weights([rng.normal(size=w.shape).astype(np.float32) ** 2 + 0.5
                       for w in model.get_weights()])  # positive variances, distinct weights
    if kind == "Embedding":  # token ids below the smallest input_dim of the table
        return model, rng.integers(0, 6, (4, *shape)).astype(np.float32)
    return model, rng.normal(size=(4, *shape)).astype(np.float32)


@pytest.mark.from_keras
@pytest.mark.parametrize("kind, arg", _LAYER_ROWS, ids=[f"{k}-{a}" for k, a in _LAYER_ROWS])
def test_from_keras_carries_or_refuses_each_layer_argument(kind, arg):
    value = _BY_CLASS.get((kind, arg), _ANY.get(arg))
    model, x = _user_model(kind, arg, value)
    if (kind, arg) in _CARRIED:
        spec = ModelSpec.from_keras(model, dataset="binary4")
        assert prove_same_model(model, spec, x) <= PREDICTION_ATOL
        return
    with pytest.raises(UserError) as e:
        ModelSpec.from_keras(model, dataset="binary4")
    assert str(e.value).startswith(f"layer 'it' ({kind}): ")
    assert f"{arg}=" in str(e.value) and "\n" not in str(e.value)


_LOSSES = {"CategoricalCrossentropy": (3, "softmax"), "SparseCategoricalCrossentropy":
           (3, "softmax"), "BinaryCrossentropy": (1, "sigmoid"), "MeanSquaredError": (1, None),
           "MeanAbsoluteError": (1, None)}
_LOSS_ANY = {"from_logits": True, "label_smoothing": 0.25, "axis": 0, "reduction": "sum",
             "name": "mine", "dtype": "float64", "ignore_class": 0}
_OPTIMIZERS = ("SGD", "Adam", "RMSprop", "Adagrad")
_OPTIMIZER_ANY = {"learning_rate": 0.25, "momentum": 0.5, "nesterov": True, "beta_1": 0.5,
                  "beta_2": 0.75, "epsilon": 0.0625, "amsgrad": True, "rho": 0.5,
                  "centered": True, "initial_accumulator_value": 0.5, "weight_decay": 0.01,
                  "clipnorm": 1.0, "clipvalue": 1.0, "global_clipnorm": 1.0, "use_ema": True,
                  "ema_momentum": 0.5, "ema_overwrite_frequency": 3, "loss_scale_factor": 2.0,
                  "gradient_accumulation_steps": 2, "name": "mine"}
_LOSS_ROWS = [(c, a) for c in _LOSSES for a in inspect.signature(getattr(keras.losses, c))
              .parameters if a not in ("args", "kwargs")]
_OPTIMIZER_ROWS = [(c, a) for c in _OPTIMIZERS
                   for a in inspect.signature(getattr(keras.optimizers, c)).parameters
                   if a not in ("args", "kwargs")]


@pytest.mark.from_keras
def test_the_table_names_every_argument_of_every_loss_and_optimizer():
    assert [a for _, a in _LOSS_ROWS if a not in _LOSS_ANY] == []
    assert [a for _, a in _OPTIMIZER_ROWS if a not in _OPTIMIZER_ANY] == []
    assert len(_LOSSES) == len(LOSSES) and len(_OPTIMIZERS) == len(OPTIMIZER_DEFAULTS)


@pytest.mark.from_keras
@pytest.mark.parametrize("cls, arg", _LOSS_ROWS, ids=[f"{c}-{a}" for c, a in _LOSS_ROWS])
def test_from_keras_carries_or_refuses_each_loss_argument(cls, arg):
    units, activation = _LOSSES[cls]
    value = _LOSS_ANY[arg]
    if arg == "from_logits":
        activation = None
    model = _compiled(keras.Input((4,)), keras.layers.Dense(units, activation=activation),
                      loss=getattr(keras.losses, cls)(**{arg: value}))
    if arg in ("from_logits", "name"):  # carried; a loss's own name is not its maths
        spec = ModelSpec.from_keras(model, dataset="binary4")
        assert spec.from_logits is (arg == "from_logits")
        assert spec.loss == getattr(keras.losses, cls)().name
        return
    with pytest.raises(UserError) as e:
        ModelSpec.from_keras(model, dataset="binary4")
    assert str(e.value).startswith(f"loss ({cls}): {arg}=") and "\n" not in str(e.value)


@pytest.mark.from_keras
@pytest.mark.parametrize("cls, arg", _OPTIMIZER_ROWS,
                         ids=[f"{c}-{a}" for c, a in _OPTIMIZER_ROWS])
def test_from_keras_carries_or_refuses_each_optimizer_argument(cls, arg):
    value = _OPTIMIZER_ANY[arg]
    model = _compiled(keras.Input((4,)), keras.layers.Dense(1),
                      optimizer=getattr(keras.optimizers, cls)(**{arg: value}))
    name = cls.lower()
    if arg in OPTIMIZER_DEFAULTS[name] or arg == "name":
        spec = ModelSpec.from_keras(model, dataset="binary4")
        assert spec.optimizer.name == name
        if arg != "name":
            assert spec.optimizer.params[arg] == pytest.approx(value)
        return
    with pytest.raises(UserError) as e:
        ModelSpec.from_keras(model, dataset="binary4")
    assert str(e.value).startswith(f"optimizer ({cls}): {arg}=") and "\n" not in str(e.value)


@pytest.mark.from_keras
def test_from_keras_refuses_a_schedule_loss_weights_a_subclass_and_a_subclassed_model():
    schedule = keras.optimizers.schedules.ExponentialDecay(0.1, 10, 0.5)
    model = _compiled(keras.Input((4,)), keras.layers.Dense(1),
                      optimizer=keras.optimizers.SGD(schedule))
    with pytest.raises(UserError, match=r"^optimizer \(SGD\): learning_rate=ExponentialDecay\("):
        ModelSpec.from_keras(model, dataset="binary4")
    model = keras.Sequential([keras.Input((4,)), keras.layers.Dense(1)])
    model.compile("sgd", "mean_squared_error", loss_weights=[2.0])
    with pytest.raises(UserError, match=r"^loss_weights=\[2.0\] is not carried by the spec"):
        ModelSpec.from_keras(model, dataset="binary4")

    class Dense(keras.layers.Dense):  # the same name and config, other maths
        def call(self, inputs):
            return 2.0 * super().call(inputs)

    model = _compiled(keras.Input((4,)), Dense(1, name="d"))
    with pytest.raises(UserError, match=r"^layer 'd' \(Dense\): .*Dense is not "
                                        r"keras\.layers\.Dense itself"):
        ModelSpec.from_keras(model, dataset="binary4")
    class Twice(keras.Model):  # a functional model whose call is its own
        def call(self, inputs, training=None):
            return 2.0 * super().call(inputs, training=training)

    inputs = keras.Input((4,))
    subclassed = Twice(inputs, keras.layers.Dense(1)(inputs))
    subclassed.compile("sgd", "mean_squared_error")
    with pytest.raises(UserError, match=r"^\S*Twice is neither keras\.Sequential nor a functional "
                                        r"keras\.Model itself"):
        ModelSpec.from_keras(subclassed, dataset="binary4")


@pytest.mark.from_keras
def test_prove_same_model_names_the_largest_difference_of_a_planted_mismatch():
    model = _compiled(keras.Input((6,)), keras.layers.Dense(4, activation="tanh"),
                      keras.layers.Dense(2))
    rng = np.random.default_rng(3)
    model.set_weights([rng.normal(size=w.shape).astype(np.float32)
                       for w in model.get_weights()])
    x = rng.normal(size=(5, 6)).astype(np.float32)
    spec = ModelSpec.from_keras(model, dataset="binary4")
    assert prove_same_model(model, spec, x) <= PREDICTION_ATOL
    planted = spec.replace(layers=(Dense(4, "relu"), Dense(2)))  # a reading that went wrong
    expected = np.abs(np.asarray(model(x)) -
                      (np.maximum(x @ model.get_weights()[0] + model.get_weights()[1], 0)
                       @ model.get_weights()[2] + model.get_weights()[3])).max()
    with pytest.raises(UserError) as e:
        prove_same_model(model, planted, x)
    assert str(e.value).startswith(f"the spec's model is not the Keras model: their "
                                   f"predictions differ by up to {expected:.3g} (at ")
    with pytest.raises(UserError, match=r"^the spec's model has weights of shapes"):
        prove_same_model(model, spec.replace(layers=(Dense(3, "tanh"), Dense(2))), x)


def test_compare_with_the_users_model_proves_it_first_and_starts_from_its_weights(monkeypatch):
    model = _compiled(keras.Input((4,)), keras.layers.Dense(1, activation="tanh"))
    spec = ModelSpec.from_keras(model, dataset="binary4")
    planted = spec.replace(layers=(Dense(1, "relu"),))
    with pytest.raises(UserError, match=r"^the spec's model is not the Keras model"):
        compare(planted, load_dataset("binary4"), user_model=model)
    seen = {}

    def train_keras(spec, data, weights, *args, **kwargs):  # stop before any training
        seen["weights"] = weights
        raise _Stop

    monkeypatch.setattr("tfmodels.parity.train_keras", train_keras)
    with pytest.raises(_Stop):
        compare(spec, load_dataset("binary4"), user_model=model)
    assert all(np.array_equal(a, b) for a, b in zip(seen["weights"], model.get_weights()))


class _Stop(Exception):
    """Raised where the training would begin."""
