"""`verify` proves the TF1 GPT-2 program (`examples/keras_hub/tf1_gpt2.py`, openai/gpt-2's
variables and maths) against KerasHub's `GPT2Backbone`, and catches a wrong port.

The two take different inputs: the backbone `token_ids` and `padding_mask`, the program tokens
only (openai/gpt-2 has no mask). One rule per input (`model_io`): `padding_mask:12:ones` feeds
all ones (no padding) and the report says so, naming it as an input the TF1 function does not
read; `padding_mask:12:lengths` feeds a right-padded batch and compares the outputs only where
the mask is 1, the report saying how many positions. Both agree because attention is causal: a
position before the padding attends to none of it on either side. The outputs compared are the
same quantity: the backbone returns the hidden state after the final layer norm, which is what
`verify_gpt2.gpt2_tf1` returns (`model/ln_f`'s output, before the logits' projection on `wte`).

Tolerance: verify's default, rtol 1e-6 and atol 1e-5 (the migration guide's). Both sides compute
in float32 the same sums grouped otherwise (per-head einsums against one matmul; layer norm by
moments) two layers deep, on hidden states of size ~3: a few roundings of 1.2e-7 each, measured
~1e-6. Nothing is computed differently: GPT-2 and KerasHub both use the tanh form of GELU and
layer norm epsilon 1e-5 (a port with 1e-3 is caught below), and openai/gpt-2 has no dropout
(the port's dropout is 0; KerasHub's default 0.1 is caught in training mode).
"""

import os
import re

import numpy as np
import pytest

from tests.helpers import EXAMPLES, example, example_ref
from tfmodels.cli import main
from tfmodels.core.errors import UserError
from tfmodels.migration.conversion import tf1_to_keras
from tfmodels.migration.equivalence import assert_equivalent, verify
from tfmodels.migration.model_io import Input, described

gpt2 = example("keras_hub/verify_gpt2.py")
program = example("keras_hub/tf1_gpt2.py")
hub = example("keras_hub/hub_backbones.py")
ONES = dict(inputs=["token_ids:12", "padding_mask:12:ones"])
LENGTHS = dict(inputs=["token_ids:12", "padding_mask:12:lengths"])
STEPS = ["names and shapes", "outputs, no randomness", "outputs, aligned randomness",
         "2 training steps (sgd, learning rate 0.01)", "outputs after training"]


def _detail(report, name="outputs, no randomness"):
    return next(c.detail for c in report.checks if c.name == name)


def test_the_right_port_passes_with_no_padding():
    report = assert_equivalent(gpt2.gpt2_tf1, hub.gpt2_tiny, None, steps=2, **ONES)
    assert [c.name for c in report.checks][1:] == STEPS
    assert "known layout (GPT2Backbone): 36" in report.checks[1].detail
    detail = _detail(report)
    assert "padding_mask all ones (no padding); the TF1 function does not read it" in detail
    assert report.checks[2].difference < 1e-5


def test_the_right_port_passes_on_a_padded_batch_compared_before_the_padding():
    report = assert_equivalent(gpt2.gpt2_tf1, hub.gpt2_tiny, None, steps=2, **LENGTHS)
    detail = _detail(report)
    said = detail.split("compared at the ")[1]
    compared, total = int(said.split()[0]), int(said.split()[2])
    assert total == 8 * 12 and 8 <= compared < total  # padding there, and left out
    assert "where padding_mask is 1 (lengths " in detail
    assert "the TF1 function does not read it" in detail


def test_a_random_mask_is_not_a_padded_batch_and_is_caught():
    """Ones and zeros anywhere (ids in [0, 2)): the backbone masks positions the program
    attends to, before the last valid one. It differs: the mask reaches the backbone, and the
    rule `lengths` is what makes the padded batch agree."""
    report = verify(gpt2.gpt2_tf1, hub.gpt2_tiny, None, steps=1, int_range=2,
                    inputs=["token_ids:12", "padding_mask:12"])
    assert report.failure.name == "outputs, no randomness"
    assert report.failure.detail.startswith("outputs differ: output 'sequence_output'")
    assert report.failure.difference > 1e-2


@pytest.mark.parametrize("port,given", [("gpt2_tiny_swapped_qk", ONES),
                                        ("gpt2_tiny_unscaled", ONES),
                                        ("gpt2_tiny_epsilon", ONES),
                                        ("gpt2_tiny_swapped_qk", LENGTHS)])
def test_a_wrong_gpt2_port_is_caught_at_its_outputs(port, given):
    report = verify(gpt2.gpt2_tf1, getattr(gpt2, port), None, steps=1, **given)
    assert [c.ok for c in report.checks] == [True, True, False]
    assert report.failure.name == "outputs, no randomness"
    assert report.failure.detail.startswith("outputs differ: output 'sequence_output'")
    assert report.failure.difference > 1e-4


def test_keras_hub_s_default_dropout_is_caught_in_training_mode():
    report = verify(gpt2.gpt2_tf1, gpt2.gpt2_tiny_dropout, None, steps=1, **ONES)
    assert [c.ok for c in report.checks] == [True, True, True, False]
    assert report.failure.name == "outputs, aligned randomness"
    assert report.failure.detail.startswith("training-mode outputs differ: output "
                                            "'sequence_output'")


def test_the_converted_file_from_the_command_line(tmp_path, capsys):
    """As a user runs it: the program's checkpoint converted to a .keras file, then verified
    from that checkpoint's values; a wrong port exits 1 naming the output."""
    prefix = program.save(str(tmp_path / "gpt2" / "model.ckpt"))
    path = str(tmp_path / "gpt2.keras")
    tf1_to_keras(prefix, example_ref("keras_hub/hub_backbones.py", "gpt2_tiny"), path,
                 out=lambda _: None)
    folder = os.path.join(EXAMPLES, "keras_hub")
    argv = ["verify", "--tf1", f"{folder}/verify_gpt2.py:gpt2_tf1", "--input", "token_ids:12",
            "--input", "padding_mask:12:lengths", "--steps", "1", "--logdir",
            str(tmp_path / "logs")]
    assert main([*argv, "--keras", path, "--checkpoint", prefix]) == 0
    out = capsys.readouterr().out
    assert "positions where padding_mask is 1" in out and "Equivalent." in out
    assert main([*argv, "--keras", f"{folder}/verify_gpt2.py:gpt2_tiny_unscaled"]) == 1
    assert "NOT equivalent: outputs, no randomness: outputs differ: output 'sequence_output'" \
        in capsys.readouterr().out


def test_a_length_mask_is_a_prefix_of_ones_of_each_length():
    mask = Input("m", (12,), "int32", fill="lengths").draw(np.random.default_rng(0), 400)
    lengths = mask.sum(1)
    assert lengths.min() == 1 and lengths.max() == 12
    np.testing.assert_array_equal(mask, np.arange(12)[None] < lengths[:, None])
    assert Input("m", (3,), "bool", fill="ones").draw(None, 2).all()


@pytest.mark.parametrize("texts,message", [
    (["m:12,2:lengths"], "a length mask (lengths) is one sequence axis"),
    (["a:12:lengths", "b:12:lengths"], "inputs a, b are each a length mask: give one"),
    (["m:12:int32:int64"], "expected NAME:SHAPE[:DTYPE][:FILL]"),
    (["m:12:zeros"], "FILL one of ones, lengths"),
])
def test_a_fill_that_does_not_fit_is_one_line(texts, message):
    with pytest.raises(UserError, match=re.escape(message)):
        described(texts)


def test_described_keeps_one_rule_per_input():
    assert described(["token_ids:12", "padding_mask:12:int32:lengths", "m:3:ones"]) == {
        "token_ids": ((12,), None, None), "padding_mask": ((12,), "int32", "lengths"),
        "m": ((3,), None, "ones")}
