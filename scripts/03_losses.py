"""Lesson 3: losses (C09, C26), on probabilities and on logits.

Keras's cross-entropies take probabilities unless told `from_logits=True`; on probabilities
they clip to [1e-7, 1 - 1e-7], so a certain mistake costs -log(1e-7) = 16.1, not infinity.
"""

import numpy as np
import tensorflow as tf

from tf1_compat import losses as tf1_losses
from tfmodels.core import reference as ref
from tfmodels.keras_track import losses as keras_losses
from tfmodels.lessons import lesson_args, summary_writer

args = lesson_args(__doc__)
y = np.array([[1.0, 0.0, 0.0], [0.0, 1.0, 0.0]])
logits = np.array([[2.0, 1.0, 0.1], [0.5, 2.5, 0.3]])
probs = ref.softmax(logits)
print("L1 sum", keras_losses.l1(y, probs).numpy(), " MAE",
      keras_losses.mean_absolute_error(y, probs).numpy())
print("L2 sum", keras_losses.l2(y, probs).numpy(), " MSE",
      keras_losses.mean_squared_error(y, probs).numpy())
on_probs = keras_losses.categorical_crossentropy(y, probs).numpy()
on_logits = keras_losses.categorical_crossentropy(y, logits, from_logits=True).numpy()
print("categorical CE on probabilities", on_probs, "on logits", on_logits)
sparse = keras_losses.sparse_categorical_crossentropy(np.array([0, 1]), probs).numpy()
print("sparse CE with integer labels [0, 1]:", sparse)
with tf.Graph().as_default(), tf.compat.v1.Session() as sess:
    tf1_value = sess.run(tf1_losses.categorical_crossentropy(y, tf.constant(logits),
                                                             from_logits=True))
print("TF1 softmax_cross_entropy_with_logits:", tf1_value, "NumPy:",
      ref.categorical_crossentropy(y, logits, from_logits=True))
certain_mistake = np.array([[0.0, 1.0, 0.0]])
capped = keras_losses.categorical_crossentropy(y[:1], certain_mistake).numpy()
print("a certain mistake costs", capped, "= -log(1e-7) =", -np.log(1e-7))

writer = summary_writer(args.logdir, "03_losses")
with writer.as_default():
    for step, p in enumerate(np.linspace(0.01, 0.99, 50)):  # the loss as the true prob. grows
        tf.summary.scalar("cross_entropy_of_true_class", -np.log(p), step=step)
writer.flush()
print(f"Logs: {args.logdir}/03_losses")
