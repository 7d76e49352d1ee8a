"""TF1's recurrent cells and `dynamic_rnn`, which raise under Keras 3 (TF >= 2.16), rebuilt.

    from tf1_compat import rnn
    cell = rnn.LSTMCell(64)                                  # rnn/lstm_cell/kernel, bias
    outputs, state = rnn.dynamic_rnn(cell, x, dtype=tf.float32, sequence_length=lengths)

The cells keep TF1's variable layout, so TF1 checkpoints load by name: one `kernel` over the
concatenation `[inputs, h]` and one `bias`. An LSTM's four gates lie side by side in TF1's order
i, j (the candidate), f, o, and `forget_bias` is added to the forget gate when the cell runs, not
stored. Keras 3 keeps two kernels (inputs, state), orders the gates i, f, c, o, and stores the
whole forget bias: `lstm_to_keras` and `lstm_from_keras` convert (and `rnn_...`, `gru_...` for
the other cells). TF1's one matmul over `[x, h]` sums in another order than Keras's two matmuls,
so the two tracks agree to float32 rounding, not bit for bit (tests/test_rnn.py measures it).

A cell makes its variables the first time it runs (or `build`s), in
`variable_scope(None, default_name=<name or "lstm_cell">)` inside the current scope, as TF1's
did (a cell with `reuse=True` opens exactly `<name or "lstm_cell">` to share what is there); it
keeps them for every later call, so one cell object is one set of weights.
"""

from __future__ import annotations

import collections

import numpy as np
import tensorflow as tf

from tfmodels.core.errors import UserError

v1 = tf.compat.v1

__all__ = ["BasicLSTMCell", "BasicRNNCell", "GRUCell", "LSTMCell", "LSTMStateTuple",
           "dynamic_rnn", "gru_from_keras", "gru_to_keras", "lstm_from_keras", "lstm_to_keras",
           "rnn_from_keras", "rnn_to_keras"]

LSTMStateTuple = collections.namedtuple("LSTMStateTuple", ("c", "h"))
LSTMStateTuple.__doc__ = "An LSTM's state: the memory `c` and the output `h`, as TF1's."


def _positive(value, what: str) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or value < 1:
        raise UserError(f"{what} must be a positive integer, got {value!r}")
    return value


class _Cell:
    """What the cells share: TF1's scope, building once, `zero_state`, the variables."""

    _base_name = "cell"

    def __init__(self, num_units, activation=None, reuse=None, name=None, dtype=None):
        self._num_units = _positive(num_units, "num_units")
        self._activation = activation or tf.nn.tanh
        self._reuse = reuse
        self._name = name
        self._dtype = dtype
        self._input_depth = None
        self.variables = []

    @property
    def state_size(self):
        return self._num_units

    @property
    def output_size(self):
        return self._num_units

    @property
    def trainable_variables(self):
        return [v for v in self.variables if v.trainable]

    def zero_state(self, batch_size, dtype):
        """Zeros of the state's structure, `batch_size` rows each."""
        static_batch = tf.get_static_value(batch_size)

        def zeros(size):
            state = tf.zeros(tf.stack([batch_size, size]), dtype)
            state.set_shape([None if static_batch is None else int(static_batch), size])
            return state

        return tf.nest.map_structure(zeros, self.state_size)

    def _scope(self):
        base = self._name or self._base_name
        if self._reuse:
            return v1.variable_scope(base, reuse=self._reuse)
        return v1.variable_scope(None, default_name=base)

    def build(self, input_depth, dtype=tf.float32):
        """Make the variables for inputs of `input_depth` features (once; then a check)."""
        if input_depth is None:
            raise UserError(f"{type(self).__name__} needs inputs whose last dimension is known")
        input_depth = int(input_depth)
        if self._input_depth is not None:
            if input_depth != self._input_depth:
                raise UserError(f"{type(self).__name__} was built for inputs of depth "
                                f"{self._input_depth}, got {input_depth}")
            return
        dtype = tf.as_dtype(self._dtype or dtype)
        if not dtype.is_floating:
            raise UserError(f"{type(self).__name__} needs floating inputs, got {dtype.name}")
        with self._scope():
            self._make_variables(input_depth, dtype)
        self.variables = [v for v in vars(self).values() if isinstance(v, tf.Variable)]
        self._input_depth = input_depth

    def __call__(self, inputs, state):
        """One step: `(output, new_state)` for `inputs` of shape (batch, depth)."""
        inputs = tf.convert_to_tensor(inputs)
        self.build(inputs.shape[-1], inputs.dtype.base_dtype)
        return self._step(inputs, state)


class BasicRNNCell(_Cell):
    """`h = activation([x, h] @ kernel + bias)` (tanh by default): TF1's `BasicRNNCell`.

    Variables `<scope>/basic_rnn_cell/kernel` (depth + units, units) and `.../bias` (units,).
    """

    _base_name = "basic_rnn_cell"

    def _make_variables(self, depth, dtype):
        self.kernel = v1.get_variable("kernel", (depth + self._num_units, self._num_units), dtype)
        self.bias = v1.get_variable("bias", (self._num_units,), dtype,
                                    v1.zeros_initializer(dtype=dtype))

    def _step(self, inputs, state):
        gate_inputs = tf.matmul(tf.concat([inputs, state], 1), self.kernel)
        output = self._activation(tf.nn.bias_add(gate_inputs, self.bias))
        return output, output


class LSTMCell(_Cell):
    """TF1's `LSTMCell` without peepholes, clipping or projection.

        i, j, f, o = split([x, h] @ kernel + bias, 4)
        c = sigmoid(f + forget_bias) * c + sigmoid(i) * activation(j)
        h = sigmoid(o) * activation(c)

    Variables `<scope>/lstm_cell/kernel` (depth + units, 4 units) and `.../bias` (4 units,),
    zeros. The state is an `LSTMStateTuple(c, h)`, or `[c, h]` side by side with
    `state_is_tuple=False`. The arguments after `num_units` are keyword-only: TF1's positional
    order (`use_peepholes`, `cell_clip`, ...) names options this cell does not have.
    """

    _base_name = "lstm_cell"

    def __init__(self, num_units, *, initializer=None, forget_bias=1.0, state_is_tuple=True,
                 activation=None, reuse=None, name=None, dtype=None):
        super().__init__(num_units, activation, reuse, name, dtype)
        self._initializer = initializer
        self._forget_bias = forget_bias
        self._state_is_tuple = state_is_tuple

    @property
    def state_size(self):
        units = self._num_units
        return LSTMStateTuple(units, units) if self._state_is_tuple else 2 * units

    def _make_variables(self, depth, dtype):
        units = self._num_units
        self.kernel = v1.get_variable("kernel", (depth + units, 4 * units), dtype,
                                      self._initializer)
        self.bias = v1.get_variable("bias", (4 * units,), dtype,
                                    v1.zeros_initializer(dtype=dtype))

    def _step(self, inputs, state):
        if self._state_is_tuple:
            c_prev, h_prev = state
        else:
            c_prev, h_prev = tf.split(state, 2, axis=1)
        lstm_matrix = tf.nn.bias_add(tf.matmul(tf.concat([inputs, h_prev], 1), self.kernel),
                                     self.bias)
        i, j, f, o = tf.split(lstm_matrix, 4, axis=1)
        c = (tf.sigmoid(f + self._forget_bias) * c_prev
             + tf.sigmoid(i) * self._activation(j))
        h = tf.sigmoid(o) * self._activation(c)
        new_state = LSTMStateTuple(c, h) if self._state_is_tuple else tf.concat([c, h], 1)
        return h, new_state


class BasicLSTMCell(LSTMCell):
    """TF1's `BasicLSTMCell`: the same numbers as `LSTMCell`, under `basic_lstm_cell`."""

    _base_name = "basic_lstm_cell"

    def __init__(self, num_units, forget_bias=1.0, state_is_tuple=True, activation=None,
                 reuse=None, name=None, dtype=None):
        super().__init__(num_units, forget_bias=forget_bias, state_is_tuple=state_is_tuple,
                         activation=activation, reuse=reuse, name=name, dtype=dtype)


class GRUCell(_Cell):
    """TF1's `GRUCell`.

        r, u = split(sigmoid([x, h] @ gates/kernel + gates/bias), 2)
        c = activation([x, r * h] @ candidate/kernel + candidate/bias)
        h = u * h + (1 - u) * c

    Variables `<scope>/gru_cell/gates/kernel` (depth + units, 2 units), `gates/bias` (ones
    unless `bias_initializer`), `candidate/kernel` (depth + units, units), `candidate/bias`
    (zeros unless `bias_initializer`). Keras's `GRU(reset_after=False)` is the same cell.
    """

    _base_name = "gru_cell"

    def __init__(self, num_units, activation=None, reuse=None, kernel_initializer=None,
                 bias_initializer=None, name=None, dtype=None):
        super().__init__(num_units, activation, reuse, name, dtype)
        self._kernel_initializer = kernel_initializer
        self._bias_initializer = bias_initializer

    def _make_variables(self, depth, dtype):
        units, init = self._num_units, self._bias_initializer
        self.gate_kernel = v1.get_variable("gates/kernel", (depth + units, 2 * units), dtype,
                                           self._kernel_initializer)
        self.gate_bias = v1.get_variable("gates/bias", (2 * units,), dtype,
                                         init or v1.constant_initializer(1.0, dtype=dtype))
        self.candidate_kernel = v1.get_variable("candidate/kernel", (depth + units, units),
                                                dtype, self._kernel_initializer)
        self.candidate_bias = v1.get_variable("candidate/bias", (units,), dtype,
                                              init or v1.zeros_initializer(dtype=dtype))

    def _step(self, inputs, state):
        gates = tf.nn.bias_add(tf.matmul(tf.concat([inputs, state], 1), self.gate_kernel),
                               self.gate_bias)
        r, u = tf.split(tf.sigmoid(gates), 2, axis=1)
        candidate = tf.nn.bias_add(
            tf.matmul(tf.concat([inputs, r * state], 1), self.candidate_kernel),
            self.candidate_bias)
        c = self._activation(candidate)
        new_h = u * state + (1 - u) * c
        return new_h, new_h


def dynamic_rnn(cell, inputs, sequence_length=None, initial_state=None, dtype=None,
                parallel_iterations=None, swap_memory=False, time_major=False, scope=None):
    """Run `cell` over the time axis of `inputs`: TF1's `tf.nn.dynamic_rnn`, `(outputs, state)`.

    `inputs` is (batch, time, depth), or (time, batch, depth) with `time_major`; the number of
    steps may be unknown until run time (a `tf.while_loop`). The cell's variables are made in
    `variable_scope(scope or "rnn")` before the loop. Without `initial_state` the state starts
    at zeros of `dtype`. With `sequence_length` (one length per example), the steps past an
    example's length output zeros and carry its state through unchanged, so `state` is the
    state after its last step.
    """
    inputs = tf.convert_to_tensor(inputs)
    if inputs.shape.rank != 3:
        raise UserError(f"dynamic_rnn needs inputs of rank 3, got shape {inputs.shape}")
    if initial_state is None and dtype is None:
        raise UserError("dynamic_rnn needs a dtype when there is no initial_state")
    with v1.variable_scope(scope or "rnn"):
        if not time_major:
            inputs = tf.transpose(inputs, (1, 0, 2))
        steps, batch = tf.shape(inputs)[0], tf.shape(inputs)[1]
        static_batch = inputs.shape[1]
        state = (initial_state if initial_state is not None
                 else cell.zero_state(batch, dtype))
        cell.build(inputs.shape[-1], inputs.dtype.base_dtype)
        if sequence_length is not None:
            sequence_length = tf.cast(sequence_length, tf.int32, name="sequence_length")

        input_ta = tf.TensorArray(inputs.dtype, size=steps).unstack(inputs)
        output_ta = tf.TensorArray(inputs.dtype, size=steps,
                                   element_shape=tf.TensorShape([static_batch,
                                                                 cell.output_size]))

        def step(time, state, output_ta):
            output, new_state = cell(input_ta.read(time), state)
            if sequence_length is not None:
                running = tf.expand_dims(time < sequence_length, 1)
                output = tf.where(running, output, tf.zeros_like(output))
                new_state = tf.nest.map_structure(
                    lambda new, old: tf.where(running, new, old), new_state, state)
            new_state = tf.nest.map_structure(
                lambda new, old: tf.ensure_shape(new, old.shape), new_state, state)
            return time + 1, new_state, output_ta.write(time, output)

        _, state, output_ta = tf.while_loop(
            lambda time, *_: time < steps, step, (tf.constant(0), state, output_ta),
            parallel_iterations=parallel_iterations or 32, swap_memory=swap_memory,
            maximum_iterations=steps)
        outputs = output_ta.stack()
        outputs.set_shape([inputs.shape[0], static_batch, cell.output_size])
        if not time_major:
            outputs = tf.transpose(outputs, (1, 0, 2))
        return outputs, state


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
