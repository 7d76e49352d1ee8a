"""Lesson 8: optimizers (C12): one spec, the same update in Keras and in TF1.

Trains a 4-16-3 MLP for 50 steps with each optimizer in both tracks from the same weights and
batches, in float32 and float64, and prints how far apart they end: the table of
docs/optimizers.md. The last rows are pairings left unmapped, to show what the mapping fixes.
"""

import numpy as np
import tensorflow as tf

from tfmodels.lessons import lesson_args, summary_writer
from tfmodels.optimizer_parity import PAIRINGS, measure, table

args = lesson_args(__doc__)
pairings = PAIRINGS[:3] + PAIRINGS[-3:] if args.quick else PAIRINGS
rows = [measure(p, dtype) for p in pairings for dtype in (np.float32, np.float64)]
print(table(rows))

writer = summary_writer(args.logdir, "08_optimizers")
with writer.as_default():
    tf.summary.text("mapping", table(rows).replace("\n", "  \n"), step=0)
writer.flush()
print(f"Logs: {args.logdir}/08_optimizers")
