"""`verify` on models of several inputs, integer ids and several outputs
(`tfmodels/migration/model_io.py`): small TF1 programs and their Keras 3 ports
(examples/verify_models.py: two named float inputs with two named heads, token ids into an
embedding beside a float input, a list of inputs with a list of outputs). Each right port passes
every check; each port with a planted mistake fails, the report naming the output that differs.
"""

import os

import numpy as np
import pytest

from tests.helpers import EXAMPLES, example
from tfmodels.cli import main
from tfmodels.core.errors import UserError
from tfmodels.migration.equivalence import assert_equivalent, verify
from tfmodels.migration.model_io import model_inputs

models = example("verify_models.py")
HELPER = os.path.join(EXAMPLES, "verify_models.py")


def test_two_named_inputs_and_two_named_outputs():
    report = assert_equivalent(models.two_heads_tf1, models.two_heads, None, steps=2)
    assert [c.name for c in report.checks][-1] == "outputs after training"


def test_a_wrong_head_is_named():
    """The "z" head has a sigmoid the TF1 one lacks; the "y" head is right (compared first)."""
    report = verify(models.two_heads_tf1, models.two_heads_wrong, None, steps=1)
    assert not report.ok
    assert report.failure.name == "outputs, no randomness"
    assert report.failure.detail.startswith("outputs differ: output 'z': max |difference|")


def test_token_ids_into_an_embedding():
    assert_equivalent(models.ids_tf1, models.ids, None, steps=2)
    report = verify(models.ids_tf1, models.ids_wrong, None, steps=1)
    assert report.failure.name == "outputs, no randomness"
    assert report.failure.detail.startswith("outputs differ: max |difference|")


def test_ids_are_drawn_within_the_embedding():
    inputs = model_inputs(models.ids())
    assert [(i.name, i.shape, i.dtype, i.high) for i in inputs.items] == [
        ("ids", (5,), "int32", models.VOCABULARY), ("x", (3,), "float32", None)]
    drawn = inputs.draw(np.random.default_rng(0), 400)
    assert drawn["ids"].dtype == np.int32 and drawn["x"].dtype == np.float32
    assert drawn["ids"].min() == 0 and drawn["ids"].max() == models.VOCABULARY - 1


def test_integer_input_without_an_embedding_needs_its_range():
    with pytest.raises(UserError, match=r"integer input 'ids' \(int32\) that no Embedding "
                                        r"takes .*: give int_range=N, ids drawn from \[0, N\)"):
        verify(models.ids_tf1, models.ids_unbounded, None)
    assert verify(models.ids_tf1, models.ids_unbounded, None, int_range=models.VOCABULARY,
                  steps=1).ok


def test_a_list_of_inputs_and_a_list_of_outputs():
    """The Keras outputs are a list, named by their layers (`sum`, `diff`); the TF1 ones a dict."""
    assert_equivalent(models.listed_tf1, models.listed, None, steps=2)


def test_a_shape_for_several_inputs_is_refused():
    with pytest.raises(UserError, match=r"takes 2 inputs \(a, b\); leave the input shape out"):
        verify(models.two_heads_tf1, models.two_heads, (3,))


def test_the_command_takes_the_inputs_from_the_keras_model(tmp_path, capsys):
    argv = ["verify", "--tf1", f"{HELPER}:two_heads_tf1", "--steps", "1", "--logdir",
            str(tmp_path)]
    assert main([*argv, "--keras", f"{HELPER}:two_heads"]) == 0
    out = capsys.readouterr().out
    assert "against" in out and "the Keras model's inputs" in out and "Equivalent." in out
    assert main([*argv, "--keras", f"{HELPER}:two_heads_wrong"]) != 0
    assert "NOT equivalent: outputs, no randomness: outputs differ: output 'z'" in \
        capsys.readouterr().out
