"""TF1's RNN functions (`tf.compat.v1.nn.static_rnn`, `dynamic_rnn`, their bidirectional
forms), rebuilt over any cell (tf1_compat's, or a user's `RNNCell`): `from tf1_compat import rnn`.

What TF1 did, and these do (op for op, so the numbers agree with the real functions bit for bit:
tests/test_rnn_oracle.py):
- scopes: `rnn` (or `scope`) around the cell, so its variables are `rnn/lstm_cell/kernel`; the
  bidirectional forms open `bidirectional_rnn` (or `scope`) and run the forward cell in `fw`,
  the backward one in `bw` (`bidirectional_rnn/fw/lstm_cell/kernel`). Outside a loop the scope
  caches variable reads on the device of the op that reads them, as TF1's did;
- without `initial_state` the state starts at the cell's zeros of `dtype` (then required);
- `sequence_length` (one length per example): a step at or past an example's length outputs
  zeros and carries its state through unchanged, so the final state is the one after its last
  step (its initial state for length 0). The bidirectional forms reverse each example within its
  own length (`reverse_sequence`), so the backward pass starts at its last real step;
- `dynamic_rnn` runs a `tf.while_loop` over (time, batch, depth) inputs (batch-major ones are
  transposed in and out unless `time_major`), stopping after the longest sequence; `static_rnn`
  unrolls a Python list of (batch, depth) steps, sharing the cell's variables across them.
"""

from __future__ import annotations

import tensorflow as tf

from tf1_compat.rnn_cells import assert_like_rnncell, check_state, concat_shape
from tfmodels.core.errors import UserError

v1 = tf.compat.v1

__all__ = ["bidirectional_dynamic_rnn", "dynamic_rnn", "static_bidirectional_rnn",
           "static_rnn"]


def _cache_reads(varscope):
    """TF1's: outside any while loop (and not eagerly), read variables where they are used.

    Not inside a `tf.function` either (TF1 did it there too): a TF1StyleLayer's variable store
    (tfmodels/tf1_style.py) refuses a caching device, and the numbers do not depend on it."""
    if tf.executing_eagerly():
        return
    graph = v1.get_default_graph()
    if graph.building_function:
        return
    in_loop = type(graph).__name__ in ("WhileCondFuncGraph", "WhileBodyFuncGraph")
    context = graph._get_control_flow_context()  # TF1's own test of a v1 while loop
    while context is not None and not in_loop:
        in_loop, context = context.IsWhileContext(), context.outer_context
    if not in_loop and varscope.caching_device is None:
        varscope.set_caching_device(lambda op: op.device)


def _start_state(cell, initial_state, batch_size, dtype, what):
    if initial_state is not None:
        check_state(cell, initial_state, "initial_state")
        return initial_state
    if not dtype:
        raise UserError(f"{what} needs a dtype when there is no initial_state. Received: "
                        "dtype=None")
    if getattr(cell, "get_initial_state", None) is not None:
        return cell.get_initial_state(inputs=None, batch_size=batch_size, dtype=dtype)
    return cell.zero_state(batch_size, dtype)


def _state_dtype(dtype, state):
    if dtype is not None:
        return dtype
    dtypes = {t.dtype for t in tf.nest.flatten(state)}
    if len(dtypes) != 1:
        raise UserError(f"the initial state mixes dtypes; give dtype. Received: "
                        f"{sorted(d.name for d in dtypes)}")
    return dtypes.pop()


def _static_shape(prefix, size):
    """`prefix + size` as a TensorShape, making the constants TF1's static `_concat` made (so
    that every later op's name is TF1's: graph rewriting orders some sums by name)."""
    prefix = tf.TensorShape(prefix)
    if prefix.is_fully_defined():
        tf.constant(prefix.as_list(), dtype=tf.int32)
    tf.constant(tf.TensorShape(size).as_list(), dtype=tf.int32)
    return prefix.concatenate(size)


def _zero_outputs(cell, batch_size, static_batch, dtype, static_twin):
    def zeros(size):
        out = tf.zeros(concat_shape(batch_size, size), dtype)
        shape = (_static_shape([static_batch], size) if static_twin
                 else tf.TensorShape([static_batch]).concatenate(size))
        out.set_shape(shape)
        return out
    return tf.nest.map_structure(zeros, cell.output_size)


def _lengths(sequence_length, what):
    sequence_length = tf.cast(sequence_length, tf.int32)
    if sequence_length.shape.rank not in (None, 1):
        raise UserError(f"{what}'s sequence_length must be a vector of one length per example."
                        f" Received: sequence_length.shape={sequence_length.shape}")
    return sequence_length


def _colocated(tensor):
    """TF1's internal `ops.colocate_with(tensor)`: the ops made in it are placed with `tensor`
    (eagerly: on its device). Through the graph's own method, as TF's internal one does: the
    public `tf.compat.v1.colocate_with` is deprecated and warns on its first use."""
    if tf.executing_eagerly():
        return tf.device(tensor.device)
    return v1.get_default_graph().colocate_with(tensor)


def _step(time, lengths, zero_output, state, call_cell, skip_conditionals):
    """One step with `sequence_length`: TF1's `_rnn_step` (where, and conds unless skipped)."""
    flat_state, flat_zero = tf.nest.flatten(state), tf.nest.flatten(zero_output)
    sequence_length, min_length, max_length = lengths
    copy_cond = time >= sequence_length

    def copy_one(old, new):
        if isinstance(old, tf.TensorArray) or old.shape.rank == 0:
            return new
        with _colocated(new):
            return v1.where(copy_cond, old, new)

    def copy_some(flat_output, flat_new_state):
        return ([copy_one(z, o) for z, o in zip(flat_zero, flat_output)]
                + [copy_one(s, n) for s, n in zip(flat_state, flat_new_state)])

    def run_and_copy():
        output, new_state = call_cell()
        flat_output, flat_new = tf.nest.flatten(output), tf.nest.flatten(new_state)
        if skip_conditionals:
            return copy_some(flat_output, flat_new)
        return tf.cond(time < min_length, lambda: flat_output + flat_new,
                       lambda: copy_some(flat_output, flat_new))

    if skip_conditionals:
        both = run_and_copy()
    else:
        both = tf.cond(time >= max_length, lambda: flat_zero + flat_state, run_and_copy)
    output, new_state = both[:len(flat_zero)], both[len(flat_zero):]
    for out, zero in zip(output, flat_zero):
        out.set_shape(zero.shape)
    for new, old in zip(new_state, flat_state):
        if not isinstance(new, tf.TensorArray):
            new.set_shape(old.shape)
    return (tf.nest.pack_sequence_as(zero_output, output),
            tf.nest.pack_sequence_as(state, new_state))


def _static_inputs(inputs, what):
    """The first step's tensor, after checking the steps' batch sizes and known depths."""
    if not isinstance(inputs, (list, tuple)) or not inputs:
        raise UserError(f"{what} needs its inputs as a non-empty list of (batch, depth) steps. "
                        f"Received: inputs={inputs!r}")
    first = inputs
    while tf.nest.is_nested(first):
        first = first[0]
    if first.shape.rank == 1:
        return first
    batch = first.shape[0]
    for step in tf.nest.flatten(inputs):
        if step.shape.rank is None or step.shape.rank < 2:
            raise UserError(f"{what} needs each step of shape (batch, depth). Received: "
                            f"a step of shape {step.shape}")
        if not tf.TensorShape([batch]).is_compatible_with([step.shape[0]]):
            raise UserError(f"{what} needs every step of one batch size. Received: shapes "
                            f"{first.shape} and {step.shape}")
        if not step.shape[1:].is_fully_defined():
            raise UserError(f"{what} needs inputs whose depth is known. Received: a step of "
                            f"shape {step.shape}")
    return first


def static_rnn(cell, inputs, initial_state=None, dtype=None, sequence_length=None, scope=None):
    """TF1's `tf.nn.static_rnn`: the cell unrolled over a list of (batch, depth) steps.

    Returns `(outputs, state)`: a list of one output per step, and the final state.
    """
    assert_like_rnncell("cell", cell)
    inputs = tf.nest.map_structure(tf.convert_to_tensor, inputs)
    outputs = []
    with v1.variable_scope(scope or "rnn") as varscope:
        _cache_reads(varscope)
        first = _static_inputs(inputs, "static_rnn")
        static_batch = tf.compat.dimension_value(first.shape[0])  # a Dimension under TF1
        batch_size = static_batch if static_batch is not None else tf.shape(first)[0]
        state = _start_state(cell, initial_state, batch_size, dtype, "static_rnn")
        if sequence_length is not None:
            sequence_length = tf.convert_to_tensor(sequence_length, name="sequence_length")
            zero_output = _zero_outputs(cell, batch_size, static_batch,
                                        _state_dtype(dtype, state), static_twin=True)
            sequence_length = _lengths(sequence_length, "static_rnn")
            lengths = (sequence_length, tf.reduce_min(sequence_length),
                       tf.reduce_max(sequence_length))
        for time, step in enumerate(inputs):
            if time > 0:
                varscope.reuse_variables()

            def call_cell(step=step, state=state):
                return cell(step, state)

            if sequence_length is None:
                output, state = call_cell()
            else:
                output, state = _step(time, lengths, zero_output, state, call_cell, False)
            outputs.append(output)
        return outputs, state


def _reverse_steps(steps, lengths):
    """A list of steps in reverse order; with `lengths`, each example within its own length."""
    if lengths is None:
        return list(reversed(steps))
    flat = [tf.nest.flatten(step) for step in steps]
    columns = []
    for sequence in zip(*flat):
        shape = tf.TensorShape(None) if sequence[0].shape.rank is None else \
            tf.TensorShape([None] * sequence[0].shape.rank)
        for step in sequence:
            shape.assert_is_compatible_with(step.shape)
            step.set_shape(shape)
        reversed_ = tf.unstack(tf.reverse_sequence(tf.stack(sequence), lengths, 0, 1))
        for step in reversed_:
            step.set_shape(shape)
        columns.append(reversed_)
    return [tf.nest.pack_sequence_as(step, [column[t] for column in columns])
            for t, step in enumerate(steps)]


def static_bidirectional_rnn(cell_fw, cell_bw, inputs, initial_state_fw=None,
                             initial_state_bw=None, dtype=None, sequence_length=None,
                             scope=None):
    """TF1's `tf.nn.static_bidirectional_rnn`: `static_rnn` forward (scope `fw`) and over the
    reversed steps (`bw`), in `bidirectional_rnn`.

    Returns `(outputs, state_fw, state_bw)`, each output the forward and (re-reversed)
    backward outputs of a step side by side.
    """
    assert_like_rnncell("cell_fw", cell_fw)
    assert_like_rnncell("cell_bw", cell_bw)
    _static_inputs(inputs, "static_bidirectional_rnn")
    with v1.variable_scope(scope or "bidirectional_rnn"):
        with v1.variable_scope("fw") as fw_scope:
            output_fw, state_fw = static_rnn(cell_fw, inputs, initial_state_fw, dtype,
                                             sequence_length, scope=fw_scope)
        with v1.variable_scope("bw") as bw_scope:
            reversed_inputs = _reverse_steps(inputs, sequence_length)
            tmp, state_bw = static_rnn(cell_bw, reversed_inputs, initial_state_bw, dtype,
                                       sequence_length, scope=bw_scope)
    output_bw = _reverse_steps(tmp, sequence_length)
    flat = tuple(tf.concat([fw, bw], 1) for fw, bw in zip(tf.nest.flatten(output_fw),
                                                          tf.nest.flatten(output_bw)))
    return tf.nest.pack_sequence_as(output_fw, flat), state_fw, state_bw


def _to_time_major(x):
    if x.shape.rank is not None and x.shape.rank < 2:
        return x
    out = tf.transpose(x, tf.concat(([1, 0], tf.range(2, tf.rank(x))), axis=0))
    out.set_shape(tf.TensorShape([x.shape[1], x.shape[0]]).concatenate(x.shape[2:]))
    return out


def _batch_of(flat_inputs):
    for x in flat_inputs:  # an int, not TF1's Dimension (after disable_v2_behavior)
        if x.shape.rank is not None and tf.compat.dimension_value(x.shape[1]) is not None:
            return tf.compat.dimension_value(x.shape[1])
    return tf.shape(flat_inputs[0])[1]


def dynamic_rnn(cell, inputs, sequence_length=None, initial_state=None, dtype=None,
                parallel_iterations=None, swap_memory=False, time_major=False, scope=None):
    """TF1's `tf.nn.dynamic_rnn`: the cell over the time axis in a `tf.while_loop`.

    `inputs` is (batch, time, depth), or (time, batch, depth) with `time_major` (or a nested
    structure of such); returns `(outputs, state)`, the outputs in the inputs' layout.
    """
    assert_like_rnncell("cell", cell)
    with v1.variable_scope(scope or "rnn") as varscope:
        _cache_reads(varscope)
        flat = [tf.convert_to_tensor(x) for x in tf.nest.flatten(inputs)]
        for x in flat:
            if x.shape.rank is not None and x.shape.rank != 3:
                raise UserError(f"dynamic_rnn needs inputs of rank 3 (batch, time, depth). "
                                f"Received: inputs.shape={x.shape}")
        if not time_major:
            flat = [_to_time_major(x) for x in flat]
        if sequence_length is not None:
            sequence_length = _lengths(sequence_length, "dynamic_rnn")
            sequence_length = tf.identity(sequence_length, name="sequence_length")
        batch_size = _batch_of(flat)
        state = _start_state(cell, initial_state, batch_size, dtype, "dynamic_rnn")
        if not tf.executing_eagerly() and sequence_length is not None:
            sequence_length = _checked_lengths(sequence_length, batch_size)
        inputs = tf.nest.pack_sequence_as(inputs, flat)
        outputs, state = _dynamic_loop(cell, inputs, state, parallel_iterations or 32,
                                       swap_memory, sequence_length, dtype)
        if not time_major:
            outputs = tf.nest.map_structure(_to_time_major, outputs)
        return outputs, state


def _checked_lengths(sequence_length, batch_size):
    """TF1's run-time check that there is one length per example."""
    got, want = tf.shape(sequence_length), tf.stack([batch_size])
    check = tf.debugging.Assert(tf.reduce_all(tf.equal(got, want)), [
        f"Expected shape for Tensor {sequence_length.name} is ", want, " but saw shape: ",
        got])
    with tf.control_dependencies([check]):
        return tf.identity(sequence_length, name="CheckSeqLen")


def _dynamic_loop(cell, inputs, state, parallel_iterations, swap_memory, sequence_length,
                  dtype):
    flat_input = tf.nest.flatten(inputs)
    flat_output_size = tf.nest.flatten(cell.output_size)
    time_steps = tf.shape(flat_input[0])[0]
    batch_size = _batch_of(flat_input)
    shapes = [x.shape.with_rank_at_least(3) for x in flat_input]
    const_steps, const_batch = shapes[0].as_list()[:2]
    for x, shape in zip(flat_input, shapes):
        if not shape[2:].is_fully_defined():
            raise UserError(f"dynamic_rnn needs inputs whose depth is known. Received: "
                            f"inputs.shape={x.shape}")
        if shape.as_list()[:2] != [const_steps, const_batch]:
            raise UserError(f"dynamic_rnn needs inputs of one length and batch size. "
                            f"Received: shapes {shapes[0]} and {shape}")
    out_dtype = _state_dtype(dtype, state)
    zero_output = _zero_outputs(cell, batch_size, const_batch, out_dtype, static_twin=False)
    if sequence_length is not None:
        lengths = (sequence_length, tf.reduce_min(sequence_length),
                   tf.reduce_max(sequence_length))
        max_length = lengths[2]
    else:
        max_length = time_steps
    time = tf.constant(0, dtype=tf.int32, name="time")
    output_ta = tuple(tf.TensorArray(out_dtype, size=time_steps, element_shape=tf.TensorShape(
        [const_batch]).concatenate(tf.TensorShape(size))) for size in flat_output_size)
    input_ta = tuple(tf.TensorArray(x.dtype, size=time_steps, element_shape=x.shape[1:])
                     .unstack(x) for x in flat_input)

    def body(time, output_ta, state):
        step = [ta.read(time) for ta in input_ta]
        for x, shape in zip(step, shapes):
            x.set_shape(shape[1:])
        step = tf.nest.pack_sequence_as(inputs, step)

        def call_cell():
            return cell(step, state)

        if sequence_length is not None:
            output, new_state = _step(time, lengths, zero_output, state, call_cell, True)
        else:
            output, new_state = call_cell()
        output_ta = tuple(ta.write(time, out)
                          for ta, out in zip(output_ta, tf.nest.flatten(output)))
        return time + 1, output_ta, new_state

    bound = time_steps if tf.executing_eagerly() else tf.minimum(
        time_steps, tf.maximum(1, max_length))
    _, output_ta, state = tf.while_loop(
        lambda time, *_: time < bound, body, (time, output_ta, state),
        parallel_iterations=parallel_iterations, maximum_iterations=time_steps,
        swap_memory=swap_memory)
    outputs = []
    for ta, size in zip(output_ta, flat_output_size):
        out = ta.stack()
        out.set_shape(_static_shape([const_steps, const_batch], size))
        outputs.append(out)
    return tf.nest.pack_sequence_as(cell.output_size, outputs), state


def bidirectional_dynamic_rnn(cell_fw, cell_bw, inputs, sequence_length=None,
                              initial_state_fw=None, initial_state_bw=None, dtype=None,
                              parallel_iterations=None, swap_memory=False, time_major=False,
                              scope=None):
    """TF1's `tf.nn.bidirectional_dynamic_rnn`: `dynamic_rnn` forward (scope `fw`) and over the
    reversed inputs (`bw`), in `bidirectional_rnn`.

    Returns `((output_fw, output_bw), (state_fw, state_bw))`, the backward outputs reversed
    back into the inputs' order.
    """
    assert_like_rnncell("cell_fw", cell_fw)
    assert_like_rnncell("cell_bw", cell_bw)
    time_axis, batch_axis = (0, 1) if time_major else (1, 0)

    def reverse(x):
        if sequence_length is not None:
            return tf.reverse_sequence(x, sequence_length, seq_axis=time_axis,
                                       batch_axis=batch_axis)
        return tf.reverse(x, axis=[time_axis])

    options = dict(sequence_length=sequence_length, dtype=dtype, swap_memory=swap_memory,
                   parallel_iterations=parallel_iterations, time_major=time_major)
    with v1.variable_scope(scope or "bidirectional_rnn"):
        with v1.variable_scope("fw") as fw_scope:
            output_fw, state_fw = dynamic_rnn(cell_fw, inputs, initial_state=initial_state_fw,
                                              scope=fw_scope, **options)
        with v1.variable_scope("bw") as bw_scope:
            reversed_inputs = tf.nest.map_structure(reverse, inputs)
            tmp, state_bw = dynamic_rnn(cell_bw, reversed_inputs,
                                        initial_state=initial_state_bw, scope=bw_scope,
                                        **options)
    output_bw = reverse(tmp)
    return (output_fw, output_bw), (state_fw, state_bw)
