"""`fit` for a dense spec, in NumPy alone (`tfmodels.core.reference`): the third witness for the
lessons' training runs, which go through Keras.

The same start (`initial_weights`), the same batches (`batch_indices` of each epoch), the same
maths (`mlp_loss_and_grads`, the reference optimizers); the per-epoch loss is what Keras's
History holds: the batches' mean losses weighted by their sizes, and `val_loss` the mean on the
validation data at the epoch's end.
"""

from __future__ import annotations

import numpy as np

from tfmodels.core import reference as ref
from tfmodels.core.data import batch_indices
from tfmodels.core.spec import initial_weights


def numpy_fit(spec, x, y, weights=None, validation=None, dtype=np.float32):
    """Train `spec` (Dense layers only) on `(x, y)`; returns `(history, weights)`.

    `validation`, a pair `(x_val, y_val)`, adds `val_loss`. `dtype` is the arithmetic's:
    float32 follows the tracks' rounding closely, float64 is the exact maths.
    """
    weights = initial_weights(spec) if weights is None else weights
    weights = [np.asarray(w, dtype) for w in weights]
    x, y = np.asarray(x, dtype), np.asarray(y, dtype)
    activations = [layer.activation for layer in spec.layers]
    optimizer = ref.make_optimizer(spec.optimizer)
    history = {"loss": []} | ({"val_loss": []} if validation is not None else {})
    for epoch in range(spec.epochs):
        total = 0.0
        for idx in batch_indices(len(x), spec.batch_size, epoch=epoch, seed=spec.seed):
            loss, grads = ref.mlp_loss_and_grads(weights, activations, x[idx], y[idx],
                                                 spec.loss, spec.from_logits)
            total += float(loss) * len(idx)
            weights = optimizer.apply(weights, grads)
        history["loss"].append(total / len(x))
        if validation is not None:
            x_val, y_val = (np.asarray(a, dtype) for a in validation)
            loss, _ = ref.mlp_loss_and_grads(weights, activations, x_val, y_val, spec.loss,
                                             spec.from_logits)
            history["val_loss"].append(float(loss))
    return history, weights
