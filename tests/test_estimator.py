"""`tf1_compat.estimator`: TF1's Estimator, checked against a hand-written Session loop.

tf.estimator is gone from every TensorFlow that installs here, so the oracle is what TF1's
Estimator did by definition: the `model_fn`'s graph run step by step in a `Session` on the same
batches from the same initial values (seeded initializers). The rest is read back from what the
Estimator wrote: checkpoints, TensorBoard event files, the predictions.
"""

import os
import signal
import subprocess
import sys

import numpy as np
import pytest
import tensorflow as tf
from tensorboard.backend.event_processing.event_accumulator import EventAccumulator

from tf1_compat import estimator as E
from tf1_compat import layers
from tfmodels.core.errors import UserError

v1 = tf.compat.v1
HERE = os.path.dirname(os.path.abspath(__file__))

N, BATCH = 40, 16


def data(seed=0, n=N):
    rng = np.random.RandomState(seed)
    x = rng.normal(size=(n, 4)).astype(np.float32)
    w = np.array([[1.0, -2.0, 0.5], [0.3, 1.0, -1.0], [-1.5, 0.2, 1.0], [0.7, 0.4, -0.3]])
    y = np.argmax(x @ w + 0.8 * rng.normal(size=(n, 3)), axis=1).astype(np.int32)
    return x, y


def model_fn(features, labels, mode, params):
    """A TF1 tutorial's classifier: two dense layers, softmax cross-entropy, Adam."""
    hidden = layers.dense(features["x"], 8, activation=tf.nn.tanh,
                          kernel_initializer=v1.random_normal_initializer(stddev=0.7, seed=1))
    logits = layers.dense(hidden, 3,
                          kernel_initializer=v1.random_normal_initializer(stddev=0.7, seed=2))
    classes = tf.argmax(logits, axis=1, output_type=tf.int32)
    if mode == E.ModeKeys.PREDICT:
        return E.EstimatorSpec(mode, predictions={"classes": classes, "logits": logits})
    loss = tf.identity(v1.losses.sparse_softmax_cross_entropy(labels, logits), name="the_loss")
    train_op = v1.train.AdamOptimizer(params["learning_rate"]).minimize(
        loss, global_step=v1.train.get_global_step())
    return E.EstimatorSpec(mode, loss=loss, train_op=train_op,
                           eval_metric_ops={"accuracy": v1.metrics.accuracy(labels, classes)})


class LossRecorder(v1.train.SessionRunHook):
    """Records `(global step after the run, loss)` of every training step."""

    def __init__(self, path=None):
        self.losses, self._path = [], path

    def begin(self):
        graph = v1.get_default_graph()
        self._fetch = {"loss": graph.get_tensor_by_name("the_loss:0"),
                       "step": v1.train.get_global_step()}

    def before_run(self, run_context):
        return v1.train.SessionRunArgs(self._fetch["loss"])

    def after_run(self, run_context, run_values):
        step = int(run_context.session.run(self._fetch["step"]))
        self.losses.append((step, float(run_values.results)))
        if self._path:
            with open(self._path, "a") as file:
                file.write(f"{step} {float(run_values.results)!r}\n")


def estimator(model_dir, **config):
    config = {"tf_random_seed": 7, "save_checkpoints_steps": 3, "log_step_count_steps": 2,
              "save_summary_steps": 2, **config}
    return E.Estimator(model_fn, str(model_dir), config=E.RunConfig(**config),
                       params={"learning_rate": 0.05})


def hand_loop(batches):
    """The oracle: model_fn's TRAIN graph run in a Session on `batches`, losses per step."""
    with tf.Graph().as_default():
        v1.set_random_seed(7)
        v1.train.get_or_create_global_step()
        x = v1.placeholder(tf.float32, [None, 4])
        y = v1.placeholder(tf.int32, [None])
        spec = model_fn({"x": x}, y, E.ModeKeys.TRAIN, {"learning_rate": 0.05})
        with v1.Session() as session:
            session.run(v1.global_variables_initializer())
            return [float(session.run([spec.train_op, spec.loss], {x: bx, y: by})[1])
                    for bx, by in batches]


def stream_batches(x, y, batch, steps):
    """TF1's numpy_input_fn without shuffling: epoch after epoch as one stream, cut in batches."""
    rows = np.arange(batch * steps) % len(x)
    return [(x[rows[i * batch:(i + 1) * batch]], y[rows[i * batch:(i + 1) * batch]])
            for i in range(steps)]


def train_input(x, y, batch=BATCH):
    return E.inputs.numpy_input_fn({"x": x}, y, batch_size=batch, num_epochs=None, shuffle=False)


def test_training_losses_are_the_session_loops_on_the_same_batches(tmp_path):
    x, y = data()
    recorder = LossRecorder()
    estimator(tmp_path).train(train_input(x, y), steps=7, hooks=[recorder])
    expected = hand_loop(stream_batches(x, y, BATCH, 7))
    assert [step for step, _ in recorder.losses] == list(range(1, 8))
    np.testing.assert_allclose([loss for _, loss in recorder.losses], expected, rtol=1e-6)
    assert len(set(np.round(expected, 5))) == 7  # every batch differs: the order matters


def test_a_second_train_resumes_from_the_checkpoint_and_counts_steps_on(tmp_path):
    x, y = data()
    whole = LossRecorder()  # full batches: every step sees the same data, so a resumed run
    estimator(tmp_path / "whole").train(train_input(x, y, N), steps=8, hooks=[whole])
    first, second = LossRecorder(), LossRecorder()  # must repeat the uninterrupted one exactly
    est = estimator(tmp_path / "parts")
    est.train(train_input(x, y, N), steps=5, hooks=[first])
    assert est.latest_checkpoint().endswith("model.ckpt-5")
    est.train(train_input(x, y, N), steps=3, hooks=[second])
    assert est.latest_checkpoint().endswith("model.ckpt-8")
    assert [s for s, _ in first.losses + second.losses] == list(range(1, 9))
    np.testing.assert_allclose([loss for _, loss in first.losses + second.losses],
                               [loss for _, loss in whole.losses], rtol=1e-6)
    # Adam's slots and powers came back too: the variables equal the uninterrupted run's
    other = estimator(tmp_path / "whole")
    for name in est.get_variable_names():
        np.testing.assert_allclose(est.get_variable_value(name), other.get_variable_value(name),
                                   rtol=1e-6, err_msg=name)


def test_max_steps_reached_is_a_no_op(tmp_path):
    x, y = data()
    calls = []

    def counted(features, labels, mode, params):
        calls.append(mode)
        return model_fn(features, labels, mode, params)

    est = E.Estimator(counted, str(tmp_path), params={"learning_rate": 0.05},
                      config=E.RunConfig(save_checkpoints_steps=2))
    est.train(train_input(x, y), max_steps=4)
    before = {n: est.get_variable_value(n) for n in est.get_variable_names()}
    est.train(train_input(x, y), max_steps=3)
    est.train(train_input(x, y), max_steps=4)
    assert calls == ["train"] and est.latest_checkpoint().endswith("model.ckpt-4")
    assert all(np.array_equal(before[n], est.get_variable_value(n)) for n in before)
    est.train(train_input(x, y), max_steps=6)
    assert est.latest_checkpoint().endswith("model.ckpt-6")


def killed_run(model_dir, losses_path):
    """Run in a subprocess: training that kills itself (SIGKILL) after step 7."""

    class Kill(v1.train.SessionRunHook):
        def after_run(self, run_context, run_values):
            if run_context.session.run(v1.train.get_global_step()) == 7:
                os.kill(os.getpid(), signal.SIGKILL)

    x, y = data()
    estimator(model_dir).train(train_input(x, y, N), max_steps=12,
                               hooks=[LossRecorder(losses_path), Kill()])


@pytest.mark.slow  # a second process; the two-call resume above is the quick check
def test_a_run_killed_mid_training_resumes_where_its_checkpoint_left_it(tmp_path):
    x, y = data()
    losses = tmp_path / "losses.txt"
    code = (f"import sys; sys.path.insert(0, {HERE!r}); import test_estimator as t; "
            f"t.killed_run({str(tmp_path / 'run')!r}, {str(losses)!r})")
    killed = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                            timeout=300)
    assert killed.returncode == -signal.SIGKILL, killed.stderr[-2000:]
    before = [(int(s), float(v)) for s, v in (line.split() for line in losses.read_text()
                                             .splitlines())]
    assert [s for s, _ in before] == list(range(1, 8))
    est = estimator(tmp_path / "run")
    assert est.latest_checkpoint().endswith("model.ckpt-6")  # saved every 3 steps
    resumed, whole = LossRecorder(), LossRecorder()
    est.train(train_input(x, y, N), max_steps=12, hooks=[resumed])
    estimator(tmp_path / "whole").train(train_input(x, y, N), max_steps=12, hooks=[whole])
    assert [s for s, _ in resumed.losses] == list(range(7, 13))
    np.testing.assert_allclose([v for _, v in before], [v for _, v in whole.losses[:7]],
                               rtol=1e-6)
    np.testing.assert_allclose([v for _, v in resumed.losses], [v for _, v in whole.losses[6:]],
                               rtol=1e-6)


@pytest.fixture(scope="module")
def trained(tmp_path_factory):
    """One Estimator trained 10 steps, evaluated and asked for predictions."""
    model_dir = tmp_path_factory.mktemp("trained")
    x, y = data()
    ex, ey = data(seed=1)
    recorder = LossRecorder()
    est = estimator(model_dir)
    est.train(train_input(x, y), steps=10, hooks=[recorder])
    eval_input = E.inputs.numpy_input_fn({"x": ex}, ey, batch_size=BATCH, shuffle=False)
    results = est.evaluate(eval_input)
    predictions = list(est.predict(E.inputs.numpy_input_fn({"x": ex}, shuffle=False)))
    return est, recorder.losses, results, predictions, (ex, ey)


def test_eval_metrics_are_numpys_on_the_predictions(trained):
    est, _, results, predictions, (ex, ey) = trained
    assert set(results) == {"accuracy", "loss", "global_step"} and results["global_step"] == 10
    assert len(predictions) == len(ex) and set(predictions[0]) == {"classes", "logits"}
    classes = np.array([p["classes"] for p in predictions])
    logits = np.array([p["logits"] for p in predictions])
    assert 0.2 < results["accuracy"] < 1.0  # neither all right nor all wrong: it can disagree
    np.testing.assert_allclose(results["accuracy"], np.mean(classes == ey), rtol=1e-6)
    # TF1's `loss`: the mean over the batches (16, 16, 8) of each batch's mean cross-entropy
    log_p = logits - np.log(np.exp(logits - logits.max(1, keepdims=True)).sum(1,
                                                                             keepdims=True)) \
        - logits.max(1, keepdims=True)
    per_example = -log_p[np.arange(len(ey)), ey]
    batches = [per_example[i:i + BATCH].mean() for i in range(0, len(ey), BATCH)]
    np.testing.assert_allclose(results["loss"], np.mean(batches), rtol=1e-5)
    assert not np.isclose(np.mean(batches), per_example.mean(), rtol=1e-4)


def test_event_files_hold_loss_and_steps_per_second_as_tf1_wrote_them(trained):
    est, losses, results, _, _ = trained
    train = EventAccumulator(est.model_dir)
    train.Reload()
    assert {"loss", "global_step/sec"} <= set(train.Tags()["scalars"])
    recorded = [v for _, v in losses]
    for event in train.Scalars("loss"):
        assert np.isclose(recorded, event.value, rtol=1e-6).any(), event
    assert all(e.value > 0 for e in train.Scalars("global_step/sec"))
    evaluation = EventAccumulator(os.path.join(est.model_dir, "eval"))
    evaluation.Reload()
    for tag in ("loss", "accuracy"):
        (event,) = evaluation.Scalars(tag)
        assert event.step == 10 and np.isclose(event.value, results[tag], rtol=1e-6)


def test_checkpoints_are_named_as_tf1s_and_hold_the_graphs_variables(trained):
    est = trained[0]
    names = set(os.listdir(est.model_dir))
    assert {"checkpoint", "model.ckpt-10.index", "model.ckpt-9.index", "graph.pbtxt"} <= names
    assert {"dense/kernel", "dense_1/bias", "global_step", "dense/kernel/Adam"} <= set(
        est.get_variable_names())


def test_predict_keys_and_whole_batches(trained):
    est, _, _, predictions, (ex, _) = trained
    only = list(est.predict(E.inputs.numpy_input_fn({"x": ex}, batch_size=32, shuffle=False),
                            predict_keys=["classes"], yield_single_examples=False))
    assert [set(b) for b in only] == [{"classes"}, {"classes"}] and len(only[1]["classes"]) == 8
    np.testing.assert_array_equal(np.concatenate([b["classes"] for b in only]),
                                  [p["classes"] for p in predictions])


def test_train_and_evaluate_trains_to_max_steps_and_evaluates_the_last_checkpoint(tmp_path):
    x, y = data()
    ex, ey = data(seed=1)
    est = estimator(tmp_path, save_checkpoints_steps=4)
    result, exports = E.train_and_evaluate(
        est, E.TrainSpec(train_input(x, y), max_steps=6),
        E.EvalSpec(E.inputs.numpy_input_fn({"x": ex}, ey, shuffle=False), steps=None,
                   throttle_secs=0))
    assert exports == [] and result["global_step"] == 6
    assert result == pytest.approx(est.evaluate(
        E.inputs.numpy_input_fn({"x": ex}, ey, shuffle=False)))
    events = EventAccumulator(os.path.join(est.model_dir, "eval"))
    events.Reload()
    assert [e.step for e in events.Scalars("accuracy")] == [4, 6, 6]  # on save; at the end


def test_input_fn_may_return_a_dataset_and_take_params(tmp_path):
    x, y = data()

    def input_fn(params):
        assert params == {"learning_rate": 0.05}
        dataset = tf.data.Dataset.from_tensor_slices(({"x": x}, y))
        return dataset.repeat().batch(BATCH)

    recorder = LossRecorder()
    estimator(tmp_path).train(input_fn, steps=4, hooks=[recorder])
    np.testing.assert_allclose([v for _, v in recorder.losses],
                               hand_loop(stream_batches(x, y, BATCH, 4)), rtol=1e-6)


def one_line(error) -> str:
    text = str(error.value)
    assert "\n" not in text
    return text


def test_a_model_fn_that_returns_no_estimator_spec_is_named(tmp_path):
    x, y = data()

    def bad(features, labels, mode):
        return layers.dense(features["x"], 1), None

    with pytest.raises(UserError) as error:
        E.Estimator(bad, str(tmp_path)).train(train_input(x, y), steps=1)
    assert one_line(error) == ("model_fn 'bad' must return a tf.estimator.EstimatorSpec. "
                               "Received: builtins.tuple")


def test_another_models_checkpoint_is_refused_in_one_line(tmp_path):
    x, y = data()
    estimator(tmp_path).train(train_input(x, y), steps=1)

    def wider(features, labels, mode):
        logits = layers.dense(features["x"], 5)
        loss = v1.losses.sparse_softmax_cross_entropy(labels, logits)
        return E.EstimatorSpec(mode, loss=loss, train_op=v1.train.GradientDescentOptimizer(
            0.1).minimize(loss, global_step=v1.train.get_global_step()))

    with pytest.raises(UserError) as error:
        E.Estimator(wider, str(tmp_path)).train(train_input(x, y), steps=1)
    assert one_line(error).startswith(f"model_dir {str(tmp_path)!r} holds a checkpoint of "
                                      "another model (model.ckpt-1): the graph's variable "
                                      "'dense/bias' [5] has shape [8] there")


@pytest.mark.parametrize("drop, message", [
    ("train_op", "EstimatorSpec in mode 'train' needs a train_op"),
    ("loss", "EstimatorSpec in mode 'train' needs a loss"),
])
def test_a_train_spec_without_loss_or_train_op_is_one_line(tmp_path, drop, message):
    x, y = data()

    def partial(features, labels, mode):
        logits = layers.dense(features["x"], 3)
        loss = v1.losses.sparse_softmax_cross_entropy(labels, logits)
        parts = {"loss": loss, "train_op": v1.train.GradientDescentOptimizer(0.1).minimize(
            loss, global_step=v1.train.get_global_step())}
        parts[drop] = None
        return E.EstimatorSpec(mode, **parts)

    with pytest.raises(UserError) as error:
        E.Estimator(partial, str(tmp_path)).train(train_input(x, y), steps=1)
    assert one_line(error).startswith(message)


def test_numpy_input_fn_requires_shuffle_as_tf1_did():
    x, y = data()
    with pytest.raises(UserError, match="shuffle must be set to True or False.*shuffle=None"):
        E.inputs.numpy_input_fn({"x": x}, y)
    with pytest.raises(UserError, match=r"as many rows. Received lengths \[39, 40\]"):
        E.inputs.numpy_input_fn({"x": x}, y[:39], shuffle=False)


def test_numpy_input_fn_gives_tensors_last_batch_short_and_shuffles_by_seed():
    x, y = data(n=10)
    with tf.Graph().as_default():
        features, labels = E.inputs.numpy_input_fn(x, y, batch_size=4, shuffle=False)()
        assert features.shape.as_list() == [None, 4] and labels.dtype == tf.int32
        with v1.Session() as session:
            sizes = [len(session.run(labels)) for _ in range(3)]
            with pytest.raises(tf.errors.OutOfRangeError):
                session.run(labels)
    assert sizes == [4, 4, 2]
    runs = []
    for _ in range(2):
        with tf.Graph().as_default():
            v1.set_random_seed(3)
            _, labels = E.inputs.numpy_input_fn({"x": x}, np.arange(10), batch_size=5,
                                                num_epochs=2, shuffle=True)()
            with v1.Session() as session:
                runs.append(np.concatenate([session.run(labels) for _ in range(4)]))
    assert np.array_equal(runs[0], runs[1]) and not np.array_equal(runs[0][:10], np.arange(10))
    assert sorted(runs[0][:10]) == list(range(10)) and sorted(runs[0][10:]) == list(range(10))
