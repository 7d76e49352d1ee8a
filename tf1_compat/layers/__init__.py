"""`tf.compat.v1.layers` again: TF1's layers, which raise under Keras 3 (TF >= 2.16).

    from tf1_compat import layers
    h = layers.conv2d(x, 32, 3, padding="same", activation=tf.nn.relu)   # conv2d/kernel, bias
    h = layers.max_pooling2d(h, 2, 2)
    h = layers.batch_normalization(h, training=is_training)            # UPDATE_OPS
    h = layers.dropout(layers.flatten(h), 0.3, training=is_training)
    logits = layers.dense(h, 10)                                         # dense/kernel, bias

The whole of `tf.compat.v1.layers`: the functions (dense, dropout, flatten, conv1d/2d/3d,
conv2d_transpose, conv3d_transpose, separable_conv1d/2d, max_pooling1d/2d/3d,
average_pooling1d/2d/3d, batch_normalization), their classes (`Dense`, `Conv2D`, ...) and the
base `Layer` with `InputSpec`. Each keeps TF1's signature, defaults and variable names:
variables come from `get_variable` inside a `variable_scope`, so `variable_scope(...,
initializer=...)`, `reuse`, `AUTO_REUSE`, savers and `tf.compat.v1.trainable_variables()` see
them as they saw the old ones. A function is its class, called once: `dense(x, 3, name="fc")`
is `Dense(3, name="fc", _scope="fc", _reuse=reuse)(x)`.

Naming is TF1's. A layer without `name` opens `variable_scope(None, default_name="dense")`, which
is unique within the current variable scope: dense, dense, conv2d, dense make `dense`, `dense_1`,
`conv2d`, `dense_2`. As in TF1, re-entering a scope by name restarts the count inside it, so a
second `with variable_scope("block"): dense(...)` asks for `block/dense` again (and fails unless
it reuses). A function with variables and a `name` opens exactly that scope, so
`dense(x, 3, name="fc", reuse=True)` shares `fc/kernel`; an unnamed one with `reuse` shares
`dense/...`. The layers without variables (pooling, flatten, dropout) only use the name as the
default of a unique scope, as TF1's did (`pool`, `pool_1`, ...). A layer object keeps the scope
of its first call and reuses its variables on every later call.

`training` is a Python bool or a boolean tensor (a placeholder), as in TF1: a bool (or a constant)
picks one branch when the graph is built, a tensor becomes a `tf.cond`; anything else (the string
'False') is refused. Activations are callables (`activation=tf.nn.relu`) or the names Keras
resolved for TF1 (`activation="relu"`); `units`, `filters` and sizes may be NumPy integers.

Where the kernels run differently from TF1: `channels_first` convolutions and pooling transpose to
channels-last and back (CPUs have no NCHW kernels), with the same numbers. Where the layers keep
TF1's behaviour although Keras 3 differs, the function says so (the fused batch norm's moving
variance; the dropout masks, unless `keras_seed` is given).
"""

from tf1_compat.layers.base import InputSpec, Layer
from tf1_compat.layers.convolutional import (
    Conv1D,
    Conv2D,
    Conv2DTranspose,
    Conv3D,
    Conv3DTranspose,
    Convolution1D,
    Convolution2D,
    Convolution2DTranspose,
    Convolution3D,
    Convolution3DTranspose,
    SeparableConv1D,
    SeparableConv2D,
    conv1d,
    conv2d,
    conv2d_transpose,
    conv3d,
    conv3d_transpose,
    separable_conv1d,
    separable_conv2d,
)
from tf1_compat.layers.core import Dense, Flatten, dense, flatten
from tf1_compat.layers.dropout import Dropout, dropout, keras_masks
from tf1_compat.layers.normalization import BatchNormalization, batch_normalization
from tf1_compat.layers.pooling import (
    AveragePooling1D,
    AveragePooling2D,
    AveragePooling3D,
    MaxPooling1D,
    MaxPooling2D,
    MaxPooling3D,
    average_pooling1d,
    average_pooling2d,
    average_pooling3d,
    max_pooling1d,
    max_pooling2d,
    max_pooling3d,
)

# TF1's other names
BatchNorm, batch_norm = BatchNormalization, batch_normalization
FullyConnected, fully_connected = Dense, dense

__all__ = [
    "AveragePooling1D", "AveragePooling2D", "AveragePooling3D", "BatchNorm",
    "BatchNormalization", "Conv1D", "Conv2D", "Conv2DTranspose", "Conv3D", "Conv3DTranspose",
    "Convolution1D", "Convolution2D", "Convolution2DTranspose", "Convolution3D",
    "Convolution3DTranspose", "Dense", "Dropout", "Flatten", "FullyConnected", "InputSpec",
    "Layer", "MaxPooling1D", "MaxPooling2D", "MaxPooling3D", "SeparableConv1D",
    "SeparableConv2D", "average_pooling1d", "average_pooling2d", "average_pooling3d",
    "batch_norm", "batch_normalization", "conv1d", "conv2d", "conv2d_transpose", "conv3d",
    "conv3d_transpose", "dense", "dropout", "flatten", "fully_connected", "keras_masks",
    "max_pooling1d", "max_pooling2d", "max_pooling3d", "separable_conv1d", "separable_conv2d",
]
