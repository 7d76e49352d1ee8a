"""TF1's recurrent API (`tf.compat.v1.nn.rnn_cell.*` and the `tf.compat.v1.nn` RNN functions),
which raises under Keras 3 (TF >= 2.16), rebuilt; and its weights in Keras 3's layout.

    from tf1_compat import rnn
    cell = rnn.LSTMCell(64)                                  # rnn/lstm_cell/kernel, bias
    outputs, state = rnn.dynamic_rnn(cell, x, dtype=tf.float32, sequence_length=lengths)

- cells (tf1_compat/rnn_cells.py): `RNNCell` (the base class), `BasicRNNCell`, `GRUCell`,
  `BasicLSTMCell`, `LSTMCell` (peepholes, clipping, projection), `MultiRNNCell`,
  `LSTMStateTuple`;
- wrappers (tf1_compat/rnn_wrappers.py): `DropoutWrapper`, `ResidualWrapper`, `DeviceWrapper`;
- functions (tf1_compat/rnn_ops.py): `static_rnn`, `static_bidirectional_rnn`, `dynamic_rnn`,
  `bidirectional_dynamic_rnn`.
They keep TF1's names, arguments, defaults, variable names and scopes, and compute TF1's
numbers op for op: tests/test_rnn_oracle.py runs them against the real ones (tf_keras's legacy
cells and TensorFlow's own functions) and finds them equal bit for bit.

The cells keep TF1's variable layout, so TF1 checkpoints load by name: one `kernel` over the
concatenation `[inputs, h]` and one `bias`. An LSTM's four gates lie side by side in TF1's order
i, j (the candidate), f, o, and `forget_bias` is added to the forget gate when the cell runs, not
stored. Keras 3 keeps two kernels (inputs, state), orders the gates i, f, c, o, and stores the
whole forget bias: `lstm_to_keras` and `lstm_from_keras` convert (and `rnn_...`, `gru_...` for
the other cells). TF1's one matmul over `[x, h]` sums in another order than Keras's two matmuls,
so the two tracks agree to float32 rounding, not bit for bit (tests/test_rnn.py measures it).
"""

from __future__ import annotations

import numpy as np

from tf1_compat.rnn_cells import (
    BasicLSTMCell,
    BasicRNNCell,
    GRUCell,
    LSTMCell,
    LSTMStateTuple,
    MultiRNNCell,
    RNNCell,
)
from tf1_compat.rnn_ops import (
    bidirectional_dynamic_rnn,
    dynamic_rnn,
    static_bidirectional_rnn,
    static_rnn,
)
from tf1_compat.rnn_wrappers import DeviceWrapper, DropoutWrapper, ResidualWrapper
from tfmodels.core.errors import UserError

__all__ = ["BasicLSTMCell", "BasicRNNCell", "DeviceWrapper", "DropoutWrapper", "GRUCell",
           "LSTMCell", "LSTMStateTuple", "MultiRNNCell", "RNNCell", "ResidualWrapper",
           "bidirectional_dynamic_rnn", "dynamic_rnn", "gru_from_keras", "gru_to_keras",
           "lstm_from_keras", "lstm_to_keras", "rnn_from_keras", "rnn_to_keras",
           "static_bidirectional_rnn", "static_rnn"]


# -- weights between TF1 and Keras 3 -------------------------------------------------------------


def _rows(kernel, units):
    """TF1's kernel over `[x, h]` as (rows for x, rows for h)."""
    kernel = np.asarray(kernel)
    if kernel.ndim != 2 or kernel.shape[0] <= units:
        raise UserError(f"kernel must have more than {units} rows (inputs, then state), got "
                        f"shape {kernel.shape}")
    return kernel[:-units], kernel[-units:]


def rnn_to_keras(kernel, bias):
    """`BasicRNNCell`'s `(kernel, bias)` as `SimpleRNN`'s `(kernel, recurrent_kernel, bias)`."""
    bias = np.asarray(bias)
    return (*_rows(kernel, bias.shape[0]), bias.copy())


def rnn_from_keras(kernel, recurrent_kernel, bias):
    """`SimpleRNN`'s weights as `BasicRNNCell`'s `(kernel, bias)`."""
    return np.concatenate([kernel, recurrent_kernel], axis=0), np.array(bias)


def _lstm_gates(matrix, order_from, order_to):
    parts = dict(zip(order_from, np.split(np.asarray(matrix), 4, axis=-1)))
    return np.concatenate([parts[g] for g in order_to], axis=-1)


def lstm_to_keras(kernel, bias, forget_bias=1.0):
    """`LSTMCell`'s `(kernel, bias)` as Keras `LSTM`'s `(kernel, recurrent_kernel, bias)`.

    The gates go from TF1's order i, j, f, o to Keras's i, f, c, o, the kernel splits into its
    input and state rows, and `forget_bias` moves into the stored forget-gate bias (in the
    bias's own precision).
    """
    bias = np.asarray(bias)
    if bias.ndim != 1 or bias.shape[0] % 4:
        raise UserError(f"bias must have 4 * units entries, got shape {bias.shape}")
    units = bias.shape[0] // 4
    kernel = _lstm_gates(kernel, "ijfo", "ifjo")
    keras_bias = _lstm_gates(bias, "ijfo", "ifjo")
    keras_bias[units:2 * units] += np.asarray(forget_bias, bias.dtype)
    return (*_rows(kernel, units), keras_bias)


def lstm_from_keras(kernel, recurrent_kernel, bias, forget_bias=1.0):
    """Keras `LSTM`'s weights as `LSTMCell`'s `(kernel, bias)`; the inverse of `lstm_to_keras`
    (the forget bias comes back to within one rounding of the subtraction)."""
    bias = np.array(bias)
    units = bias.shape[0] // 4
    bias[units:2 * units] -= np.asarray(forget_bias, bias.dtype)
    stacked = np.concatenate([kernel, recurrent_kernel], axis=0)
    return _lstm_gates(stacked, "ifjo", "ijfo"), _lstm_gates(bias, "ifjo", "ijfo")


def gru_to_keras(gate_kernel, gate_bias, candidate_kernel, candidate_bias):
    """`GRUCell`'s four variables as Keras `GRU(reset_after=False)`'s `(kernel,
    recurrent_kernel, bias)`: TF1's gates r, u become Keras's z (= u), r, then the candidate."""
    units = np.asarray(candidate_bias).shape[0]
    r, u = np.split(np.asarray(gate_kernel), 2, axis=1)
    kernel = np.concatenate([u, r, np.asarray(candidate_kernel)], axis=1)
    b_r, b_u = np.split(np.asarray(gate_bias), 2)
    return (*_rows(kernel, units), np.concatenate([b_u, b_r, candidate_bias]))


def gru_from_keras(kernel, recurrent_kernel, bias):
    """Keras `GRU(reset_after=False)`'s weights as `GRUCell`'s `(gate_kernel, gate_bias,
    candidate_kernel, candidate_bias)`; the inverse of `gru_to_keras`."""
    bias = np.asarray(bias)
    if bias.ndim != 1:
        raise UserError(f"bias must be 1-D (a GRU with reset_after=False), got shape "
                        f"{bias.shape}")
    stacked = np.concatenate([kernel, recurrent_kernel], axis=0)
    z, r, h = np.split(stacked, 3, axis=1)
    b_z, b_r, b_h = np.split(bias, 3)
    return (np.concatenate([r, z], axis=1), np.concatenate([b_r, b_z]), h, b_h.copy())
