"""TF1's cell wrappers (`tf.compat.v1.nn.rnn_cell.DropoutWrapper`, `ResidualWrapper`,
`DeviceWrapper`), rebuilt: `from tf1_compat import rnn`.

A wrapper has no variable scope of its own: it runs the wrapped cell's `__call__` (passing
`scope` on), so a wrapped `LSTMCell`'s variables are the same `rnn/lstm_cell/kernel` as a bare
one's, as in TF1.

How `DropoutWrapper` draws its masks, as TF1's did (the same ops, so with a `seed` the same
masks bit for bit):
- each kept value is scaled by `1 / keep_prob`, each dropped one is 0;
- not variational: a fresh `tf.nn.dropout` mask on every step (every call), one per tensor:
  the inputs, the new state (each part the filter lets through: by default every part but an
  LSTM's memory `c`), the output. With `seed`, the i-th tensor of kind `input`/`state`/
  `output` gets the op seed `int(md5(f"{seed}{kind}_{i}")[:8], 16) & 0x7fffffff`, so each
  gets its own stream, and a graph-level seed (`tf.compat.v1.set_random_seed`) is still
  mixed in; without `seed` each draws from its own unseeded op;
- inside `dynamic_rnn` one op draws every step's mask from its stream; the input masks of
  later steps need nothing of earlier ones, so with `parallel_iterations` > 1 the steps may
  take their draws in another order from run to run (in TF1 as here): give
  `parallel_iterations=1` for masks that repeat exactly;
- `variational_recurrent=True`: one uniform noise tensor per part, of shape (1, size), drawn
  once per `Session.run` when the wrapper is made (so `input_size` and `dtype` must be given):
  the same mask for every example of the batch and every step of the sequence.
Keras 3's `LSTM(dropout=, recurrent_dropout=)` is neither: it draws one mask per example (not
shared across the batch) for the whole sequence, drops the inputs and the `h` fed to the
recurrent kernel but never the state carried on or returned; so its masks cannot be made equal
to these.
"""

from __future__ import annotations

import hashlib
import numbers

import tensorflow as tf

from tf1_compat.rnn_cells import LSTMStateTuple, RNNCell, assert_like_rnncell
from tfmodels.core.errors import UserError

v1 = tf.compat.v1
_nest = tf.__internal__.nest

__all__ = ["DeviceWrapper", "DropoutWrapper", "ResidualWrapper"]


class _Wrapper(RNNCell):
    """Sizes, zero state and variables of the wrapped cell; `__call__` goes through `_wrap`."""

    def __init__(self, cell, dtype=None):
        super().__init__(dtype=dtype)
        assert_like_rnncell("cell", cell)
        self.cell = cell

    @property
    def state_size(self):
        return self.cell.state_size

    @property
    def output_size(self):
        return self.cell.output_size

    @property
    def wrapped_cell(self):
        return self.cell

    @property
    def variables(self):
        return list(getattr(self.cell, "variables", []))

    weights = variables

    @property
    def trainable_variables(self):
        return list(getattr(self.cell, "trainable_variables", []))

    trainable_weights = trainable_variables

    def zero_state(self, batch_size, dtype):
        with tf.name_scope(type(self).__name__ + "ZeroState"):
            return self.cell.zero_state(batch_size, dtype)

    def build(self, inputs_shape):
        self.cell.build(inputs_shape)
        self.built = True

    def __call__(self, inputs, state, scope=None):
        return self._wrap(inputs, state, lambda x, s: self.cell(x, s, scope=scope))


def _enumerated(shallow, fn, *structures):
    """`map_structure_up_to(shallow, fn(i, ...))`, i counting the leaves of `shallow`."""
    count = [0]

    def numbered(*leaves):
        out = fn(count[0], *leaves)
        count[0] += 1
        return out

    return _nest.map_structure_up_to(shallow, numbered, *structures)


def _default_state_filter(substate):
    """TF1's: drop every part of the state but an LSTM's memory `c`, and no TensorArray."""
    if isinstance(substate, LSTMStateTuple):
        return LSTMStateTuple(c=False, h=True)
    if isinstance(substate, tf.TensorArray):
        return False
    return True


class DropoutWrapper(_Wrapper):
    """TF1's `DropoutWrapper`: dropout on a cell's inputs, new state and output (how the masks
    are drawn: the module's docstring). A keep probability of exactly 1.0 adds no op; a tensor
    is always applied."""

    def __init__(self, cell, input_keep_prob=1.0, output_keep_prob=1.0, state_keep_prob=1.0,
                 variational_recurrent=False, input_size=None, dtype=None, seed=None,
                 dropout_state_filter_visitor=None):
        super().__init__(cell, dtype=dtype)
        if dropout_state_filter_visitor is not None and not callable(
                dropout_state_filter_visitor):
            raise UserError("dropout_state_filter_visitor must be callable. Received: "
                            f"dropout_state_filter_visitor={dropout_state_filter_visitor!r}")
        self._state_filter = dropout_state_filter_visitor or _default_state_filter
        with tf.name_scope("DropoutWrapperInit"):
            self._input_keep_prob, self._state_keep_prob, self._output_keep_prob = (
                _keep_prob(p, what) for p, what in (
                    (input_keep_prob, "input_keep_prob"), (state_keep_prob, "state_keep_prob"),
                    (output_keep_prob, "output_keep_prob")))
        self._variational_recurrent = variational_recurrent
        self._input_size = input_size
        self._seed = seed
        self._noise = {"input": None, "state": None, "output": None}
        if variational_recurrent:
            self._draw_noise(cell, input_size, dtype)

    def _draw_noise(self, cell, input_size, dtype):
        if dtype is None:
            raise UserError("DropoutWrapper(variational_recurrent=True) needs a dtype. "
                            "Received: dtype=None")

        def noise(kind):
            def draw(i, size):
                shape = tf.concat(([1], tf.TensorShape(size).as_list()), 0)
                return tf.random.uniform(shape, seed=self._gen_seed(kind, i), dtype=dtype)
            return draw

        keep = self._input_keep_prob
        if not isinstance(keep, numbers.Real) or keep < 1.0:
            if input_size is None:
                raise UserError("DropoutWrapper(variational_recurrent=True) with "
                                "input_keep_prob < 1 needs input_size. Received: "
                                "input_size=None")
            self._noise["input"] = _enumerated(input_size, noise("input"), input_size)
        self._noise["state"] = _enumerated(cell.state_size, noise("state"), cell.state_size)
        self._noise["output"] = _enumerated(cell.output_size, noise("output"),
                                            cell.output_size)

    def _gen_seed(self, kind, index):
        """The op seed of the `index`-th tensor of `kind` (TF1's: from an MD5 of the seed)."""
        if self._seed is None:
            return None
        text = f"{self._seed}{kind}_{index}".encode()
        return int(hashlib.md5(text).hexdigest()[:8], 16) & 0x7FFFFFFF

    def _dropout(self, values, kind, keep_prob, shallow=None):
        shallow = values if shallow is None else shallow

        def fresh(i, do_dropout, value):
            if isinstance(do_dropout, bool) and not do_dropout:
                return value
            return tf.nn.dropout(value, rate=1.0 - keep_prob, seed=self._gen_seed(kind, i))

        def variational(i, do_dropout, value, noise):
            if isinstance(do_dropout, bool) and not do_dropout:
                return value
            out = tf.divide(value, keep_prob) * tf.floor(keep_prob + noise)
            out.set_shape(value.shape)
            return out

        if not self._variational_recurrent:
            return _enumerated(shallow, fresh, shallow, values)
        return _enumerated(shallow, variational, shallow, values, self._noise[kind])

    def _wrap(self, inputs, state, run_cell):
        def applies(p):
            return not isinstance(p, float) or p < 1

        if applies(self._input_keep_prob):
            inputs = self._dropout(inputs, "input", self._input_keep_prob)
        output, new_state = run_cell(inputs, state)
        if applies(self._state_keep_prob):
            shallow = _nest.get_traverse_shallow_structure(self._state_filter, new_state)
            new_state = self._dropout(new_state, "state", self._state_keep_prob, shallow)
        if applies(self._output_keep_prob):
            output = self._dropout(output, "output", self._output_keep_prob)
        return output, new_state


def _keep_prob(value, what):
    """A constant keep probability as a float in [0, 1], a tensor one as it is."""
    tensor = tf.convert_to_tensor(value)
    constant = tf.get_static_value(tensor)
    if constant is None:
        return tensor
    if not 0 <= constant <= 1:
        raise UserError(f"{what} must be between 0 and 1. Received: {what}={value!r}")
    return float(constant)


class ResidualWrapper(_Wrapper):
    """TF1's `ResidualWrapper`: the cell's output plus its inputs (`residual_fn(inputs,
    outputs)` instead, if given); the state is the cell's."""

    def __init__(self, cell, residual_fn=None):
        super().__init__(cell)
        self._residual_fn = residual_fn

    def _wrap(self, inputs, state, run_cell):
        outputs, new_state = run_cell(inputs, state)
        if self._residual_fn is not None:
            return self._residual_fn(inputs, outputs), new_state
        try:
            tf.nest.assert_same_structure(inputs, outputs)
        except (ValueError, TypeError):
            raise UserError("ResidualWrapper needs the cell's output structured as its inputs. "
                            f"Received: inputs={inputs}, outputs={outputs}") from None

        def add(x, out):
            if not x.shape.is_compatible_with(out.shape):
                raise UserError("ResidualWrapper needs the cell's output of its inputs' shape. "
                                f"Received: inputs.shape={x.shape}, output.shape={out.shape}")
            return x + out

        return tf.nest.map_structure(add, inputs, outputs), new_state


class DeviceWrapper(_Wrapper):
    """TF1's `DeviceWrapper`: the cell's step and zero state built under `tf.device(device)`."""

    def __init__(self, cell, device):
        super().__init__(cell)
        self._device = device

    def zero_state(self, batch_size, dtype):
        with tf.name_scope(type(self).__name__ + "ZeroState"), v1.device(self._device):
            return self.cell.zero_state(batch_size, dtype)

    def _wrap(self, inputs, state, run_cell):
        with v1.device(self._device):
            return run_cell(inputs, state)
