"""TF1's recurrent cells (`tf.compat.v1.nn.rnn_cell.*`), rebuilt: `from tf1_compat import rnn`.

Under Keras 3 the real cells raise; these keep their names, arguments, defaults, variable names
and scopes, so that TF1 checkpoints load by name:

- a cell makes its variables the first time it runs, in `variable_scope(None,
  default_name=<name or "lstm_cell">)` inside the current scope (`rnn/lstm_cell/kernel`), or in
  exactly `scope` when called as `cell(x, state, scope="s")`; with `reuse=True` it opens exactly
  `<name or "lstm_cell">` to share what is there. It keeps that scope and its variables for
  every later call: one cell object is one set of weights;
- `MultiRNNCell` opens `multi_rnn_cell` and runs its i-th cell in `cell_<i>` under it
  (`rnn/multi_rnn_cell/cell_0/lstm_cell/kernel`);
- a cell's own numbers are TF1's, op for op (the same matmul over `[x, h]`, the same order of
  adds and multiplies), so they agree with the real cells bit for bit
  (tests/test_rnn_oracle.py).
"""

from __future__ import annotations

import collections
import re

import numpy as np
import tensorflow as tf

from tfmodels.core.errors import UserError

v1 = tf.compat.v1

__all__ = ["BasicLSTMCell", "BasicRNNCell", "GRUCell", "LSTMCell", "LSTMStateTuple",
           "MultiRNNCell", "RNNCell", "assert_like_rnncell", "check_state", "concat_shape",
           "zeros_for"]


class LSTMStateTuple(collections.namedtuple("LSTMStateTuple", ("c", "h"))):
    """An LSTM's state: the memory `c` and the output `h`, as TF1's (`dtype` is theirs)."""

    __slots__ = ()

    @property
    def dtype(self):
        c, h = self
        if c.dtype != h.dtype:
            raise UserError(f"LSTMStateTuple holds two dtypes. Received: c.dtype={c.dtype.name}, "
                            f"h.dtype={h.dtype.name}")
        return c.dtype


_ACTIVATIONS = {"tanh": tf.tanh, "sigmoid": tf.sigmoid, "relu": tf.nn.relu, "elu": tf.nn.elu,
                "selu": tf.nn.selu, "softplus": tf.math.softplus,
                "softsign": tf.math.softsign, "linear": tf.identity}


def _activation(value):
    """`activation=`: None (tanh), a callable, or the name of one (TF1 took Keras's names)."""
    if value is None:
        return tf.tanh
    if callable(value):
        return value
    if isinstance(value, str) and value in _ACTIVATIONS:
        return _ACTIVATIONS[value]
    raise UserError(f"activation must be a callable or one of {sorted(_ACTIVATIONS)}. "
                    f"Received: activation={value!r}")


def _positive(value, what: str):
    """A positive int (NumPy's integers too, as TF1 took them), or a UserError naming it."""
    if isinstance(value, (bool, np.bool_)) or not isinstance(value, (int, np.integer)) \
            or value < 1:
        raise UserError(f"{what} must be a positive integer. Received: {what}={value!r}")
    return int(value)


def _snake(name: str) -> str:
    """A class's name as Keras made a layer's default name: `LSTMCell` -> `lstm_cell`."""
    name = re.sub(r"(.)([A-Z][a-z0-9]+)", r"\1_\2", name)
    return re.sub(r"([a-z])([A-Z])", r"\1_\2", name).lower()


class _Shown:
    """A state part as an error message shows it: `<float32 (2, 5)>`."""

    def __init__(self, part):
        self.text = (f"<{part.dtype.name} {part.shape}>" if hasattr(part, "shape")
                     else repr(part))

    def __repr__(self):
        return self.text


def _state_text(state) -> str:
    return repr(tf.nest.map_structure(_Shown, state))


def check_state(cell, state, what="state"):
    """`state` must have `cell.state_size`'s structure, each part `size` wide."""
    sizes = cell.state_size
    try:
        tf.nest.assert_same_structure(sizes, state, check_types=False)
    except (ValueError, TypeError):
        raise UserError(f"{type(cell).__name__} needs its {what} structured as its state_size "
                        f"{sizes}. Received: {what}={_state_text(state)}") from None
    for size, part in zip(tf.nest.flatten(sizes), tf.nest.flatten(state)):
        want = tf.TensorShape(size).as_list()
        got = getattr(part, "shape", None)
        if got is None or got.rank is None:
            continue
        if got.rank != 1 + len(want) or not got[1:].is_compatible_with(want):
            raise UserError(f"{type(cell).__name__} needs each part of its {what} of shape "
                            f"(batch, *{want}). Received: {what}={_state_text(state)}")


class RNNCell:
    """TF1's `RNNCell`: `state_size`, `output_size`, `zero_state`, and `__call__(inputs, state,
    scope=None)` -> `(output, new_state)`, which runs `build(inputs_shape)` once and then
    `call(inputs, state)` in the cell's variable scope (see the module's docstring).

    Subclass it as in TF1: define `state_size`, `output_size` and `call`, and make variables
    with `tf.compat.v1.get_variable` (in `call`) or `self.add_weight` (in `build`); both land
    under the cell's scope and in `self.variables`.
    """

    def __init__(self, trainable=True, name=None, dtype=None, _reuse=None):
        self.trainable = trainable
        self._name = name
        self._base_name = name or _snake(type(self).__name__)
        self._dtype = None if dtype is None else tf.as_dtype(dtype)
        self._reuse = _reuse
        self._scope = None
        self._outer_scope = None
        self._variables = []
        self.built = False

    # -- what a cell is --------------------------------------------------------------------------

    @property
    def state_size(self):
        raise NotImplementedError("an RNNCell defines state_size")

    @property
    def output_size(self):
        raise NotImplementedError("an RNNCell defines output_size")

    @property
    def dtype(self):
        return self._dtype

    @property
    def name(self):
        return self._scope.name.rsplit("/", 1)[-1] if self._scope else self._base_name

    @property
    def variables(self):
        return list(self._variables)

    weights = variables

    @property
    def trainable_variables(self):
        return [v for v in self._variables if v.trainable] if self.trainable else []

    trainable_weights = trainable_variables

    @property
    def non_trainable_variables(self):
        return [v for v in self._variables if not (self.trainable and v.trainable)]

    non_trainable_weights = non_trainable_variables

    # -- states ----------------------------------------------------------------------------------

    def zero_state(self, batch_size, dtype):
        """Zeros shaped as `state_size`, `batch_size` rows each (in `<Class>ZeroState`)."""
        with tf.name_scope(type(self).__name__ + "ZeroState"):
            return zeros_for(self.state_size, batch_size, dtype)

    def get_initial_state(self, inputs=None, batch_size=None, dtype=None):
        """`zero_state`, its batch size and dtype taken from `inputs` when given."""
        if inputs is not None:
            inputs = tf.convert_to_tensor(inputs)
            batch_size = inputs.shape[0] or tf.shape(inputs)[0]
            dtype = inputs.dtype
        if batch_size is None or dtype is None:
            raise UserError(f"get_initial_state needs a batch_size and a dtype. Received: "
                            f"batch_size={batch_size}, dtype={dtype}")
        return self.zero_state(batch_size, dtype)

    # -- running ---------------------------------------------------------------------------------

    def build(self, inputs_shape):
        """Make the variables for inputs of `inputs_shape` (a subclass's; nothing here)."""
        self.built = True

    def call(self, inputs, state):
        raise NotImplementedError("an RNNCell defines call(inputs, state)")

    def add_weight(self, name, shape, dtype=None, initializer=None, trainable=True,
                   partitioner=None, **kwargs):
        """`get_variable(name, ...)` in the cell's scope (what `build` calls)."""
        dtype = dtype or self._dtype or tf.float32
        return v1.get_variable(name, shape, dtype, initializer, trainable=trainable,
                               partitioner=partitioner, **kwargs)

    add_variable = add_weight

    def _set_scope(self, scope):
        """TF1's scope: exactly `scope` if given (or the name, with reuse), else a unique one."""
        if self._scope is not None:
            return
        if self._reuse:
            opened = v1.variable_scope(scope if scope is not None else self._base_name)
        else:
            opened = v1.variable_scope(scope, default_name=self._base_name)
        with opened as captured:
            self._scope = captured

    def _track(self, getter, *args, **kwargs):
        variable = getter(*args, **kwargs)
        partitioned = type(variable).__name__ == "PartitionedVariable"
        parts = list(variable) if partitioned else [variable]
        for part in parts:
            if all(part is not known for known in self._variables):
                self._variables.append(part)
        return variable

    _layer_cell = False  # TF1's own cells went straight to the layer's call (no outer scope)

    def __call__(self, inputs, state, scope=None):
        """One step: `(output, new_state)`, building the variables on the first call.

        The scopes are entered as TF1's did (an `RNNCell` re-enters the current variable scope
        first), so that even the ops' names are TF1's: graph rewriting (Grappler) orders some
        sums by name, and equal names keep the numbers equal bit for bit."""
        if self._layer_cell:
            return self._layer_call(inputs, state, scope)
        if scope is not None:
            with v1.variable_scope(scope) as opened:
                return self._layer_call(inputs, state, opened)
        if self._outer_scope is None:
            self._outer_scope = v1.variable_scope(v1.get_variable_scope())
        with self._outer_scope:
            return self._layer_call(inputs, state, None)

    def _layer_call(self, inputs, state, scope):
        self._set_scope(scope)
        inputs = tf.nest.map_structure(tf.convert_to_tensor, inputs)
        first = tf.nest.flatten(inputs)[0]
        if self._dtype is None:
            self._dtype = first.dtype.base_dtype
        reuse = True if self.built else self._reuse
        with v1.variable_scope(self._scope, reuse=reuse, auxiliary_name_scope=False,
                               custom_getter=self._track) as current, \
                tf.name_scope(current.original_name_scope):
            if not self.built:
                self.build(first.shape)
                self.built = True
            return self.call(inputs, state)


def concat_shape(batch_size, size):
    """TF1's `_concat`: the 1-D shape tensor `[batch_size, *size]` (the same ops as TF1's)."""
    if tf.is_tensor(batch_size):
        prefix = batch_size if batch_size.shape.rank else tf.expand_dims(batch_size, 0)
    else:
        prefix = tf.constant([int(batch_size)], dtype=tf.int32)
    return tf.concat((prefix, tf.constant(tf.TensorShape(size).as_list(), tf.int32)), 0)


def _static_twin(batch_size, size):
    """The unused ops of TF1's second, static `_concat` (kept so that every op's name is TF1's:
    graph rewriting orders some sums by name)."""
    if tf.is_tensor(batch_size):
        if not batch_size.shape.rank:
            tf.expand_dims(batch_size, 0)
    else:
        tf.constant([int(batch_size)], dtype=tf.int32)
    tf.constant(tf.TensorShape(size).as_list(), tf.int32)


def zeros_for(sizes, batch_size, dtype):
    """Zeros of structure `sizes`, each (batch_size, *size), with the static batch when known."""
    static_batch = (batch_size if isinstance(batch_size, (int, np.integer))
                    else tf.get_static_value(batch_size))

    def zeros(size):
        out = tf.zeros(concat_shape(batch_size, size), dtype=dtype)
        if not tf.executing_eagerly():
            _static_twin(batch_size, size)
            out.set_shape([None if static_batch is None else int(static_batch),
                           *tf.TensorShape(size).as_list()])
        return out

    return tf.nest.map_structure(zeros, sizes)


class _LayerCell(RNNCell):
    """What TF1's own cells share: `num_units`, `activation`, `reuse`, floating inputs of a
    known depth (checked before any variable is made)."""

    _layer_cell = True

    def __init__(self, num_units, activation=None, reuse=None, name=None, dtype=None,
                 trainable=True):
        super().__init__(trainable=trainable, name=name, dtype=dtype, _reuse=reuse)
        self._num_units = _positive(num_units, "num_units")
        self._activation = _activation(activation)

    def __call__(self, inputs, state, scope=None):
        inputs = tf.convert_to_tensor(inputs)
        if inputs.shape.rank != 2:
            raise UserError(f"{type(self).__name__} needs inputs of shape (batch, depth). "
                            f"Received: inputs.shape={inputs.shape}")
        if not (inputs.dtype.is_floating or inputs.dtype.is_complex):
            raise UserError(f"{type(self).__name__} needs floating inputs. Received: "
                            f"inputs.dtype={inputs.dtype.name}")
        depth = getattr(self, "_input_depth", None)
        if depth is not None and inputs.shape[-1] != depth:
            raise UserError(f"{type(self).__name__} was built for inputs of depth {depth}, got "
                            f"{inputs.shape[-1]}. Received: inputs.shape={inputs.shape}")
        check_state(self, state)
        return super().__call__(inputs, state, scope)

    def build(self, inputs_shape):
        depth = tf.TensorShape(inputs_shape)[-1]
        if depth is None:
            raise UserError(f"{type(self).__name__} needs inputs whose last dimension is known. "
                            f"Received: inputs.shape={tf.TensorShape(inputs_shape)}")
        self._make_variables(int(depth))
        self._input_depth = int(depth)
        self.built = True

    @staticmethod
    def _zeros():
        """Zeros, in the dtype `get_variable` calls the initializer with (the variable's). TF1's
        cells passed the dtype to the constructor, which TF deprecated (and warned about)."""
        return v1.zeros_initializer()

    @property
    def state_size(self):
        """`num_units` (an LSTM's cells override: a state of two parts)."""
        return self._num_units

    @property
    def output_size(self):
        return self._num_units


class BasicRNNCell(_LayerCell):
    """TF1's `BasicRNNCell`: `h = activation([x, h] @ kernel + bias)` (tanh by default).

    Variables `<scope>/basic_rnn_cell/kernel` (depth + units, units) and `.../bias` (units,),
    zeros.
    """

    def _make_variables(self, depth):
        units = self._num_units
        self.kernel = self.add_weight("kernel", [depth + units, units])
        self.bias = self.add_weight("bias", [units], initializer=self._zeros())

    def call(self, inputs, state):
        gate_inputs = tf.matmul(tf.concat([inputs, state], 1), self.kernel)
        output = self._activation(tf.nn.bias_add(gate_inputs, self.bias))
        return output, output


class GRUCell(_LayerCell):
    """TF1's `GRUCell`.

        r, u = split(sigmoid([x, h] @ gates/kernel + gates/bias), 2)
        c = activation([x, r * h] @ candidate/kernel + candidate/bias)
        h = u * h + (1 - u) * c

    Variables `<scope>/gru_cell/gates/kernel` (depth + units, 2 units), `gates/bias` (ones
    unless `bias_initializer`), `candidate/kernel` (depth + units, units), `candidate/bias`
    (zeros unless `bias_initializer`). Keras's `GRU(reset_after=False)` is the same cell.
    """

    def __init__(self, num_units, activation=None, reuse=None, kernel_initializer=None,
                 bias_initializer=None, name=None, dtype=None, trainable=True):
        super().__init__(num_units, activation, reuse, name, dtype, trainable)
        self._kernel_initializer = kernel_initializer
        self._bias_initializer = bias_initializer

    def _make_variables(self, depth):
        units, kernel_init, bias_init = (self._num_units, self._kernel_initializer,
                                         self._bias_initializer)
        self.gate_kernel = self.add_weight("gates/kernel", [depth + units, 2 * units],
                                           initializer=kernel_init)
        self.gate_bias = self.add_weight(
            "gates/bias", [2 * units],
            initializer=bias_init or v1.constant_initializer(1.0))  # dtype: as in _zeros
        self.candidate_kernel = self.add_weight("candidate/kernel", [depth + units, units],
                                                initializer=kernel_init)
        self.candidate_bias = self.add_weight("candidate/bias", [units],
                                              initializer=bias_init or self._zeros())

    def call(self, inputs, state):
        gates = tf.nn.bias_add(tf.matmul(tf.concat([inputs, state], 1), self.gate_kernel),
                               self.gate_bias)
        r, u = tf.split(tf.sigmoid(gates), 2, axis=1)
        candidate = tf.nn.bias_add(
            tf.matmul(tf.concat([inputs, r * state], 1), self.candidate_kernel),
            self.candidate_bias)
        c = self._activation(candidate)
        new_h = u * state + (1 - u) * c
        return new_h, new_h


class BasicLSTMCell(_LayerCell):
    """TF1's `BasicLSTMCell`: `LSTMCell`'s numbers without its options, under
    `basic_lstm_cell` (`kernel` (depth + units, 4 units) over `[x, h]`, gates i, j, f, o;
    `bias` zeros; `forget_bias` added when it runs). TF1 warned it was deprecated."""

    def __init__(self, num_units, forget_bias=1.0, state_is_tuple=True, activation=None,
                 reuse=None, name=None, dtype=None, trainable=True):
        super().__init__(num_units, activation, reuse, name, dtype, trainable)
        self._forget_bias = forget_bias
        self._state_is_tuple = state_is_tuple

    @property
    def state_size(self):
        units = self._num_units
        return LSTMStateTuple(units, units) if self._state_is_tuple else 2 * units

    @property
    def output_size(self):
        return self._num_units

    def _make_variables(self, depth):
        units = self._num_units
        self.kernel = self.add_weight("kernel", [depth + units, 4 * units])
        self.bias = self.add_weight("bias", [4 * units], initializer=self._zeros())

    def call(self, inputs, state):
        one = tf.constant(1, dtype=tf.int32)
        if self._state_is_tuple:
            c, h = state
        else:
            c, h = tf.split(state, 2, axis=one)
        gate_inputs = tf.nn.bias_add(tf.matmul(tf.concat([inputs, h], 1), self.kernel),
                                     self.bias)
        i, j, f, o = tf.split(gate_inputs, 4, axis=one)
        forget_bias = tf.constant(self._forget_bias, dtype=f.dtype)
        add, multiply = tf.add, tf.multiply  # TF1's own calls (op names `Add`, `Mul`)
        new_c = add(multiply(c, tf.sigmoid(add(f, forget_bias))),
                    multiply(tf.sigmoid(i), self._activation(j)))
        new_h = multiply(self._activation(new_c), tf.sigmoid(o))
        new_state = (LSTMStateTuple(new_c, new_h) if self._state_is_tuple
                     else tf.concat([new_c, new_h], 1))
        return new_h, new_state


class LSTMCell(_LayerCell):
    """TF1's `LSTMCell`, every option:

        i, j, f, o = split([x, m] @ kernel + bias, 4)
        c = sigmoid(f + forget_bias [+ w_f_diag * c]) * c + sigmoid(i [+ w_i_diag * c]) * act(j)
        c = clip(c, cell_clip)                                   (with cell_clip)
        m = sigmoid(o [+ w_o_diag * c]) * act(c)
        m = clip(m @ projection/kernel, proj_clip)               (with num_proj [, proj_clip])

    Variables under `lstm_cell`: `kernel` (depth + h, 4 units) where h is `num_proj` or
    `num_units`, `bias` (4 units,) zeros, with `use_peepholes` `w_f_diag`, `w_i_diag`,
    `w_o_diag` (units,), with `num_proj` `projection/kernel` (units, num_proj); `initializer`
    is for all but the bias (default Glorot uniform, `get_variable`'s). `num_unit_shards` /
    `num_proj_shards` split the kernels with a `fixed_size_partitioner` (`kernel/part_0`, ...).
    The state is `LSTMStateTuple(c, m)`, or `[c, m]` side by side with `state_is_tuple=False`.
    """

    def __init__(self, num_units, use_peepholes=False, cell_clip=None, initializer=None,
                 num_proj=None, proj_clip=None, num_unit_shards=None, num_proj_shards=None,
                 forget_bias=1.0, state_is_tuple=True, activation=None, reuse=None, name=None,
                 dtype=None, trainable=True):
        super().__init__(num_units, activation, reuse, name, dtype, trainable)
        self._use_peepholes = use_peepholes
        self._cell_clip = cell_clip
        self._initializer = initializer
        self._num_proj = None if num_proj is None else _positive(num_proj, "num_proj")
        self._proj_clip = proj_clip
        self._shards = [None if n is None else _positive(n, what)
                        for n, what in ((num_unit_shards, "num_unit_shards"),
                                        (num_proj_shards, "num_proj_shards"))]
        self._forget_bias = forget_bias
        self._state_is_tuple = state_is_tuple

    @property
    def state_size(self):
        c, m = self._num_units, self._num_proj or self._num_units
        return LSTMStateTuple(c, m) if self._state_is_tuple else c + m

    @property
    def output_size(self):
        return self._num_proj or self._num_units

    def _make_variables(self, depth):
        units, init = self._num_units, self._initializer
        partitioners = [n and v1.fixed_size_partitioner(n) for n in self._shards]
        self.kernel = self.add_weight("kernel", [depth + self.output_size, 4 * units],
                                      initializer=init, partitioner=partitioners[0])
        self.bias = self.add_weight("bias", [4 * units], initializer=self._zeros())
        if self._use_peepholes:
            self.w_f_diag, self.w_i_diag, self.w_o_diag = (
                self.add_weight(name, [units], initializer=init)
                for name in ("w_f_diag", "w_i_diag", "w_o_diag"))
        if self._num_proj is not None:
            self.proj_kernel = self.add_weight("projection/kernel", [units, self._num_proj],
                                               initializer=init, partitioner=partitioners[1])

    def call(self, inputs, state):
        units, sigmoid, act = self._num_units, tf.sigmoid, self._activation
        if self._state_is_tuple:
            c_prev, m_prev = state
        else:
            c_prev = tf.slice(state, [0, 0], [-1, units])
            m_prev = tf.slice(state, [0, units], [-1, self.output_size])
        lstm_matrix = tf.nn.bias_add(tf.matmul(tf.concat([inputs, m_prev], 1), self.kernel),
                                     self.bias)
        i, j, f, o = tf.split(lstm_matrix, 4, axis=1)
        if self._use_peepholes:
            c = (sigmoid(f + self._forget_bias + self.w_f_diag * c_prev) * c_prev
                 + sigmoid(i + self.w_i_diag * c_prev) * act(j))
        else:
            c = sigmoid(f + self._forget_bias) * c_prev + sigmoid(i) * act(j)
        if self._cell_clip is not None:
            c = tf.clip_by_value(c, -self._cell_clip, self._cell_clip)
        if self._use_peepholes:
            m = sigmoid(o + self.w_o_diag * c) * act(c)
        else:
            m = sigmoid(o) * act(c)
        if self._num_proj is not None:
            m = tf.matmul(m, self.proj_kernel)
            if self._proj_clip is not None:
                m = tf.clip_by_value(m, -self._proj_clip, self._proj_clip)
        new_state = LSTMStateTuple(c, m) if self._state_is_tuple else tf.concat([c, m], 1)
        return m, new_state


class MultiRNNCell(RNNCell):
    """TF1's `MultiRNNCell`: the cells in turn, each one's output the next one's input.

    Its scope is `multi_rnn_cell` (unique in the current scope), the i-th cell runs in
    `cell_<i>` under it. The state is a tuple of the cells' states, or all of them side by side
    with `state_is_tuple=False` (then no cell may have a tuple state).
    """

    def __init__(self, cells, state_is_tuple=True):
        super().__init__()
        if not isinstance(cells, (list, tuple)) or not cells:
            raise UserError(f"MultiRNNCell needs a non-empty list of cells. Received: "
                            f"cells={cells!r}")
        for i, cell in enumerate(cells):
            assert_like_rnncell(f"cells[{i}]", cell)
        self._cells = list(cells)
        self._state_is_tuple = state_is_tuple
        if not state_is_tuple and any(tf.nest.is_nested(c.state_size) for c in cells):
            raise UserError("MultiRNNCell(state_is_tuple=False) needs cells whose states are "
                            "single tensors. Received: state sizes "
                            f"{[c.state_size for c in cells]}")

    @property
    def state_size(self):
        if self._state_is_tuple:
            return tuple(cell.state_size for cell in self._cells)
        return sum(cell.state_size for cell in self._cells)

    @property
    def output_size(self):
        return self._cells[-1].output_size

    def zero_state(self, batch_size, dtype):
        with tf.name_scope(type(self).__name__ + "ZeroState"):
            if self._state_is_tuple:
                return tuple(cell.zero_state(batch_size, dtype) for cell in self._cells)
            return super().zero_state(batch_size, dtype)

    def __call__(self, inputs, state, scope=None):
        check_state(self, state)
        return super().__call__(inputs, state, scope)

    def call(self, inputs, state):
        position, current, new_states = 0, inputs, []
        for i, cell in enumerate(self._cells):
            with v1.variable_scope(f"cell_{i}"):
                if self._state_is_tuple:
                    cell_state = state[i]
                else:
                    cell_state = tf.slice(state, [0, position], [-1, cell.state_size])
                    position += cell.state_size
                current, new_state = cell(current, cell_state)
                new_states.append(new_state)
        return current, (tuple(new_states) if self._state_is_tuple
                         else tf.concat(new_states, 1))


def assert_like_rnncell(what, cell):
    """TF1's check that `cell` can be run: sizes, a zero state, callable; else a UserError."""
    missing = [m for m, ok in (
        ("output_size", hasattr(cell, "output_size")),
        ("state_size", hasattr(cell, "state_size")),
        ("zero_state", hasattr(cell, "zero_state") or hasattr(cell, "get_initial_state")),
        ("__call__", callable(cell))) if not ok]
    if missing:
        raise UserError(f"{what} must be an RNNCell (it lacks {', '.join(missing)}). "
                        f"Received: {what}={cell!r}")
