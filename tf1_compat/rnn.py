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

from tf1_compat.layouts import cell_from_keras, cell_to_keras
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

__all__ = ["BasicLSTMCell", "BasicRNNCell", "DeviceWrapper", "DropoutWrapper", "GRUCell",
           "LSTMCell", "LSTMStateTuple", "MultiRNNCell", "RNNCell", "ResidualWrapper",
           "bidirectional_dynamic_rnn", "dynamic_rnn", "gru_from_keras", "gru_to_keras",
           "lstm_from_keras", "lstm_to_keras", "rnn_from_keras", "rnn_to_keras",
           "static_bidirectional_rnn", "static_rnn"]


# -- weights between TF1 and Keras 3 -------------------------------------------------------------


def rnn_to_keras(kernel, bias):
    """`BasicRNNCell`'s `(kernel, bias)` as `SimpleRNN`'s `(kernel, recurrent_kernel, bias)`."""
    return tuple(cell_to_keras("basic_rnn_cell", [kernel, bias]))


def rnn_from_keras(kernel, recurrent_kernel, bias):
    """`SimpleRNN`'s weights as `BasicRNNCell`'s `(kernel, bias)`."""
    return tuple(cell_from_keras("basic_rnn_cell", [kernel, recurrent_kernel, bias]))


def lstm_to_keras(kernel, bias, forget_bias=1.0):
    """`LSTMCell`'s `(kernel, bias)` as Keras `LSTM`'s `(kernel, recurrent_kernel, bias)`.

    The gates go from TF1's order i, j, f, o to Keras's i, f, c, o, the kernel splits into its
    input and state rows, and `forget_bias` moves into the stored forget-gate bias (in the
    bias's own precision): `tf1_compat.layouts`, where the layouts are said once.
    """
    return tuple(cell_to_keras("lstm_cell", [kernel, bias], forget_bias))


def lstm_from_keras(kernel, recurrent_kernel, bias, forget_bias=1.0):
    """Keras `LSTM`'s weights as `LSTMCell`'s `(kernel, bias)`; the inverse of `lstm_to_keras`
    (the forget bias comes back to within one rounding of the subtraction)."""
    return tuple(cell_from_keras("lstm_cell", [kernel, recurrent_kernel, bias], forget_bias))


def gru_to_keras(gate_kernel, gate_bias, candidate_kernel, candidate_bias):
    """`GRUCell`'s four variables as Keras `GRU(reset_after=False)`'s `(kernel,
    recurrent_kernel, bias)`: TF1's gates r, u become Keras's z (= u), r, then the candidate."""
    return tuple(cell_to_keras("gru_cell", [gate_kernel, gate_bias, candidate_kernel,
                                            candidate_bias]))


def gru_from_keras(kernel, recurrent_kernel, bias):
    """Keras `GRU(reset_after=False)`'s weights as `GRUCell`'s `(gate_kernel, gate_bias,
    candidate_kernel, candidate_bias)`; the inverse of `gru_to_keras`."""
    return tuple(cell_from_keras("gru_cell", [kernel, recurrent_kernel, bias]))
