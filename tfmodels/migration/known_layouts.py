"""Known layouts: which TF1 variable of a published program fills which weight of a KerasHub
backbone, where names, order and shapes alone leave several readings.

A TF1 BERT (google-research/bert's `modeling.py`) has some twenty `(hidden,)` vectors per layer
(biases, layer-norm gammas and betas) and KerasHub's `BertBackbone` names its weights otherwise
(`transformer_layer_0/self_attention_layer/query/kernel` for
`bert/encoder/layer_0/attention/self/query/kernel`): nothing in the shapes tells them apart, and
no rule of names is safe. This table holds the facts instead, one row per weight: the Keras
weight's path (a pattern, `N` the layer number) and the TF1 variable it takes; for GPT-2's
`c_attn`, which holds query, key and value side by side in that order, which part of three.

The table names only the pairs; how the tensor becomes the weight (a reshape of BERT's
`(hidden, hidden)` kernel into `(hidden, heads, head_dim)`, GPT-2's `(1, nx, 3 nx)` squeezed and
split) is derived from the shapes as for any pair (`tfmodels.migration.matching`). A layout is
used only where it names every Keras weight of the model and every TF1 variable it names is in
the checkpoint; otherwise the pairing goes on without it.
"""

from __future__ import annotations

import re

__all__ = ["LAYOUTS", "layout_names"]

_N = r"(?P<n>\d+)"

# {label: [(Keras weight path pattern, TF1 name, None or (part, of parts))]}; lower case names
# as the pairing compares them.
LAYOUTS = {
    "keras_hub BertBackbone <- google-research/bert": [
        ("token_embedding/embeddings", "bert/embeddings/word_embeddings", None),
        ("segment_embedding/embeddings", "bert/embeddings/token_type_embeddings", None),
        ("position_embedding/embeddings", "bert/embeddings/position_embeddings", None),
        ("embeddings_layer_norm/(?P<w>gamma|beta)", "bert/embeddings/layernorm/{w}", None),
        (f"transformer_layer_{_N}/self_attention_layer/(?P<p>query|key|value)/(?P<w>kernel|bias)",
         "bert/encoder/layer_{n}/attention/self/{p}/{w}", None),
        (f"transformer_layer_{_N}/self_attention_layer/attention_output/(?P<w>kernel|bias)",
         "bert/encoder/layer_{n}/attention/output/dense/{w}", None),
        (f"transformer_layer_{_N}/self_attention_layer_norm/(?P<w>gamma|beta)",
         "bert/encoder/layer_{n}/attention/output/layernorm/{w}", None),
        (f"transformer_layer_{_N}/feedforward_intermediate_dense/(?P<w>kernel|bias)",
         "bert/encoder/layer_{n}/intermediate/dense/{w}", None),
        (f"transformer_layer_{_N}/feedforward_output_dense/(?P<w>kernel|bias)",
         "bert/encoder/layer_{n}/output/dense/{w}", None),
        (f"transformer_layer_{_N}/feedforward_layer_norm/(?P<w>gamma|beta)",
         "bert/encoder/layer_{n}/output/layernorm/{w}", None),
        ("pooled_dense/(?P<w>kernel|bias)", "bert/pooler/dense/{w}", None),
    ],
    "keras_hub GPT2Backbone <- openai/gpt-2": [
        ("token_embedding/embeddings", "model/wte", None),
        ("position_embedding/embeddings", "model/wpe", None),
        *[(f"transformer_layer_{_N}/self_attention/{part}/kernel", "model/h{n}/attn/c_attn/w",
           (i, 3)) for i, part in enumerate(("query", "key", "value"))],
        *[(f"transformer_layer_{_N}/self_attention/{part}/bias", "model/h{n}/attn/c_attn/b",
           (i, 3)) for i, part in enumerate(("query", "key", "value"))],
        (f"transformer_layer_{_N}/self_attention/attention_output/kernel",
         "model/h{n}/attn/c_proj/w", None),
        (f"transformer_layer_{_N}/self_attention/attention_output/bias",
         "model/h{n}/attn/c_proj/b", None),
        (f"transformer_layer_{_N}/self_attention_layer_norm/gamma", "model/h{n}/ln_1/g", None),
        (f"transformer_layer_{_N}/self_attention_layer_norm/beta", "model/h{n}/ln_1/b", None),
        (f"transformer_layer_{_N}/feedforward_intermediate_dense/kernel", "model/h{n}/mlp/c_fc/w",
         None),
        (f"transformer_layer_{_N}/feedforward_intermediate_dense/bias", "model/h{n}/mlp/c_fc/b",
         None),
        (f"transformer_layer_{_N}/feedforward_output_dense/kernel", "model/h{n}/mlp/c_proj/w",
         None),
        (f"transformer_layer_{_N}/feedforward_output_dense/bias", "model/h{n}/mlp/c_proj/b",
         None),
        (f"transformer_layer_{_N}/feedforward_layer_norm/gamma", "model/h{n}/ln_2/g", None),
        (f"transformer_layer_{_N}/feedforward_layer_norm/beta", "model/h{n}/ln_2/b", None),
        ("layer_norm/gamma", "model/ln_f/g", None),
        ("layer_norm/beta", "model/ln_f/b", None),
    ],
}


def _named(key: str, rows) -> tuple | None:
    """(TF1 name, split) that `rows` give the Keras weight `key`, or None."""
    for pattern, name, split in rows:
        found = re.fullmatch(pattern, key)
        if found:
            return name.format(**found.groupdict()), split
    return None


def layout_names(keys, tf1_names) -> tuple[str, dict] | None:
    """(label, {Keras key: (TF1 name, split)}) of the first layout that names every one of
    `keys` (Keras weight paths, lower case) with TF1 names all among `tf1_names` (lower case);
    None where no layout does."""
    keys, tf1_names = list(keys), set(tf1_names)
    for label, rows in LAYOUTS.items():
        named = {k: _named(k, rows) for k in keys}
        if keys and all(v is not None and v[0] in tf1_names for v in named.values()):
            return label, named
    return None
