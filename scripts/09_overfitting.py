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
import keras
import matplotlib.pyplot as plt
import numpy as np

from tfmodels.core.data import load_dataset
from tfmodels.lessons import lesson_args, log_figure, seeded_glorot, summary_writer, write_curves

args = lesson_args("Lesson 9: overfitting")

# %% [markdown]
# ## 40 images, validated on 360
#
# The digits MLP with Adam at 0.01, one batch of all 40 images a step. `validation_data` makes
# `fit` measure the loss on the unseen images after every epoch (`val_loss`). (The starting
# weights are NumPy's seeded Glorot draw, so that the tests can retrain it in NumPy.)

# %%
data = load_dataset("digits")
model = keras.Sequential([keras.Input((64,)),
                          keras.layers.Dense(512, activation="relu"),  # 33,000 weights...
                          keras.layers.Dense(10, activation="softmax")])
model.set_weights(seeded_glorot(model, seed=0))
model.compile(optimizer=keras.optimizers.Adam(learning_rate=0.01),
              loss="categorical_crossentropy")
model.summary()
history = model.fit(data.x_train[:40], data.y_train[:40],  # ...for 40 images
                    batch_size=40, epochs=30 if args.quick else 60,
                    validation_data=(data.x_val, data.y_val), verbose=0)
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

fig, ax = plt.subplots(figsize=(6, 4), dpi=80)
for name, curve in curves.items():
    ax.plot(range(1, len(curve) + 1), curve, label=name)
ax.axvline(best + 1, color="gray", linestyle=":", label="lowest validation loss")
ax.set(title="40 training images", xlabel="epoch", ylabel="loss", yscale="log")
ax.legend()
writer = summary_writer(args.logdir, "09_overfitting")
write_curves(writer, "loss", curves)
log_figure(writer, "train_vs_validation", fig)
plt.show()
print(f"Logs: {args.logdir}/09_overfitting")
print("Next: lesson 10, TF1's graph and Session (scripts/10_tf1_session_basics.py)")

# %% [markdown]
# In Jupyter, TensorBoard opens inside the notebook (jupytext turns these comments into the
# notebook's magics):

# %%
# %load_ext tensorboard
# %tensorboard --logdir logs
