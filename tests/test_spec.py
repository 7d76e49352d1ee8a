import numpy as np
import pytest

from tfmodels.core.registry import MODELS, get_spec
from tfmodels.core.spec import (
    LSTM,
    BatchNormalization,
    Conv2D,
    Dense,
    Flatten,
    ModelSpec,
    OptimizerSpec,
    SimpleRNN,
    initial_weights,
)


def _spec(**changes):
    base = dict(name="m", layers=(Dense(4, "relu"), Dense(3, "softmax")),
                loss="categorical_crossentropy", optimizer=OptimizerSpec("sgd"),
                dataset="spiral", input_dim=2)
    return ModelSpec(**{**base, **changes})


def test_optimizer_spec_fills_in_keras_defaults():
    opt = OptimizerSpec("adam", {"learning_rate": 0.02})
    assert opt.params == {"learning_rate": 0.02, "beta_1": 0.9, "beta_2": 0.999, "epsilon": 1e-7}
    assert OptimizerSpec("rmsprop").params["epsilon"] == 1e-7  # Keras's, not TF1's 1e-10


@pytest.mark.parametrize("make, message", [
    (lambda: Dense(4, "relux"),
     "unknown activation 'relux'; expected one of: leaky_relu, linear"),
    (lambda: Dense(0), "layer units must be a positive integer, got 0"),
    (lambda: OptimizerSpec("adamw"),
     "unknown optimizer 'adamw'; expected one of: adagrad, adam, rmsprop, sgd"),
    (lambda: OptimizerSpec("sgd", {"momentum": 1.5}), "momentum must be in [0, 1), got 1.5"),
    (lambda: OptimizerSpec("adagrad", {"epsilon": -1e-7}), "epsilon must be >= 0, got -1e-07"),
    (lambda: OptimizerSpec("adam", {"beta1": 0.9}), "unknown adam hyper-parameter(s) ['beta1']"),
    (lambda: OptimizerSpec("sgd", {"learning_rate": -1.0}), "learning_rate must be > 0"),
    (lambda: _spec(loss="hinge"), "unknown loss 'hinge'"),
    (lambda: _spec(metrics=("f1",)), "unknown metric 'f1'"),
    (lambda: _spec(batch_size=0), "batch_size must be a positive integer, got 0"),
    (lambda: _spec(layers=(Dense(3, "relu"),)), "expects a softmax output layer"),
    (lambda: _spec(loss="binary_crossentropy"), "binary_crossentropy expects a sigmoid output"),
    (lambda: _spec(loss="binary_crossentropy", layers=(Dense(3, "sigmoid"),)),
     "binary_crossentropy expects a 1-unit output layer"),
])
def test_bad_specs_say_what_is_wrong(make, message):
    with pytest.raises(ValueError) as err:
        make()
    assert message in str(err.value)
    assert "\n" not in str(err.value)


def test_registry_holds_the_models_of_the_notes():
    assert {"mnist_mlp", "spiral", "sine", "binary4"} <= set(MODELS)
    mlp = get_spec("mnist_mlp")
    assert [(ly.units, ly.activation) for ly in mlp.layers] == [(512, "relu"), (10, "softmax")]
    assert (mlp.optimizer.name, mlp.loss, mlp.dataset) == (
        "rmsprop", "categorical_crossentropy", "digits")
    b4 = get_spec("binary4")
    assert [(ly.units, ly.activation) for ly in b4.layers] == [
        (5, "linear"), (3, "relu"), (1, "sigmoid")]
    assert b4.input_dim == 4 and b4.optimizer.name == "adam"


def test_unknown_model_lists_the_valid_names():
    with pytest.raises(ValueError, match="unknown model 'mlp'; expected one of: binary4, "
                                         "digits_bn_mlp, digits_cnn, digits_lstm, digits_plus, "
                                         "digits_resnet, digits_separable, mnist_mlp"):
        get_spec("mlp")


def test_overrides_and_dataset_change_the_input_size():
    spec = get_spec("mnist_mlp", epochs=2, batch_size=None, dataset="mnist")
    assert (spec.epochs, spec.batch_size, spec.input_dim) == (2, 128, 784)
    assert get_spec("mnist_mlp").input_dim == 64  # the registry itself is untouched


def test_initial_weights_are_glorot_uniform_zero_bias_and_seeded():
    spec = get_spec("mnist_mlp")
    w = initial_weights(spec)
    assert [a.shape for a in w] == [(64, 512), (512,), (512, 10), (10,)]
    assert all(a.dtype == np.float32 for a in w)
    limit = np.sqrt(6 / (64 + 512))
    assert np.abs(w[0]).max() <= limit and np.abs(w[0]).max() > 0.95 * limit
    assert abs(w[0].mean()) < 0.01 and not w[1].any() and not w[3].any()
    again, other = initial_weights(spec), initial_weights(spec.replace(seed=1))
    assert all(np.array_equal(a, b) for a, b in zip(w, again))
    assert not np.array_equal(w[0], other[0])


# --- found by mutation testing (docs/testing.md): each test below fails on a mutant that ------
# --- test_spec.py let through ------------------------------------------------------------------

def test_optimizer_defaults_are_keras_3s():
    """Keras 3's documented signatures (keras.optimizers.SGD, Adagrad, RMSprop, Adam), written
    out; tests/test_optimizers.py checks the same numbers against Keras's own signatures."""
    assert OptimizerSpec("sgd").params == {"learning_rate": 0.01, "momentum": 0.0,
                                           "nesterov": False}
    assert OptimizerSpec("adagrad").params == {"learning_rate": 0.001,
                                               "initial_accumulator_value": 0.1,
                                               "epsilon": 1e-7}
    assert OptimizerSpec("rmsprop").params == {"learning_rate": 0.001, "rho": 0.9,
                                               "momentum": 0.0, "epsilon": 1e-7,
                                               "centered": False}
    assert OptimizerSpec("adam").params == {"learning_rate": 0.001, "beta_1": 0.9,
                                            "beta_2": 0.999, "epsilon": 1e-7}
    # Keras's compile() default optimizer, and its learning rate through the property
    assert OptimizerSpec().name == "rmsprop" and OptimizerSpec().learning_rate == 0.001
    assert OptimizerSpec("sgd", {"learning_rate": 0.25}).learning_rate == 0.25


@pytest.mark.parametrize("name, params, message", [
    ("sgd", {"learning_rate": 0.0}, "learning_rate must be > 0 and finite, got 0.0"),
    ("sgd", {"momentum": 1.0}, "momentum must be in [0, 1), got 1.0"),
    ("sgd", {"momentum": -0.5}, "momentum must be in [0, 1), got -0.5"),
    ("rmsprop", {"rho": 1.0}, "rho must be in [0, 1), got 1.0"),
    ("adam", {"beta_1": 1.0}, "beta_1 must be in [0, 1), got 1.0"),
    ("adam", {"beta_2": 1.5}, "beta_2 must be in [0, 1), got 1.5"),
    ("adam", {"epsilon": -1.0}, "epsilon must be >= 0, got -1.0"),
    ("adagrad", {"initial_accumulator_value": -0.1},
     "initial_accumulator_value must be >= 0, got -0.1"),
    ("adam", {"beta1": 0.9, "rho": 0.5},
     "unknown adam hyper-parameter(s) ['beta1', 'rho']; expected some of: learning_rate, "
     "beta_1, beta_2, epsilon"),
])
def test_optimizer_hyper_parameters_out_of_range_are_refused_by_name(name, params, message):
    with pytest.raises(ValueError) as err:
        OptimizerSpec(name, params)
    assert str(err.value) == message


def test_optimizer_hyper_parameters_at_their_bounds_pass():
    opt = OptimizerSpec("adam", {"beta_1": 0.0, "beta_2": 0.0, "epsilon": 0.0})
    assert (opt.params["beta_1"], opt.params["beta_2"], opt.params["epsilon"]) == (0, 0, 0)
    assert OptimizerSpec("adagrad", {"initial_accumulator_value": 0.0}).params[
        "initial_accumulator_value"] == 0.0
    assert OptimizerSpec("sgd", {"learning_rate": 1e-12}).learning_rate == 1e-12


def test_specs_are_frozen():
    import dataclasses
    spec, opt = _spec(), OptimizerSpec("sgd")
    with pytest.raises(dataclasses.FrozenInstanceError):
        spec.epochs = 3
    with pytest.raises(dataclasses.FrozenInstanceError):
        opt.name = "adam"


def test_model_spec_defaults_are_keras_fits():
    """Keras's fit(): batch_size 32, epochs 1; no metrics, no description, probabilities out."""
    spec = _spec()
    assert (spec.batch_size, spec.epochs, spec.seed, spec.metrics) == (32, 1, 0, ())
    d = spec.to_dict()
    assert d["description"] == "" and d["from_logits"] is False
    assert (d["batch_size"], d["epochs"]) == (32, 1)


def test_sparse_categorical_needs_a_softmax_output():
    layers = (Dense(4, "relu"), Dense(3, "sigmoid"))
    with pytest.raises(ValueError) as err:
        _spec(loss="sparse_categorical_crossentropy", layers=layers)
    assert str(err.value) == ("sparse_categorical_crossentropy expects a softmax output layer; "
                              "the output layer (Dense, output (3,)) has activation 'sigmoid'")
    spec = _spec(loss="sparse_categorical_crossentropy")
    assert (spec.output_dim, spec.label_shape, spec.sparse_labels) == (3, (), True)
    assert _spec().label_shape == (3,) and not _spec().sparse_labels


def test_a_spec_without_input_shape_or_input_dim_is_refused():
    with pytest.raises(ValueError) as err:
        ModelSpec(name="m", layers=(Dense(3, "softmax"),),
                  loss="categorical_crossentropy", optimizer=OptimizerSpec("sgd"),
                  dataset="spiral")
    assert str(err.value) == "model 'm' needs input_shape (or input_dim)"


def test_parity_tolerances_are_the_ones_readme_states():
    """README's "Why the numbers agree": loss to 1e-5 relative, weights and predictions to 1e-5
    absolute. The numbers are read from README, so the code and the promise cannot drift."""
    import os
    import re

    from tfmodels.core import spec as spec_module

    readme = open(os.path.join(os.path.dirname(__file__), "..", "README.md")).read()
    stated = re.search(r"an epoch's loss to (\S+) relative, final weights and predictions\s+"
                       r"to (\S+) absolute", readme)
    loss_rtol, atol = float(stated.group(1)), float(stated.group(2))
    assert spec_module.LOSS_RTOL == loss_rtol
    assert spec_module.WEIGHT_ATOL == spec_module.PREDICTION_ATOL == atol


def refused(make) -> str:
    with pytest.raises(ValueError) as err:
        make()
    return str(err.value)


@pytest.mark.parametrize("changes, message", [
    (dict(layers=()), "model 'm' has no layers"),
    (dict(input_dim=None, input_shape=[2, 0]),
     "input_shape must be a list of positive integers, got [2, 0]"),
    (dict(input_dim=None, input_shape=(2, True)),
     "input_shape must be a list of positive integers, got (2, True)"),
    (dict(input_dim=None, input_shape=(2.0,)),
     "input_shape must be a list of positive integers, got (2.0,)"),
    (dict(input_dim=None, input_shape=()),
     "input_shape must be a list of positive integers, got ()"),
    (dict(epochs=0), "epochs must be a positive integer, got 0"),
    (dict(epochs=True), "epochs must be a positive integer, got True"),
    (dict(batch_size=2.0), "batch_size must be a positive integer, got 2.0"),
    (dict(seed=-1), "seed must be a non-negative integer, got -1"),
    (dict(seed=False), "seed must be a non-negative integer, got False"),
    (dict(seed=1.0), "seed must be a non-negative integer, got 1.0"),
    (dict(layers=(Dense(4, "relu"), "dense")), "layer 1 is not a layer spec: 'dense'"),
    (dict(layers=(Dense(4, "step"), Dense(3, "softmax"))),
     "layer 0 (Dense) uses activation 'step', which has no gradient: nothing before or in it "
     "could train; use 'sigmoid' or 'relu'"),
    (dict(layers=(Dense(4, "relu"), Dense(3, "relu"))),
     "categorical_crossentropy expects a softmax output layer; the output layer (Dense, output "
     "(3,)) has activation 'relu'"),
    (dict(from_logits=True),
     "categorical_crossentropy with from_logits expects a linear output layer; the output layer "
     "(Dense, output (3,)) has activation 'softmax'"),
    (dict(loss="binary_crossentropy", layers=(Dense(2, "sigmoid"),)),
     "binary_crossentropy expects a 1-unit output layer; the output layer (Dense, output (2,))"),
    (dict(loss="mean_squared_error", layers=(Dense(3, "linear"),), from_logits=True),
     "from_logits applies to cross-entropy losses, not mean_squared_error"),
    (dict(input_dim=None, input_shape=(5, 2), layers=(Dense(3, "softmax"),)),
     "the output layer (Dense, output (5, 3)) must give one vector per sample; add a Flatten "
     "(or an LSTM without return_sequences) before it"),
    (dict(loss="mean_squared_error", layers=(Dense(3, "linear"),), metrics=("accuracy",)),
     "metric 'accuracy' needs categorical or binary cross-entropy, not mean_squared_error; use "
     "'sparse_categorical_accuracy' or 'mae'"),
    (dict(metrics=("sparse_categorical_accuracy",)),
     "metric 'sparse_categorical_accuracy' needs the loss sparse_categorical_crossentropy"),
    (dict(input_dim=None, input_shape=(6, 5, 1),
          layers=(Conv2D(2, 3), Flatten(), Conv2D(2, 3), Dense(3, "softmax"))),
     "layer 2 (Conv2D) does not fit what layer 1 (Flatten) gives: Conv2D needs inputs shaped "
     "(height, width, channels) per sample, got (24,)"),
    (dict(layers=(Conv2D(2, 3), Dense(3, "softmax"))),
     "layer 0 (Conv2D) does not fit what the input gives: Conv2D needs inputs shaped "
     "(height, width, channels) per sample, got (2,)"),
])
def test_model_spec_mistakes_are_one_exact_line(changes, message):
    assert refused(lambda: _spec(**changes)) == message


def test_layers_given_as_a_list_are_kept_as_a_tuple():
    spec = _spec(layers=[Dense(4, "relu"), Dense(3, "softmax")])
    assert spec.layers == (Dense(4, "relu"), Dense(3, "softmax"))
    assert type(spec.layers) is tuple  # frozen all the way down: a spec is a registry's value


def test_accepted_metrics_and_logits():
    assert _spec(metrics=("accuracy", "mae")).metrics == ("accuracy", "mae")
    logits = _spec(from_logits=True, layers=(Dense(4, "relu"), Dense(3, "linear")))
    assert logits.from_logits is True and logits.output_dim == 3
    sparse = _spec(loss="sparse_categorical_crossentropy",
                   metrics=("sparse_categorical_accuracy",))
    assert sparse.metrics == ("sparse_categorical_accuracy",)
    binary = _spec(loss="binary_crossentropy", metrics=("accuracy",),
                   layers=(Dense(1, "sigmoid"),))
    assert binary.output_dim == 1 and binary.label_shape == (1,)


def test_shapes_sizes_and_names_follow_the_layers():
    spec = _spec(input_dim=None, input_shape=[6, 5, 1],
                 layers=(Conv2D(2, 3), Flatten(), Dense(7, "relu"), Dense(3, "softmax")))
    assert spec.input_shape == (6, 5, 1) and spec.input_dim == 30
    assert spec.layer_shapes() == [(4, 3, 2), (24,), (7,), (3,)]
    assert spec.output_dim == 3
    assert spec.weight_shapes() == [(3, 3, 1, 2), (2,), (24, 7), (7,), (7, 3), (3,)]
    assert spec.weight_names() == ["conv2d_0/kernel", "conv2d_0/bias", "dense_2/kernel",
                                   "dense_2/bias", "dense_3/kernel", "dense_3/bias"]


def test_replace_validates_and_input_dim_replaces_the_shape():
    spec = _spec()
    wider = spec.replace(input_dim=5)
    assert (wider.input_shape, wider.input_dim) == ((5,), 5) and spec.input_shape == (2,)
    images = spec.replace(input_shape=(3, 3, 1), input_dim=9,
                          layers=(Flatten(), Dense(3, "softmax")))
    assert images.input_shape == (3, 3, 1)
    assert spec.replace(epochs=4).input_shape == (2,)  # other fields keep the shape
    with pytest.raises(ValueError, match="epochs must be a positive integer, got 0"):
        spec.replace(epochs=0)


def test_to_dict_is_the_spec_file_vocabulary():
    spec = _spec(metrics=("accuracy",), batch_size=16, epochs=3, seed=5, description="d",
                 optimizer=OptimizerSpec("adam", {"learning_rate": 0.01}))
    assert spec.to_dict() == {
        "name": "m", "input_shape": [2],
        "layers": [{"kind": "Dense", "units": 4, "activation": "relu"},
                   {"kind": "Dense", "units": 3, "activation": "softmax"}],
        "loss": "categorical_crossentropy", "from_logits": False,
        "optimizer": {"name": "adam", "learning_rate": 0.01, "beta_1": 0.9, "beta_2": 0.999,
                      "epsilon": 1e-7},
        "metrics": ["accuracy"], "dataset": "spiral", "batch_size": 16, "epochs": 3, "seed": 5,
        "description": "d"}
    assert ModelSpec.from_dict(spec.to_dict()) == spec


SPEC_DICT = {"name": "f", "input_shape": [3], "dataset": "spiral",
             "layers": [{"kind": "Dense", "units": 2, "activation": "softmax"}],
             "loss": "categorical_crossentropy"}


def test_from_dict_fills_keras_defaults_and_converts_lists():
    spec = ModelSpec.from_dict({**SPEC_DICT, "metrics": ["accuracy"]})
    assert spec.optimizer == OptimizerSpec("rmsprop") and spec.metrics == ("accuracy",)
    assert spec.input_shape == (3,) and spec.layers == (Dense(2, "softmax"),)
    assert ModelSpec.from_dict({**SPEC_DICT, "optimizer": "sgd"}).optimizer.learning_rate == 0.01
    named = ModelSpec.from_dict({**SPEC_DICT, "optimizer": {"name": "adam", "beta_1": 0.5}})
    assert named.optimizer.params == {"learning_rate": 0.001, "beta_1": 0.5, "beta_2": 0.999,
                                      "epsilon": 1e-7}
    unnamed = ModelSpec.from_dict({**SPEC_DICT, "optimizer": {"learning_rate": 0.5}})
    assert (unnamed.optimizer.name, unnamed.optimizer.learning_rate) == ("rmsprop", 0.5)
    flat = {k: v for k, v in SPEC_DICT.items() if k != "input_shape"}
    assert ModelSpec.from_dict({**flat, "input_dim": 4}).input_shape == (4,)
    assert ModelSpec.from_dict({**SPEC_DICT, "input_shape": None, "input_dim": 4}).input_dim == 4


@pytest.mark.parametrize("d, message", [
    ([1], "spec: expected an object of fields, got list"),
    ({**SPEC_DICT, "epoch": 2, "lr": 1},
     "spec: unknown field(s) ['epoch', 'lr']; expected some of: batch_size, dataset, "
     "description, epochs, from_logits, input_shape, inputs, layers, loss, metrics, name, "
     "optimizer, outputs, seed"),
    ({k: v for k, v in SPEC_DICT.items() if k != "name"}, "spec: missing field 'name'"),
    ({k: v for k, v in SPEC_DICT.items() if k != "layers"}, "spec: missing field 'layers'"),
    ({k: v for k, v in SPEC_DICT.items() if k != "loss"}, "spec: missing field 'loss'"),
    ({k: v for k, v in SPEC_DICT.items() if k != "dataset"}, "spec: missing field 'dataset'"),
    ({**SPEC_DICT, "layers": []}, "spec: 'layers' must be a non-empty list of layer objects"),
    ({**SPEC_DICT, "layers": {"kind": "Dense"}},
     "spec: 'layers' must be a non-empty list of layer objects"),
    ({**SPEC_DICT, "layers": [{"kind": "Dense"}]}, "spec: layers[0] (Dense): missing 'units'"),
    ({**SPEC_DICT, "optimizer": 3}, "spec: 'optimizer' must be a name or an object, got 3"),
    ({**SPEC_DICT, "optimizer": {"name": "sgd", "momentum": 2}},
     "spec: optimizer: momentum must be in [0, 1), got 2"),
    ({**SPEC_DICT, "epochs": 0}, "spec: epochs must be a positive integer, got 0"),
    ({**SPEC_DICT, "input_shape": "3"},
     "spec: input_shape must be a list of positive integers, got '3'"),
])
def test_from_dict_mistakes_name_the_field(d, message):
    assert refused(lambda: ModelSpec.from_dict(d)) == message


def test_from_file_reads_json_and_names_the_file(tmp_path):
    import json

    path = tmp_path / "m.json"
    path.write_text(json.dumps(SPEC_DICT))
    assert ModelSpec.from_file(str(path)) == ModelSpec.from_dict(SPEC_DICT)
    path.write_text(json.dumps({**SPEC_DICT, "epochs": 0}))
    assert refused(lambda: ModelSpec.from_file(str(path))) == (
        f"spec file {path}: epochs must be a positive integer, got 0")
    path.write_text('{"name": "f",\n "layers": [}')
    assert refused(lambda: ModelSpec.from_file(str(path))) == (
        f"spec file {path}: not valid JSON (Expecting value at line 2, column 13)")
    path.write_bytes(b"\xff\xfe\x00")
    assert refused(lambda: ModelSpec.from_file(str(path))) == f"spec file {path}: not a text file"
    missing = tmp_path / "nope.json"
    assert refused(lambda: ModelSpec.from_file(str(missing))) == (
        f"spec file {missing}: cannot read it (No such file or directory)")


@pytest.mark.parametrize("name, params, message", [
    ("sgd", {"nesterov": 1}, "nesterov must be true or false, got 1"),
    ("rmsprop", {"centered": "yes"}, "centered must be true or false, got 'yes'"),
    ("sgd", {"momentum": True}, "momentum must be a number, got True"),
    ("adam", {"learning_rate": "0.1"}, "learning_rate must be a number, got '0.1'"),
    ("adam", {"epsilon": float("inf")}, "epsilon must be finite, got inf"),
    ("adagrad", {"initial_accumulator_value": float("inf")},
     "initial_accumulator_value must be finite, got inf"),
])
def test_optimizer_hyper_parameters_of_the_wrong_type_are_one_line(name, params, message):
    assert refused(lambda: OptimizerSpec(name, params)) == message


def test_a_toml_spec_on_python_3_10_says_to_write_json(tmp_path, monkeypatch):
    """tomllib is Python 3.11's; without it (None in sys.modules: its import fails, as on
    3.10) a .toml spec is one line saying what to do."""
    import sys

    monkeypatch.setitem(sys.modules, "tomllib", None)
    path = tmp_path / "m.toml"
    path.write_text('name = "f"\n')
    assert refused(lambda: ModelSpec.from_file(str(path))) == (
        f"spec file {path}: TOML needs Python 3.11 or newer; write the spec as JSON")


def test_from_file_reads_toml(tmp_path):
    pytest.importorskip("tomllib")
    path = tmp_path / "m.toml"
    path.write_text('name = "f"\ninput_shape = [3]\ndataset = "spiral"\n'
                    'loss = "categorical_crossentropy"\n'
                    '[[layers]]\nkind = "Dense"\nunits = 2\nactivation = "softmax"\n')
    assert ModelSpec.from_file(str(path)) == ModelSpec.from_dict(SPEC_DICT)
    path.write_text("name = \n")
    assert refused(lambda: ModelSpec.from_file(str(path))).startswith(
        f"spec file {path}: not valid TOML (")


def test_recurrent_and_batch_norm_initial_weights_are_keras_initializers():
    spec = _spec(input_dim=None, input_shape=(5, 3),
                 layers=(LSTM(4, return_sequences=True), BatchNormalization(), SimpleRNN(6),
                         Dense(3, "swish", beta=1.5, trainable_beta=True),
                         Dense(3, "softmax")))
    w = dict(zip(spec.weight_names(), initial_weights(spec)))
    lstm_rec = w["lstm_0/recurrent_kernel"]
    assert lstm_rec.shape == (4, 16)  # 4 gates side by side; fewer rows than columns: Q.T
    np.testing.assert_allclose(lstm_rec @ lstm_rec.T, np.eye(4), atol=1e-6)  # orthonormal rows
    rnn_rec = w["simple_rnn_2/recurrent_kernel"]
    np.testing.assert_allclose(rnn_rec.T @ rnn_rec, np.eye(6), atol=1e-6)
    # unit forget bias: zeros, ones for the forget gate (the second of i, f, c, o)
    assert w["lstm_0/bias"].tolist() == [0.0] * 4 + [1.0] * 4 + [0.0] * 8
    assert w["batch_normalization_1/gamma"].tolist() == [1.0] * 4
    assert w["batch_normalization_1/moving_variance"].tolist() == [1.0] * 4
    assert not w["batch_normalization_1/beta"].any()
    assert not w["batch_normalization_1/moving_mean"].any()
    assert float(w["dense_3_swish/beta"]) == 1.5  # a constant: swish's beta
    assert all(a.dtype == np.float32 for a in w.values())


def test_orthogonal_is_the_unique_q_with_a_positive_r_diagonal():
    """Keras's Orthogonal: from an (n x m) normal draw a (n >= m, the larger side first), the Q
    with orthonormal columns and a = Q R, R upper triangular with a positive diagonal (QR made
    unique); transposed where the shape has fewer rows than columns."""
    from tfmodels.core.spec import _orthogonal

    for shape in [(3, 5), (5, 3), (4, 4), (2, 3, 4)]:
        rows, cols = shape[0], int(np.prod(shape[1:]))
        q = _orthogonal(np.random.default_rng(0), shape)
        assert q.shape == shape
        q = q.reshape(rows, cols)
        q = q.T if rows < cols else q
        a = np.random.default_rng(0).normal(size=(max(rows, cols), min(rows, cols)))
        np.testing.assert_allclose(q.T @ q, np.eye(min(rows, cols)), atol=1e-12)
        r = q.T @ a
        np.testing.assert_allclose(np.tril(r, -1), 0, atol=1e-12)
        assert np.all(np.diag(r) > 0)
