"""The one table of TF1's variable layouts that differ from Keras 3's: the recurrent cells.

Every other TF1 layer keeps Keras's variables by the same names and shapes (`dense/kernel`,
`conv2d/bias`, `batch_normalization/moving_mean`). A TF1 recurrent cell does not: one kernel over
the concatenation `[inputs, h]` and its own gate order (`tf1_compat.rnn`). `CELLS` says, for each
cell, which Keras layer it becomes, its scope names, its variables under that scope and their
widths, and the order of their gates in TF1 and in Keras; `cell_to_keras` and `cell_from_keras`
move the values (`tf1_compat.rnn`'s `lstm_to_keras`, ... are these). The TF1
track (`tf1_compat.model`) and the migration kit (`tfmodels.migration`, whose transforms of a
cell are made from these fields) both read it here.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from tfmodels.core.errors import UserError

__all__ = ["CELLS", "KERAS_CELLS", "KEPT_LAYOUTS", "Cell", "cell_from_keras", "cell_to_keras",
           "reorder"]


@dataclass(frozen=True)
class Cell:
    """A TF1 recurrent cell whose variables fill one Keras recurrent layer's three weights."""

    keras: str        # the Keras layer
    scopes: tuple     # the cell's variable scope names in TF1 (its default name first)
    variables: tuple  # its variables under that scope, in order: (kernel, bias) pairs
    widths: tuple     # each pair's width in units: the kernel (depth + units, w * units)
    note: str         # what the conversion does, for the table
    # The gates side by side along the last axis of the kernels (concatenated in `variables`'
    # order) and of the biases, one letter per block of `units` columns: TF1's order, Keras's.
    gates: tuple = ("", "")
    forget: int | None = None  # the block of Keras's bias that takes TF1's forget_bias

    def shapes(self, depth: int, units: int) -> tuple:
        """The TF1 variables' shapes for inputs of `depth` and `units` units."""
        return tuple(s for w in self.widths for s in ((depth + units, w * units), (w * units,)))

    def scope_of(self, name: str, first: bool = False) -> str | None:
        """The cell's scope if `name` is one of its variables (`first`: its first), else None."""
        for v in self.variables[:1] if first else self.variables:
            if name.endswith("/" + v):
                return name[:-len(v) - 1]
        return None

    def members(self, scope: str) -> list[str]:
        return [f"{scope}/{v}" for v in self.variables]


CELLS = {
    # LSTMCell: i, j (the candidate), f, o; Keras: i, f, c (= j), o; forget_bias not stored
    "lstm_cell": Cell("LSTM", ("lstm_cell", "basic_lstm_cell"), ("kernel", "bias"), (4,),
                      "LSTM: gates i,c,f,o <-> i,f,c,o", ("ijfo", "ifjo"), forget=1),
    # GRUCell: gates r, u, then the candidate's own kernel; Keras: z (= u), r, candidate
    "gru_cell": Cell("GRU", ("gru_cell",),
                     ("gates/kernel", "gates/bias", "candidate/kernel", "candidate/bias"), (2, 1),
                     "GRU: gates r,u <-> z,r", ("ruc", "urc")),
    "basic_rnn_cell": Cell("SimpleRNN", ("basic_rnn_cell",), ("kernel", "bias"), (1,),
                           "RNN: kernel over [x, h] split"),
}
KERAS_CELLS = {cell.keras: name for name, cell in CELLS.items()}  # "LSTM" -> "lstm_cell"


def reorder(matrix, order_from: str, order_to: str):
    """`matrix`'s equal blocks along its last axis, named by the letters of `order_from`, put in
    the order of `order_to` (a new array)."""
    parts = dict(zip(order_from, np.split(np.asarray(matrix), len(order_from), axis=-1)))
    return np.concatenate([parts[g] for g in order_to], axis=-1)


def _rows(kernel, units: int):
    """TF1's kernel over `[x, h]` as (rows for x, rows for h)."""
    kernel = np.asarray(kernel)
    if kernel.ndim != 2 or kernel.shape[0] <= units:
        raise UserError(f"kernel must have more than {units} rows (inputs, then state), got "
                        f"shape {kernel.shape}")
    return kernel[:-units], kernel[-units:]


def cell_to_keras(cell: str, values, forget_bias: float = 1.0) -> list:
    """A TF1 cell's variables (`CELLS[cell].variables`' order) as its Keras layer's (kernel,
    recurrent_kernel, bias): the kernels joined along their columns and the biases end to end,
    the gates put in Keras's order, TF1's `forget_bias` added to the forget block (in the bias's
    own precision), the kernel split into its input and state rows."""
    layout = CELLS[cell]
    values = [np.asarray(v) for v in values]
    kernels, biases = values[0::2], values[1::2]
    kernel = np.concatenate(kernels, axis=1) if len(kernels) > 1 else kernels[0]
    bias = np.concatenate(biases) if len(biases) > 1 else biases[0].copy()
    blocks = len(layout.gates[1]) or 1
    if bias.ndim != 1 or bias.shape[0] % blocks:
        raise UserError(f"bias must have {blocks} * units entries, got shape {bias.shape}")
    units = bias.shape[0] // blocks
    if layout.gates[0] != layout.gates[1]:
        kernel, bias = reorder(kernel, *layout.gates), reorder(bias, *layout.gates)
    if layout.forget is not None:
        bias[layout.forget * units:(layout.forget + 1) * units] += np.asarray(forget_bias,
                                                                              bias.dtype)
    return [*_rows(kernel, units), bias]


def cell_from_keras(cell: str, arrays, forget_bias: float = 1.0) -> list:
    """A Keras recurrent layer's weights as its TF1 cell's variables; `cell_to_keras` undone
    (the forget bias comes back to within one rounding of the subtraction)."""
    layout = CELLS[cell]
    kernel, recurrent_kernel, bias = arrays
    bias = np.array(bias)
    if bias.ndim != 1:
        kind = f" (a {layout.keras} with reset_after=False)" if cell == "gru_cell" else ""
        raise UserError(f"bias must be 1-D{kind}, got shape {bias.shape}")
    units = bias.shape[0] // (len(layout.gates[1]) or 1)
    if layout.forget is not None:
        bias[layout.forget * units:(layout.forget + 1) * units] -= np.asarray(forget_bias,
                                                                              bias.dtype)
    stacked = np.concatenate([kernel, recurrent_kernel], axis=0)
    if layout.gates[0] != layout.gates[1]:
        stacked, bias = reorder(stacked, *layout.gates[::-1]), reorder(bias, *layout.gates[::-1])
    out, start = [], 0
    for width in layout.widths:  # each (kernel, bias) pair's columns
        columns = slice(start * units, (start + width) * units)
        out += [stacked[:, columns], bias[columns]]
        start += width
    return out


# The layers of issue 27 whose TF1 variables keep Keras's names and shapes (the TF1 track,
# `tf1_compat.spec_kinds`), and what TF1 itself had: why nothing moves between layouts.
KEPT_LAYOUTS = {
    "DepthwiseConv2D": "kernel (kh, kw, in, multiplier): tf.nn.depthwise_conv2d's filter as is",
    "SeparableConv2D": "depthwise_kernel, pointwise_kernel (1, 1, in * multiplier, filters): "
                       "tf.nn.separable_conv2d's two filters, tf.layers.separable_conv2d's names",
    "LayerNormalization": "gamma, beta (features,): TF-Slim's layer_norm kept them as "
                          "LayerNorm/beta, LayerNorm/gamma with epsilon fixed at 1e-12, so the "
                          "track writes tf.nn.moments + tf.nn.batch_normalization itself",
    "Embedding": "embeddings (input_dim, output_dim): the table tf.nn.embedding_lookup reads",
    "GRU(reset_after=False)": "TF1's GRUCell: the gru_cell row of CELLS",
    "GRU(reset_after=True)": "kernel (in, 3u), recurrent_kernel (u, 3u), bias (2, 3u), gates "
                             "z, r, h: TF1's only reset-after cell, contrib's "
                             "CudnnCompatibleGRUCell, keeps one bias per gate for r and u "
                             "(Keras's two only act as their sum, and two biases train at "
                             "twice one's rate), so it cannot train to Keras's numbers; the "
                             "track keeps Keras's three variables and unrolls the steps",
}
