"""The TF1 track: a graph of placeholders and get_variable layers, run in a Session."""

import keras
import numpy as np
import pytest
import tensorflow as tf

from tf1_compat.model import Model
from tfmodels.core.registry import get_spec


@pytest.fixture(scope="module")
def model():
    with Model(get_spec("mnist_mlp")) as m:
        yield m


def test_graph_reads_like_the_notes(model):
    # C18: placeholders with None for the batch size
    assert model.x.op.type == "Placeholder" and model.x.shape.as_list() == [None, 64]
    assert model.y.shape.as_list() == [None, 10]
    # C19/C21: variables from get_variable inside one variable_scope per layer
    assert [v.op.name for v in model.variables] == [
        "dense_0/kernel", "dense_0/bias", "dense_1/kernel", "dense_1/bias"]
    ops = {op.type for op in model.graph.get_operations()}
    assert {"MatMul", "BiasAdd", "Relu", "SoftmaxCrossEntropyWithLogits"} <= ops
    assert any(op.type.startswith("ResourceApplyRMSProp") for op in model.graph.get_operations())
    assert model.graph.finalized  # no op is ever added while training


def test_weights_round_trip_in_keras_order_and_shapes(model):
    before = model.get_weights()
    assert [w.shape for w in before] == [(64, 512), (512,), (512, 10), (10,)]
    changed = [w + 1 for w in before]
    model.set_weights(changed)
    assert all(np.array_equal(a, b) for a, b in zip(model.get_weights(), changed))
    model.set_weights(before)


def test_set_weights_names_the_misshapen_variable(model):
    bad = model.get_weights()
    bad[2] = np.zeros((10, 512), np.float32)
    with pytest.raises(ValueError, match=r"weight dense_1/kernel has shape \(512, 10\), "
                                         r"got \(10, 512\)"):
        model.set_weights(bad)
    with pytest.raises(ValueError, match="expected 4 weight arrays"):
        model.set_weights(bad[:3])


def test_fit_returns_a_keras_history_like_keras_fit():
    spec = get_spec("binary4")
    rng = np.random.default_rng(0)
    x, y = rng.normal(size=(50, 4)).astype(np.float32), np.ones((50, 1), np.float32)
    with Model(spec) as m:
        history = m.fit(x, y, batch_size=16, epochs=3, validation_split=0.2, verbose=0)
        assert isinstance(history, keras.callbacks.History) and m.history is history
        assert history.epoch == [0, 1, 2]
        assert set(history.history) == {"loss", "accuracy", "val_loss", "val_accuracy"}
        assert history.params["steps"] == 3  # ceil(40 / 16)
        assert m.iterations == 9
        loss, acc = m.evaluate(x, y, verbose=0)
        assert m.evaluate(x, y, verbose=0, return_dict=True) == {"loss": loss, "accuracy": acc}


def test_keras_callbacks_work_on_the_tf1_model():
    stop_after_one = keras.callbacks.LambdaCallback(
        on_epoch_end=lambda epoch, logs: setattr(m, "stop_training", True))
    spec = get_spec("binary4")
    with Model(spec) as m:
        history = m.fit(np.zeros((8, 4)), np.zeros((8, 1)), epochs=5, verbose=0,
                        callbacks=[stop_after_one])
    assert history.epoch == [0]


def test_progress_uses_keras_progbar(capsys):
    with Model(get_spec("binary4")) as m:
        m.fit(np.zeros((8, 4)), np.zeros((8, 1)), epochs=2, verbose=2)
    out = capsys.readouterr().out
    assert "Epoch 1/2" in out and "Epoch 2/2" in out and "loss:" in out


def test_runs_in_its_own_graph_beside_eager_keras():
    assert tf.executing_eagerly()  # the TF1 graph never switches the process to graph mode
    with Model(get_spec("sine")) as m:
        assert m.predict(np.zeros((1, 1)), verbose=0).shape == (1, 1)
    assert tf.executing_eagerly()


def test_dataset_pipeline_trains_the_same_numbers_as_feed_dict():
    spec = get_spec("spiral", epochs=3)
    from tfmodels.core.data import load_dataset

    d = load_dataset("spiral")
    results = {}
    for pipeline in ("feed_dict", "dataset"):
        with Model(spec) as m:
            h = m.fit(d.x_train, d.y_train, batch_size=32, epochs=3, verbose=0,
                      validation_data=(d.x_val, d.y_val), pipeline=pipeline)
            results[pipeline] = (h.history, m.get_weights(), m.iterations)
    (h1, w1, it1), (h2, w2, it2) = results.values()
    assert h1 == h2 and it1 == it2 == 30
    assert all(np.array_equal(a, b) for a, b in zip(w1, w2))


def test_dataset_pipeline_keeps_data_out_of_graph_and_checkpoints(model):
    graph_def = model.graph.as_graph_def()
    assert graph_def.ByteSize() < 1_000_000  # no data set, no weights as constants
    saved = {v.op.name for v in model.graph.get_collection("variables")}
    assert "dataset/x" not in saved and "dataset/y" not in saved
    with pytest.raises(ValueError, match="pipeline must be 'feed_dict' or 'dataset', got 'iter'"):
        model.fit(np.zeros((2, 64)), np.eye(10)[:2], pipeline="iter", verbose=0)


def test_dataset_pipeline_has_tf_data_autotuning_off(model):
    """With it on, re-initialising the iterator sometimes idled for seconds (data.untuned)."""
    from tensorflow.core.framework import dataset_options_pb2

    (op,) = [op for op in model.graph.get_operations() if op.type == "OptionsDataset"]
    options = dataset_options_pb2.Options.FromString(op.get_attr("serialized_options"))
    assert options.autotune_options.HasField("enabled")
    assert options.autotune_options.enabled is False
