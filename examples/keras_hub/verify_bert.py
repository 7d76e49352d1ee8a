"""`tfmodels verify` on the KerasHub BERT port: three int inputs, a dict of two outputs.

    tfmodels verify --tf1 examples/keras_hub/verify_bert.py:bert_tf1 \\
        --keras examples/keras_hub/hub_backbones.py:bert_tiny \\
        --input token_ids:12 --input segment_ids:12 --input padding_mask:12 --int-range 2

`bert_tf1` is the TF1 program of `tf1_bert.py` (google-research/bert's variables and maths) as
a model function of `BertBackbone`'s inputs (`token_ids`, `segment_ids`, `padding_mask`),
returning its `sequence_output` and `pooled_output` by the backbone's names. It computes GELU
in the tanh form, as KerasHub does (`bert_tf1_erf`: BERT's first release's exact form, which
differs by up to 4.7e-4 and which `verify` finds), and drops out at 0.1 in training as
`bert_tiny` does (BERT's `hidden_dropout_prob` and `attention_probs_dropout_prob`).

Three wrong ports, each the right backbone with one planted mistake: `bert_tiny_swapped_qk`
(the query projection used as the key and the key as the query), `bert_tiny_unscaled`
(attention scores not scaled by 1/sqrt(head size)), `bert_tiny_epsilon` (layer norm epsilon
1e-3 where BERT's is 1e-12). Each is caught at "outputs, no randomness". A fourth,
`bert_tiny_dropout_02` (dropout 0.2 where the program drops 0.1), computes the same in
inference and is caught at "outputs, aligned randomness".
"""

import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import hub_backbones  # noqa: E402
import tf1_bert  # noqa: E402

__all__ = ["CONFIG", "bert_tf1", "bert_tf1_erf", "bert_tiny_dropout_02", "bert_tiny_epsilon",
           "bert_tiny_swapped_qk", "bert_tiny_unscaled"]

CONFIG = dict(tf1_bert.TINY, gelu="tanh", hidden_dropout_prob=0.1,
              attention_probs_dropout_prob=0.1)


def bert_tf1(inputs, training=False, config=CONFIG):
    """The TF1 BERT on the backbone's inputs: {"sequence_output", "pooled_output"}."""
    sequence, pooled = tf1_bert.bert(inputs["token_ids"], inputs["padding_mask"],
                                     inputs["segment_ids"], config, training)
    return {"sequence_output": sequence, "pooled_output": pooled}


def bert_tf1_erf(inputs, training=False):
    """The same with GELU in its exact erf form (BERT's first release)."""
    return bert_tf1(inputs, training, dict(CONFIG, gelu="erf"))


def _attention_layers(backbone):
    return [layer._self_attention_layer for layer in backbone.transformer_layers]


def bert_tiny_swapped_qk():
    """The query projection computes the keys and the key projection the queries."""
    backbone = hub_backbones.bert_tiny()
    for layer in _attention_layers(backbone):
        layer._query_dense, layer._key_dense = layer._key_dense, layer._query_dense
    return backbone


def bert_tiny_unscaled():
    """Attention scores q.k without the 1/sqrt(head size) scale."""
    backbone = hub_backbones.bert_tiny()
    for layer in _attention_layers(backbone):
        layer._inverse_sqrt_key_dim = 1.0
    return backbone


def bert_tiny_epsilon():
    """Every layer norm with epsilon 1e-3 (Keras's default) instead of BERT's 1e-12."""
    import keras

    backbone = hub_backbones.bert_tiny()
    for layer in backbone._flatten_layers():
        if isinstance(layer, keras.layers.LayerNormalization):
            layer.epsilon = 1e-3
    return backbone


def bert_tiny_dropout_02():
    """The tiny backbone dropping out at 0.2 where the program drops 0.1."""
    import keras_hub

    t = tf1_bert.TINY
    return keras_hub.models.BertBackbone(
        vocabulary_size=t["vocab_size"], num_layers=t["num_hidden_layers"],
        num_heads=t["num_attention_heads"], hidden_dim=t["hidden_size"],
        intermediate_dim=t["intermediate_size"], max_sequence_length=t["max_position_embeddings"],
        num_segments=t["type_vocab_size"], dropout=0.2)
