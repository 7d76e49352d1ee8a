"""`verify_phases` (`tfmodels/migration/phases.py`): a TF1 GAN (two losses, two
`AdamOptimizer.minimize(..., var_list=...)` run discriminator then generator) against its Keras 3
port (two models, two optimizers, a step of each; examples/gan.py). The right port passes every
check; a discriminator step that also updates the generator (the `var_list` mistake) and a
discriminator loss with swapped labels fail at the training steps, naming the step, the phase
and the network.
"""

import numpy as np
import pytest

from tests.helpers import example, example_ref
from tfmodels.core.errors import UserError
from tfmodels.migration import verify_phases
from tfmodels.migration.phases import Port

gan = example("gan.py")


def test_the_right_port_passes_every_check():
    report = verify_phases(gan.gan_tf1, gan.gan, gan.GAN_INPUTS, steps=3)
    assert report.ok, report
    assert [c.name for c in report.checks] == [
        "names and shapes", "outputs, no randomness",
        "3 training steps (discriminator, then generator)", "outputs after training"]
    assert "generator/hidden/kernel" in report.table
    assert "discriminator/logit/bias" in report.table
    d_losses = [tf1 for tf1, _ in report.losses["discriminator"]]
    assert len(d_losses) == 3 and len(set(d_losses)) == 3  # new batches, moving weights


def test_the_right_port_by_module_and_function():
    report = verify_phases(example_ref("gan.py", "gan_tf1"), example_ref("gan.py", "gan"),
                           gan.GAN_INPUTS, steps=1, batch_size=4)
    assert report.ok, report


def test_a_discriminator_step_updating_the_generator_is_named():
    report = verify_phases(gan.gan_tf1, gan.gan_wrong_var_list, gan.GAN_INPUTS, steps=2)
    assert [c.ok for c in report.checks] == [True, True, False]
    assert report.failure.detail.startswith(
        "step 1, after the discriminator phase: network 'generator': variable hidden/kernel "
        "(TF1 generator/hidden/kernel): max |difference|")


def test_swapped_labels_in_the_discriminator_loss_are_named():
    report = verify_phases(gan.gan_tf1, gan.gan_swapped_labels, gan.GAN_INPUTS, steps=2)
    assert [c.ok for c in report.checks] == [True, True, False]
    assert report.failure.detail.startswith(
        "step 1, discriminator phase: the discriminator loss differs: max |difference|")


def _single(step_name="train"):
    """A one-network port whose phase is named `step_name`."""
    import keras

    z = keras.Input((2,), name="z")
    g = keras.Model(z, keras.layers.Dense(4, name="sample")(z), name="generator")
    return Port({"generator": g}, lambda x: {"generated": g(x["z"])},
                {step_name: lambda x: np.float32(0.0)})


def _single_tf1(inputs):
    import tensorflow as tf

    from tf1_compat import layers

    with tf.compat.v1.variable_scope("generator"):
        y = layers.dense(inputs["z"], 4, name="sample")
    loss = tf.reduce_mean(tf.square(y))
    return {"outputs": {"generated": y},
            "train": {"train": (loss, tf.compat.v1.train.GradientDescentOptimizer(0.1)
                                .minimize(loss))}}


@pytest.mark.parametrize("call, message", [
    (lambda: verify_phases(_single_tf1, lambda: _single("step"), ["z:2"]),
     "the TF1 program's phases are train; the Keras port's steps step: name them alike"),
    (lambda: verify_phases(_single_tf1, _single, "z:2"),
     "inputs: expected a list of NAME:SHAPE[:DTYPE] texts"),
    (lambda: verify_phases(_single_tf1, _single, ["z:2:int32"]),
     "input 'z' is int32: give int_range=N"),
    (lambda: verify_phases(_single_tf1, lambda: "not a port", ["z:2"]),
     "Keras port: expected a Port(networks, outputs, steps) or a function returning one, "
     "got str"),
    (lambda: verify_phases(lambda x: x["z"], _single, ["z:2"]),
     "TF1 program: expected it to return {'outputs': {name: tensor}, 'train':"),
    (lambda: verify_phases(_single_tf1, _single, ["z:2"], steps=-1),
     "steps must be an integer >= 0, got -1"),
])
def test_mistakes_are_one_line(call, message):
    with pytest.raises(UserError) as e:
        call()
    assert message in str(e.value)
    assert "\n" not in str(e.value)
