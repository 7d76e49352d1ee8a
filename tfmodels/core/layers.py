"""The layer kinds a `ModelSpec` is made of, named and parametrised as in Keras.

Each kind says what it makes of a sample's shape (a one-line error where it does not fit what
the layer before gives) and which weights it has, in Keras's `get_weights()` order and with
Keras's initializers (`tfmodels.core.spec.initial_weights` draws them). Both tracks build each
kind (`tfmodels.keras_track.model`, `tf1_compat.model`); `layer_from_dict` reads one from a
`--spec` file.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass

import numpy as np

from tfmodels.core.checks import WEIGHT_LIMIT, check_bool, check_float32, check_seed
from tfmodels.core.errors import UserError

__all__ = [
    "ACTIVATIONS", "one_of", "Weight", "Layer", "Dense", "Conv2D", "MaxPooling2D",
    "AveragePooling2D", "Flatten", "Reshape", "Dropout", "BatchNormalization", "SimpleRNN", "LSTM",
    "LAYER_KINDS", "layer_from_dict", "PLAIN_ACTIVATIONS", "DepthwiseConv2D", "SeparableConv2D",
    "GlobalAveragePooling2D", "Activation", "ZeroPadding2D", "LayerNormalization", "Embedding",
    "GRU", "Add", "Concatenate", "Multiply",
]

ACTIVATIONS = ("linear", "step", "sigmoid", "tanh", "relu", "leaky_relu", "randomized_relu",
               "swish", "softmax")


def one_of(kind: str, value: str, valid) -> str:
    if value not in valid:
        raise UserError(f"unknown {kind} {value!r}; expected one of: {', '.join(sorted(valid))}")
    return value


def _positive_int(layer: str, name: str, value) -> int:
    """A layer's count: a plain positive int (a spec's values are written to JSON as they are;
    `tfmodels.core.checks.positive_int` also takes NumPy's, for `fit`'s arguments)."""
    if isinstance(value, bool) or not isinstance(value, int) or value < 1:
        raise UserError(f"{layer} {name} must be a positive integer, got {value!r}")
    if value > WEIGHT_LIMIT:  # no weight could have that many
        raise UserError(f"{layer} {name} must be at most 2**31 = {WEIGHT_LIMIT}, got {value!r}")
    return value


def _pair(layer: str, name: str, value) -> tuple[int, int]:
    """An int or a pair of ints, as Keras takes `kernel_size`, `strides`, `pool_size`."""
    pair = (value, value) if isinstance(value, int) and not isinstance(value, bool) else value
    if (not isinstance(pair, (tuple, list)) or len(pair) != 2
            or not all(isinstance(v, int) and not isinstance(v, bool) and v >= 1 for v in pair)):
        raise UserError(f"{layer} {name} must be a positive integer or a pair of them, "
                        f"got {value!r}")
    return tuple(pair)


def _padding(layer: str, value) -> str:
    if value not in ("valid", "same"):
        raise UserError(f"{layer} padding must be 'valid' or 'same', got {value!r}")
    return value


def _windows(layer, what: str, window: tuple, strides: tuple, padding: str, shape) -> tuple:
    """Height and width of a convolution's or pooling's output (TensorFlow's rule: `same`
    pads to ceil(size / stride), `valid` keeps whole windows); one line where none fits."""
    layer._needs_rank(shape, 3, "(height, width, channels)")
    sizes = tuple(-(-n // s) if padding == "same" else (n - k) // s + 1
                  for n, k, s in zip(shape[:2], window, strides))
    if min(sizes) < 1:
        raise UserError(f"{layer.kind} {what} {window} does not fit inputs {tuple(shape)} with "
                        f"padding 'valid'")
    return sizes


@dataclass(frozen=True)
class Weight:
    """One weight array of a layer, in Keras's `get_weights()` order and shape."""

    name: str  # Keras's name: kernel, bias, gamma, moving_mean, recurrent_kernel, ...
    shape: tuple
    init: str  # glorot_uniform, zeros, ones, orthogonal, unit_forget_bias, constant
    fans: tuple = (0, 0)  # (fan_in, fan_out) for glorot_uniform
    trainable: bool = True
    value: float = 0.0  # for constant
    owner: str = ""  # where Keras keeps it, after the layer's name: "_swish" for swish's beta


class Layer:
    """What every layer kind of a spec can say: its output shape for an input shape (a one-line
    error where it does not fit) and its weights. Shapes leave out the batch axis."""

    kind = ""
    prefix = ""  # Keras's (and TF1's) snake-case name of the kind: dense, conv2d, ...
    merge = False  # takes two or more inputs (`merged_shape`), not one (`output_shape`)

    def name(self, index: int) -> str:
        """The layer's name in both tracks: `<prefix>_<index>` (`dense_0`, `conv2d_1`, ...), a
        TF1 `variable_scope` and a Keras layer name alike."""
        return f"{self.prefix}_{index}"

    def output_shape(self, shape: tuple) -> tuple:
        return shape

    def weights(self, shape: tuple) -> list[Weight]:
        return []

    def to_dict(self) -> dict:
        return {"kind": self.kind, **{f.name: getattr(self, f.name)
                                      for f in dataclasses.fields(self)}}

    def _needs_rank(self, shape: tuple, rank: int, what: str) -> None:
        if len(shape) != rank:
            raise UserError(f"{self.kind} needs inputs shaped {what} per sample, got "
                            f"{tuple(shape)}")


@dataclass(frozen=True)
class Dense(Layer):
    """`activation(x @ kernel + bias)` with `units` outputs, on the last axis.

    `alpha` is leaky ReLU's slope below 0 (Keras 3's `negative_slope`); `beta` swish's
    `x * sigmoid(beta x)`, a weight that trains with `trainable_beta`; `lower`, `upper` the
    range of randomized ReLU's slopes while training (its mean at inference), drawn from `seed`
    (default: the spec's seed plus the layer's index) the same in both tracks. Each is ignored by
    the other activations.
    """

    units: int
    activation: str = "linear"
    alpha: float = 0.2
    beta: float = 1.0
    trainable_beta: bool = False
    lower: float = 1 / 8
    upper: float = 1 / 3
    seed: int | None = None
    kind = "Dense"
    prefix = "dense"

    def __post_init__(self):
        _positive_int("layer", "units", self.units)
        one_of("activation", self.activation, ACTIVATIONS)
        for name in ("alpha", "beta", "lower", "upper"):  # compared below: numbers first
            value = getattr(self, name)
            if isinstance(value, bool) or not isinstance(value, (int, float, np.number)):
                raise UserError(f"Dense {name} must be a number, got {value!r}")
        if not 0.0 <= self.alpha < 1.0:
            raise UserError(f"Dense alpha (leaky ReLU slope) must be in [0, 1), got "
                             f"{self.alpha!r}")
        if not self.beta > 0:
            raise UserError(f"Dense beta (swish) must be > 0, got {self.beta!r}")
        if not 0.0 <= self.lower <= self.upper <= 1.0:
            raise UserError(f"Dense lower, upper (randomized ReLU) must satisfy 0 <= lower <= "
                            f"upper <= 1, got {self.lower!r}, {self.upper!r}")
        if self.seed is not None:
            check_seed("Dense seed", self.seed)
        check_bool("Dense trainable_beta", self.trainable_beta)
        check_float32("Dense beta", self.beta)

    def output_shape(self, shape):
        if not shape:
            raise UserError("Dense needs at least one feature axis, got a scalar per sample")
        return (*shape[:-1], self.units)

    def weights(self, shape):
        fan_in = shape[-1]
        weights = [Weight("kernel", (fan_in, self.units), "glorot_uniform", (fan_in, self.units)),
                   Weight("bias", (self.units,), "zeros")]
        if self.activation == "swish" and self.trainable_beta:
            weights.append(Weight("beta", (), "constant", value=self.beta, owner="_swish"))
        return weights

    def to_dict(self):  # the parameters only where they mean something
        d = {"kind": self.kind, "units": self.units, "activation": self.activation}
        if self.activation == "leaky_relu":
            d["alpha"] = self.alpha
        if self.activation == "swish":
            d.update(beta=self.beta, trainable_beta=self.trainable_beta)
        if self.activation == "randomized_relu":
            d.update(lower=self.lower, upper=self.upper, seed=self.seed)
        return d




@dataclass(frozen=True)
class Conv2D(Layer):
    """A 2-D convolution over `(height, width, channels)` (channels last), as `keras.layers.
    Conv2D`: `filters` kernels of `kernel_size`, moved by `strides`, `padding` valid or same."""

    filters: int
    kernel_size: tuple = (3, 3)
    strides: tuple = (1, 1)
    padding: str = "valid"
    activation: str = "linear"
    kind = "Conv2D"
    prefix = "conv2d"

    def __post_init__(self):
        _positive_int("Conv2D", "filters", self.filters)
        object.__setattr__(self, "kernel_size", _pair("Conv2D", "kernel_size", self.kernel_size))
        object.__setattr__(self, "strides", _pair("Conv2D", "strides", self.strides))
        _padding("Conv2D", self.padding)
        one_of("activation", self.activation, ACTIVATIONS)

    def output_shape(self, shape):
        h, w = _windows(self, "kernel_size", self.kernel_size, self.strides, self.padding, shape)
        return (h, w, self.filters)

    def weights(self, shape):
        kh, kw = self.kernel_size
        kernel = (kh, kw, shape[-1], self.filters)
        return [Weight("kernel", kernel, "glorot_uniform",
                       (kh * kw * shape[-1], kh * kw * self.filters)),
                Weight("bias", (self.filters,), "zeros")]


@dataclass(frozen=True)
class _Pooling2D(Layer):
    pool_size: tuple = (2, 2)
    strides: tuple | None = None  # None: the pool size, as in Keras
    padding: str = "valid"

    def __post_init__(self):
        object.__setattr__(self, "pool_size", _pair(self.kind, "pool_size", self.pool_size))
        strides = self.pool_size if self.strides is None else self.strides
        object.__setattr__(self, "strides", _pair(self.kind, "strides", strides))
        _padding(self.kind, self.padding)

    def output_shape(self, shape):
        h, w = _windows(self, "pool_size", self.pool_size, self.strides, self.padding, shape)
        return (h, w, shape[2])


@dataclass(frozen=True)
class MaxPooling2D(_Pooling2D):
    """The largest value of each window, per channel."""

    kind = "MaxPooling2D"
    prefix = "max_pooling2d"


@dataclass(frozen=True)
class AveragePooling2D(_Pooling2D):
    """The mean of each window, per channel."""

    kind = "AveragePooling2D"
    prefix = "average_pooling2d"


@dataclass(frozen=True)
class Flatten(Layer):
    """All of a sample's axes as one."""

    kind = "Flatten"
    prefix = "flatten"

    def output_shape(self, shape):
        return (int(np.prod(shape, dtype=np.int64)),)


@dataclass(frozen=True)
class Reshape(Layer):
    """A sample's numbers in another shape of the same size."""

    target_shape: tuple = ()
    kind = "Reshape"
    prefix = "reshape"

    def __post_init__(self):
        target = tuple(self.target_shape) if isinstance(self.target_shape, (list, tuple)) \
            else None
        if not target or not all(isinstance(v, int) and not isinstance(v, bool) and v >= 1
                                 for v in target):
            raise UserError(f"Reshape target_shape must be a list of positive integers, got "
                            f"{self.target_shape!r}")
        object.__setattr__(self, "target_shape", target)

    def output_shape(self, shape):
        if np.prod(shape) != np.prod(self.target_shape):
            raise UserError(f"Reshape target_shape {self.target_shape} holds "
                            f"{int(np.prod(self.target_shape))} numbers, its inputs "
                            f"{tuple(shape)} hold {int(np.prod(shape))}")
        return self.target_shape


@dataclass(frozen=True)
class Dropout(Layer):
    """While training, each input is zeroed with probability `rate` and the rest scaled by
    1 / (1 - rate); at inference it passes unchanged. Masks are drawn from `seed` (default: the
    spec's seed plus the layer's index), the same in both tracks."""

    rate: float = 0.5
    seed: int | None = None
    kind = "Dropout"
    prefix = "dropout"

    def __post_init__(self):
        if isinstance(self.rate, bool) or not isinstance(self.rate, (int, float)) \
                or not 0.0 <= self.rate < 1.0:
            raise UserError(f"Dropout rate must be in [0, 1), got {self.rate!r}")
        if self.seed is not None:
            check_seed("Dropout seed", self.seed)


@dataclass(frozen=True)
class BatchNormalization(Layer):
    """Normalises each feature (the last axis) by the batch's mean and variance while training,
    by the moving ones at inference; `gamma` scales and `beta` shifts. Keras's defaults."""

    momentum: float = 0.99
    epsilon: float = 1e-3
    kind = "BatchNormalization"
    prefix = "batch_normalization"

    def __post_init__(self):
        if not 0.0 <= self.momentum < 1.0:
            raise UserError(f"BatchNormalization momentum must be in [0, 1), got "
                             f"{self.momentum!r}")
        if not self.epsilon > 0:
            raise UserError(f"BatchNormalization epsilon must be > 0, got {self.epsilon!r}")
        check_float32("BatchNormalization epsilon", self.epsilon)

    def weights(self, shape):
        if not shape:
            raise UserError("BatchNormalization needs at least one feature axis")
        n = (shape[-1],)
        return [Weight("gamma", n, "ones"), Weight("beta", n, "zeros"),
                Weight("moving_mean", n, "zeros", trainable=False),
                Weight("moving_variance", n, "ones", trainable=False)]


@dataclass(frozen=True)
class SimpleRNN(Layer):
    """`h_t = tanh(x_t @ kernel + h_{t-1} @ recurrent_kernel + bias)` over `(steps, features)`;
    the last `h` (or every step's, with `return_sequences`)."""

    units: int
    return_sequences: bool = False
    kind = "SimpleRNN"
    prefix = "simple_rnn"

    def __post_init__(self):
        _positive_int(self.kind, "units", self.units)
        if not isinstance(self.return_sequences, bool):
            raise UserError(f"{self.kind} return_sequences must be true or false, got "
                            f"{self.return_sequences!r}")

    def output_shape(self, shape):
        self._needs_rank(shape, 2, "(steps, features)")
        return (shape[0], self.units) if self.return_sequences else (self.units,)

    def weights(self, shape):
        u = self.units
        return [Weight("kernel", (shape[-1], u), "glorot_uniform", (shape[-1], u)),
                Weight("recurrent_kernel", (u, u), "orthogonal"),
                Weight("bias", (u,), "zeros")]


@dataclass(frozen=True)
class LSTM(SimpleRNN):
    """Keras's LSTM: gates i, f, c, o from one kernel and one recurrent kernel of 4 x units;
    the forget gate's bias starts at 1 (`unit_forget_bias`)."""

    kind = "LSTM"
    prefix = "lstm"

    def weights(self, shape):
        u = self.units
        return [Weight("kernel", (shape[-1], 4 * u), "glorot_uniform", (shape[-1], 4 * u)),
                Weight("recurrent_kernel", (u, 4 * u), "orthogonal"),
                Weight("bias", (4 * u,), "unit_forget_bias")]


# Activations the newer kinds take: those without a draw of their own (randomized ReLU's) and
# with a gradient (not step); leaky ReLU with Keras's slope 0.2, swish with beta 1 (Keras's silu).
PLAIN_ACTIVATIONS = ("linear", "sigmoid", "tanh", "relu", "leaky_relu", "swish", "softmax")


class _FixedActivation:
    """The fixed parameters of `PLAIN_ACTIVATIONS` (Keras's defaults), read by the tracks'
    activation builders as they read a Dense layer's fields."""

    alpha = 0.2  # leaky ReLU's slope (keras.activations.leaky_relu's negative_slope)
    beta = 1.0  # swish's beta (silu)
    trainable_beta = False


def _plain_activation(kind: str, value) -> str:
    if value not in PLAIN_ACTIVATIONS:
        raise UserError(f"{kind} activation must be one of {', '.join(PLAIN_ACTIVATIONS)}, got "
                        f"{value!r}")
    return value


def _check_flag(kind: str, name: str, value) -> None:
    if not isinstance(value, bool):
        raise UserError(f"{kind} {name} must be true or false, got {value!r}")


def _equal_strides(kind: str, strides: tuple) -> None:
    if strides[0] != strides[1]:
        raise UserError(f"{kind} strides must be equal along height and width (TF1's "
                        f"tf.nn.depthwise_conv2d takes no other), got {strides!r}")


@dataclass(frozen=True)
class DepthwiseConv2D(_FixedActivation, Layer):
    """Each input channel convolved with its own `depth_multiplier` kernels of `kernel_size`
    (no sum over channels), as `keras.layers.DepthwiseConv2D` and TF1's
    `tf.nn.depthwise_conv2d`: `kernel` (kh, kw, channels, depth_multiplier), `bias`
    (channels * depth_multiplier,) with `use_bias`."""

    kernel_size: tuple = (3, 3)
    strides: tuple = (1, 1)
    padding: str = "valid"
    depth_multiplier: int = 1
    activation: str = "linear"
    use_bias: bool = True
    kind = "DepthwiseConv2D"
    prefix = "depthwise_conv2d"

    def __post_init__(self):
        object.__setattr__(self, "kernel_size", _pair(self.kind, "kernel_size",
                                                      self.kernel_size))
        object.__setattr__(self, "strides", _pair(self.kind, "strides", self.strides))
        _equal_strides(self.kind, self.strides)
        _padding(self.kind, self.padding)
        _positive_int(self.kind, "depth_multiplier", self.depth_multiplier)
        _plain_activation(self.kind, self.activation)
        _check_flag(self.kind, "use_bias", self.use_bias)

    def output_shape(self, shape):
        h, w = _windows(self, "kernel_size", self.kernel_size, self.strides, self.padding, shape)
        return (h, w, shape[2] * self.depth_multiplier)

    def weights(self, shape):
        (kh, kw), c, m = self.kernel_size, shape[-1], self.depth_multiplier
        weights = [Weight("kernel", (kh, kw, c, m), "glorot_uniform", (kh * kw * c, kh * kw * m))]
        return weights + ([Weight("bias", (c * m,), "zeros")] if self.use_bias else [])


@dataclass(frozen=True)
class SeparableConv2D(_FixedActivation, Layer):
    """A depthwise convolution (`depthwise_kernel` (kh, kw, channels, depth_multiplier)) then a
    1x1 convolution to `filters` (`pointwise_kernel` (1, 1, channels * depth_multiplier,
    filters)), then `bias`: `keras.layers.SeparableConv2D`, TF1's `tf.nn.separable_conv2d`."""

    filters: int
    kernel_size: tuple = (3, 3)
    strides: tuple = (1, 1)
    padding: str = "valid"
    depth_multiplier: int = 1
    activation: str = "linear"
    use_bias: bool = True
    kind = "SeparableConv2D"
    prefix = "separable_conv2d"

    def __post_init__(self):
        _positive_int(self.kind, "filters", self.filters)
        DepthwiseConv2D.__post_init__(self)

    def output_shape(self, shape):
        h, w = _windows(self, "kernel_size", self.kernel_size, self.strides, self.padding, shape)
        return (h, w, self.filters)

    def weights(self, shape):
        (kh, kw), c, m, f = self.kernel_size, shape[-1], self.depth_multiplier, self.filters
        weights = [Weight("depthwise_kernel", (kh, kw, c, m), "glorot_uniform",
                          (kh * kw * c, kh * kw * m)),
                   Weight("pointwise_kernel", (1, 1, c * m, f), "glorot_uniform", (c * m, f))]
        return weights + ([Weight("bias", (f,), "zeros")] if self.use_bias else [])


@dataclass(frozen=True)
class GlobalAveragePooling2D(Layer):
    """The mean of each channel over height and width: `(h, w, c)` -> `(c,)`."""

    kind = "GlobalAveragePooling2D"
    prefix = "global_average_pooling2d"

    def output_shape(self, shape):
        self._needs_rank(shape, 3, "(height, width, channels)")
        return (shape[2],)


@dataclass(frozen=True)
class Activation(_FixedActivation, Layer):
    """An activation on its own, as `keras.layers.Activation` (after a batch norm, say)."""

    activation: str = "linear"
    kind = "Activation"
    prefix = "activation"

    def __post_init__(self):
        _plain_activation(self.kind, self.activation)


@dataclass(frozen=True)
class ZeroPadding2D(Layer):
    """Zero rows above and below, zero columns left and right: `padding` an int, a pair
    (rows, columns) or ((top, bottom), (left, right)), as `keras.layers.ZeroPadding2D`."""

    padding: tuple = ((1, 1), (1, 1))
    kind = "ZeroPadding2D"
    prefix = "zero_padding2d"

    def __post_init__(self):
        p = self.padding
        if isinstance(p, int) and not isinstance(p, bool):
            p = (p, p)
        if isinstance(p, (list, tuple)) and len(p) == 2 and all(
                isinstance(v, int) and not isinstance(v, bool) for v in p):
            p = ((p[0], p[0]), (p[1], p[1]))
        ok = isinstance(p, (list, tuple)) and len(p) == 2 and all(
            isinstance(q, (list, tuple)) and len(q) == 2 and all(
                isinstance(v, int) and not isinstance(v, bool) and 0 <= v <= WEIGHT_LIMIT
                for v in q)
            for q in p)
        if not ok:
            raise UserError(f"ZeroPadding2D padding must be an int in [0, 2**31], a pair of "
                            f"them or ((top, bottom), (left, right)), got {self.padding!r}")
        object.__setattr__(self, "padding", tuple(tuple(q) for q in p))

    def output_shape(self, shape):
        self._needs_rank(shape, 3, "(height, width, channels)")
        (t, b), (left, r) = self.padding
        return (shape[0] + t + b, shape[1] + left + r, shape[2])


@dataclass(frozen=True)
class LayerNormalization(Layer):
    """Each sample normalised over its last axis, `gamma (x - mean) / sqrt(var + epsilon) +
    beta` (`gamma` with `scale`, `beta` with `center`), as `keras.layers.LayerNormalization`
    (axis -1) and TF1's `tf.contrib.layers.layer_norm(begin_norm_axis=-1)`."""

    epsilon: float = 1e-3
    center: bool = True
    scale: bool = True
    kind = "LayerNormalization"
    prefix = "layer_normalization"

    def __post_init__(self):
        if isinstance(self.epsilon, bool) or not isinstance(self.epsilon, (int, float)) \
                or not self.epsilon > 0:
            raise UserError(f"LayerNormalization epsilon must be > 0, got {self.epsilon!r}")
        check_float32("LayerNormalization epsilon", self.epsilon)
        _check_flag(self.kind, "center", self.center)
        _check_flag(self.kind, "scale", self.scale)

    def weights(self, shape):
        if not shape:
            raise UserError("LayerNormalization needs at least one feature axis")
        n = (shape[-1],)
        return ([Weight("gamma", n, "ones")] if self.scale else []) + \
            ([Weight("beta", n, "zeros")] if self.center else [])


@dataclass(frozen=True)
class Embedding(Layer):
    """Token ids 0..input_dim-1 -> rows of `embeddings` (input_dim, output_dim), drawn
    uniform on +-0.05 as Keras does; TF1's `tf.nn.embedding_lookup`. The ids arrive as the
    model's float32 inputs (exact up to 2**24) and are cast to int32 in both tracks, so an
    Embedding is a model's first layer."""

    input_dim: int
    output_dim: int
    kind = "Embedding"
    prefix = "embedding"

    def __post_init__(self):
        _positive_int(self.kind, "input_dim", self.input_dim)
        _positive_int(self.kind, "output_dim", self.output_dim)
        if self.input_dim > 2**24:
            raise UserError(f"Embedding input_dim must be at most 2**24 (token ids travel as "
                            f"float32), got {self.input_dim!r}")

    def output_shape(self, shape):
        return (*shape, self.output_dim)

    def weights(self, shape):
        return [Weight("embeddings", (self.input_dim, self.output_dim), "random_uniform")]


@dataclass(frozen=True)
class GRU(SimpleRNN):
    """Keras's GRU: gates z, r and the candidate h from one kernel (features, 3 units) and one
    recurrent kernel (units, 3 units). `reset_after` (Keras 3's default, cuDNN's form) applies
    the reset gate after the recurrent product and keeps two biases, (2, 3 units); without it,
    TF1's `GRUCell` form, one bias (3 units,)."""

    reset_after: bool = True
    kind = "GRU"
    prefix = "gru"

    def __post_init__(self):
        super().__post_init__()
        _check_flag(self.kind, "reset_after", self.reset_after)

    def weights(self, shape):
        u = self.units
        return [Weight("kernel", (shape[-1], 3 * u), "glorot_uniform", (shape[-1], 3 * u)),
                Weight("recurrent_kernel", (u, 3 * u), "orthogonal"),
                Weight("bias", (2, 3 * u) if self.reset_after else (3 * u,), "zeros")]


@dataclass(frozen=True)
class _Merge(Layer):
    """A layer of a graph spec that takes the outputs of two or more layers (`tfmodels.core.
    graph`) and has no weights. Keras: `keras.layers.Add()([a, b])`; TF1: the op itself."""

    merge = True

    def output_shape(self, shape):
        raise UserError(f"{self.kind} merges two or more inputs, got one")

    def merged_shape(self, shapes: list) -> tuple:
        """The output shape for the inputs' shapes (one line where they do not fit)."""
        first = tuple(shapes[0])
        for shape in shapes[1:]:
            if tuple(shape) != first:
                raise UserError(f"{self.kind} needs inputs of one shape, got "
                                f"{' and '.join(str(tuple(s)) for s in shapes)}")
        return first


@dataclass(frozen=True)
class Add(_Merge):
    """The sum of its inputs, element by element (a residual connection's `x + f(x)`):
    Keras's `Add`, TF1's `tf.add`, left to right."""

    kind = "Add"
    prefix = "add"


@dataclass(frozen=True)
class Multiply(_Merge):
    """The product of its inputs, element by element (a gate): Keras's `Multiply`, TF1's
    `tf.multiply`, left to right."""

    kind = "Multiply"
    prefix = "multiply"


@dataclass(frozen=True)
class Concatenate(_Merge):
    """Its inputs side by side on the last axis (Keras's default `axis=-1`, TF1's
    `tf.concat(..., axis=-1)`): every other axis must agree."""

    kind = "Concatenate"
    prefix = "concatenate"

    def merged_shape(self, shapes):
        first = tuple(shapes[0])
        for shape in shapes[1:]:
            if len(shape) != len(first) or tuple(shape[:-1]) != first[:-1] or not first:
                raise UserError(f"Concatenate (last axis) needs inputs alike but for their "
                                f"last axis, got {' and '.join(str(tuple(s)) for s in shapes)}")
        return (*first[:-1], sum(shape[-1] for shape in shapes))


LAYER_KINDS = {cls.kind: cls for cls in (Dense, Conv2D, MaxPooling2D, AveragePooling2D, Flatten,
                                         Reshape, Dropout, BatchNormalization, SimpleRNN, LSTM,
                                         DepthwiseConv2D, SeparableConv2D,
                                         GlobalAveragePooling2D, Activation, ZeroPadding2D,
                                         LayerNormalization, Embedding, GRU,
                                         Add, Concatenate, Multiply)}


def layer_from_dict(d: dict, where: str = "layer"):
    """A layer from its dict (`{"kind": "Dense", "units": 10, ...}`); one line naming the field
    where it is wrong."""
    if not isinstance(d, dict):
        raise UserError(f"{where} must be an object with a 'kind', got {d!r}")
    kind = d.get("kind")
    if kind not in LAYER_KINDS:
        raise UserError(f"{where}: unknown layer kind {kind!r}; expected one of: "
                        f"{', '.join(LAYER_KINDS)}")
    cls = LAYER_KINDS[kind]
    fields = {f.name: f for f in dataclasses.fields(cls)}
    unknown = sorted(set(d) - set(fields) - {"kind"})
    if unknown:
        raise UserError(f"{where} ({kind}): unknown field(s) {unknown}; expected some of: "
                        f"{', '.join(fields)}")
    missing = [name for name, f in fields.items() if name not in d
               and f.default is dataclasses.MISSING and f.default_factory is dataclasses.MISSING]
    if missing:
        raise UserError(f"{where} ({kind}): missing {', '.join(repr(m) for m in missing)}")
    try:
        return cls(**{k: v for k, v in d.items() if k != "kind"})
    except (TypeError, ValueError) as e:
        raise UserError(f"{where}: {e}") from None
