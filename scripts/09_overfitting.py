"""Lesson 9: overfitting (C28). A big model on 40 training images learns them by heart.

The training loss keeps falling; the validation loss (360 unseen images) reaches its lowest
point early and then climbs: the model fits the noise of the few samples it sees.
"""

import numpy as np

from tfmodels.lessons import lesson_args, overfitting_curves, summary_writer, write_curves

args = lesson_args(__doc__)
curves = overfitting_curves(epochs=30 if args.quick else 60)
val = np.array(curves["validation"])
best = int(val.argmin())
print(f"validation loss lowest at epoch {best + 1}: {val[best]:.3f}; at the end {val[-1]:.3f}")
print(f"training loss then {curves['train'][best]:.4f}; at the end {curves['train'][-1]:.5f}")
print("diverging:", val[-1] > 1.2 * val[best] and curves["train"][-1] < curves["train"][best])

writer = summary_writer(args.logdir, "09_overfitting")
write_curves(writer, "loss", curves)
print(f"Logs: {args.logdir}/09_overfitting")
