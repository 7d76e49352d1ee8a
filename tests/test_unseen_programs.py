"""The TF1 programs in examples/unseen/ (material for checking migrations of code the project has
never seen) train and save: the loss falls on fixed seeds, and the checkpoint holds exactly the
variables their graphs make, with their shapes."""

import numpy as np
import pytest
import tensorflow as tf

from tests.helpers import EXAMPLES, example

v1 = tf.compat.v1

PROGRAMS = ["deep_mnist", "layers_convnet", "lstm_classifier"]


def program(name):
    return example(f"unseen/{name}.py")


def graph_variables(module):
    """{name: shape} of the variables that `build` alone makes (inference graph)."""
    with tf.Graph().as_default():
        module.build(v1.placeholder(tf.float32, (None,) + module.INPUT_SHAPE), False)
        return {v.op.name: v.shape.as_list() for v in v1.global_variables()}


@pytest.mark.parametrize("name", PROGRAMS)
def test_train_lowers_the_loss_and_saves_the_graphs_variables(name, tmp_path):
    module = program(name)
    result = module.train(str(tmp_path / name), steps=20, seed=0)
    losses = result["losses"]
    assert len(losses) == 20 and all(np.isfinite(losses))
    assert losses[-1] < losses[0], losses

    reader = tf.train.load_checkpoint(result["prefix"])
    saved = reader.get_variable_to_shape_map()
    assert saved == result["variables"]  # the training graph's global variables, slots included
    model = graph_variables(module)
    assert model and {k: saved.get(k) for k in model} == model

    if name == "layers_convnet":  # the UPDATE_OPS ran with the train op
        assert np.abs(reader.get_tensor("batch_normalization/moving_mean")).max() > 0
        assert not np.allclose(reader.get_tensor("batch_normalization/moving_variance"), 1)


@pytest.mark.parametrize("name", PROGRAMS)
def test_data_is_learnable_and_reproducible(name):
    module = program(name)
    images, labels = module.data(64, seed=3)
    again, again_labels = module.data(64, seed=3)
    assert images.shape == (64,) + module.INPUT_SHAPE and images.dtype == np.float32
    assert np.array_equal(images, again) and np.array_equal(labels, again_labels)
    assert labels.min() >= 0 and labels.max() < module.CLASSES


@pytest.mark.parametrize("name", PROGRAMS)
def test_convert_moves_each_checkpoint_into_its_keras_port_with_equal_predictions(name, tmp_path,
                                                                                  capsys):
    """`tfmodels convert --keras-model` on each program's trained checkpoint (Adam's slots and
    counters skipped): the .keras file predicts what the TF1 program restored by its own Saver
    predicts (float32, the same ops: 2e-6 at most, as tests/test_matching.py)."""
    import os

    import keras

    from tfmodels.cli import main

    module = program(name)
    prefix = module.train(str(tmp_path / name), steps=5, seed=0)["prefix"]
    here = os.path.join(EXAMPLES, "unseen", f"{name}.py")
    out = str(tmp_path / f"{name}.keras")
    assert main(["convert", "--from", "tf1", "--to", "keras", prefix, out,
                 "--keras-model", f"{here}:keras_model"]) == 0
    assert f"to {out} (keras)" in capsys.readouterr().out
    x, _ = module.data(16, seed=9)
    with tf.Graph().as_default() as g:
        inputs = v1.placeholder(tf.float32, (None,) + module.INPUT_SHAPE)
        logits = module.build(inputs, False)
        with v1.Session(graph=g) as session:
            v1.train.Saver().restore(session, prefix)
            want = session.run(logits, {inputs: x})
    model = keras.saving.load_model(out, safe_mode=True, compile=False)
    np.testing.assert_allclose(np.asarray(model(x, training=False)), want, rtol=0, atol=2e-6)
