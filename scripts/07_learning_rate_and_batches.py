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
# # Lesson 7: the learning rate (C10), batch sizes (C11) and iterations (C14)
#
# Gradient descent steps against the gradient, `w -= learning_rate * dL/dw`. Too low a rate
# barely moves the loss; too high jumps across the valley (or overflows). Each step uses one
# sample (stochastic), a mini-batch, or all samples (full batch): an epoch is ceil(N / batch)
# updates, and that is what both tracks count.

# %%
import math

from tf1_compat.model import Model
from tfmodels.core.data import load_dataset
from tfmodels.core.registry import get_spec
from tfmodels.core.spec import OptimizerSpec
from tfmodels.keras_track.model import build_model
from tfmodels.lessons import lesson_args, summary_writer, write_curves

args = lesson_args("Lesson 7: learning rate, batch sizes, iterations")

# %% [markdown]
# ## C10: three learning rates
#
# The digits MLP under plain gradient descent (`OptimizerSpec("sgd")` is Keras's `SGD`), from
# the same weights, at 1e-4, 0.1 and 5.

# %%
epochs = 3 if args.quick else 10
data = load_dataset("digits")
curves = {}
for rate in (1e-4, 0.1, 5.0):
    spec = get_spec("mnist_mlp", epochs=epochs, seed=0, batch_size=32).replace(
        optimizer=OptimizerSpec("sgd", {"learning_rate": rate}))
    history = build_model(spec).fit(data.x_train, data.y_train, batch_size=spec.batch_size,
                                    epochs=spec.epochs, verbose=0)
    curves[f"lr={rate:g}"] = history.history["loss"]
for name, losses in curves.items():
    print(f"{name:9s} loss per epoch: " + " ".join(f"{v:.3f}" for v in losses))

# %% [markdown]
# ## C11: one sample, a mini-batch, or all 300 per step
#
# The spiral classifier at batch sizes 1, 32 and 300. Smaller batches make more (noisier)
# updates per epoch; the optimizer's `iterations` counts them.

# %%
data = load_dataset("spiral", 0)
batches = {}
for size in (1, 32, 300):
    spec = get_spec("spiral", epochs=1 if args.quick else 5, seed=0, batch_size=size).replace(
        optimizer=OptimizerSpec("sgd", {"learning_rate": 0.05}))
    model = build_model(spec)
    history = model.fit(data.x_train, data.y_train, batch_size=size, epochs=spec.epochs,
                        verbose=0)
    batches[f"batch={size}"] = history.history["loss"], int(model.optimizer.iterations)
for name, (losses, updates) in batches.items():
    print(f"{name:10s} {updates:5d} updates, final loss {losses[-1]:.4f}")

# %% [markdown]
# ## C14: iterations = ceil(N / batch) x epochs, in both tracks
#
# 50 samples in batches of 16 are 4 batches an epoch (the last one of 2 samples). Keras counts
# updates in `optimizer.iterations`, TF1 in the graph's `global_step`.

# %%
spec = get_spec("binary4", epochs=3, batch_size=16, seed=0)
data = load_dataset("binary4", 0)
x, y = data.x_train[:50], data.y_train[:50]
model = build_model(spec)
model.fit(x, y, batch_size=16, epochs=3, verbose=0)
with Model(spec) as tf1_model:  # the same network as a TF1 graph in a Session
    tf1_model.fit(x, y, batch_size=16, epochs=3, verbose=0)
    tf1_iterations = tf1_model.iterations
print(f"50 samples, batch 16, 3 epochs: ceil(50/16) x 3 = {math.ceil(50 / 16) * 3}; "
      f"Keras made {int(model.optimizer.iterations)} updates, TF1 {tf1_iterations}")

writer = summary_writer(args.logdir, "07_learning_rate_and_batches")
write_curves(writer, "loss", {**curves, **{k: v[0] for k, v in batches.items()}})
print(f"Logs: {args.logdir}/07_learning_rate_and_batches")

# %% [markdown]
# In Jupyter, TensorBoard opens inside the notebook (jupytext turns these comments into the
# notebook's magics):

# %%
# %load_ext tensorboard
# %tensorboard --logdir logs
