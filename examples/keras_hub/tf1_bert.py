"""A TF1 BERT encoder with google-research/bert's variable names and maths (its `modeling.py`).

Written here, not copied: the same variables (`bert/embeddings/word_embeddings`,
`bert/encoder/layer_N/attention/self/query/kernel`, ..., `bert/pooler/dense/kernel`), the same
computation: embeddings summed (word, token type, position), layer norm (epsilon 1e-12, as
`tf.contrib.layers.layer_norm`), post-norm transformer layers whose attention adds -10000 where
`input_mask` is 0, GELU in its exact erf form (BERT's first release; google-research/bert later
wrote the tanh approximation, `gelu="tanh"` here), and a tanh pooler on the first token.

    python examples/keras_hub/tf1_bert.py /tmp/bert/model.ckpt      # the tiny config's checkpoint

Its weights are drawn at random (each one different, so a misplaced one shows): a stand-in for
a trained checkpoint of the same layout. `build` makes the tiny config's variables in the
current graph (`tfmodels convert --to tf1 --tf1-graph examples/keras_hub/tf1_bert.py:build`).
"""

import argparse
import os

import numpy as np
import tensorflow as tf

v1 = tf.compat.v1

TINY = dict(vocab_size=97, hidden_size=16, num_hidden_layers=2, num_attention_heads=4,
            intermediate_size=32, max_position_embeddings=24, type_vocab_size=2, gelu="erf")
BASE = dict(vocab_size=30522, hidden_size=768, num_hidden_layers=12, num_attention_heads=12,
            intermediate_size=3072, max_position_embeddings=512, type_vocab_size=2, gelu="erf")
EPSILON = 1e-12  # tf.contrib.layers.layer_norm's variance_epsilon


def _weight(name, shape, mean=0.0, stddev=0.3):
    return v1.get_variable(name, shape, tf.float32,
                           v1.random_normal_initializer(mean, stddev))


def gelu(x, form="erf"):
    """BERT's GELU: exact (erf) or its tanh approximation."""
    if form == "erf":
        return 0.5 * x * (1.0 + tf.math.erf(x / np.sqrt(2.0).astype(np.float32)))
    inner = np.sqrt(2.0 / np.pi).astype(np.float32) * (x + 0.044715 * tf.pow(x, 3))
    return 0.5 * x * (1.0 + tf.tanh(inner))


def layer_norm(x, scope):
    with v1.variable_scope(scope):
        beta = _weight("beta", (x.shape[-1],), 0.0, 0.2)
        gamma = _weight("gamma", (x.shape[-1],), 1.0, 0.2)
        mean, variance = tf.nn.moments(x, [-1], keepdims=True)
        return tf.nn.batch_normalization(x, mean, variance, beta, gamma, EPSILON)


def dense(x, scope, units, activation=None):
    with v1.variable_scope(scope):
        kernel = _weight("kernel", (x.shape[-1], units), 0.0, 1.0 / np.sqrt(int(x.shape[-1])))
        y = tf.tensordot(x, kernel, 1) + _weight("bias", (units,), 0.0, 0.2)
        return y if activation is None else activation(y)


def _heads(x, heads):
    """(B, T, H) -> (B, heads, T, H / heads), as BERT's transpose_for_scores."""
    b, t = tf.shape(x)[0], tf.shape(x)[1]
    return tf.transpose(tf.reshape(x, (b, t, heads, int(x.shape[-1]) // heads)), (0, 2, 1, 3))


def _dropout(x, rate):
    """BERT's dropout (`tf.nn.dropout`), where its config's probability is above 0."""
    return tf.nn.dropout(x, rate=rate) if rate else x


def attention(x, mask, heads, dropout=0.0):
    """Self-attention: scores scaled by 1/sqrt(head size), -10000 added where mask is 0, the
    probabilities dropped out at `attention_probs_dropout_prob` (training only)."""
    with v1.variable_scope("self"):
        q, k, v = (_heads(dense(x, n, int(x.shape[-1])), heads) for n in ("query", "key", "value"))
    size = int(x.shape[-1]) // heads
    scores = tf.matmul(q, k, transpose_b=True) / np.sqrt(size).astype(np.float32)
    scores += (1.0 - tf.cast(mask[:, None, None, :], tf.float32)) * -10000.0
    probabilities = _dropout(tf.nn.softmax(scores), dropout)
    context = tf.transpose(tf.matmul(probabilities, v), (0, 2, 1, 3))
    return tf.reshape(context, tf.shape(x))


def encoder_layer(x, mask, config, training=False):
    hidden = config.get("hidden_dropout_prob", 0.0) if training else 0.0
    probs = config.get("attention_probs_dropout_prob", 0.0) if training else 0.0
    with v1.variable_scope("attention"):
        a = attention(x, mask, config["num_attention_heads"], probs)
        with v1.variable_scope("output"):
            x = layer_norm(_dropout(dense(a, "dense", int(x.shape[-1])), hidden) + x,
                           "LayerNorm")
    h = dense(x, "intermediate/dense", config["intermediate_size"],
              lambda t: gelu(t, config["gelu"]))
    with v1.variable_scope("output"):
        return layer_norm(_dropout(dense(h, "dense", int(x.shape[-1])), hidden) + x,
                          "LayerNorm")


def bert(input_ids, input_mask, token_type_ids, config=TINY, training=False):
    """(sequence_output, pooled_output) of BERT's encoder for int32 inputs of shape (B, T);
    in training, dropout as the config's `hidden_dropout_prob` and
    `attention_probs_dropout_prob` say (absent: none)."""
    width = config["hidden_size"]
    with v1.variable_scope("bert"):
        with v1.variable_scope("embeddings"):
            words = _weight("word_embeddings", (config["vocab_size"], width), 0.0, 0.5)
            types = _weight("token_type_embeddings", (config["type_vocab_size"], width), 0.0, 0.5)
            positions = _weight("position_embeddings",
                                (config["max_position_embeddings"], width), 0.0, 0.5)
            x = tf.gather(words, input_ids) + tf.gather(types, token_type_ids)
            x += positions[None, :tf.shape(input_ids)[1]]
            x = layer_norm(x, "LayerNorm")
            x = _dropout(x, config.get("hidden_dropout_prob", 0.0) if training else 0.0)
        with v1.variable_scope("encoder"):
            for n in range(config["num_hidden_layers"]):
                with v1.variable_scope(f"layer_{n}"):
                    x = encoder_layer(x, input_mask, config, training)
        with v1.variable_scope("pooler"):
            pooled = dense(x[:, 0], "dense", width, tf.tanh)
    return x, pooled


def placeholders():
    return [v1.placeholder(tf.int32, (None, None), n)
            for n in ("input_ids", "input_mask", "token_type_ids")]


def build(config=TINY):
    """The program's graph in the current graph: (placeholders, (sequence, pooled))."""
    inputs = placeholders()
    return inputs, bert(*inputs, config=config)


def save(prefix, config=TINY, seed=0):
    """The program's checkpoint at `prefix`, written by its own `Saver`."""
    os.makedirs(os.path.dirname(os.path.abspath(prefix)), exist_ok=True)
    graph = tf.Graph()
    with graph.as_default():
        v1.set_random_seed(seed)
        build(config)
        with v1.Session(graph=graph) as session:
            session.run(v1.global_variables_initializer())
            return v1.train.Saver().save(session, prefix, write_meta_graph=False)


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("prefix", help="where the checkpoint goes (a Saver prefix)")
    parser.add_argument("--base", action="store_true", help="BERT-base's sizes (~440 MB)")
    args = parser.parse_args()
    print(save(args.prefix, BASE if args.base else TINY))
