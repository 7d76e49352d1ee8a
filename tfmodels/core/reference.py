"""The third witness: every formula of the notes in plain NumPy, as NNFS writes it.

Both tracks are tested against these functions. Nothing here calls TensorFlow or Keras, and
everything keeps the dtype it is given, so a float64 run is a float64 reference. Each function
carries its own derivative where a test needs one: `*_grad` returns the gradient of a sum of the
outputs weighted by an upstream gradient `dout`, as backpropagation passes it down (C13), and a
layer's `*_backward` the gradients for its input and each of its weights. Beyond the dense
layers of the notes: convolution, pooling, flatten, dropout, batch normalisation, LSTM and
SimpleRNN, and issue 27's depthwise and separable convolutions, global average pooling, zero
padding, layer normalisation, embedding and GRU, each in Keras's layout and with Keras's
defaults; and a graph of layers (a residual
connection's `x + f(x)`, a concatenation, a gate), forward and backward.
"""

from __future__ import annotations

import numpy as np

from tfmodels.core.errors import UserError

__all__ = [
    "EPSILON", "dense_forward", "dense_backward", "step", "sigmoid", "sigmoid_grad", "tanh",
    "tanh_grad", "relu", "relu_grad", "leaky_relu", "leaky_relu_grad", "randomized_relu", "swish",
    "swish_grad", "swish_grad_beta", "softmax", "softmax_grad", "l1", "l1_grad",
    "mean_absolute_error", "mean_absolute_error_grad", "l2", "l2_grad", "mean_squared_error",
    "mean_squared_error_grad", "binary_crossentropy", "binary_crossentropy_grad",
    "categorical_crossentropy", "categorical_crossentropy_grad", "sparse_categorical_crossentropy",
    "sparse_categorical_crossentropy_grad", "one_hot", "Optimizer", "SGD", "MomentumTF1",
    "Adagrad", "RMSprop", "Adam", "OPTIMIZERS", "make_optimizer", "linear", "linear_grad",
    "ACTIVATION_FUNCTIONS", "ACTIVATION_GRADS", "LOSS_FUNCTIONS", "FUSED", "mlp_forward",
    "mlp_loss_and_grads", "conv2d_forward", "conv2d_backward", "max_pool2d_forward",
    "max_pool2d_backward", "avg_pool2d_forward", "avg_pool2d_backward", "flatten",
    "flatten_backward", "dropout_forward", "dropout_backward", "batch_norm_forward",
    "batch_norm_backward", "lstm_forward", "lstm_backward", "simple_rnn_forward",
    "simple_rnn_backward", "depthwise_conv2d_forward", "depthwise_conv2d_backward",
    "separable_conv2d_forward", "separable_conv2d_backward", "global_avg_pool2d_forward",
    "global_avg_pool2d_backward", "zero_padding2d_forward", "zero_padding2d_backward",
    "layer_norm_forward", "layer_norm_backward", "embedding_forward", "embedding_backward",
    "gru_forward", "gru_backward", "merge_forward", "merge_backward", "graph_forward",
    "graph_backward",
]

# Keras's fuzz factor (`keras.backend.epsilon()`), used to clip probabilities in the losses.
EPSILON = 1e-7

# --- dense layer (C01, C02) -------------------------------------------------------------------


def dense_forward(x, kernel, bias):
    """`x @ W + b`: one row per sample, one column per unit (C01, C03)."""
    return x @ kernel + bias


def dense_backward(x, kernel, dz):
    """The chain rule through `z = x @ W + b`: returns `(dx, dW, db)` for the upstream `dz`."""
    return dz @ kernel.T, x.T @ dz, dz.sum(axis=0)


# --- activations (C06) ------------------------------------------------------------------------


def step(z):
    """1 where the input is positive, else 0 (NNFS's first neuron); its gradient is 0."""
    return (z > 0).astype(z.dtype)


def sigmoid(z):
    return 1 / (1 + np.exp(-z))


def sigmoid_grad(z, dout):
    s = sigmoid(z)
    return dout * s * (1 - s)


def tanh(z):
    return np.tanh(z)


def tanh_grad(z, dout):
    return dout * (1 - np.tanh(z) ** 2)


def relu(z):
    return np.maximum(z, 0)


def relu_grad(z, dout):
    return dout * (z > 0)


def leaky_relu(z, alpha=0.2):
    return np.where(z > 0, z, alpha * z)


def leaky_relu_grad(z, dout, alpha=0.2):
    return dout * np.where(z > 0, 1, alpha).astype(z.dtype)


def randomized_relu(z, slopes):
    """Leaky ReLU with one slope per element: drawn at random while training, the mean after."""
    return np.where(z >= 0, z, slopes * z)


def swish(z, beta=1.0):
    """`z * sigmoid(beta * z)`."""
    return z * sigmoid(beta * z)


def swish_grad(z, dout, beta=1.0):
    """Gradients with respect to `z`, `dout * (s + beta z s (1 - s))` with `s = sigmoid(beta z)`,
    and to `beta` (`swish_grad_beta`)."""
    s = sigmoid(beta * z)
    return dout * (s + beta * z * s * (1 - s)), swish_grad_beta(z, dout, beta)


def swish_grad_beta(z, dout, beta=1.0):
    """The gradient for a trainable `beta` shared by all elements: `sum(dout * z^2 s (1 - s))`."""
    s = sigmoid(beta * z)
    return np.sum(dout * z * z * s * (1 - s))


def softmax(z):
    """Exponentiate and normalise each row; subtracting the row's max first keeps exp finite."""
    e = np.exp(z - z.max(axis=-1, keepdims=True))
    return e / e.sum(axis=-1, keepdims=True)


def softmax_grad(z, dout):
    """The softmax Jacobian applied to `dout`: `s * (dout - sum(dout * s))`."""
    s = softmax(z)
    return s * (dout - np.sum(dout * s, axis=-1, keepdims=True))


# --- losses (C09, C26): one value per sample, reduced over the last axis like Keras -----------


def l1(y, p):
    """`sum |y - p|` per sample."""
    return np.abs(y - p).sum(axis=-1)


def l1_grad(y, p):
    return np.sign(p - y)


def mean_absolute_error(y, p):
    return np.abs(y - p).mean(axis=-1)


def mean_absolute_error_grad(y, p):
    return np.sign(p - y) / p.shape[-1]


def l2(y, p):
    """`sum (y - p)^2` per sample."""
    return ((y - p) ** 2).sum(axis=-1)


def l2_grad(y, p):
    return 2 * (p - y)


def mean_squared_error(y, p):
    return ((y - p) ** 2).mean(axis=-1)


def mean_squared_error_grad(y, p):
    return 2 * (p - y) / p.shape[-1]


def _clip(p):
    """Keras's clip of probabilities to [eps, 1 - eps], and where it cut (no gradient there)."""
    inside = (p >= EPSILON) & (p <= 1 - EPSILON)
    return np.clip(p, EPSILON, 1 - EPSILON), inside


def binary_crossentropy(y, p, from_logits=False):
    """Mean over the last axis of `-(y log p + (1 - y) log(1 - p))`.

    On probabilities, `p` is first clipped to [1e-7, 1 - 1e-7], which caps a sample's loss at
    `-log(1e-7)` = 16.1. On logits `z`, the stable form `max(z, 0) - z y + log(1 + exp(-|z|))`.
    """
    if from_logits:
        z = p
        per_unit = np.maximum(z, 0) - z * y + np.log1p(np.exp(-np.abs(z)))
    else:
        c, _ = _clip(p)
        per_unit = -(y * np.log(c) + (1 - y) * np.log(1 - c))
    return per_unit.mean(axis=-1)


def binary_crossentropy_grad(y, p, from_logits=False):
    n = p.shape[-1]
    if from_logits:
        return (sigmoid(p) - y) / n
    c, inside = _clip(p)
    return inside * (-y / c + (1 - y) / (1 - c)) / n


def categorical_crossentropy(y, p, from_logits=False):
    """`-sum y log p` per sample.

    On probabilities Keras first rescales each row to sum to 1, then clips to [1e-7, 1 - 1e-7].
    On logits it is `logsumexp(z) - sum y z` (for rows of `y` that sum to 1).
    """
    if from_logits:
        z = p
        m = z.max(axis=-1, keepdims=True)
        log_softmax = z - m - np.log(np.exp(z - m).sum(axis=-1, keepdims=True))
        return -(y * log_softmax).sum(axis=-1)
    c, _ = _clip(p / p.sum(axis=-1, keepdims=True))
    return -(y * np.log(c)).sum(axis=-1)


def categorical_crossentropy_grad(y, p, from_logits=False):
    if from_logits:
        return softmax(p) * y.sum(axis=-1, keepdims=True) - y
    total = p.sum(axis=-1, keepdims=True)
    c, inside = _clip(p / total)
    dq = inside * -y / c  # through the clip, then through q = p / sum(p)
    return dq / total - (dq * p).sum(axis=-1, keepdims=True) / total**2


def sparse_categorical_crossentropy(labels, p, from_logits=False):
    """Categorical cross-entropy with integer labels.

    On probabilities Keras clips `p`, takes its log and hands that to the logits op, which
    normalises once more: the loss is `log(sum clip(p)) - log clip(p)[label]`.
    """
    logits = p if from_logits else np.log(_clip(p)[0])
    return categorical_crossentropy(one_hot(labels, p.shape[-1], p.dtype), logits,
                                    from_logits=True)


def sparse_categorical_crossentropy_grad(labels, p, from_logits=False):
    y = one_hot(labels, p.shape[-1], p.dtype)
    if from_logits:
        return softmax(p) - y
    c, inside = _clip(p)
    return inside * (1 / c.sum(axis=-1, keepdims=True) - y / c)


def one_hot(labels, classes, dtype=np.float64):
    """Integer labels -> one-hot rows (C29)."""
    return np.eye(classes, dtype=dtype)[np.asarray(labels)]


# --- optimizers (C10, C12): one step on a list of arrays, in Keras's form ----------------------


class Optimizer:
    """Keeps per-weight state and the step count; `apply` returns the updated weights.

    `learning_rate` is a number or a function of the step (0, 1, ...), for schedules.
    """

    def __init__(self, learning_rate):
        self.learning_rate = learning_rate
        self.iterations = 0
        self.state = None

    def lr(self, dtype):
        lr = self.learning_rate
        return dtype.type(lr(self.iterations) if callable(lr) else lr)

    def apply(self, weights, grads):
        if self.state is None:
            self.state = [self.init_state(w) for w in weights]
        new = [self.update(w, g, s, self.lr(w.dtype))
               for w, g, s in zip(weights, grads, self.state)]
        self.iterations += 1
        return new


class SGD(Optimizer):
    """Keras's SGD: `v = mu v - lr g; w += v` (Nesterov: `w += mu v - lr g`)."""

    def __init__(self, learning_rate=0.01, momentum=0.0, nesterov=False):
        super().__init__(learning_rate)
        self.momentum, self.nesterov = momentum, nesterov

    def init_state(self, w):
        return {"v": np.zeros_like(w)}

    def update(self, w, g, s, lr):
        if self.momentum == 0:
            return w - g * lr
        s["v"] = s["v"] * self.momentum - g * lr
        if self.nesterov:
            return w + (s["v"] * self.momentum - g * lr)
        return w + s["v"]


class MomentumTF1(Optimizer):
    """TF1's `MomentumOptimizer`: `a = mu a + g; w -= lr a` (Nesterov: `w -= lr g + lr mu a`).

    With `a = -v / lr` this is Keras's SGD step by step, as long as `lr` never changes: TF1
    accumulates raw gradients and scales by today's rate, Keras accumulates scaled steps.
    """

    def __init__(self, learning_rate=0.01, momentum=0.0, nesterov=False):
        super().__init__(learning_rate)
        self.momentum, self.nesterov = momentum, nesterov

    def init_state(self, w):
        return {"a": np.zeros_like(w)}

    def update(self, w, g, s, lr):
        s["a"] = s["a"] * self.momentum + g
        if self.nesterov:
            return w - (g * lr + s["a"] * self.momentum * lr)
        return w - s["a"] * lr


class Adagrad(Optimizer):
    """`acc += g^2; w -= lr g / sqrt(acc + eps)` (Keras; TF1 has no epsilon)."""

    def __init__(self, learning_rate=0.001, initial_accumulator_value=0.1, epsilon=1e-7):
        super().__init__(learning_rate)
        self.initial_accumulator_value, self.epsilon = initial_accumulator_value, epsilon

    def init_state(self, w):
        return {"acc": np.full_like(w, self.initial_accumulator_value)}

    def update(self, w, g, s, lr):
        s["acc"] = s["acc"] + g * g
        return w - lr * g / np.sqrt(s["acc"] + self.epsilon)


class RMSprop(Optimizer):
    """`ms = rho ms + (1 - rho) g^2; w -= lr g / sqrt(ms + eps)`, optionally centered or with
    momentum. `initial_ms` is 0 in Keras and 1 in TF1."""

    def __init__(self, learning_rate=0.001, rho=0.9, momentum=0.0, epsilon=1e-7,
                 centered=False, initial_ms=0.0):
        super().__init__(learning_rate)
        self.rho, self.momentum, self.epsilon = rho, momentum, epsilon
        self.centered, self.initial_ms = centered, initial_ms

    def init_state(self, w):
        return {"ms": np.full_like(w, self.initial_ms), "mg": np.zeros_like(w),
                "mom": np.zeros_like(w)}

    def update(self, w, g, s, lr):
        s["ms"] = self.rho * s["ms"] + (1 - self.rho) * g * g
        denominator = s["ms"] + self.epsilon
        if self.centered:
            s["mg"] = self.rho * s["mg"] + (1 - self.rho) * g
            denominator = s["ms"] - s["mg"] ** 2 + self.epsilon
        increment = lr * g / np.sqrt(denominator)
        if self.momentum > 0:
            s["mom"] = self.momentum * s["mom"] + increment
            return w - s["mom"]
        return w - increment


class Adam(Optimizer):
    """Adam with the "epsilon hat" form both libraries use:
    `w -= lr sqrt(1 - b2^t) / (1 - b1^t) * m / (sqrt(v) + eps)`."""

    def __init__(self, learning_rate=0.001, beta_1=0.9, beta_2=0.999, epsilon=1e-7):
        super().__init__(learning_rate)
        self.beta_1, self.beta_2, self.epsilon = beta_1, beta_2, epsilon

    def init_state(self, w):
        return {"m": np.zeros_like(w), "v": np.zeros_like(w)}

    def update(self, w, g, s, lr):
        t = self.iterations + 1
        alpha = lr * np.sqrt(1 - self.beta_2**t) / (1 - self.beta_1**t)
        s["m"] = s["m"] + (g - s["m"]) * (1 - self.beta_1)
        s["v"] = s["v"] + (g * g - s["v"]) * (1 - self.beta_2)
        return w - s["m"] * alpha / (np.sqrt(s["v"]) + self.epsilon)


OPTIMIZERS = {"sgd": SGD, "adagrad": Adagrad, "rmsprop": RMSprop, "adam": Adam}


def make_optimizer(spec) -> Optimizer:
    """The NumPy twin of a spec's optimizer (an `OptimizerSpec`, Keras's names)."""
    return OPTIMIZERS[spec.name](**spec.params)


# --- a whole MLP, forward and backward (C13, C14) ---------------------------------------------


def linear(z):
    return z


def linear_grad(z, dout):
    return dout


# name -> the function, and the gradient of `sum(dout * f(z))` with respect to `z`. `step` is
# forward-only: its derivative is 0 wherever it exists, so nothing could be learnt through it.
ACTIVATION_FUNCTIONS = {"linear": linear, "step": step, "relu": relu, "sigmoid": sigmoid,
                        "tanh": tanh, "leaky_relu": leaky_relu, "swish": swish,
                        "softmax": softmax}
ACTIVATION_GRADS = {"linear": linear_grad, "relu": relu_grad, "sigmoid": sigmoid_grad,
                    "tanh": tanh_grad, "leaky_relu": leaky_relu_grad,
                    "swish": lambda z, dout: swish_grad(z, dout)[0], "softmax": softmax_grad}

# name -> per-sample loss and its gradient with respect to the predictions
LOSS_FUNCTIONS = {name: (globals()[name], globals()[f"{name}_grad"])
                  for name in ("mean_squared_error", "mean_absolute_error", "binary_crossentropy",
                               "categorical_crossentropy", "sparse_categorical_crossentropy")}

# Output activations whose logits Keras hands to the loss in place of the probabilities when
# the loss asks for probabilities (`_keras_logits` in a compiled model): the same maths, without
# the clip at 1e-7, and `softmax(z) - y` as the gradient.
FUSED = {("softmax", "categorical_crossentropy"), ("softmax", "sparse_categorical_crossentropy"),
         ("sigmoid", "binary_crossentropy")}


def mlp_forward(weights, activations, x):
    """Outputs and the pre-activations `z` of every layer, for the backward pass."""
    zs, out = [], x
    for kernel, bias, activation in zip(weights[::2], weights[1::2], activations):
        zs.append(dense_forward(out, kernel, bias))
        out = ACTIVATION_FUNCTIONS[activation](zs[-1])
    return out, zs


def mlp_loss_and_grads(weights, activations, x, y, loss="categorical_crossentropy",
                       from_logits=False):
    """The mean over the samples of a loss of the outputs, and its gradient for every weight.

    Any activation of `ACTIVATION_FUNCTIONS` but `step` may sit in any layer, under any loss of
    `LOSS_FUNCTIONS`; `from_logits` is the cross-entropies' (the outputs, whatever the last
    activation, are then taken as logits). As in Keras's `fit`, a softmax output under a
    categorical cross-entropy and a sigmoid output under the binary one are scored on their
    logits.
    Backpropagation by hand (C13): `dL/dp = loss_grad / n`, then per layer
    `dz = act_grad(z, dp)` and the dense layer's chain rule `(dx, dW, db)`, `dx` being the
    previous layer's `dp`.
    """
    if "step" in activations:
        raise UserError("'step' is forward-only: its gradient is 0 wherever it exists")
    if from_logits and not loss.endswith("crossentropy"):
        raise UserError(f"from_logits is for the cross-entropies, not {loss!r}")
    loss_fn, loss_grad = LOSS_FUNCTIONS[loss]
    kw = {"from_logits": from_logits} if loss.endswith("crossentropy") else {}
    out, zs = mlp_forward(weights, activations, x)
    n = len(x)
    if not from_logits and (activations[-1], loss) in FUSED:
        value = loss_fn(y, zs[-1], from_logits=True).mean()
        dz = loss_grad(y, zs[-1], from_logits=True) / n
    else:
        value = loss_fn(y, out, **kw).mean()
        dz = ACTIVATION_GRADS[activations[-1]](zs[-1], loss_grad(y, out, **kw) / n)
    grads = [None] * len(weights)
    for i in reversed(range(len(zs))):
        inputs = x if i == 0 else ACTIVATION_FUNCTIONS[activations[i - 1]](zs[i - 1])
        dx, grads[2 * i], grads[2 * i + 1] = dense_backward(inputs, weights[2 * i], dz)
        if i > 0:
            dz = ACTIVATION_GRADS[activations[i - 1]](zs[i - 1], dx)
    return value, grads


# --- convolution and pooling, channels last like Keras and TF ---------------------------------


def _pair(value):
    return (value, value) if np.isscalar(value) else tuple(value)


def _padding(size, window, stride, padding):
    """One spatial axis: the output size and the `(before, after)` padding, by TF's rule.

    "valid": `(size - window) // stride + 1` outputs, no padding. "same": `ceil(size / stride)`
    outputs and `max((out - 1) * stride + window - size, 0)` padding, the odd one after.
    """
    if padding == "valid":
        return (size - window) // stride + 1, (0, 0)
    if padding == "same":
        out = -(-size // stride)
        total = max((out - 1) * stride + window - size, 0)
        return out, (total // 2, total - total // 2)
    raise UserError(f"padding must be 'valid' or 'same', not {padding!r}")


def _im2col(x, window, strides, padding, fill=0):
    """im2col: every window of `x` (n, h, w, c), padded with `fill`, as (n, oh, ow, kh, kw, c),
    and the padding used. One copy per window offset, not per window."""
    (kh, kw), (sh, sw) = window, strides
    oh, pad_h = _padding(x.shape[1], kh, sh, padding)
    ow, pad_w = _padding(x.shape[2], kw, sw, padding)
    xp = np.pad(x, ((0, 0), pad_h, pad_w, (0, 0)), constant_values=fill)
    cols = np.empty((len(x), oh, ow, kh, kw, x.shape[3]), x.dtype)
    for i in range(kh):
        for j in range(kw):
            cols[:, :, :, i, j] = xp[:, i:i + sh * oh:sh, j:j + sw * ow:sw]
    return cols, (pad_h, pad_w)


def _col2im(dcols, shape, strides, pads):
    """The adjoint of `_im2col`: each window's gradient added back where its elements came
    from (overlapping windows add up), then the padding cut off."""
    n, oh, ow, kh, kw, c = dcols.shape
    (sh, sw), (pad_h, pad_w) = strides, pads
    dxp = np.zeros((n, shape[1] + sum(pad_h), shape[2] + sum(pad_w), c), dcols.dtype)
    for i in range(kh):
        for j in range(kw):
            dxp[:, i:i + sh * oh:sh, j:j + sw * ow:sw] += dcols[:, :, :, i, j]
    return dxp[:, pad_h[0]:pad_h[0] + shape[1], pad_w[0]:pad_w[0] + shape[2]]


def conv2d_forward(x, kernel, bias, strides=(1, 1), padding="valid"):
    """Keras's Conv2D: `out[n, i, j, f] = sum_{a, b, c} xp[n, i sh + a, j sw + b, c] K[a, b, c, f]
    + b[f]` (a cross-correlation, as every library computes it), `xp` the padded input.

    By im2col: each window becomes a row, so the whole layer is one matrix product
    `(n oh ow, kh kw c) @ (kh kw c, filters)`.
    """
    kh, kw, c, filters = kernel.shape
    cols, _ = _im2col(x, (kh, kw), _pair(strides), padding)
    n, oh, ow = cols.shape[:3]
    out = cols.reshape(-1, kh * kw * c) @ kernel.reshape(-1, filters)
    return out.reshape(n, oh, ow, filters) + bias


def conv2d_backward(x, kernel, dout, strides=(1, 1), padding="valid"):
    """`(dx, dkernel, dbias)` for the upstream `dout` (n, oh, ow, filters): the dense layer's
    chain rule on the im2col rows (`dK = cols.T @ dout`, `dcols = dout @ K.T`), then col2im
    adds each row's gradient back to the pixels it was copied from."""
    kh, kw, c, filters = kernel.shape
    cols, pads = _im2col(x, (kh, kw), _pair(strides), padding)
    d2 = dout.reshape(-1, filters)
    dkernel = (cols.reshape(-1, kh * kw * c).T @ d2).reshape(kernel.shape)
    dcols = (d2 @ kernel.reshape(-1, filters).T).reshape(cols.shape)
    return _col2im(dcols, x.shape, _pair(strides), pads), dkernel, d2.sum(axis=0)


def _pool_windows(x, pool_size, strides, padding, fill):
    window = _pair(pool_size)
    strides = window if strides is None else _pair(strides)  # Keras: strides default to the pool
    cols, pads = _im2col(x, window, strides, padding, fill)
    return cols, pads, strides


def max_pool2d_forward(x, pool_size=(2, 2), strides=None, padding="valid"):
    """Keras's MaxPooling2D: the max of each window, per channel. "same" pads with -inf, so a
    padded element never wins."""
    return _pool_windows(x, pool_size, strides, padding, -np.inf)[0].max(axis=(3, 4))


def max_pool2d_backward(x, dout, pool_size=(2, 2), strides=None, padding="valid"):
    """Each window's upstream gradient goes to its max alone (the derivative of a max); on a tie
    to the first max in row-major window order, as TF's argmax; overlapping windows add up."""
    cols, pads, strides = _pool_windows(x, pool_size, strides, padding, -np.inf)
    n, oh, ow, kh, kw, c = cols.shape
    flat = cols.transpose(0, 1, 2, 5, 3, 4).reshape(n, oh, ow, c, kh * kw)
    first = flat.argmax(axis=-1)[..., None]  # NumPy's argmax: the first of equal maxima
    dflat = np.zeros_like(flat)
    np.put_along_axis(dflat, first, dout[..., None], axis=-1)
    dcols = dflat.reshape(n, oh, ow, c, kh, kw).transpose(0, 1, 2, 4, 5, 3)
    return _col2im(dcols, x.shape, strides, pads)


def _pool_counts(x, pool_size, strides, padding):
    """How many elements of `x` each window holds: the window's size but at a "same" border."""
    ones = np.ones((1,) + x.shape[1:3] + (1,), x.dtype)
    return _pool_windows(ones, pool_size, strides, padding, 0)[0].sum(axis=(3, 4))


def avg_pool2d_forward(x, pool_size=(2, 2), strides=None, padding="valid"):
    """Keras's AveragePooling2D: the mean of each window. With "same", TF's rule: the mean of the
    window's elements inside `x` only (padding neither adds nor counts)."""
    cols = _pool_windows(x, pool_size, strides, padding, 0)[0]
    return cols.sum(axis=(3, 4)) / _pool_counts(x, pool_size, strides, padding)


def avg_pool2d_backward(x, dout, pool_size=(2, 2), strides=None, padding="valid"):
    """Each window's upstream gradient shared equally by the elements it averaged:
    `dout / count` to each."""
    cols, pads, strides = _pool_windows(x, pool_size, strides, padding, 0)
    share = dout / _pool_counts(x, pool_size, strides, padding)
    dcols = np.broadcast_to(share[:, :, :, None, None, :], cols.shape)
    return _col2im(dcols, x.shape, strides, pads)


def flatten(x):
    """Keras's Flatten: one row per sample, elements in row-major (C) order."""
    return x.reshape(len(x), -1)


def flatten_backward(x, dout):
    """The gradient of a reshape is the reshape back: `dout` in `x`'s shape."""
    return dout.reshape(x.shape)


# --- dropout and batch normalisation ----------------------------------------------------------


def dropout_forward(x, mask, rate):
    """Inverted dropout with a given 0/1 keep `mask`: `x * mask / (1 - rate)`, so that every
    element keeps its expected value and inference needs no change."""
    return x * mask.astype(x.dtype) / x.dtype.type(1 - rate)


def dropout_backward(mask, dout, rate):
    """Linear in `x`, so the same scaling: `dout * mask / (1 - rate)`."""
    return dout * mask.astype(dout.dtype) / dout.dtype.type(1 - rate)


def batch_norm_forward(x, gamma, beta, moving_mean, moving_var, momentum=0.99, epsilon=1e-3,
                       training=True):
    """Keras's BatchNormalization over every axis but the last:
    `gamma (x - mean) / sqrt(var + epsilon) + beta`.

    Training: the batch's mean and biased variance (mean of squared deviations), and the moving
    statistics step towards them, `moving * momentum + batch * (1 - momentum)`. Inference: the
    moving statistics, left as they are. Returns `(outputs, moving_mean, moving_var)`.
    """
    if training:
        axes = tuple(range(x.ndim - 1))
        mean, var = x.mean(axis=axes), x.var(axis=axes)
        moving_mean = moving_mean * momentum + mean * (1 - momentum)
        moving_var = moving_var * momentum + var * (1 - momentum)
    else:
        mean, var = moving_mean, moving_var
    return gamma * (x - mean) / np.sqrt(var + epsilon) + beta, moving_mean, moving_var


def batch_norm_backward(x, gamma, moving_mean, moving_var, dout, epsilon=1e-3, training=True):
    """`(dx, dgamma, dbeta)`, with `xhat = (x - mean) / sigma`, `sigma = sqrt(var + epsilon)`:
    `dgamma = sum(dout xhat)`, `dbeta = sum(dout)` over all axes but the last.

    Training: the mean and variance are functions of every sample too, and with `g = dout gamma`
    over `m` values per channel, `dx = (g - mean(g) - xhat mean(g xhat)) / sigma`. Inference:
    constants, so `dx = g / sigma`.
    """
    axes = tuple(range(x.ndim - 1))
    if training:
        mean, var = x.mean(axis=axes), x.var(axis=axes)
    else:
        mean, var = moving_mean, moving_var
    sigma = np.sqrt(var + epsilon)
    xhat = (x - mean) / sigma
    g = dout * gamma
    if training:
        dx = (g - g.mean(axis=axes) - xhat * (g * xhat).mean(axis=axes)) / sigma
    else:
        dx = g / sigma
    return dx, (dout * xhat).sum(axis=axes), dout.sum(axis=axes)


# --- recurrent layers, Keras's layout: x (n, steps, features), zero initial states ------------


def _lstm_steps(x, kernel, recurrent_kernel, bias):
    """Every step's `(h, c)` (with the zero initial ones first) and gates `(i, f, g, o)`."""
    units = recurrent_kernel.shape[0]
    h = c = np.zeros((len(x), units), x.dtype)
    hs, cs, gates = [h], [c], []
    for t in range(x.shape[1]):
        z = x[:, t] @ kernel + h @ recurrent_kernel + bias
        i, f, o = (sigmoid(z[:, k * units:(k + 1) * units]) for k in (0, 1, 3))
        g = tanh(z[:, 2 * units:3 * units])
        c = f * c + i * g
        h = o * tanh(c)
        hs.append(h)
        cs.append(c)
        gates.append((i, f, g, o))
    return hs, cs, gates


def lstm_forward(x, kernel, recurrent_kernel, bias, return_sequences=False):
    """Keras's LSTM: per step `z = x_t W + h U + b`, split in Keras's order into
    `i, f, o = sigmoid(...)`, `g = tanh(z_c)`; `c = f c + i g`, `h = o tanh(c)`, from zeros.
    `kernel` (features, 4u), `recurrent_kernel` (u, 4u), `bias` (4u,). Returns the last `h`,
    or every step's (n, steps, u)."""
    hs = _lstm_steps(x, kernel, recurrent_kernel, bias)[0]
    return np.stack(hs[1:], axis=1) if return_sequences else hs[-1]


def _upstream(dout, x, return_sequences):
    """The upstream gradient of every step's output: `dout`, or `dout` at the last step only."""
    if return_sequences:
        return dout
    every = np.zeros(x.shape[:2] + dout.shape[-1:], dout.dtype)
    every[:, -1] = dout
    return every


def lstm_backward(x, kernel, recurrent_kernel, bias, dout, return_sequences=False):
    """Backpropagation through time: `(dx, dkernel, drecurrent_kernel, dbias)` for `dout`, the
    gradient of the last output or, with `return_sequences`, of every step's.

    From the last step back, `dh` = this step's upstream gradient + what the next step sent;
    `do = dh tanh(c)`, `dc = dc_next + dh o (1 - tanh(c)^2)`, `di = dc g`, `df = dc c_prev`,
    `dg = dc i`, through each gate's activation to `dz`; then `dx_t = dz W.T`,
    `dh_prev = dz U.T`, `dc_prev = dc f`, and the weights gather `x_t.T dz`, `h_prev.T dz`, `dz`.
    """
    hs, cs, gates = _lstm_steps(x, kernel, recurrent_kernel, bias)
    upstream = _upstream(dout, x, return_sequences)
    dx = np.zeros_like(x)
    dkernel, drecurrent, dbias = (np.zeros_like(w) for w in (kernel, recurrent_kernel, bias))
    dh_next = dc_next = np.zeros_like(hs[0])
    for t in reversed(range(x.shape[1])):
        i, f, g, o = gates[t]
        dh = upstream[:, t] + dh_next
        tanh_c = tanh(cs[t + 1])
        dc = dc_next + dh * o * (1 - tanh_c**2)
        dz = np.concatenate([dc * g * i * (1 - i), dc * cs[t] * f * (1 - f),
                             dc * i * (1 - g**2), dh * tanh_c * o * (1 - o)], axis=1)
        dx[:, t] = dz @ kernel.T
        dkernel += x[:, t].T @ dz
        drecurrent += hs[t].T @ dz
        dbias += dz.sum(axis=0)
        dh_next, dc_next = dz @ recurrent_kernel.T, dc * f
    return dx, dkernel, drecurrent, dbias


def _simple_rnn_steps(x, kernel, recurrent_kernel, bias):
    h = np.zeros((len(x), recurrent_kernel.shape[0]), x.dtype)
    hs = [h]
    for t in range(x.shape[1]):
        h = tanh(x[:, t] @ kernel + h @ recurrent_kernel + bias)
        hs.append(h)
    return hs


def simple_rnn_forward(x, kernel, recurrent_kernel, bias, return_sequences=False):
    """Keras's SimpleRNN: `h_t = tanh(x_t W + h_{t-1} U + b)` from `h_0 = 0`. Returns the last
    `h`, or every step's (n, steps, units)."""
    hs = _simple_rnn_steps(x, kernel, recurrent_kernel, bias)
    return np.stack(hs[1:], axis=1) if return_sequences else hs[-1]


def simple_rnn_backward(x, kernel, recurrent_kernel, bias, dout, return_sequences=False):
    """Backpropagation through time: `(dx, dkernel, drecurrent_kernel, dbias)`. From the last step
    back, `dz = (upstream_t + dh_next) (1 - h_t^2)`, `dx_t = dz W.T`, `dh_next = dz U.T`, and the
    weights gather `x_t.T dz`, `h_{t-1}.T dz`, `dz`."""
    hs = _simple_rnn_steps(x, kernel, recurrent_kernel, bias)
    upstream = _upstream(dout, x, return_sequences)
    dx = np.zeros_like(x)
    dkernel, drecurrent, dbias = (np.zeros_like(w) for w in (kernel, recurrent_kernel, bias))
    dh_next = np.zeros_like(hs[0])
    for t in reversed(range(x.shape[1])):
        dz = (upstream[:, t] + dh_next) * (1 - hs[t + 1] ** 2)
        dx[:, t] = dz @ kernel.T
        dkernel += x[:, t].T @ dz
        drecurrent += hs[t].T @ dz
        dbias += dz.sum(axis=0)
        dh_next = dz @ recurrent_kernel.T
    return dx, dkernel, drecurrent, dbias


# --- issue 27's kinds: depthwise and separable convolutions, global pooling, padding, layer
# --- normalization, embedding, GRU (Keras's layouts and defaults) --------------------------


def depthwise_conv2d_forward(x, kernel, bias=None, strides=(1, 1), padding="valid"):
    """Keras's DepthwiseConv2D (TF1's `tf.nn.depthwise_conv2d`): each channel `c` convolved
    with its own `m` kernels, `out[n, i, j, c m + k] = sum_{a, b} xp[n, i sh + a, j sw + b, c]
    K[a, b, c, k] + bias` - no sum over channels; `kernel` (kh, kw, channels, m)."""
    kh, kw, c, m = kernel.shape
    cols, _ = _im2col(x, (kh, kw), _pair(strides), padding)
    out = np.einsum("nijabc,abcm->nijcm", cols, kernel)
    out = out.reshape(out.shape[:3] + (c * m,))
    return out if bias is None else out + bias


def depthwise_conv2d_backward(x, kernel, dout, strides=(1, 1), padding="valid"):
    """`(dx, dkernel, dbias)`: per channel the convolution's chain rule, `dK[a, b, c, k] =
    sum cols[..., a, b, c] dout[..., c, k]`, `dcols = dout K` back through col2im."""
    kh, kw, c, m = kernel.shape
    cols, pads = _im2col(x, (kh, kw), _pair(strides), padding)
    d = dout.reshape(dout.shape[:3] + (c, m))
    dkernel = np.einsum("nijabc,nijcm->abcm", cols, d)
    dcols = np.einsum("nijcm,abcm->nijabc", d, kernel)
    return _col2im(dcols, x.shape, _pair(strides), pads), dkernel, dout.sum(axis=(0, 1, 2))


def separable_conv2d_forward(x, depthwise_kernel, pointwise_kernel, bias=None, strides=(1, 1),
                             padding="valid"):
    """Keras's SeparableConv2D (TF1's `tf.nn.separable_conv2d`): the depthwise convolution,
    then a 1x1 convolution (a dense layer on each pixel's channels) by `pointwise_kernel`
    (1, 1, channels m, filters), then the bias."""
    mid = depthwise_conv2d_forward(x, depthwise_kernel, None, strides, padding)
    out = mid @ pointwise_kernel[0, 0]
    return out if bias is None else out + bias


def separable_conv2d_backward(x, depthwise_kernel, pointwise_kernel, dout, strides=(1, 1),
                              padding="valid"):
    """`(dx, ddepthwise_kernel, dpointwise_kernel, dbias)`: the 1x1 convolution's dense chain
    rule on every pixel, then the depthwise convolution's."""
    mid = depthwise_conv2d_forward(x, depthwise_kernel, None, strides, padding)
    dpoint = np.einsum("nijc,nijf->cf", mid, dout)[None, None]
    dmid = dout @ pointwise_kernel[0, 0].T
    dx, ddepth, _ = depthwise_conv2d_backward(x, depthwise_kernel, dmid, strides, padding)
    return dx, ddepth, dpoint, dout.sum(axis=(0, 1, 2))


def global_avg_pool2d_forward(x):
    """Keras's GlobalAveragePooling2D: each channel's mean over height and width."""
    return x.mean(axis=(1, 2))


def global_avg_pool2d_backward(x, dout):
    """Every pixel's share of its channel's mean: `dout / (h w)`."""
    share = dout / x.dtype.type(x.shape[1] * x.shape[2])
    return np.broadcast_to(share[:, None, None, :], x.shape).copy()


def zero_padding2d_forward(x, padding):
    """Keras's ZeroPadding2D: `padding` ((top, bottom), (left, right)) rows and columns of 0."""
    return np.pad(x, ((0, 0), *padding, (0, 0)))


def zero_padding2d_backward(x, dout, padding):
    """The padding's zeros take no input: the gradient is `dout` cut back to `x`'s place."""
    (top, _), (left, _) = padding
    return dout[:, top:top + x.shape[1], left:left + x.shape[2]]


def layer_norm_forward(x, gamma=None, beta=None, epsilon=1e-3):
    """Keras's LayerNormalization (last axis): per sample `(x - mean) / sqrt(var + epsilon)`
    over its features (the biased variance), times `gamma`, plus `beta` (each if given)."""
    mean, var = x.mean(axis=-1, keepdims=True), x.var(axis=-1, keepdims=True)
    out = (x - mean) / np.sqrt(var + x.dtype.type(epsilon))
    out = out if gamma is None else out * gamma
    return out if beta is None else out + beta


def layer_norm_backward(x, gamma, dout, epsilon=1e-3):
    """`(dx, dgamma, dbeta)`: batch normalization's training rule turned to the last axis,
    `dx = (g - mean(g) - xhat mean(g xhat)) / sigma` with `g = dout gamma` and the means over
    each sample's features; `dgamma = sum(dout xhat)`, `dbeta = sum(dout)` over the rest."""
    mean, var = x.mean(axis=-1, keepdims=True), x.var(axis=-1, keepdims=True)
    sigma = np.sqrt(var + x.dtype.type(epsilon))
    xhat = (x - mean) / sigma
    g = dout if gamma is None else dout * gamma
    dx = (g - g.mean(axis=-1, keepdims=True)
          - xhat * (g * xhat).mean(axis=-1, keepdims=True)) / sigma
    axes = tuple(range(x.ndim - 1))
    return dx, (dout * xhat).sum(axis=axes), dout.sum(axis=axes)


def embedding_forward(ids, embeddings):
    """Keras's Embedding: row `id` of the table for each token id (ids as integers)."""
    return embeddings[np.asarray(ids).astype(np.int64)]


def embedding_backward(ids, embeddings, dout):
    """The table's gradient: each row gathers the upstream gradients of the tokens that read it
    (a token used twice adds twice). Token ids have no gradient."""
    dtable = np.zeros_like(embeddings)
    np.add.at(dtable, np.asarray(ids).astype(np.int64), dout)
    return dtable


def _gru_steps(x, kernel, recurrent_kernel, bias, reset_after):
    """Every step's `h` (the zero initial one first) and what the backward pass needs."""
    units = recurrent_kernel.shape[0]
    u_zr, u_h = recurrent_kernel[:, :2 * units], recurrent_kernel[:, 2 * units:]
    b_x, b_h = (bias[0], bias[1]) if reset_after else (bias, np.zeros_like(bias))
    h = np.zeros((len(x), units), x.dtype)
    hs, saved = [h], []
    for t in range(x.shape[1]):
        ax = x[:, t] @ kernel + b_x
        if reset_after:
            ah = h @ recurrent_kernel + b_h
        else:
            ah = np.concatenate([h @ u_zr, np.zeros_like(h)], axis=1)
        z = sigmoid(ax[:, :units] + ah[:, :units])
        r = sigmoid(ax[:, units:2 * units] + ah[:, units:2 * units])
        inner = ah[:, 2 * units:] if reset_after else (r * h) @ u_h
        c = tanh(ax[:, 2 * units:] + r * inner if reset_after else ax[:, 2 * units:] + inner)
        saved.append((z, r, c, inner))
        h = z * h + (1 - z) * c
        hs.append(h)
    return hs, saved


def gru_forward(x, kernel, recurrent_kernel, bias, return_sequences=False, reset_after=True):
    """Keras's GRU, gates z, r then the candidate: `z, r = sigmoid(x W + b + h U)` (per gate),
    `h = z h + (1 - z) c` from zeros. `reset_after` (cuDNN's form, `bias` (2, 3u): input and
    recurrent biases): `c = tanh(x W_h + b_xh + r (h U_h + b_hh))`; without it (TF1's
    `GRUCell`, `bias` (3u,)): `c = tanh(x W_h + b_h + (r h) U_h)`."""
    hs = _gru_steps(x, kernel, recurrent_kernel, bias, reset_after)[0]
    return np.stack(hs[1:], axis=1) if return_sequences else hs[-1]


def gru_backward(x, kernel, recurrent_kernel, bias, dout, return_sequences=False,
                 reset_after=True):
    """Backpropagation through time: `(dx, dkernel, drecurrent_kernel, dbias)`.

    From the last step back, `dh` = upstream + what the next step sent: `dz = dh (h_prev - c)`,
    `dc = dh (1 - z)` through tanh to `da_c`; the reset gate gets `da_c inner` (reset_after:
    `inner = h U_h + b_hh`, which gets `da_c r`) or, without, `(da_c U_h.T) h_prev` (and
    `r h_prev` gets `da_c U_h.T`); z and r through their sigmoids. The input side gathers
    `x_t.T da`, the recurrent side `h_prev.T da`, and `dh_prev = dh z + da U.T`.
    """
    units = recurrent_kernel.shape[0]
    hs, saved = _gru_steps(x, kernel, recurrent_kernel, bias, reset_after)
    upstream = _upstream(dout, x, return_sequences)
    dx = np.zeros_like(x)
    dkernel, drecurrent = np.zeros_like(kernel), np.zeros_like(recurrent_kernel)
    db_x, db_h = np.zeros(3 * units, x.dtype), np.zeros(3 * units, x.dtype)
    dh_next = np.zeros_like(hs[0])
    for t in reversed(range(x.shape[1])):
        (z, r, c, inner), h = saved[t], hs[t]
        dh = upstream[:, t] + dh_next
        dac = dh * (1 - z) * (1 - c**2)
        dz = dh * (h - c) * z * (1 - z)
        if reset_after:
            dr = dac * inner * r * (1 - r)
            dah = np.concatenate([dz, dr, dac * r], axis=1)
            drecurrent += h.T @ dah
            db_h += dah.sum(axis=0)
            dh_prev = dah @ recurrent_kernel.T
        else:
            drh = dac @ recurrent_kernel[:, 2 * units:].T
            dr = drh * h * r * (1 - r)
            dzr = np.concatenate([dz, dr], axis=1)
            drecurrent[:, :2 * units] += h.T @ dzr
            drecurrent[:, 2 * units:] += (r * h).T @ dac
            dh_prev = dzr @ recurrent_kernel[:, :2 * units].T + drh * r
        dax = np.concatenate([dz, dr, dac], axis=1)
        dx[:, t] = dax @ kernel.T
        dkernel += x[:, t].T @ dax
        db_x += dax.sum(axis=0)
        dh_next = dh_prev + dh * z
    dbias = np.stack([db_x, db_h]) if reset_after else db_x
    return dx, dkernel, drecurrent, dbias.astype(x.dtype)


# --- a graph of layers: merges, and backpropagation where a layer's output has several users ---


def merge_forward(kind, inputs):
    """Keras's merge layers: `Add` sums its inputs, `Multiply` multiplies them (element by
    element, left to right), `Concatenate` puts them side by side on the last axis."""
    if kind == "Concatenate":
        return np.concatenate(inputs, axis=-1)
    out = inputs[0]
    for other in inputs[1:]:
        out = out + other if kind == "Add" else out * other
    return out


def merge_backward(kind, inputs, dout):
    """Each input's gradient: `Add` passes `dout` to every input unchanged; `Multiply` gives
    each input `dout` times the product of the others; `Concatenate` cuts `dout` back into the
    inputs' widths."""
    if kind == "Add":
        return [dout for _ in inputs]
    if kind == "Multiply":
        return [dout * merge_forward("Multiply", inputs[:k] + inputs[k + 1:])
                if len(inputs) > 1 else dout for k in range(len(inputs))]
    cuts = np.cumsum([x.shape[-1] for x in inputs])[:-1]
    return np.split(dout, cuts, axis=-1)


def graph_forward(forwards, sources, order, x):
    """Every layer's output in a graph of layers: layer `i` is `forwards[i](inputs)`, its
    inputs the outputs of `sources[i]` (-1: the model's input `x`), built in `order` (each
    after its inputs). Returns `{i: output}`, with `x` at -1. A model of several inputs takes
    `x` as a list of them: input k is source -(k + 1)."""
    xs = list(x) if isinstance(x, (list, tuple)) else [x]
    values = {-k - 1: value for k, value in enumerate(xs)}
    for i in order:
        values[i] = forwards[i]([values[j] for j in sources[i]])
    return values


def graph_backward(backwards, sources, order, values, output, dout):
    """Backpropagation through a graph (C13 on a DAG): from the output back, in reverse
    `order`, `backwards[i](inputs, d)` returns each input's gradient and the layer's weights'
    gradients. A layer's gradient is the *sum* of what each of its users sends back: the input
    of a residual `x + f(x)` gets `dout` along the shortcut plus `f`'s chain rule.

    Returns `(dx, {i: weight gradients of layer i})`.
    """
    grads, weight_grads = {output: dout}, {}
    for i in reversed(order):
        if i not in grads:  # nothing downstream of it reaches the output
            continue
        dinputs, weight_grads[i] = backwards[i]([values[j] for j in sources[i]], grads[i])
        for j, d in zip(sources[i], dinputs):
            grads[j] = grads[j] + d if j in grads else d
    return grads.get(-1), weight_grads
