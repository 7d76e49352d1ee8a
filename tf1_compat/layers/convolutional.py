"""TF1's convolutions (`tf.compat.v1.layers.conv1d`, `conv2d`, `conv3d`, `conv2d_transpose`,
`conv3d_transpose`, `separable_conv1d`, `separable_conv2d`), classes and functions.

Variables as TF1 named them: `<scope>/kernel` (kernel size + (input channels, filters); for the
transposed ones kernel size + (filters, input channels)), `<scope>/bias` (filters,), and for the
separable ones `<scope>/depthwise_kernel` (kernel size + (input channels, depth multiplier)) and
`<scope>/pointwise_kernel` ((1,) * rank + (input channels * depth multiplier, filters)).
Initializers `None` leave the choice to `get_variable`: the scope's initializer, else Glorot
uniform. `kernel_size`, `strides` and `dilation_rate` are ints or tuples of `rank` ints.

`channels_first` inputs are moved to channels-last, convolved and moved back (CPUs have no NCHW
kernels): the same numbers.
"""

from __future__ import annotations

import tensorflow as tf

from tf1_compat.layers.base import (
    ZEROS,
    Layer,
    UserError,
    activation_of,
    check_rank,
    data_format_of,
    int_tuple,
    padding_of,
    positive_int,
)

v1 = tf.compat.v1

__all__ = ["Conv1D", "Conv2D", "Conv2DTranspose", "Conv3D", "Conv3DTranspose", "Convolution1D",
           "Convolution2D", "Convolution2DTranspose", "Convolution3D",
           "Convolution3DTranspose", "SeparableConv1D", "SeparableConv2D", "conv1d", "conv2d",
           "conv2d_transpose", "conv3d", "conv3d_transpose", "separable_conv1d",
           "separable_conv2d", "to_channels_first", "to_channels_last"]

_LAST = {1: "NWC", 2: "NHWC", 3: "NDHWC"}


def to_channels_last(x, rank):
    return tf.transpose(x, (0, *range(2, rank + 2), 1))


def to_channels_first(x, rank):
    return tf.transpose(x, (0, rank + 1, *range(1, rank + 1)))


class _Conv(Layer):
    """What TF1's convolutions share: arguments, checks, bias, activation, layout."""

    rank = 2
    kind = "conv2d"

    def __init__(self, filters, kernel_size, strides=1, padding="valid",
                 data_format="channels_last", dilation_rate=1, activation=None, use_bias=True,
                 bias_initializer=ZEROS, bias_regularizer=None, bias_constraint=None,
                 activity_regularizer=None, trainable=True, name=None, **kwargs):
        rank = self.rank
        self.filters = positive_int(filters, "filters")
        self.kernel_size = int_tuple(kernel_size, rank, "kernel_size")
        self.strides = int_tuple(strides, rank, "strides")
        self.dilation_rate = int_tuple(dilation_rate, rank, "dilation_rate")
        self.padding, self.data_format = padding_of(padding), data_format_of(data_format)
        self.activation, self.use_bias = activation_of(activation), use_bias
        self.bias_initializer, self.bias_regularizer = bias_initializer, bias_regularizer
        self.bias_constraint, self.bias = bias_constraint, None
        super().__init__(trainable=trainable, name=name,
                         activity_regularizer=activity_regularizer, **kwargs)

    @property
    def channels_first(self):
        return self.data_format == "channels_first"

    def _check_inputs(self, inputs):
        check_rank(inputs, self.rank + 2, self.kind)

    def _depth(self, input_shape):
        depth = tf.TensorShape(input_shape)[1 if self.channels_first else -1]
        if depth is None:
            raise UserError(f"{self.kind} needs inputs whose channel dimension is known, got "
                            f"shape {tf.TensorShape(input_shape)}")
        return depth

    def _add_bias(self):
        if self.use_bias:
            self.bias = self.add_weight("bias", (self.filters,), self.dtype,
                                        self.bias_initializer, self.bias_regularizer,
                                        constraint=self.bias_constraint)

    def call(self, inputs):
        x = to_channels_last(inputs, self.rank) if self.channels_first else inputs
        outputs = self._convolve(x)
        if self.channels_first:
            outputs = to_channels_first(outputs, self.rank)
        if self.use_bias:
            outputs = self._biased(outputs)
        if self.activation is not None:
            outputs = self.activation(outputs)
        return outputs

    def _biased(self, outputs):
        """TF1's bias: `bias_add` in the layout of the outputs (channels-first: NCHW's, whose
        gradient sums in TF1's order), a reshaped `+` for 1-D channels-first."""
        if not self.channels_first:
            return tf.nn.bias_add(outputs, self.bias)
        if self.rank == 1:
            return outputs + tf.reshape(self.bias, (1, self.filters, 1))
        return tf.nn.bias_add(outputs, self.bias, data_format="NCHW")


class _KernelConv(_Conv):
    """A convolution with one `kernel` (`kernel_initializer`, `_regularizer`, `_constraint`)."""

    def __init__(self, filters, kernel_size, strides=1, padding="valid",
                 data_format="channels_last", dilation_rate=1, activation=None, use_bias=True,
                 kernel_initializer=None, bias_initializer=ZEROS, kernel_regularizer=None,
                 bias_regularizer=None, activity_regularizer=None, kernel_constraint=None,
                 bias_constraint=None, trainable=True, name=None, **kwargs):
        super().__init__(filters, kernel_size, strides, padding, data_format, dilation_rate,
                         activation, use_bias, bias_initializer, bias_regularizer,
                         bias_constraint, activity_regularizer, trainable, name, **kwargs)
        self.kernel_initializer, self.kernel_regularizer = kernel_initializer, kernel_regularizer
        self.kernel_constraint, self.kernel = kernel_constraint, None

    def _kernel_shape(self, depth):
        return self.kernel_size + (depth, self.filters)

    def build(self, input_shape):
        self.kernel = self.add_weight("kernel", self._kernel_shape(self._depth(input_shape)),
                                      self.dtype, self.kernel_initializer,
                                      self.kernel_regularizer, constraint=self.kernel_constraint)
        self._add_bias()
        self.built = True

    def _convolve(self, x):
        return tf.nn.convolution(x, self.kernel, strides=list(self.strides), padding=self.padding,
                                 dilations=list(self.dilation_rate),
                                 data_format=_LAST[self.rank], name=type(self).__name__)


class Conv1D(_KernelConv):
    """TF1's `tf.layers.Conv1D`: inputs (batch, width, channels) (channels_first: (batch,
    channels, width)); kernel (width, channels, filters)."""

    rank, kind = 1, "conv1d"


class Conv2D(_KernelConv):
    """TF1's `tf.layers.Conv2D`: inputs (batch, rows, cols, channels); kernel (rows, cols,
    channels, filters)."""

    rank, kind = 2, "conv2d"


class Conv3D(_KernelConv):
    """TF1's `tf.layers.Conv3D`: inputs (batch, depth, rows, cols, channels); kernel (depth,
    rows, cols, channels, filters)."""

    rank, kind = 3, "conv3d"


class _ConvTranspose(_KernelConv):
    """TF1's transposed convolutions (no dilation): each spatial size `n` becomes `n * stride`
    ("same") or `n * stride + max(kernel - stride, 0)` ("valid"), as TF1's
    `deconv_output_length`; kernel (kernel size..., filters, input channels)."""

    def __init__(self, filters, kernel_size, strides=1, padding="valid",
                 data_format="channels_last", activation=None, use_bias=True,
                 kernel_initializer=None, bias_initializer=ZEROS, kernel_regularizer=None,
                 bias_regularizer=None, activity_regularizer=None, kernel_constraint=None,
                 bias_constraint=None, trainable=True, name=None, **kwargs):
        super().__init__(filters, kernel_size, strides, padding, data_format, 1, activation,
                         use_bias, kernel_initializer, bias_initializer, kernel_regularizer,
                         bias_regularizer, activity_regularizer, kernel_constraint,
                         bias_constraint, trainable, name, **kwargs)

    def _kernel_shape(self, depth):
        return self.kernel_size + (self.filters, depth)

    def _convolve(self, x):
        dynamic = tf.shape(x)
        sizes = []
        for i, (kernel, stride) in enumerate(zip(self.kernel_size, self.strides)):
            size = tf.compat.dimension_value(x.shape[i + 1])  # an int, not TF1's Dimension
            size = dynamic[i + 1] if size is None else size
            extra = max(kernel - stride, 0) if self.padding == "VALID" else 0
            sizes.append(size * stride + extra)
        output_shape = tf.stack([dynamic[0], *sizes, self.filters])
        strides = (1, *self.strides, 1)
        if self.rank == 2:
            outputs = v1.nn.conv2d_transpose(x, self.kernel, output_shape, strides,
                                             padding=self.padding, data_format="NHWC")
        else:
            outputs = tf.nn.conv3d_transpose(x, self.kernel, output_shape, strides,
                                             padding=self.padding, data_format="NDHWC")
        outputs.set_shape([x.shape[0], *(s if isinstance(s, int) else None for s in sizes),
                           self.filters])
        return outputs


class Conv2DTranspose(_ConvTranspose):
    """TF1's `tf.layers.Conv2DTranspose` ("deconvolution"): kernel (rows, cols, filters,
    input channels)."""

    rank, kind = 2, "conv2d_transpose"


class Conv3DTranspose(_ConvTranspose):
    """TF1's `tf.layers.Conv3DTranspose`: kernel (depth, rows, cols, filters, input
    channels)."""

    rank, kind = 3, "conv3d_transpose"


class _SeparableConv(_Conv):
    """A depthwise convolution (`depth_multiplier` outputs per input channel) followed by a
    1x1 convolution to `filters`: TF1's `tf.compat.v1.nn.separable_conv2d`."""

    def __init__(self, filters, kernel_size, strides=1, padding="valid",
                 data_format="channels_last", dilation_rate=1, depth_multiplier=1,
                 activation=None, use_bias=True, depthwise_initializer=None,
                 pointwise_initializer=None, bias_initializer=ZEROS, depthwise_regularizer=None,
                 pointwise_regularizer=None, bias_regularizer=None, activity_regularizer=None,
                 depthwise_constraint=None, pointwise_constraint=None, bias_constraint=None,
                 trainable=True, name=None, **kwargs):
        self.depth_multiplier = positive_int(depth_multiplier, "depth_multiplier")
        super().__init__(filters, kernel_size, strides, padding, data_format, dilation_rate,
                         activation, use_bias, bias_initializer, bias_regularizer,
                         bias_constraint, activity_regularizer, trainable, name, **kwargs)
        self.depthwise_initializer = depthwise_initializer
        self.pointwise_initializer = pointwise_initializer
        self.depthwise_regularizer = depthwise_regularizer
        self.pointwise_regularizer = pointwise_regularizer
        self.depthwise_constraint = depthwise_constraint
        self.pointwise_constraint = pointwise_constraint
        self.depthwise_kernel = self.pointwise_kernel = None

    def build(self, input_shape):
        depth = self._depth(input_shape)
        self.depthwise_kernel = self.add_weight(
            "depthwise_kernel", self.kernel_size + (depth, self.depth_multiplier), self.dtype,
            self.depthwise_initializer, self.depthwise_regularizer,
            constraint=self.depthwise_constraint)
        self.pointwise_kernel = self.add_weight(
            "pointwise_kernel", (1,) * self.rank + (depth * self.depth_multiplier, self.filters),
            self.dtype, self.pointwise_initializer, self.pointwise_regularizer,
            constraint=self.pointwise_constraint)
        self._add_bias()
        self.built = True

    def call(self, inputs):
        if self.rank == 2:
            return super().call(inputs)
        # 1-D as TF1: a row of height 1 (axis 2 channels-first, 1 channels-last), the kernels one
        # row high, the bias added before the row is squeezed out again.
        first = self.channels_first
        x = tf.expand_dims(inputs, 2 if first else 1)
        x = to_channels_last(x, 2) if first else x
        outputs = self._separable(x, tf.expand_dims(self.depthwise_kernel, 0),
                                  tf.expand_dims(self.pointwise_kernel, 0), self.strides * 2,
                                  (1, *self.dilation_rate))
        outputs = to_channels_first(outputs, 2) if first else outputs
        if self.use_bias:
            outputs = tf.nn.bias_add(outputs, self.bias, data_format="NCHW" if first else "NHWC")
        outputs = tf.squeeze(outputs, [2 if first else 1])
        return outputs if self.activation is None else self.activation(outputs)

    def _convolve(self, x):
        return self._separable(x, self.depthwise_kernel, self.pointwise_kernel, self.strides,
                               self.dilation_rate)

    def _separable(self, x, depthwise, pointwise, strides, rate):
        return v1.nn.separable_conv2d(x, depthwise, pointwise, strides=(1, *strides, 1),
                                      padding=self.padding, rate=rate, data_format="NHWC")


class SeparableConv1D(_SeparableConv):
    """TF1's `tf.layers.SeparableConv1D`: depthwise kernel (width, channels, depth multiplier),
    pointwise kernel (1, channels * depth multiplier, filters)."""

    rank, kind = 1, "separable_conv1d"


class SeparableConv2D(_SeparableConv):
    """TF1's `tf.layers.SeparableConv2D`: depthwise kernel (rows, cols, channels, depth
    multiplier), pointwise kernel (1, 1, channels * depth multiplier, filters)."""

    rank, kind = 2, "separable_conv2d"


# TF1's other names of the classes
Convolution1D, Convolution2D, Convolution3D = Conv1D, Conv2D, Conv3D
Convolution2DTranspose, Convolution3DTranspose = Conv2DTranspose, Conv3DTranspose


# -- the functions: `Class(..., name=name, _scope=name, _reuse=reuse)(inputs)`, as TF1's ---------


def conv1d(inputs, filters, kernel_size, strides=1, padding="valid", data_format="channels_last",
           dilation_rate=1, activation=None, use_bias=True, kernel_initializer=None,
           bias_initializer=ZEROS, kernel_regularizer=None, bias_regularizer=None,
           activity_regularizer=None, kernel_constraint=None, bias_constraint=None,
           trainable=True, name=None, reuse=None):
    """TF1's `tf.layers.conv1d` (see `Conv1D`)."""
    return Conv1D(filters, kernel_size, strides, padding, data_format, dilation_rate, activation,
                  use_bias, kernel_initializer, bias_initializer, kernel_regularizer,
                  bias_regularizer, activity_regularizer, kernel_constraint, bias_constraint,
                  trainable, name=name, _scope=name, _reuse=reuse)(inputs)


def conv2d(inputs, filters, kernel_size, strides=(1, 1), padding="valid",
           data_format="channels_last", dilation_rate=(1, 1), activation=None, use_bias=True,
           kernel_initializer=None, bias_initializer=ZEROS,
           kernel_regularizer=None, bias_regularizer=None, activity_regularizer=None,
           kernel_constraint=None, bias_constraint=None, trainable=True, name=None, reuse=None):
    """A 2-D convolution: TF1's `tf.layers.conv2d` (see `Conv2D`). Variables `<scope>/kernel`
    of shape (kernel rows, kernel cols, input channels, filters) and `<scope>/bias` (filters,);
    `kernel_size`, `strides`, `dilation_rate` are ints or pairs."""
    return Conv2D(filters, kernel_size, strides, padding, data_format, dilation_rate, activation,
                  use_bias, kernel_initializer, bias_initializer, kernel_regularizer,
                  bias_regularizer, activity_regularizer, kernel_constraint, bias_constraint,
                  trainable, name=name, _scope=name, _reuse=reuse)(inputs)


def conv3d(inputs, filters, kernel_size, strides=(1, 1, 1), padding="valid",
           data_format="channels_last", dilation_rate=(1, 1, 1), activation=None, use_bias=True,
           kernel_initializer=None, bias_initializer=ZEROS, kernel_regularizer=None,
           bias_regularizer=None, activity_regularizer=None, kernel_constraint=None,
           bias_constraint=None, trainable=True, name=None, reuse=None):
    """TF1's `tf.layers.conv3d` (see `Conv3D`)."""
    return Conv3D(filters, kernel_size, strides, padding, data_format, dilation_rate, activation,
                  use_bias, kernel_initializer, bias_initializer, kernel_regularizer,
                  bias_regularizer, activity_regularizer, kernel_constraint, bias_constraint,
                  trainable, name=name, _scope=name, _reuse=reuse)(inputs)


def conv2d_transpose(inputs, filters, kernel_size, strides=(1, 1), padding="valid",
                     data_format="channels_last", activation=None, use_bias=True,
                     kernel_initializer=None, bias_initializer=ZEROS, kernel_regularizer=None,
                     bias_regularizer=None, activity_regularizer=None, kernel_constraint=None,
                     bias_constraint=None, trainable=True, name=None, reuse=None):
    """TF1's `tf.layers.conv2d_transpose` (see `Conv2DTranspose`)."""
    return Conv2DTranspose(filters, kernel_size, strides, padding, data_format, activation,
                           use_bias, kernel_initializer, bias_initializer, kernel_regularizer,
                           bias_regularizer, activity_regularizer, kernel_constraint,
                           bias_constraint, trainable, name=name, _scope=name,
                           _reuse=reuse)(inputs)


def conv3d_transpose(inputs, filters, kernel_size, strides=(1, 1, 1), padding="valid",
                     data_format="channels_last", activation=None, use_bias=True,
                     kernel_initializer=None, bias_initializer=ZEROS, kernel_regularizer=None,
                     bias_regularizer=None, activity_regularizer=None, kernel_constraint=None,
                     bias_constraint=None, trainable=True, name=None, reuse=None):
    """TF1's `tf.layers.conv3d_transpose` (see `Conv3DTranspose`)."""
    return Conv3DTranspose(filters, kernel_size, strides, padding, data_format, activation,
                           use_bias, kernel_initializer, bias_initializer, kernel_regularizer,
                           bias_regularizer, activity_regularizer, kernel_constraint,
                           bias_constraint, trainable, name=name, _scope=name,
                           _reuse=reuse)(inputs)


def separable_conv1d(inputs, filters, kernel_size, strides=1, padding="valid",
                     data_format="channels_last", dilation_rate=1, depth_multiplier=1,
                     activation=None, use_bias=True, depthwise_initializer=None,
                     pointwise_initializer=None, bias_initializer=ZEROS,
                     depthwise_regularizer=None, pointwise_regularizer=None,
                     bias_regularizer=None, activity_regularizer=None, depthwise_constraint=None,
                     pointwise_constraint=None, bias_constraint=None, trainable=True, name=None,
                     reuse=None):
    """TF1's `tf.layers.separable_conv1d` (see `SeparableConv1D`)."""
    return SeparableConv1D(
        filters, kernel_size, strides, padding, data_format, dilation_rate, depth_multiplier,
        activation, use_bias, depthwise_initializer, pointwise_initializer, bias_initializer,
        depthwise_regularizer, pointwise_regularizer, bias_regularizer, activity_regularizer,
        depthwise_constraint, pointwise_constraint, bias_constraint, trainable, name=name,
        _scope=name, _reuse=reuse)(inputs)


def separable_conv2d(inputs, filters, kernel_size, strides=(1, 1), padding="valid",
                     data_format="channels_last", dilation_rate=(1, 1), depth_multiplier=1,
                     activation=None, use_bias=True, depthwise_initializer=None,
                     pointwise_initializer=None, bias_initializer=ZEROS,
                     depthwise_regularizer=None, pointwise_regularizer=None,
                     bias_regularizer=None, activity_regularizer=None, depthwise_constraint=None,
                     pointwise_constraint=None, bias_constraint=None, trainable=True, name=None,
                     reuse=None):
    """TF1's `tf.layers.separable_conv2d` (see `SeparableConv2D`)."""
    return SeparableConv2D(
        filters, kernel_size, strides, padding, data_format, dilation_rate, depth_multiplier,
        activation, use_bias, depthwise_initializer, pointwise_initializer, bias_initializer,
        depthwise_regularizer, pointwise_regularizer, bias_regularizer, activity_regularizer,
        depthwise_constraint, pointwise_constraint, bias_constraint, trainable, name=name,
        _scope=name, _reuse=reuse)(inputs)
