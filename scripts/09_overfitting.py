# ---
# jupyter:
#   jupytext:
#     formats: py:percent
#   kernelspec:
#     display_name: Python 3 (ipykernel)
#     language: python
#     name: python3
# ---

# %% [markdown]
# # Lesson 9: overfitting (C28)
#
# A big model on 40 training images learns them by heart. The training loss keeps falling; the
# validation loss (360 unseen images) reaches its lowest point early and then climbs: the model
# fits the noise of the few samples it sees.

# %%
import numpy as np

from tfmodels.core.data import load_dataset
from tfmodels.core.registry import get_spec
from tfmodels.core.spec import OptimizerSpec
from tfmodels.keras_track.model import build_model
from tfmodels.lessons import lesson_args, summary_writer, write_curves

args = lesson_args("Lesson 9: overfitting")

# %% [markdown]
# ## 40 images, validated on 360
#
# The digits MLP with Adam at 0.01, one batch of all 40 images a step. `validation_data` makes
# `fit` measure the loss on the unseen images after every epoch (`val_loss`).

# %%
spec = get_spec("mnist_mlp", epochs=30 if args.quick else 60, seed=0, batch_size=40).replace(
    optimizer=OptimizerSpec("adam", {"learning_rate": 0.01}))
data = load_dataset("digits")
model = build_model(spec)
history = model.fit(data.x_train[:40], data.y_train[:40], batch_size=spec.batch_size,
                    epochs=spec.epochs, validation_data=(data.x_val, data.y_val), verbose=0)
curves = {"train": history.history["loss"], "validation": history.history["val_loss"]}

# %% [markdown]
# ## Where the two curves part
#
# The epoch with the lowest validation loss is where training should have stopped (Keras's
# `EarlyStopping(restore_best_weights=True)` stops a few epochs later and goes back to it).

# %%
val = np.array(curves["validation"])
best = int(val.argmin())
print(f"validation loss lowest at epoch {best + 1}: {val[best]:.3f}; at the end {val[-1]:.3f}")
print(f"training loss then {curves['train'][best]:.4f}; at the end {curves['train'][-1]:.5f}")
print("diverging:", val[-1] > 1.2 * val[best] and curves["train"][-1] < curves["train"][best])

writer = summary_writer(args.logdir, "09_overfitting")
write_curves(writer, "loss", curves)
print(f"Logs: {args.logdir}/09_overfitting")

# %% [markdown]
# In Jupyter, TensorBoard opens inside the notebook (jupytext turns these comments into the
# notebook's magics):

# %%
# %load_ext tensorboard
# %tensorboard --logdir logs
