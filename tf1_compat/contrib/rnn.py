"""TF1's `tf.contrib.rnn`, rebuilt: the same cells and functions as `tf.compat.v1.nn.rnn_cell` /
`tf.compat.v1.nn` (tf1_compat.rnn, re-exported here under contrib's names), and contrib's two
stacked bidirectional RNNs.

    from tf1_compat.contrib import rnn      # was: tf.contrib.rnn
    outputs, states_fw, states_bw = rnn.stack_bidirectional_dynamic_rnn(
        [rnn.LSTMCell(64), rnn.LSTMCell(64)], [rnn.LSTMCell(64), rnn.LSTMCell(64)], x,
        dtype=tf.float32, sequence_length=lengths)

Not provided (each is its own cell with its own numbers and variables, and no real one is left
to test a rebuild against): `LayerNormBasicLSTMCell`, `LSTMBlockCell`, `LSTMBlockFusedCell`,
`GRUBlockCell`, `GRUBlockCellV2`, `LayerNormLSTMCell`, `CoupledInputForgetGateLSTMCell`,
`TimeFreqLSTMCell`, `GridLSTMCell`, `NASCell`, `UGRNNCell`, `IntersectionRNNCell`, `PhasedLSTMCell`,
`ConvLSTMCell` (and `Conv1D/2D/3DLSTMCell`), `GLSTMCell`, `SRUCell`, `IndyGRUCell`, `IndyLSTMCell`,
`AttentionCellWrapper`, `HighwayWrapper`, `EmbeddingWrapper`, `InputProjectionWrapper`,
`OutputProjectionWrapper`, `FusedRNNCell` and its adaptors, `CudnnCompatibleLSTMCell`,
`static_state_saving_rnn`, `best_effort_input_batch_size`.
"""

from __future__ import annotations

import tensorflow as tf

from tf1_compat.rnn import (  # noqa: F401 - re-exported under contrib's names
    BasicLSTMCell,
    BasicRNNCell,
    DeviceWrapper,
    DropoutWrapper,
    GRUCell,
    LSTMCell,
    LSTMStateTuple,
    MultiRNNCell,
    ResidualWrapper,
    RNNCell,
    bidirectional_dynamic_rnn,
    static_bidirectional_rnn,
    static_rnn,
)
from tfmodels.core.errors import UserError

v1 = tf.compat.v1

__all__ = ["BasicLSTMCell", "BasicRNNCell", "DeviceWrapper", "DropoutWrapper", "GRUCell",
           "LSTMCell", "LSTMStateTuple", "MultiRNNCell", "RNNCell", "ResidualWrapper",
           "stack_bidirectional_dynamic_rnn", "stack_bidirectional_rnn", "static_bidirectional_rnn",
           "static_rnn"]


def _check_layers(cells_fw, cells_bw, initial_states_fw, initial_states_bw):
    for what, cells in (("cells_fw", cells_fw), ("cells_bw", cells_bw)):
        if not isinstance(cells, list) or not cells:
            raise UserError(f"{what} must be a non-empty list of cells, one per layer. "
                            f"Received: {what}={cells!r}")
    if len(cells_fw) != len(cells_bw):
        raise UserError(f"cells_fw and cells_bw must have as many layers. Received: "
                        f"{len(cells_fw)} and {len(cells_bw)}")
    for what, states in (("initial_states_fw", initial_states_fw),
                         ("initial_states_bw", initial_states_bw)):
        if states is not None and (not isinstance(states, (list, tuple))
                                   or len(states) != len(cells_fw)):
            raise UserError(f"{what} must be a list of one state per layer "
                            f"({len(cells_fw)}). Received: {what}={states!r}")


def stack_bidirectional_rnn(cells_fw, cells_bw, inputs, initial_states_fw=None,
                            initial_states_bw=None, dtype=None, sequence_length=None,
                            scope=None):
    """contrib's `stack_bidirectional_rnn`: `static_bidirectional_rnn` layer upon layer, each
    layer's outputs (forward and backward side by side) the next one's inputs.

    Scopes `stack_bidirectional_rnn/cell_<i>/fw/...` and `.../bw/...` (the layer's scope is
    the bidirectional RNN's own). Returns `(outputs, states_fw, states_bw)`, a tuple of each
    layer's final states.
    """
    _check_layers(cells_fw, cells_bw, initial_states_fw, initial_states_bw)
    states_fw, states_bw, layer = [], [], inputs
    with v1.variable_scope(scope or "stack_bidirectional_rnn"):
        for i, (cell_fw, cell_bw) in enumerate(zip(cells_fw, cells_bw)):
            with v1.variable_scope(f"cell_{i}") as cell_scope:
                layer, state_fw, state_bw = static_bidirectional_rnn(
                    cell_fw, cell_bw, layer,
                    initial_state_fw=initial_states_fw[i] if initial_states_fw else None,
                    initial_state_bw=initial_states_bw[i] if initial_states_bw else None,
                    sequence_length=sequence_length, dtype=dtype, scope=cell_scope)
            states_fw.append(state_fw)
            states_bw.append(state_bw)
    return layer, tuple(states_fw), tuple(states_bw)


def stack_bidirectional_dynamic_rnn(cells_fw, cells_bw, inputs, initial_states_fw=None,
                                    initial_states_bw=None, dtype=None, sequence_length=None,
                                    parallel_iterations=None, time_major=False, scope=None,
                                    swap_memory=False):
    """contrib's `stack_bidirectional_dynamic_rnn`: `bidirectional_dynamic_rnn` layer upon
    layer, each layer's outputs concatenated on the last axis into the next one's inputs.

    Scopes `stack_bidirectional_rnn/cell_<i>/bidirectional_rnn/fw/...` and `.../bw/...`.
    Returns `(outputs, states_fw, states_bw)`, a tuple of each layer's final states.
    """
    _check_layers(cells_fw, cells_bw, initial_states_fw, initial_states_bw)
    states_fw, states_bw, layer = [], [], inputs
    with v1.variable_scope(scope or "stack_bidirectional_rnn"):
        for i, (cell_fw, cell_bw) in enumerate(zip(cells_fw, cells_bw)):
            with v1.variable_scope(f"cell_{i}"):
                outputs, (state_fw, state_bw) = bidirectional_dynamic_rnn(
                    cell_fw, cell_bw, layer,
                    initial_state_fw=initial_states_fw[i] if initial_states_fw else None,
                    initial_state_bw=initial_states_bw[i] if initial_states_bw else None,
                    sequence_length=sequence_length, parallel_iterations=parallel_iterations,
                    dtype=dtype, swap_memory=swap_memory, time_major=time_major)
                layer = tf.concat(outputs, 2)
            states_fw.append(state_fw)
            states_bw.append(state_bw)
    return layer, tuple(states_fw), tuple(states_bw)
