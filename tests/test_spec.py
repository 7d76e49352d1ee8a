import numpy as np
import pytest

from tfmodels.core.registry import MODELS, get_spec
from tfmodels.core.spec import LayerSpec, ModelSpec, OptimizerSpec, initial_weights


def _spec(**changes):
    base = dict(name="m", layers=(LayerSpec(4, "relu"), LayerSpec(3, "softmax")),
                loss="categorical_crossentropy", optimizer=OptimizerSpec("sgd"),
                dataset="spiral", input_dim=2)
    return ModelSpec(**{**base, **changes})


def test_optimizer_spec_fills_in_keras_defaults():
    opt = OptimizerSpec("adam", {"learning_rate": 0.02})
    assert opt.params == {"learning_rate": 0.02, "beta_1": 0.9, "beta_2": 0.999, "epsilon": 1e-7}
    assert OptimizerSpec("rmsprop").params["epsilon"] == 1e-7  # Keras's, not TF1's 1e-10


@pytest.mark.parametrize("make, message", [
    (lambda: LayerSpec(4, "relux"),
     "unknown activation 'relux'; expected one of: leaky_relu, linear"),
    (lambda: LayerSpec(0), "layer units must be a positive integer, got 0"),
    (lambda: OptimizerSpec("adamw"),
     "unknown optimizer 'adamw'; expected one of: adagrad, adam, rmsprop, sgd"),
    (lambda: OptimizerSpec("sgd", {"momentum": 1.5}), "momentum must be in [0, 1), got 1.5"),
    (lambda: OptimizerSpec("adagrad", {"epsilon": -1e-7}), "epsilon must be >= 0, got -1e-07"),
    (lambda: OptimizerSpec("adam", {"beta1": 0.9}), "unknown adam hyper-parameter(s) ['beta1']"),
    (lambda: OptimizerSpec("sgd", {"learning_rate": -1.0}), "learning_rate must be > 0"),
    (lambda: _spec(loss="hinge"), "unknown loss 'hinge'"),
    (lambda: _spec(metrics=("f1",)), "unknown metric 'f1'"),
    (lambda: _spec(batch_size=0), "batch_size must be a positive integer, got 0"),
    (lambda: _spec(layers=(LayerSpec(3, "relu"),)), "expects a softmax output layer"),
    (lambda: _spec(loss="binary_crossentropy"), "binary_crossentropy expects a sigmoid output"),
    (lambda: _spec(loss="binary_crossentropy", layers=(LayerSpec(3, "sigmoid"),)),
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
                                         "digits_bn_mlp, digits_cnn, digits_lstm, mnist_mlp"):
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
