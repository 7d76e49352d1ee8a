"""The one table of TF1's variable layouts that differ from Keras 3's: the recurrent cells.

Every other TF1 layer keeps Keras's variables by the same names and shapes (`dense/kernel`,
`conv2d/bias`, `batch_normalization/moving_mean`). A TF1 recurrent cell does not: one kernel over
the concatenation `[inputs, h]` and its own gate order (`tf1_compat.rnn`). `CELLS` says, for each
cell, which Keras layer it becomes, its scope names, its variables under that scope and their
widths; `cell_to_keras` and `cell_from_keras` move the values. The TF1 track (`tf1_compat.model`)
and the migration kit (`tfmodels.migration`) both read it here.
"""

from __future__ import annotations

from dataclasses import dataclass

from tf1_compat import rnn

__all__ = ["CELLS", "KERAS_CELLS", "KEPT_LAYOUTS", "Cell", "cell_from_keras", "cell_to_keras"]


@dataclass(frozen=True)
class Cell:
    """A TF1 recurrent cell whose variables fill one Keras recurrent layer's three weights."""

    keras: str        # the Keras layer
    scopes: tuple     # the cell's variable scope names in TF1 (its default name first)
    variables: tuple  # its variables under that scope, in order: (kernel, bias) pairs
    widths: tuple     # each pair's width in units: the kernel (depth + units, w * units)
    note: str         # what the conversion does, for the table

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
    "lstm_cell": Cell("LSTM", ("lstm_cell", "basic_lstm_cell"), ("kernel", "bias"), (4,),
                      "LSTM: gates i,c,f,o <-> i,f,c,o"),
    "gru_cell": Cell("GRU", ("gru_cell",),
                     ("gates/kernel", "gates/bias", "candidate/kernel", "candidate/bias"), (2, 1),
                     "GRU: gates r,u <-> z,r"),
    "basic_rnn_cell": Cell("SimpleRNN", ("basic_rnn_cell",), ("kernel", "bias"), (1,),
                           "RNN: kernel over [x, h] split"),
}
KERAS_CELLS = {cell.keras: name for name, cell in CELLS.items()}  # "LSTM" -> "lstm_cell"


def cell_to_keras(cell: str, values, forget_bias: float = 1.0) -> list:
    """A TF1 cell's variables as its Keras layer's (kernel, recurrent_kernel, bias)."""
    if cell == "lstm_cell":
        return list(rnn.lstm_to_keras(*values, forget_bias=forget_bias))
    return list({"gru_cell": rnn.gru_to_keras, "basic_rnn_cell": rnn.rnn_to_keras}[cell](*values))


def cell_from_keras(cell: str, arrays, forget_bias: float = 1.0) -> list:
    """A Keras recurrent layer's weights as its TF1 cell's variables; `cell_to_keras` undone."""
    if cell == "lstm_cell":
        return list(rnn.lstm_from_keras(*arrays, forget_bias=forget_bias))
    return list({"gru_cell": rnn.gru_from_keras,
                 "basic_rnn_cell": rnn.rnn_from_keras}[cell](*arrays))


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
