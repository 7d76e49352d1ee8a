"""The parity kit (`tfmodels/testing.py`, `tfmodels verify`) on three TF1 programs it was not
written for (`examples/unseen/`): their right Keras 3 ports pass every check, each deliberately
wrong port fails at the check that can see its mistake, naming what differs.

Tolerance: the kit's defaults, the migration guide's (rtol 1e-6, atol 1e-5). The right ports
reach them with room: the same ops in both (outputs 0 to 8e-6 apart in training mode, from the
fused batch norm's kernel against Keras's formula; the gradients within 1.1e-5, which the
gradient's own allowance, 1e-4 of its variable's largest gradient, covers; the weights after
three steps within 1.2e-7, the Keras optimizer given TF1's gradients: 7e-6 before, when
Adam magnified the gradients' noise).
"""

import collections
import os
import re

import keras
import numpy as np
import pytest
import tensorflow as tf

from tests.helpers import EXAMPLES, example
from tf1_compat import layers
from tfmodels.cli import main
from tfmodels.core.errors import UserError
from tfmodels.migration.equivalence import (
    ATOL,
    RTOL,
    NotEquivalent,
    Unmatched,
    assert_equivalent,
    from_model_fn,
    verify,
)

v1 = tf.compat.v1
deep_mnist, layers_convnet, lstm_classifier = (
    example(f"unseen/{name}.py") for name in ("deep_mnist", "layers_convnet", "lstm_classifier"))
CHECKS = ["variables made once", "names and shapes", "outputs, no randomness",
          "outputs, aligned randomness", "3 training steps", "outputs after training"]
PROGRAMS = {"deep_mnist": deep_mnist, "layers_convnet": layers_convnet,
            "lstm_classifier": lstm_classifier}


def ref(program: str, function: str) -> str:
    return f"{os.path.join(EXAMPLES, 'unseen', program + '.py')}:{function}"


def names(report):
    return [c.name.split(" (")[0] for c in report.checks]


# -- the right ports ---------------------------------------------------------------------------


@pytest.mark.parametrize("optimizer,learning_rate", [("sgd", 0.05), ("adam", 1e-3)])
@pytest.mark.parametrize("program", PROGRAMS)
def test_the_right_port_passes_every_check(program, optimizer, learning_rate):
    module = PROGRAMS[program]
    report = assert_equivalent(module.build, module.keras_model, module.INPUT_SHAPE,
                               optimizer=optimizer, learning_rate=learning_rate)
    assert names(report) == CHECKS
    assert all(c.difference <= ATOL for c in report.checks if c.difference is not None)
    tf1_losses, keras_losses = report.losses["tf1"], report.losses["keras"]
    assert len(tf1_losses) == 3 and np.allclose(keras_losses, tf1_losses, rtol=RTOL, atol=ATOL)


@pytest.mark.parametrize("program", ["layers_convnet", "lstm_classifier"])
def test_the_tf1_code_in_a_tf1_style_layer_computes_the_very_same_numbers(program):
    """Without a Keras model, the kit checks the TF1 function run by a TF1StyleLayer (the
    guide's first step): the same ops on the same values, so no difference at all."""
    module = PROGRAMS[program]
    report = assert_equivalent(module.build, None, module.INPUT_SHAPE, optimizer="adam",
                               learning_rate=1e-3)
    assert names(report) == CHECKS
    assert [c.difference for c in report.checks[2:]] == [0.0] * 4


def test_the_starting_values_come_from_a_tf1_checkpoint(tmp_path):
    trained = layers_convnet.train(str(tmp_path / "model.ckpt"), steps=5)
    reader = tf.train.load_checkpoint(trained["prefix"])
    model = layers_convnet.keras_model()
    report = verify(layers_convnet.build, model, layers_convnet.INPUT_SHAPE, steps=0,
                    checkpoint=trained["prefix"])
    assert report.ok
    # steps=0: the trained weights are the checkpoint's (the moving averages moved once since,
    # in the training-mode check, in both)
    for layer, weight in (("conv2d", "kernel"), ("batch_normalization", "gamma"),
                          ("dense_1", "bias")):
        np.testing.assert_array_equal(getattr(model.get_layer(layer), weight).numpy(),
                                      reader.get_tensor(f"{layer}/{weight}"))
    assert not np.allclose(reader.get_tensor("batch_normalization/moving_mean"), 0.0)


# -- the wrong ports: caught at the check that sees them, named -----------------------------------


def failed(report, check: str):
    assert not report.ok
    assert report.checks[-1].name == check and report.failure is report.checks[-1]
    return report.failure


def test_a_transposed_kernel_is_caught_in_the_outputs():
    failure = failed(verify(deep_mnist.build, deep_mnist.keras_model_transposed,
                            deep_mnist.INPUT_SHAPE), "outputs, no randomness")
    assert failure.detail.startswith("outputs differ: max |difference|")
    assert failure.difference > 0.05


def test_a_changed_batch_norm_epsilon_is_caught_in_the_outputs():
    failure = failed(verify(layers_convnet.build, layers_convnet.keras_model_wrong_epsilon,
                            layers_convnet.INPUT_SHAPE), "outputs, no randomness")
    assert 1e-4 < failure.difference < 1e-2  # epsilon 1e-5 for 1e-3 at variance ~1


def test_a_frozen_batch_norm_the_forgotten_update_ops_is_caught_in_training_mode():
    report = verify(layers_convnet.build, layers_convnet.keras_model_frozen_batchnorm,
                    layers_convnet.INPUT_SHAPE)
    assert report.checks[2].ok  # inference: the same moving statistics, the same outputs
    assert failed(report, "outputs, aligned randomness").difference > 0.1


def test_keras_own_batch_norm_drifts_in_the_moving_variance_which_is_named():
    """TF1's fused batch norm feeds the moving variance the batch variance times n / (n - 1):
    with 2 images of 12x12 (n = 288) a step moves the two apart by ~3.5e-5."""
    report = verify(layers_convnet.build, layers_convnet.keras_model_keras_batchnorm,
                    layers_convnet.INPUT_SHAPE, batch_size=2, optimizer="adam",
                    learning_rate=1e-3)
    failure = failed(report, "3 training steps (adam, learning rate 0.001)")
    assert failure.detail.startswith("step 1: variable sequential/batch_normalization/"
                                     "moving_variance (TF1 batch_normalization/moving_variance)")
    assert "FusedBatchNormalization" in failure.detail
    fixed = verify(layers_convnet.build, layers_convnet.keras_model, layers_convnet.INPUT_SHAPE,
                   batch_size=2, optimizer="adam", learning_rate=1e-3)
    assert fixed.ok, fixed


def test_keras_2s_hard_sigmoid_is_caught_in_the_outputs():
    failure = failed(verify(lstm_classifier.build, lstm_classifier.keras_model_hard_sigmoid,
                            lstm_classifier.INPUT_SHAPE), "outputs, no randomness")
    assert failure.difference > 1e-3


def test_a_wrong_forget_bias_is_caught_in_the_outputs():
    report = verify(lstm_classifier.build, lstm_classifier.keras_model,
                    lstm_classifier.INPUT_SHAPE, forget_bias=0.0)
    assert failed(report, "outputs, no randomness").difference > 1e-3


def test_a_wrong_dropout_rate_is_caught_only_with_the_masks_aligned():
    def port():
        model = layers_convnet.keras_model()
        dropout = next(layer for layer in model.layers
                       if isinstance(layer, keras.layers.Dropout))
        dropout.rate = 0.5  # TF1's is 0.3
        return model

    report = verify(layers_convnet.build, port, layers_convnet.INPUT_SHAPE)
    assert report.checks[2].ok
    assert failed(report, "outputs, aligned randomness").detail.startswith(
        "training-mode outputs differ")


def test_a_layer_left_frozen_is_caught_at_the_first_training_step():
    def port():
        model = deep_mnist.keras_model()
        model.layers[0].trainable = False  # "forgot to unfreeze" the first convolution
        return model

    report = verify(deep_mnist.build, port, deep_mnist.INPUT_SHAPE)
    assert report.checks[3].ok
    failure = failed(report, "3 training steps (sgd, learning rate 0.01)")
    assert failure.detail.startswith("step 1: variable sequential/conv2d/kernel (TF1 Variable)")


def test_noise_in_a_keras_gradient_is_not_magnified_by_adam(monkeypatch):
    """Noise of 5e-7 (within the gradients' tolerance) on every Keras gradient, as another
    order of operations leaves: the right port still passes, because the Keras optimizer is
    given TF1's gradients; applying its own instead, Adam's division by the gradient's running
    size moves near-zero gradients' weights apart by more than the tolerance."""
    import tfmodels.migration.equivalence as kit

    rng, real = np.random.default_rng(0), kit.reference_gradients

    def noisy(own, reference, rtol, atol):
        return real([(g + rng.choice([-5e-7, 5e-7], g.shape).astype(np.float32), v)
                     for g, v in own], reference, rtol, atol)

    monkeypatch.setattr(kit, "reference_gradients", noisy)
    report = verify(layers_convnet.build, layers_convnet.keras_model,
                    layers_convnet.INPUT_SHAPE, optimizer="adam", learning_rate=1e-3)
    assert report.ok, report
    seen = float(re.search(r"in the gradients ([0-9.e+-]+);", report.checks[4].detail)[1])
    assert seen >= 5e-7  # the noise, seen and tolerated


def test_a_backward_pass_that_differs_is_named_at_its_gradient():
    """A ReLU whose gradient is the identity (its forward pass unchanged): equal outputs, and
    the first training step names the gradient that differs, before any weight moves."""
    def build(x, training=False):
        hidden = layers.dense(x, 16, activation=tf.nn.relu, name="hidden")
        return layers.dense(hidden, 3, name="logits")

    def port():
        keras.utils.set_random_seed(2)
        relu_forward_only = keras.layers.Lambda(
            lambda t: t + keras.ops.stop_gradient(keras.ops.relu(t) - t))
        return keras.Sequential([keras.Input((6,)), keras.layers.Dense(16, name="hidden"),
                                 relu_forward_only, keras.layers.Dense(3, name="logits")])

    report = verify(build, port, (6,), optimizer="adam", learning_rate=1e-3)
    assert report.checks[2].ok and report.checks[3].ok  # the outputs are equal
    detail = failed(report, "3 training steps (adam, learning rate 0.001)").detail
    assert detail.startswith("step 1: the gradient of variable sequential/hidden/kernel (TF1 "
                             "hidden/kernel): max |difference| "), detail


def test_assert_equivalent_fails_with_the_report():
    with pytest.raises(NotEquivalent) as caught:
        assert_equivalent(deep_mnist.build, deep_mnist.keras_model_transposed,
                          deep_mnist.INPUT_SHAPE)
    assert isinstance(caught.value, AssertionError)
    assert caught.value.report.failure.name == "outputs, no randomness"
    assert "NOT equivalent: outputs, no randomness: outputs differ" in str(caught.value)


# -- dropout masks aligned: the kit's stand-in for DeterministicRandomTestTool ------------------


def test_without_the_aligned_masks_the_right_port_would_fail(monkeypatch):
    """The alignment is what makes check 4 pass: with the Keras side's seeds left as Keras
    drew them, the right port of a program with dropout fails there."""
    import tfmodels.migration.equivalence as kit

    monkeypatch.setattr(kit, "_align_dropout", lambda model, step: None)
    report = verify(layers_convnet.build, layers_convnet.keras_model, layers_convnet.INPUT_SHAPE)
    assert failed(report, "outputs, aligned randomness")


# -- a TF1 Estimator model_fn ---------------------------------------------------------------------


EstimatorSpec = collections.namedtuple("EstimatorSpec", "mode predictions loss train_op")


def model_fn(features, labels, mode, params):
    h = layers.dense(features, params["hidden"], activation=tf.nn.relu)
    h = layers.dropout(h, 0.25, training=mode == "train")  # tf.estimator.ModeKeys.TRAIN
    logits = layers.dense(h, 3)
    return EstimatorSpec(mode, {"logits": logits, "classes": tf.argmax(logits, 1)}, None, None)


def model_fn_always_dropping(features, labels, mode, params):
    return model_fn(features, labels, "train", params)


def estimator_port():
    return keras.Sequential([keras.Input((4,)), keras.layers.Dense(16, activation="relu"),
                             keras.layers.Dropout(0.25), keras.layers.Dense(3)])


def test_an_estimator_model_fn_goes_through_its_modes():
    def fn(features, labels, mode, params=None):
        return model_fn(features, labels, mode, {"hidden": 16})

    assert_equivalent(fn, estimator_port, (4,), model_fn=True)
    wrong = verify(lambda features, labels, mode: model_fn_always_dropping(
        features, labels, mode, {"hidden": 16}), estimator_port, (4,), model_fn=True)
    assert failed(wrong, "outputs, no randomness")  # PREDICT dropped units: the mode mattered


def model_fn_with_its_training(features, labels, mode, params=None):
    """An Estimator model_fn as written for tf.estimator: its loss from the labels, its own
    Adam and global step in training (the kit fetches the predictions only)."""
    logits = model_fn(features, labels, mode, {"hidden": 16}).predictions["logits"]
    if mode != "train":
        return EstimatorSpec(mode, {"logits": logits}, None, None)
    loss = v1.losses.sparse_softmax_cross_entropy(labels=labels, logits=logits)
    train_op = v1.train.AdamOptimizer(0.01).minimize(
        loss, global_step=v1.train.get_or_create_global_step())
    return EstimatorSpec(mode, {"logits": logits}, loss, train_op)


def test_a_model_fn_building_its_loss_from_labels_gets_a_labels_placeholder():
    assert_equivalent(model_fn_with_its_training, estimator_port, (4,), model_fn=True)
    with pytest.raises(UserError, match=r"labels 'int65': expected a dtype"):
        verify(model_fn_with_its_training, estimator_port, (4,), model_fn=True, labels="int65")


def test_a_model_fn_predicting_class_ids_only_is_one_line_not_a_bug():
    """It once passed check 1 and then crashed in the TF1 optimizer's minimize ("No gradients
    provided", exit 70): int64 class ids are no outputs to train through. Now one line."""
    def class_ids_only(features, labels, mode):
        spec = model_fn_with_its_training(features, labels, mode)
        return EstimatorSpec(mode, {"class_ids": tf.argmax(spec.predictions["logits"], 1)},
                             spec.loss, spec.train_op)

    with pytest.raises(UserError, match=r"outputs of dtype int64, which the kit cannot train "
                                        r"through .*predictions\['logits'\]"):
        verify(class_ids_only, estimator_port, (4,), model_fn=True)


def test_a_keras_model_with_one_named_output_is_compared_and_two_against_one_refused():
    def port(outputs):
        def make():
            inputs = keras.Input((4,))
            h = keras.layers.Dropout(0.25)(keras.layers.Dense(16, activation="relu")(inputs))
            logits = keras.layers.Dense(3)(h)
            return keras.Model(inputs, {name: logits for name in outputs})
        return make

    def fn(features, labels, mode):
        return model_fn(features, labels, mode, {"hidden": 16})

    assert_equivalent(fn, port(["logits"]), (4,), model_fn=True)
    with pytest.raises(UserError, match=r"the TF1 function returns one tensor; the Keras model "
                                        r"'functional' returns 2 outputs \(again, logits\): "
                                        r"the outputs are compared by name"):
        verify(fn, port(["logits", "again"]), (4,), model_fn=True)


@pytest.mark.slow  # a process of its own, ~15 s
def test_a_keras_file_of_fused_batch_norm_is_read_by_the_command_in_a_fresh_process(tmp_path):
    """`--keras port.keras` holding FusedBatchNormalization, in a process where nothing but
    the command imported tfmodels: the layer is known when the file is read."""
    import subprocess
    import sys

    from tfmodels.migration import FusedBatchNormalization

    keras.backend.clear_session()
    keras.Sequential([
        keras.Input((8, 8, 1)), keras.layers.Conv2D(4, 3, padding="same", activation="relu"),
        FusedBatchNormalization(), keras.layers.MaxPooling2D(2, 2), keras.layers.Flatten(),
        keras.layers.Dense(16, activation="relu"), keras.layers.Dense(3),
    ]).save(tmp_path / "port.keras")
    done = subprocess.run(
        [sys.executable, "-m", "tfmodels.cli", "verify", "--tf1",
         os.path.join(EXAMPLES, "migrate_models.py") + ":convnet_tf1", "--keras",
         str(tmp_path / "port.keras"), "--input-shape", "8,8,1", "--logdir",
         str(tmp_path / "logs")],
        capture_output=True, text=True, timeout=300, cwd=tmp_path)
    assert done.returncode == 0, done.stdout[-2000:] + done.stderr[-2000:]
    assert "\nEquivalent.\n" in done.stdout


def test_from_model_fn_hands_params_and_picks_the_logits():
    build = from_model_fn(model_fn, params={"hidden": 5})
    graph = tf.Graph()
    with graph.as_default():
        out = build(v1.placeholder(tf.float32, (None, 4)), training=False)
        assert out.shape.as_list() == [None, 3]
        assert [v.shape.as_list() for v in v1.trainable_variables()][:2] == [[4, 5], [5]]


# -- what cannot be compared: one line each ------------------------------------------------------


def test_variables_made_on_every_call_are_the_guides_step_1_failure():
    with pytest.raises(UserError, match=r"variables made once \(the migration guide's step 1\)"
                                        r" fails: .*'Variable' with tf.Variable"):
        verify(deep_mnist.build, None, deep_mnist.INPUT_SHAPE)


def test_weights_that_cannot_be_paired_are_refused_with_the_table():
    with pytest.raises(Unmatched, match=r"names and shapes: Keras weights conv2d/bias, "
                                        r"batch_normalization/gamma, .* could each take TF1 "
                                        r"variable Variable_1; .* write a map file") as caught:
        verify(deep_mnist.build, layers_convnet.keras_model, deep_mnist.INPUT_SHAPE)
    assert "Variable_4" in caught.value.table and "(nothing)" in caught.value.table


@pytest.mark.parametrize("kwargs,message", [
    ({"input_shape": (12, 12)}, r"takes inputs of shape \(12, 12, 1\)"),
    ({"input_shape": "12,x,1"}, r"input shape '12,x,1': expected positive integers"),
    ({"steps": -1}, r"steps must be an integer >= 0, got -1"),
    ({"rtol": float("nan")}, r"rtol must be a finite number >= 0, got nan"),
    ({"learning_rate": 1e-50}, r"learning_rate=1e-50 rounds to 0 in float32"),
    ({"loss": "hinge"}, r"loss 'hinge': expected one of mse, sparse_categorical_crossentropy"),
    ({"optimizer": "lion"}, r"optimizer"),
    ({"checkpoint": os.path.join(EXAMPLES, "unseen", "deep_mnist.py")},
     r"cannot read TF1 checkpoint"),
])
def test_bad_input_is_one_line(kwargs, message):
    args = {"input_shape": deep_mnist.INPUT_SHAPE, **kwargs}
    with pytest.raises(UserError, match=message):
        verify(deep_mnist.build, deep_mnist.keras_model, **args)


# -- the command ---------------------------------------------------------------------------------


def test_verify_command_exit_statuses_and_logs(tmp_path, capsys):
    right = ["verify", "--tf1", ref("layers_convnet", "build"),
             "--keras", ref("layers_convnet", "keras_model"), "--input-shape", "12,12,1",
             "--optimizer", "adam", "--learning-rate", "0.001", "--logdir", str(tmp_path)]
    assert main(right) == 0
    out = capsys.readouterr().out
    assert "ok    outputs after training" in out and out.rstrip().splitlines()[-2] == "Equivalent."

    run = os.path.join(tmp_path, "verify", os.listdir(tmp_path / "verify")[0])
    losses = {}
    for side in ("tf1", "keras"):
        [events] = os.listdir(os.path.join(run, side))
        losses[side] = [(e.step, float(tf.make_ndarray(v.tensor)))
                        for e in tf.compat.v1.train.summary_iterator(os.path.join(run, side,
                                                                                  events))
                        for v in e.summary.value if v.tag == "verify/loss"]
    assert [s for s, _ in losses["tf1"]] == [s for s, _ in losses["keras"]] == [1, 2, 3]
    np.testing.assert_allclose([v for _, v in losses["keras"]], [v for _, v in losses["tf1"]],
                               rtol=RTOL, atol=ATOL)

    wrong = ["verify", "--tf1", ref("layers_convnet", "build"), "--keras",
             ref("layers_convnet", "keras_model_wrong_epsilon"), "--input-shape", "12,12,1",
             "--logdir", str(tmp_path)]
    assert main(wrong) == 1
    assert "NOT equivalent: outputs, no randomness: outputs differ" in capsys.readouterr().out


@pytest.mark.parametrize("argv,message", [
    (["--tf1", "no_such_module:build"], "cannot import module 'no_such_module'"),
    (["--tf1", ref("deep_mnist", "build")], "step 1"),
    (["--tf1", ref("deep_mnist", "build"), "--keras", ref("layers_convnet", "keras_model")],
     "names and shapes: Keras weights conv2d/bias, batch_normalization/gamma"),
    (["--tf1", ref("deep_mnist", "build"), "--keras", ref("deep_mnist", "keras_model"),
      "--checkpoint", ref("deep_mnist", "")[:-1]], "cannot read TF1 checkpoint"),
])
def test_verify_command_refuses_in_one_line(argv, message, tmp_path, capsys):
    assert main(["verify", *argv, "--input-shape", "12,12,1", "--logdir", str(tmp_path)]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and err[0].startswith("tfmodels: error: ") and message in err[0]
    assert not os.path.exists(tmp_path / "verify")  # nothing written


# -- recurrent cells of every kind ---------------------------------------------------------------


@pytest.mark.parametrize("program, port", [("gru_tf1", "gru"), ("simple_rnn_tf1", "simple_rnn"),
                                           ("bidirectional_tf1", "bidirectional"),
                                           ("lstm_tf1", "lstm")])
def test_recurrent_cells_of_every_kind_are_verified(program, port):
    models = example("migrate_models.py")

    report = assert_equivalent(getattr(models, program), getattr(models, port),
                               (models.STEPS, models.FEATURES), optimizer="adam",
                               learning_rate=0.01)
    assert all(c.difference <= ATOL for c in report.checks if c.difference is not None)
