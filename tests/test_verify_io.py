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


# -- inputs described (a size the model leaves open) and the KerasHub BERT port ---------------


def test_an_open_sequence_length_is_described():
    model = models.open_length()
    with pytest.raises(UserError, match="leaves a size other than the batch open"):
        model_inputs(model)
    inputs = model_inputs(model, inputs=["ids:7"])
    assert [(i.name, i.shape, i.dtype, i.high) for i in inputs.items] == [
        ("ids", (7,), "int32", models.VOCABULARY), ("x", (3,), "float32", None)]
    as_int64 = model_inputs(model, inputs=["ids:7:int64"])
    assert as_int64.items[0].dtype == "int64"
    assert as_int64.draw(np.random.default_rng(0), 2)["ids"].dtype == np.int64


bert = example("keras_hub/verify_bert.py")
BERT_INPUTS = dict(inputs=["token_ids:12", "segment_ids:12", "padding_mask:12"], int_range=2)


@pytest.fixture(scope="module")
def hub():
    return example("keras_hub/hub_backbones.py")


def test_the_bert_port_passes_with_its_dropout(hub):
    """Three int inputs (ids in [0, vocabulary), segments in [0, 2), a random 0/1 mask), two
    outputs by name; dropout 0.1 aligned in training; two SGD steps."""
    report = assert_equivalent(bert.bert_tf1, hub.bert_tiny, None, steps=2, **BERT_INPUTS)
    assert [c.name for c in report.checks][2:] == [
        "outputs, no randomness", "outputs, aligned randomness",
        "2 training steps (sgd, learning rate 0.01)", "outputs after training"]
    assert "known layout (BertBackbone): 39" in report.checks[1].detail


def test_bert_s_exact_gelu_is_found(hub):
    """KerasHub's GELU is the tanh form: BERT's erf form differs by ~6e-4 in the outputs."""
    report = verify(bert.bert_tf1_erf, hub.bert_tiny, None, steps=1, **BERT_INPUTS)
    assert report.failure.name == "outputs, no randomness"
    assert report.failure.detail.startswith("outputs differ: output 'sequence_output'")
    assert 1e-4 < report.failure.difference < 2e-3


@pytest.mark.parametrize("port", ["bert_tiny_swapped_qk", "bert_tiny_unscaled",
                                  "bert_tiny_epsilon"])
def test_a_wrong_bert_port_is_caught_at_its_outputs(port):
    report = verify(bert.bert_tf1, getattr(bert, port), None, steps=1, **BERT_INPUTS)
    assert [c.ok for c in report.checks] == [True, True, False]
    assert report.failure.name == "outputs, no randomness"
    assert report.failure.detail.startswith("outputs differ: output 'sequence_output'")


def test_verify_bert_from_the_command_line(capsys, tmp_path):
    path = os.path.join(EXAMPLES, "keras_hub")
    status = main(["verify", "--tf1", f"{path}/verify_bert.py:bert_tf1", "--keras",
                   f"{path}/hub_backbones.py:bert_tiny", "--input", "token_ids:12", "--input",
                   "segment_ids:12", "--input", "padding_mask:12", "--int-range", "2",
                   "--steps", "1", "--logdir", str(tmp_path)])
    out = capsys.readouterr().out
    assert status == 0, out
    assert "Equivalent." in out


def test_a_bert_port_with_another_dropout_is_caught_in_training_mode():
    report = verify(bert.bert_tf1, bert.bert_tiny_dropout_02, None, steps=1, **BERT_INPUTS)
    assert [c.ok for c in report.checks] == [True, True, True, False]
    assert report.failure.name == "outputs, aligned randomness"
    assert report.failure.detail.startswith("training-mode outputs differ: output "
                                            "'sequence_output'")
