"""`tfmodels verify` on the KerasHub GPT-2 port: token ids, a padding mask the TF1 program lacks.

    tfmodels verify --tf1 examples/keras_hub/verify_gpt2.py:gpt2_tf1 \\
        --keras examples/keras_hub/hub_backbones.py:gpt2_tiny \\
        --input token_ids:12 --input padding_mask:12:lengths

`gpt2_tf1` is the TF1 program of `tf1_gpt2.py` (openai/gpt-2's variables and maths) as a model
function of `GPT2Backbone`'s inputs. It reads `token_ids` only: openai/gpt-2 has no padding
mask. Its output is the quantity `GPT2Backbone` returns, the last hidden state after `ln_f`
(B, T, n_embd), under the name "sequence_output"; the program's logits are that state times
`wte` transposed, the backbone's `token_embedding(hidden, reverse=True)` (the conversion tests
compare both).

The backbone's `padding_mask` is drawn by one of two rules: `padding_mask:12:ones` (no padding:
every position compared), or `padding_mask:12:lengths` (a right-padded batch: each sequence's
first L positions 1; the outputs compared at those positions only). The second holds because
attention is causal: a position before the padding attends to none of it, in the program (which
attends to the padding tokens after it, never reached) and in the backbone (which masks them).

Four wrong ports, each the right backbone with one planted mistake: `gpt2_tiny_swapped_qk` (the
query projection used as the key and the key as the query), `gpt2_tiny_unscaled` (attention
scores not scaled by 1/sqrt(head size)), `gpt2_tiny_epsilon` (layer norm epsilon 1e-3 where
GPT-2's is 1e-5), each caught at "outputs, no randomness"; `gpt2_tiny_dropout` (KerasHub's
default dropout 0.1, which openai/gpt-2 does not have) computes the same in inference and is
caught at "outputs, aligned randomness".
"""

import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import hub_backbones  # noqa: E402
import tf1_gpt2  # noqa: E402

__all__ = ["gpt2_tf1", "gpt2_tiny_dropout", "gpt2_tiny_epsilon", "gpt2_tiny_swapped_qk",
           "gpt2_tiny_unscaled"]


def gpt2_tf1(inputs, hparams=tf1_gpt2.TINY):
    """The TF1 GPT-2 on the backbone's inputs (its `token_ids`; no mask): {"sequence_output":
    the hidden state after ln_f}."""
    hidden, _ = tf1_gpt2.model(inputs["token_ids"], hparams)
    return {"sequence_output": hidden}


def _attention_layers(backbone):
    return [layer._self_attention_layer for layer in backbone.transformer_layers]


def gpt2_tiny_swapped_qk():
    """The query projection computes the keys and the key projection the queries."""
    backbone = hub_backbones.gpt2_tiny()
    for layer in _attention_layers(backbone):
        layer._query_dense, layer._key_dense = layer._key_dense, layer._query_dense
    return backbone


def gpt2_tiny_unscaled():
    """Attention scores q.k without the 1/sqrt(head size) scale."""
    backbone = hub_backbones.gpt2_tiny()
    for layer in _attention_layers(backbone):
        layer._inverse_sqrt_key_dim = 1.0
    return backbone


def gpt2_tiny_epsilon():
    """Every layer norm with epsilon 1e-3 (Keras's default) instead of GPT-2's 1e-5."""
    import keras

    backbone = hub_backbones.gpt2_tiny()
    for layer in backbone._flatten_layers():
        if isinstance(layer, keras.layers.LayerNormalization):
            layer.epsilon = 1e-3
    return backbone


def gpt2_tiny_dropout():
    """The tiny backbone with KerasHub's default dropout, 0.1 (openai/gpt-2 has none)."""
    return hub_backbones.gpt2(**tf1_gpt2.TINY, dropout=0.1)
