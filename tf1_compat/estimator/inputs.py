"""`tf.estimator.inputs.numpy_input_fn` again: NumPy arrays in batches, as TF1's input function.

    input_fn = tf.estimator.inputs.numpy_input_fn({"x": x}, y, batch_size=32, num_epochs=None,
                                                  shuffle=True)
    estimator.train(input_fn, steps=1000)

TF1 fed the arrays through a queue with queue runners; the batches here come from a
`tf.data` generator in the same order: the examples of epoch after epoch as one stream (a batch
may span two epochs), cut into `batch_size` pieces, the last one shorter when `num_epochs` ends
the stream, the batch size fixed in the tensors' shapes when the stream never ends (TF1's
`dequeue_many`). `shuffle=True` permutes each epoch (seeded by the graph's seed, so
`RunConfig(tf_random_seed=...)` repeats it). As in TF1, `shuffle` must be given, and `x` is a dict
of arrays (the features dict) or one array (the features tensor).
"""

from __future__ import annotations

import itertools

import numpy as np
import tensorflow as tf

from tfmodels.core.errors import UserError

__all__ = ["numpy_input_fn"]


def _arrays(value, what: str) -> dict:
    items = value.items() if isinstance(value, dict) else [(None, value)]
    arrays = {}
    for key, array in items:
        array = np.asarray(array)
        if array.ndim == 0:
            name = what if key is None else f"{what}[{key!r}]"
            raise UserError(f"numpy_input_fn's {name} must hold one row per example (an array "
                            f"of rank >= 1). Received: a scalar {array!r}")
        arrays[key] = array
    return arrays


def _check(x, y, batch_size, num_epochs, shuffle):
    if not isinstance(shuffle, bool):
        raise UserError("numpy_input_fn's shuffle must be set to True or False, as TF1 required "
                        f"(True is recommended for training). Received: shuffle={shuffle!r}")
    if isinstance(batch_size, bool) or not isinstance(batch_size, int) or batch_size <= 0:
        raise UserError(f"numpy_input_fn's batch_size must be a positive integer. "
                        f"Received: batch_size={batch_size!r}")
    if num_epochs is not None and (isinstance(num_epochs, bool) or
                                   not isinstance(num_epochs, int) or num_epochs <= 0):
        raise UserError(f"numpy_input_fn's num_epochs must be a positive integer or None. "
                        f"Received: num_epochs={num_epochs!r}")
    features = _arrays(x, "x")
    labels = None if y is None else _arrays(y, "y")
    if isinstance(x, dict) and isinstance(y, dict) and set(x) & set(y):
        raise UserError(f"numpy_input_fn's x and y share keys {sorted(set(x) & set(y))}")
    lengths = {len(a) for a in features.values()} | {len(a) for a in (labels or {}).values()}
    if len(lengths) > 1:
        raise UserError(f"numpy_input_fn's arrays in x and y must have as many rows. "
                        f"Received lengths {sorted(lengths)}")
    if not features:
        raise UserError("numpy_input_fn's x must hold at least one array. Received: x={}")
    return features, labels, lengths.pop()


def _index_batches(length, batch_size, num_epochs, shuffle, seed):
    """The row indices of each batch: epoch after epoch as one stream, cut in batch_size."""
    rng = np.random.RandomState(seed)
    epochs = itertools.count() if num_epochs is None else range(num_epochs)
    stream = (int(i) for _ in epochs
              for i in (rng.permutation(length) if shuffle else range(length)))
    while True:
        batch = list(itertools.islice(stream, batch_size))
        if not batch:
            return
        yield np.asarray(batch)


def _spec(array, batch):
    return tf.TensorSpec((batch,) + array.shape[1:], tf.as_dtype(array.dtype))


def _pack(arrays: dict, rows, as_dict: bool):
    return {k: a[rows] for k, a in arrays.items()} if as_dict else arrays[None][rows]


def numpy_input_fn(x, y=None, batch_size=128, num_epochs=1, shuffle=None, queue_capacity=1000,
                   num_threads=1):
    """An input function giving `(features, labels)` tensors from NumPy arrays, as TF1's.

    `features` is a dict when `x` was one (else a tensor); `labels` likewise, or only `features`
    when `y` is None. `queue_capacity` and `num_threads` tuned TF1's queue and are accepted.
    """
    features, labels, length = _check(x, y, batch_size, num_epochs, shuffle)
    x_dict, y_dict = isinstance(x, dict), isinstance(y, dict)

    def input_fn():
        seed = tf.compat.v1.get_default_graph().seed
        batch = batch_size if num_epochs is None else None

        def generate():
            for rows in _index_batches(length, batch_size, num_epochs, shuffle, seed):
                feats = _pack(features, rows, x_dict)
                yield feats if labels is None else (feats, _pack(labels, rows, y_dict))

        spec_x = ({k: _spec(a, batch) for k, a in features.items()} if x_dict
                  else _spec(features[None], batch))
        spec_y = None if labels is None else (
            {k: _spec(a, batch) for k, a in labels.items()} if y_dict
            else _spec(labels[None], batch))
        signature = spec_x if labels is None else (spec_x, spec_y)
        dataset = tf.data.Dataset.from_generator(generate, output_signature=signature)
        return tf.compat.v1.data.make_one_shot_iterator(dataset).get_next()

    return input_fn
