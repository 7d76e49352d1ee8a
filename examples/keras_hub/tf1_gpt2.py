"""A TF1 GPT-2 with openai/gpt-2's variable names and maths (its `src/model.py`).

Written here, not copied: the same variables (`model/wte`, `model/wpe`, `model/hN/ln_1/g`,
`model/hN/attn/c_attn/w` of shape (1, n_embd, 3 n_embd) holding query, key and value,
`model/hN/attn/c_proj`, `model/hN/ln_2`, `model/hN/mlp/c_fc`, `model/hN/mlp/c_proj`,
`model/ln_f`), the same computation: pre-norm blocks, layer norm with epsilon 1e-5, 1x1
convolutions as matmuls, causal attention (1e10 taken off masked scores), GELU in its tanh
form, the logits as the last hidden state times `wte` transposed.

    python examples/keras_hub/tf1_gpt2.py /tmp/gpt2/model.ckpt      # the tiny config's checkpoint

Its weights are drawn at random (each one different): a stand-in for a trained checkpoint of the
same layout. `build` makes the tiny config's variables in the current graph.
"""

import argparse
import os

import numpy as np
import tensorflow as tf

v1 = tf.compat.v1

TINY = dict(n_vocab=89, n_ctx=20, n_embd=16, n_head=4, n_layer=2)
EPSILON = 1e-5  # openai/gpt-2's norm()


def _weight(name, shape, mean=0.0, stddev=0.3):
    return v1.get_variable(name, shape, tf.float32,
                           v1.random_normal_initializer(mean, stddev))


def gelu(x):
    inner = np.sqrt(2.0 / np.pi).astype(np.float32) * (x + 0.044715 * tf.pow(x, 3))
    return 0.5 * x * (1.0 + tf.tanh(inner))


def norm(x, scope):
    """Layer norm over the last axis: (x - mean) / sqrt(variance + 1e-5) * g + b."""
    with v1.variable_scope(scope):
        g = _weight("g", (x.shape[-1],), 1.0, 0.2)
        b = _weight("b", (x.shape[-1],), 0.0, 0.2)
        u = tf.reduce_mean(x, -1, keepdims=True)
        s = tf.reduce_mean(tf.square(x - u), -1, keepdims=True)
        return (x - u) * tf.math.rsqrt(s + EPSILON) * g + b


def conv1d(x, scope, nf):
    """A 1x1 convolution: w of shape (1, nx, nf), b of (nf,), as one matmul."""
    with v1.variable_scope(scope):
        nx = int(x.shape[-1])
        w = _weight("w", (1, nx, nf), 0.0, 1.0 / np.sqrt(nx))
        b = _weight("b", (nf,), 0.0, 0.2)
        return tf.tensordot(x, w[0], 1) + b


def _split_heads(x, n_head):
    b, t = tf.shape(x)[0], tf.shape(x)[1]
    return tf.transpose(tf.reshape(x, (b, t, n_head, int(x.shape[-1]) // n_head)), (0, 2, 1, 3))


def attn(x, scope, n_head):
    with v1.variable_scope(scope):
        nx = int(x.shape[-1])
        q, k, v = (_split_heads(t, n_head) for t in tf.split(conv1d(x, "c_attn", 3 * nx), 3, 2))
        w = tf.matmul(q, k, transpose_b=True) * tf.math.rsqrt(float(nx // n_head))
        t = tf.shape(x)[1]
        causal = tf.cast(tf.range(t)[:, None] >= tf.range(t)[None, :], tf.float32)
        w = tf.nn.softmax(w * causal - 1e10 * (1.0 - causal))
        a = tf.transpose(tf.matmul(w, v), (0, 2, 1, 3))
        return conv1d(tf.reshape(a, tf.shape(x)), "c_proj", nx)


def block(x, scope, n_head):
    with v1.variable_scope(scope):
        x = x + attn(norm(x, "ln_1"), "attn", n_head)
        m = norm(x, "ln_2")
        with v1.variable_scope("mlp"):
            nx = int(x.shape[-1])
            m = conv1d(gelu(conv1d(m, "c_fc", 4 * nx)), "c_proj", nx)
        return x + m


def model(tokens, hparams=TINY):
    """(hidden, logits): the last hidden state after ln_f, (B, T, n_embd), and the logits."""
    with v1.variable_scope("model"):
        wpe = _weight("wpe", (hparams["n_ctx"], hparams["n_embd"]), 0.0, 0.5)
        wte = _weight("wte", (hparams["n_vocab"], hparams["n_embd"]), 0.0, 0.5)
        h = tf.gather(wte, tokens) + wpe[None, :tf.shape(tokens)[1]]
        for n in range(hparams["n_layer"]):
            h = block(h, f"h{n}", hparams["n_head"])
        h = norm(h, "ln_f")
        return h, tf.tensordot(h, tf.transpose(wte), 1)


def build(hparams=TINY):
    """The program's graph in the current graph: (tokens placeholder, (hidden, logits))."""
    tokens = v1.placeholder(tf.int32, (None, None), "tokens")
    return tokens, model(tokens, hparams)


def save(prefix, hparams=TINY, seed=0):
    """The program's checkpoint at `prefix`, written by its own `Saver`."""
    os.makedirs(os.path.dirname(os.path.abspath(prefix)), exist_ok=True)
    graph = tf.Graph()
    with graph.as_default():
        v1.set_random_seed(seed)
        build(hparams)
        with v1.Session(graph=graph) as session:
            session.run(v1.global_variables_initializer())
            return v1.train.Saver().save(session, prefix, write_meta_graph=False)


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("prefix", help="where the checkpoint goes (a Saver prefix)")
    print(save(parser.parse_args().prefix))
