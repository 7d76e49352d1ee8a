"""TF1's `Dropout` (`tf.compat.v1.layers.dropout`), and the Keras 3 masks of `keras_seed` and
`keras_masks`.
"""

from __future__ import annotations

import contextlib
import numbers
import threading

import tensorflow as tf

from tf1_compat.layers.base import Layer, UserError, check_training, smart_cond

v1 = tf.compat.v1

__all__ = ["Dropout", "dropout", "keras_masks"]


class Dropout(Layer):
    """TF1's `tf.layers.Dropout(rate, noise_shape, seed)`, called as `layer(x, training=...)`
    (see `dropout`). `rate` is a number in [0, 1] or a tensor (a placeholder: TF1 took one);
    `keras_seed` and `keras_jit_compile` are this module's (see `dropout`)."""

    def __init__(self, rate=0.5, noise_shape=None, seed=None, name=None, *, keras_seed=None,
                 keras_jit_compile=False, **kwargs):
        if not (tf.is_tensor(rate) or isinstance(rate, tf.Variable)):
            if not isinstance(rate, numbers.Real) or not 0 <= rate <= 1:
                raise UserError(f"rate must be in [0, 1], got {rate!r}")
        if keras_seed is not None and (isinstance(keras_seed, bool)
                                       or not isinstance(keras_seed, int)):
            raise UserError(f"keras_seed must be an integer, got {keras_seed!r}")
        super().__init__(name=name, **kwargs)
        self.rate, self.noise_shape, self.seed = rate, noise_shape, seed
        self.keras_seed, self.keras_jit_compile = keras_seed, keras_jit_compile

    def call(self, inputs, training=False):
        training = check_training(training)
        rate = self.rate
        if isinstance(rate, numbers.Real):
            if rate == 0:
                return tf.identity(inputs)
            if rate == 1:  # TF1's tf.nn.dropout refuses rate 1; Keras returns zeros
                return smart_cond(training, lambda: tf.zeros_like(inputs),
                                  lambda: tf.identity(inputs))
        noise_shape = self.noise_shape
        if self.keras_seed is None:
            noise_shape = _concrete(noise_shape, inputs)

            def dropped():  # looked up when called: keras_masks() puts its own in its place
                return tf.nn.dropout(inputs, rate=rate, noise_shape=noise_shape, seed=self.seed)
        else:
            counter = v1.get_variable("seed_counter", (), tf.int64, v1.zeros_initializer(),
                                      trainable=False, use_resource=True,
                                      collections=[v1.GraphKeys.GLOBAL_VARIABLES])

            def dropped():
                return _keras_dropout(inputs, rate, noise_shape, self.keras_seed, counter,
                                      self.keras_jit_compile)

        return smart_cond(training, dropped, lambda: tf.identity(inputs))


def _concrete(noise_shape, inputs):
    """TF1's `_get_noise_shape`: None entries of a list `noise_shape` take the inputs' size."""
    if noise_shape is None or tf.is_tensor(noise_shape) or None not in list(noise_shape):
        return noise_shape
    shape = tf.shape(inputs)
    return tf.stack([shape[i] if d is None else d for i, d in enumerate(noise_shape)])


def dropout(inputs, rate=0.5, noise_shape=None, seed=None, training=False, name=None, *,
            keras_seed=None, keras_jit_compile=False):
    """Zero each input with probability `rate` while `training`, scaling the kept ones by
    `1 / (1 - rate)`: TF1's `tf.layers.dropout`. Not training, the inputs pass unchanged.

    By default the mask comes from `tf.nn.dropout` with the op seed `seed` (and the graph's
    seed), as in TF1. With `keras_seed=s` it is the mask that Keras 3's `Dropout(rate, seed=s)`
    draws under the TensorFlow backend, call for call. Keras keeps a `SeedGenerator` state, an
    int64 variable `[s, n]` starting at `[s, 0]`; each training call reads it, adds 1 to `n`, and
    draws `tf.nn.experimental.stateless_dropout(inputs, rate, noise_shape=tf.shape(inputs),
    seed=int32(floormod([s, n], 2**31 - 2)))` (`keras.src.backend.tensorflow.random.dropout`;
    a `noise_shape` has its None entries filled from the inputs' shape). Here `n` is a
    non-trainable int64 variable `<scope>/seed_counter` (saved by a `Saver`, initialised to 0),
    read and advanced once per `session.run` that takes the training branch, so the k-th run
    draws Keras's k-th mask. Calls not training, and `rate` 0 or 1 (Keras returns the inputs or
    zeros without drawing), do not advance it. To continue a Keras layer, assign
    `layer.seed_generator.state[1]` to the counter.

    XLA draws other masks from the same seeds. Keras compiled with XLA (`jit_compile=True`,
    which `fit` picks by default on a machine with a GPU and no distribution strategy) is
    matched with `keras_jit_compile=True`, which compiles the draw with XLA too (`jit_scope`;
    checked on CPU).

    Unnamed calls get a counter each, as separate Keras layers would; calls with the same `name`
    share one, as calls of one Keras layer share its state (two such calls in one `run` then
    draw in an unspecified order).

    Under several replicas (Keras under `MirroredStrategy`; checked on two logical CPUs): the
    state is a mirrored variable with aggregation "none", so every replica keeps its own copy,
    starting at `[s, 0]` and advanced once per call. Every replica thus draws the same seed and,
    for per-replica batches of the same shape, the same mask as every other replica (and as one
    device would for that shape): the replicas do not drop different units. TF1 towers that each
    call this function in their own scope reproduce that, each tower having its own counter.
    """
    if keras_seed is not None and name is not None:  # calls named alike share one counter
        layer = Dropout(rate, noise_shape, seed, name=name, keras_seed=keras_seed,
                        keras_jit_compile=keras_jit_compile, _scope=name, _reuse=v1.AUTO_REUSE)
    else:
        layer = Dropout(rate, noise_shape, seed, name=name, keras_seed=keras_seed,
                        keras_jit_compile=keras_jit_compile)
    return layer(inputs, training=training)


def _keras_dropout(inputs, rate, noise_shape, seed, counter, jit_compile):
    """Keras 3's TensorFlow `dropout` with the seed `[seed, counter]`; advances the counter."""
    count = counter.read_value()
    with tf.control_dependencies([count]):
        advance = counter.assign_add(1, read_value=False)
    outputs = _keras_draw(inputs, rate, noise_shape, seed, count, jit_compile)
    with tf.control_dependencies([advance]):
        return tf.identity(outputs)


def _keras_draw(inputs, rate, noise_shape, seed, count, jit_compile=False):
    """What Keras 3's TensorFlow `dropout` draws from a SeedGenerator whose state is
    `[seed, count]` (`draw_seed` + `_cast_seed` of `keras.src.backend.tensorflow.random`)."""
    state = tf.stack([tf.constant(seed, tf.int64), tf.cast(count, tf.int64)])
    keras_seed = tf.cast(tf.math.floormod(state, tf.int32.max - 1), tf.int32)
    shape = tf.shape(inputs)
    if tf.is_tensor(noise_shape):  # TF1 code's tf.stack([tf.shape(h)[0], 1]): as given
        shape = noise_shape
    elif noise_shape is not None:  # Keras's _get_concrete_noise_shape: None takes the input's
        shape = [shape[i] if d is None else d for i, d in enumerate(noise_shape)]
    with tf.xla.experimental.jit_scope() if jit_compile else contextlib.nullcontext():
        return tf.nn.experimental.stateless_dropout(inputs, rate=rate, noise_shape=shape,
                                                    seed=keras_seed)


_MASKS = threading.local()  # .seed_and_step while keras_masks() is active in this thread


@contextlib.contextmanager
def keras_masks(seed: int, step):
    """Dropout masks aligned with Keras 3's, for tests (the Keras 3 stand-in for the migration
    guide's `DeterministicRandomTestTool`): while the context is active in this thread, every
    `dropout` of this module without `keras_seed`, and every `tf.nn.dropout` and
    `tf.compat.v1.nn.dropout` (the latter's `keep_prob` too), draws the mask that a Keras 3
    `Dropout` layer draws when its seed generator's state is `[seed, step]`. `step` is a number
    or an integer tensor (a placeholder, fed a new value each `session.run`). Set every Keras
    `Dropout` layer's `seed_generator.state` to `[seed, step]` before its call and the two sides
    drop the same units; the kit's `verify` does both. Every dropout draws from the same seed,
    so two dropouts of the same shape drop the same units (the guide's "constant" mode).
    `tf.nn.dropout` is replaced in TensorFlow's modules while the context is active (and put
    back after): code that imported the function itself beforehand is not reached.
    """
    if isinstance(seed, bool) or not isinstance(seed, int):
        raise UserError(f"seed must be an integer, got {seed!r}")
    previous = getattr(_MASKS, "seed_and_step", None)
    nn_v2, nn_v1 = tf.nn.dropout, v1.nn.dropout

    def dropout_v2(x, rate, noise_shape=None, seed=None, name=None):
        if getattr(_MASKS, "seed_and_step", None) is None:  # a thread outside the context
            return nn_v2(x, rate=rate, noise_shape=noise_shape, seed=seed, name=name)
        with tf.name_scope(name or "dropout"):
            return _keras_draw(tf.convert_to_tensor(x), rate, noise_shape,
                               *_MASKS.seed_and_step)

    def dropout_v1(x, keep_prob=None, noise_shape=None, seed=None, name=None, rate=None):
        if rate is None:
            if keep_prob is None:
                raise UserError("tf.compat.v1.nn.dropout needs keep_prob or rate")
            rate = 1 - keep_prob
        return dropout_v2(x, rate, noise_shape, seed, name)

    _MASKS.seed_and_step = (seed, step)
    tf.nn.dropout, v1.nn.dropout = dropout_v2, dropout_v1
    try:
        yield
    finally:
        _MASKS.seed_and_step = previous
        tf.nn.dropout, v1.nn.dropout = nn_v2, nn_v1

