"""The TF1 track's layers of issue 27's kinds, written as TF1 code wrote them: variables from
`tf.compat.v1.get_variable` in the layer's `variable_scope`, the maths in `tf.nn` ops.

`DepthwiseConv2D` is `tf.nn.depthwise_conv2d`, `SeparableConv2D` `tf.nn.separable_conv2d`,
`GlobalAveragePooling2D` a `reduce_mean` over height and width, `ZeroPadding2D` `tf.pad`,
`LayerNormalization` `tf.nn.moments` + `tf.nn.batch_normalization` (TF-Slim's `layer_norm` with
the spec's epsilon), `Embedding` `tf.nn.embedding_lookup`, `GRU` TF1's `GRUCell` under
`dynamic_rnn` (`reset_after=False`) or, with `reset_after=True`, the cuDNN form unrolled step by
step on Keras's three variables (why: `tf1_compat.layouts.KEPT_LAYOUTS`). `tf1_compat.model.
build_layers` calls `build_kind` for these kinds.
"""

from __future__ import annotations

import tensorflow as tf

from tf1_compat import rnn

__all__ = ["SPEC_KINDS", "build_kind"]

v1 = tf.compat.v1

SPEC_KINDS = ("DepthwiseConv2D", "SeparableConv2D", "GlobalAveragePooling2D", "Activation",
              "ZeroPadding2D", "LayerNormalization", "Embedding", "GRU")


def _variable(name: str, shape, dtype, initializer=None):
    return v1.get_variable(name, shape=shape, dtype=dtype,
                           initializer=initializer or v1.glorot_uniform_initializer())


def _biased(outputs, layer, size: int):
    if not layer.use_bias:
        return outputs
    bias = _variable("bias", (size,), outputs.dtype, v1.zeros_initializer())
    return tf.nn.bias_add(outputs, bias)


def _depthwise(x, layer):
    (kh, kw), (sh, sw) = layer.kernel_size, layer.strides
    channels, m = int(x.shape[-1]), layer.depth_multiplier
    kernel = _variable("kernel", (kh, kw, channels, m), x.dtype)
    z = tf.nn.depthwise_conv2d(x, kernel, (1, sh, sw, 1), layer.padding.upper())
    return _biased(z, layer, channels * m)


def _separable(x, layer):
    (kh, kw), (sh, sw) = layer.kernel_size, layer.strides
    channels, m = int(x.shape[-1]), layer.depth_multiplier
    depthwise = _variable("depthwise_kernel", (kh, kw, channels, m), x.dtype)
    pointwise = _variable("pointwise_kernel", (1, 1, channels * m, layer.filters), x.dtype)
    z = tf.nn.separable_conv2d(x, depthwise, pointwise, (1, sh, sw, 1), layer.padding.upper())
    return _biased(z, layer, layer.filters)


def _layer_norm(x, layer):
    """`gamma (x - mean) / sqrt(var + epsilon) + beta` over the last axis; TF-Slim's
    `layer_norm` fixed epsilon at 1e-12, so the ops are written out with the spec's."""
    n = (int(x.shape[-1]),)
    gamma = _variable("gamma", n, x.dtype, v1.ones_initializer()) if layer.scale else None
    beta = _variable("beta", n, x.dtype, v1.zeros_initializer()) if layer.center else None
    mean, variance = tf.nn.moments(x, [x.shape.rank - 1], keepdims=True)
    return tf.nn.batch_normalization(x, mean, variance, offset=beta, scale=gamma,
                                     variance_epsilon=layer.epsilon)


def _gru_reset_after(x, units: int):
    """Keras's (cuDNN's) GRU: `z, r = sigmoid(x W + b_x + h U + b_h)` per gate, the candidate
    `tanh(x W_h + b_xh + r * (h U_h + b_hh))`, `h = z h + (1 - z) candidate`, from `h = 0`,
    unrolled over the steps as `static_rnn` did. Variables `kernel` (depth, 3 units),
    `recurrent_kernel` (units, 3 units), `bias` (2, 3 units): Keras's, gates z, r, h."""
    depth = int(x.shape[-1])
    kernel = _variable("kernel", (depth, 3 * units), x.dtype)
    recurrent = _variable("recurrent_kernel", (units, 3 * units), x.dtype,
                          v1.orthogonal_initializer())
    bias = _variable("bias", (2, 3 * units), x.dtype, v1.zeros_initializer())
    h = tf.zeros((tf.shape(x)[0], units), x.dtype)
    outputs = []
    for t in range(int(x.shape[1])):
        x_z, x_r, x_h = tf.split(tf.matmul(x[:, t], kernel) + bias[0], 3, axis=1)
        h_z, h_r, h_h = tf.split(tf.matmul(h, recurrent) + bias[1], 3, axis=1)
        z, r = tf.sigmoid(x_z + h_z), tf.sigmoid(x_r + h_r)
        h = z * h + (1 - z) * tf.tanh(x_h + r * h_h)
        outputs.append(h)
    return tf.stack(outputs, axis=1), h


def _gru(x, layer):
    if layer.reset_after:
        sequence, state = _gru_reset_after(x, layer.units)
    else:  # TF1's own cell, its variables in its layout (tf1_compat.layouts.CELLS)
        sequence, state = rnn.dynamic_rnn(rnn.GRUCell(layer.units), x, dtype=x.dtype)
    return sequence if layer.return_sequences else state


def build_kind(layer, name: str, x, activation):
    """`(outputs, logits)` of `layer` (a kind of `SPEC_KINDS`) on `x`, in `variable_scope(name)`;
    `activation` is the layer's activation as a TF function (`tf1_compat.model`'s)."""
    kind = layer.kind
    with v1.variable_scope(name):
        if kind == "DepthwiseConv2D":
            logits = _depthwise(x, layer)
        elif kind == "SeparableConv2D":
            logits = _separable(x, layer)
        elif kind == "Activation":
            logits = x
        elif kind == "GlobalAveragePooling2D":
            return (tf.reduce_mean(x, axis=[1, 2]),) * 2
        elif kind == "ZeroPadding2D":
            return (tf.pad(x, ((0, 0), *layer.padding, (0, 0))),) * 2
        elif kind == "LayerNormalization":
            return (_layer_norm(x, layer),) * 2
        elif kind == "Embedding":
            table = _variable("embeddings", (layer.input_dim, layer.output_dim), x.dtype,
                              v1.random_uniform_initializer(-0.05, 0.05))
            return (tf.nn.embedding_lookup(table, tf.cast(x, tf.int32)),) * 2
        else:
            return (_gru(x, layer),) * 2
        return activation(logits), logits
