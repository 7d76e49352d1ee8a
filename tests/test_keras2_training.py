"""`verify_keras2`'s training steps: a Keras 2 (tf_keras) model and its Keras 3 port, from the
same weights, trained on the same batches with the same optimizer, their weights compared after
every step, the dropout masks aligned (Keras 2 and Keras 3 draw different masks for one seed).

The Keras 2 model is the README's: `examples/make_keras2_model.py` run as a program (its own
process: it imports tf_keras) writes `m.h5`, the tutorial MLP with a Dropout, trained an epoch
and compiled with Adam; its Keras 3 port is `examples/keras2_models.py:mlp`. The same module's
The `module:factory` source is tests/keras2_factories.py's, called in the Keras 2 process only.
Five tf_keras processes in all: the maker, one `verify_keras2` run for every port below (they
differ on the Keras 3 side only, so the Keras 2 process is run once:
`helpers.ReusedKeras2Runs`), one with another optimizer named, two factories.

Tolerance: verify's, rtol 1e-6 and atol 1e-5 on losses and weights (the module docstring of
keras2_reference says why); a planted optimizer or dropout difference moves the weights by more
than 1e-4 at the first step.
"""

import os
import re
import subprocess
import sys

import keras
import pytest

from tests.helpers import EXAMPLES, ReusedKeras2Runs
from tfmodels.cli import main
from tfmodels.core.errors import UserError
from tfmodels.migration import dropout_masks
from tfmodels.migration.keras2_reference import verify_keras2

MAKER = os.path.join(EXAMPLES, "make_keras2_model.py")
PORTS = os.path.join(EXAMPLES, "keras2_models.py")
FACTORIES = os.path.join(os.path.dirname(__file__), "keras2_factories.py")
pytestmark = pytest.mark.slow  # three tf_keras processes, 15 to 40 s each on a loaded machine


@pytest.fixture(scope="module")
def made(tmp_path_factory):
    """The README's Keras 2 file, written by examples/make_keras2_model.py in its process."""
    path = tmp_path_factory.mktemp("made") / "m.h5"
    done = subprocess.run([sys.executable, MAKER, str(path)], capture_output=True, text=True,
                          timeout=600)
    assert done.returncode == 0, done.stderr[-3000:]
    assert done.stdout.startswith(f"Wrote {path}: a Keras 2 (tf_keras 2."), done.stdout
    return str(path)


@pytest.fixture(scope="module")
def reused(tmp_path_factory):
    with ReusedKeras2Runs(tmp_path_factory.mktemp("keras2_runs")) as runs:
        yield runs


def port(dropout=0.2, compiled=None):
    """examples/keras2_models.py:mlp, with its dropout rate changed (None: no Dropout layer)
    or compiled with the optimizer given."""
    keras.utils.set_random_seed(1)
    layers = [keras.Input((8, 8)), keras.layers.Flatten(),
              keras.layers.Dense(32, activation="relu")]
    if dropout is not None:
        layers.append(keras.layers.Dropout(dropout))
    layers += [keras.layers.Dense(32, activation="relu"),
               keras.layers.Dense(32, activation="relu"), keras.layers.Dense(10)]
    model = keras.Sequential(layers)
    if compiled is not None:
        model.compile(optimizer=compiled, loss="mse")
    return model


def test_the_right_port_trains_as_keras2_with_dropout(made, reused):
    report = verify_keras2(made, f"{PORTS}:mlp")
    assert report.ok, report
    names = [c.name for c in report.checks]
    assert names == ["names and shapes", "outputs, no randomness",
                     "3 training steps (adam, learning rate 0.001)"]
    steps = report.checks[2]
    assert steps.detail.startswith("weights equal after every step (max |difference| ")
    assert "adam (the Keras 2 model's compiled optimizer), the same for the Keras 3 model" in \
        steps.detail
    assert "dropout masks aligned (dropout rate 0.2): Keras 2 and Keras 3 draw different " \
        "masks for one seed (keras#19993, tensorflow#71829)" in steps.detail
    assert steps.difference < 1e-5
    print(f"right port: max |difference| in the weights after 3 steps {steps.difference:.3g}")


def test_without_aligned_masks_the_right_port_would_drift(made, reused, monkeypatch):
    """The Keras 3 side drawing its own masks (the alignment undone on that side only): the
    first training step's loss already differs. Why the masks are aligned."""
    import contextlib

    monkeypatch.setattr(dropout_masks, "given_masks",
                        lambda model, masks: contextlib.nullcontext())
    report = verify_keras2(made, f"{PORTS}:mlp")
    assert report.checks[1].ok
    assert report.failure.detail.startswith("step 1: the loss before the step differs"), report


def test_a_port_without_its_dropout_is_named(made, reused):
    report = verify_keras2(made, lambda: port(dropout=None))
    assert report.checks[1].ok  # in inference mode a dropout changes nothing
    detail = report.failure.detail
    assert report.failure.name == "3 training steps (adam, learning rate 0.001)"
    assert detail.startswith("step 1: the loss before the step differs: max |difference| ")
    assert "dropout layers: dropout rate 0.2 in Keras 2, no Dropout layer in Keras 3" in detail


def test_a_port_with_another_dropout_rate_is_named(made, reused):
    report = verify_keras2(made, lambda: port(dropout=0.5))
    assert report.failure.detail.startswith("step 1: the loss before the step differs")
    assert report.failure.detail.endswith("layer settings that differ: dropout: rate 0.2 in "
                                          "Keras 2, 0.5 in Keras 3")


def test_a_port_compiled_with_another_learning_rate_is_named(made, reused):
    report = verify_keras2(made, lambda: port(compiled=keras.optimizers.Adam(0.01)))
    detail = report.failure.detail
    assert report.failure.name == "3 training steps (adam, learning rate 0.01)"
    assert detail.startswith("step 1: weight dense/kernel (Keras 2 dense/kernel): max "
                             "|difference| "), detail
    assert detail.endswith("optimizer settings that differ: learning_rate 0.001 in Keras 2, "
                           "0.01 in Keras 3")
    assert reused.runs == 1, "the ports above share one Keras 2 process"


def test_a_port_compiled_alike_passes(made, reused):
    report = verify_keras2(made, lambda: port(compiled=keras.optimizers.Adam(0.001)))
    assert report.ok, report
    assert "adam (the Keras 2 model's compiled optimizer), the Keras 3 model's own compiled " \
        "optimizer" in report.checks[2].detail


def test_noise_in_a_gradient_is_not_magnified_by_adam(made, reused, monkeypatch):
    """Another order of operations (Keras 3's batch norm against tf_keras's fused kernel) leaves
    a gradient a little apart (measured up to 3e-7 on the convnet of tests/test_keras2.py); Adam
    divides each update by the gradient's running size plus 1e-7, so where a gradient is near
    zero that noise moved a weight by up to 7e-6 and a right port failed at random. Here noise
    of 5e-7 (within the gradients' tolerance) is planted on every Keras 3 gradient: still equal,
    because the optimizer is given Keras 2's gradients. Without that, it is not (checked)."""
    import numpy as np
    import tensorflow as tf

    from tfmodels.migration.keras2_training import Training

    rng, real = np.random.default_rng(0), Training._gradients

    def noisy(self, x, targets, masks):
        loss, own = real(self, x, targets, masks)
        return loss, [(g + rng.choice([-5e-7, 5e-7], g.shape).astype(np.float32), v)
                      for g, v in own]

    monkeypatch.setattr(Training, "_gradients", noisy)
    report = verify_keras2(made, f"{PORTS}:mlp")
    assert report.ok, report
    assert "gradients 5" in report.checks[2].detail  # the planted noise, seen and tolerated
    # the same noise in Adam's own step moves some weight by more than the tolerance
    model = keras.Sequential([keras.Input((3,)), keras.layers.Dense(4)])
    zero = [tf.zeros_like(v) for v in model.trainable_variables]
    moved = []
    for gradients in (zero, [z + 5e-7 for z in zero]):
        keras.utils.set_random_seed(1)
        twin = keras.models.clone_model(model)
        twin.set_weights(model.get_weights())
        keras.optimizers.Adam(0.001).apply(gradients, twin.trainable_variables)
        moved.append(twin.get_weights()[0])
    assert np.abs(moved[0] - moved[1]).max() > 1e-5


def test_a_port_whose_gradient_differs_is_named(made, reused):
    """A ReLU whose backward pass is the identity (its forward unchanged): the first gradient
    that differs is named, before any weight moves."""
    def relu_forward_only(t):
        return t + keras.ops.stop_gradient(keras.ops.relu(t) - t)

    keras.utils.set_random_seed(1)
    model = keras.Sequential([
        keras.Input((8, 8)), keras.layers.Flatten(), keras.layers.Dense(32),
        keras.layers.Lambda(relu_forward_only), keras.layers.Dropout(0.2),
        keras.layers.Dense(32, activation="relu"), keras.layers.Dense(32, activation="relu"),
        keras.layers.Dense(10)])
    report = verify_keras2(made, lambda: model)
    assert report.checks[1].ok  # the outputs are equal
    detail = report.failure.detail
    assert re.match(r"step 1: the gradient of weight dense(_\d+)?/kernel \(Keras 2 "
                    r"dense/kernel\): max \|difference\| ", detail), detail
    assert detail.endswith("activation 'relu' in Keras 2, 'linear' in Keras 3")  # the Lambda's


def test_the_command_with_steps(made, reused, capsys):
    assert main(["verify", "--keras2", made, "--keras", f"{PORTS}:mlp", "--steps", "3"]) == 0
    out = capsys.readouterr().out
    assert "ok    3 training steps (adam, learning rate 0.001): weights equal after every " \
        "step" in out and "Equivalent." in out


def test_an_optimizer_named_for_a_compiled_keras2_model_is_said_unused(made, reused, capsys):
    assert main(["verify", "--keras2", made, "--keras", f"{PORTS}:mlp", "--steps", "1",
                 "--optimizer", "rmsprop"]) == 0
    assert "adam (the Keras 2 model's compiled optimizer), the same for the Keras 3 model; " \
        "both started afresh (the optimizer named, rmsprop at learning rate 0.01, is for a " \
        "Keras 2 model without one)" in capsys.readouterr().out


def test_a_factory_as_the_keras2_model(reused):
    """`file.py:factory` returning a tf_keras model, called in the Keras 2 process only (it
    starts from its random initial weights, which fill the port); not compiled, it trains with
    the optimizer named."""
    report = verify_keras2(f"{FACTORIES}:uncompiled_mlp", f"{PORTS}:mlp", steps=2,
                           optimizer="rmsprop", learning_rate=0.01)
    assert report.ok, report
    assert report.checks[0].detail.startswith("8 Keras weights <- 8 Keras 2 weights")
    assert report.checks[2].name == "2 training steps (rmsprop, learning rate 0.01)"
    assert "rmsprop (named: the Keras 2 model has no compiled optimizer), the same for the " \
        "Keras 3 model" in report.checks[2].detail
    assert "keras2_factories" not in sys.modules  # imported in the Keras 2 process only
    assert os.environ.get("TF_USE_LEGACY_KERAS") is None


def test_too_many_steps_are_refused_before_anything_runs(reused):
    runs = reused.runs
    with pytest.raises(UserError, match=r"^steps must be an integer in \[0, 100\] with a Keras "
                                        r"2 model as the reference .*, got 1000000$"):
        verify_keras2(f"{MAKER}:mlp", f"{PORTS}:mlp", steps=1_000_000)
    assert reused.runs == runs


def test_a_keras2_factory_that_returns_a_keras3_model_is_one_line(reused):
    with pytest.raises(UserError, match=r"^Keras 2 model '.*keras2_models\.py:mlp' returned "
                                        r"Sequential, expected a tf_keras model"):
        verify_keras2(f"{PORTS}:mlp", f"{PORTS}:mlp", steps=0)
