"""KerasHub backbones built from a config (no download), for `tfmodels convert --keras-model`.

    tfmodels convert --from tf1 --to keras /tmp/bert/model.ckpt bert.keras \
        --keras-model examples/keras_hub/hub_backbones.py:bert_tiny

Each factory returns a `keras_hub.models.*Backbone` of the sizes of one TF1 program's config
(`tf1_bert.py`, `tf1_gpt2.py` beside this file); a model of your own sizes is the same call with
your numbers. `pip install -e ".[hub]"` installs KerasHub.
"""

import keras_hub


def bert(vocab_size, hidden_size, num_hidden_layers, num_attention_heads, intermediate_size,
         max_position_embeddings, type_vocab_size, **_):
    """`BertBackbone` of a google-research/bert config (its bert_config.json's keys)."""
    return keras_hub.models.BertBackbone(
        vocabulary_size=vocab_size, num_layers=num_hidden_layers, num_heads=num_attention_heads,
        hidden_dim=hidden_size, intermediate_dim=intermediate_size,
        max_sequence_length=max_position_embeddings, num_segments=type_vocab_size)


def gpt2(n_vocab, n_ctx, n_embd, n_head, n_layer, dropout=0.0):
    """`GPT2Backbone` of an openai/gpt-2 hparams.json. Dropout 0: openai/gpt-2's model.py has
    none (KerasHub's default, 0.1, would differ from it in training)."""
    return keras_hub.models.GPT2Backbone(
        vocabulary_size=n_vocab, num_layers=n_layer, num_heads=n_head, hidden_dim=n_embd,
        intermediate_dim=4 * n_embd, max_sequence_length=n_ctx, dropout=dropout)


def bert_tiny():
    return bert(vocab_size=97, hidden_size=16, num_hidden_layers=2, num_attention_heads=4,
                intermediate_size=32, max_position_embeddings=24, type_vocab_size=2)


def bert_base():
    return bert(vocab_size=30522, hidden_size=768, num_hidden_layers=12, num_attention_heads=12,
                intermediate_size=3072, max_position_embeddings=512, type_vocab_size=2)


def gpt2_tiny():
    return gpt2(n_vocab=89, n_ctx=20, n_embd=16, n_head=4, n_layer=2)
