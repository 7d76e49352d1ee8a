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
# # Lesson 8: optimizers (C12): the same update in Keras and in TF1
#
# Gradient descent, momentum, Nesterov, Adagrad, RMSProp and Adam exist in both Keras
# (`keras.optimizers`) and TF1 (`tf.compat.v1.train`), with other defaults and, in places,
# other formulas. First one step of each pair, then 50 steps of a small MLP in both tracks:
# the table of docs/optimizers.md.

# %%
import keras
import matplotlib.pyplot as plt
import numpy as np
import tensorflow as tf
from tensorflow.python.util import deprecation

from tfmodels.lessons import lesson_args, log_figure, summary_writer
from tfmodels.optimizer_parity import PAIRINGS, measure, parity_table

args = lesson_args("Lesson 8: optimizers")
v1 = tf.compat.v1

# %% [markdown]
# ## One step, side by side
#
# Each Keras optimizer is given TF1's defaults: Adagrad's sums start at 0.1 and it adds no
# epsilon; Adam's epsilon is 1e-8, RMSProp's 1e-10. One thing a constructor cannot set is left
# as it is: TF1's RMSProp starts its mean of squares at ones, Keras's at zeros, so Keras's first
# step is 1 / sqrt(1 - rho) = 3.2 times larger (`start_like_tf1` in
# `tfmodels/keras_track/optimizers.py` fixes it). A weight of 1, a gradient of 1:

# %%
lr = 0.1
pairs = {  # name: (Keras optimizer, TF1 optimizer), each made fresh for its step
    "gradient descent": (lambda: keras.optimizers.SGD(lr),
                         lambda: v1.train.GradientDescentOptimizer(lr)),
    "momentum": (lambda: keras.optimizers.SGD(lr, momentum=0.9),
                 lambda: v1.train.MomentumOptimizer(lr, 0.9)),
    "Nesterov": (lambda: keras.optimizers.SGD(lr, momentum=0.9, nesterov=True),
                 lambda: v1.train.MomentumOptimizer(lr, 0.9, use_nesterov=True)),
    "Adagrad": (lambda: keras.optimizers.Adagrad(lr, initial_accumulator_value=0.1, epsilon=0.0),
                lambda: v1.train.AdagradOptimizer(lr)),
    "RMSProp": (lambda: keras.optimizers.RMSprop(lr, rho=0.9, epsilon=1e-10),
                lambda: v1.train.RMSPropOptimizer(lr)),
    "Adam": (lambda: keras.optimizers.Adam(lr, epsilon=1e-8),
             lambda: v1.train.AdamOptimizer(lr)),
}
one_step = {}
for name, (make_keras, make_tf1) in pairs.items():
    w = keras.Variable([1.0])
    make_keras().apply_gradients([(np.ones(1, np.float32), w)])
    with tf.Graph().as_default(), v1.Session() as sess:
        tf1_w = v1.get_variable("w", initializer=[1.0])
        with deprecation.silence():  # TF1's own slot code calls an initializer TF deprecated
            step = make_tf1().apply_gradients([(tf.ones(1), tf1_w)])
        sess.run(v1.global_variables_initializer())
        sess.run(step)
        tf1_value = sess.run(tf1_w)[0]
    one_step[name] = float(w.numpy()[0]), float(tf1_value)
    print(f"{name:17s} one step from w = 1: Keras {one_step[name][0]:.6f}, TF1 {tf1_value:.6f}")

# %% [markdown]
# Drawn: how far each first step moves the weight. Only RMSProp's bars differ.

# %%
fig, ax = plt.subplots(figsize=(7, 3.5), dpi=80)
where = np.arange(len(one_step))
ax.bar(where - 0.2, [1 - k for k, _ in one_step.values()], 0.4, label="Keras")
ax.bar(where + 0.2, [1 - t for _, t in one_step.values()], 0.4, label="TF1")
ax.set_xticks(where, list(one_step), rotation=20)
ax.set(title="first step from w = 1, gradient 1, learning rate 0.1", ylabel="1 - w")
ax.legend()
writer = summary_writer(args.logdir, "08_optimizers")
log_figure(writer, "first_steps", fig)
plt.show()

# %% [markdown]
# ## 50 steps, every pairing, float32 and float64
#
# `tfmodels.optimizer_parity` trains a 4-16-3 MLP with each optimizer in both tracks from the
# same weights and batches (the optimizers built from one spec by each track's
# `make_optimizer`), and prints how far apart they end. The last rows are pairings left
# unmapped, to show what the mapping fixes.

# %%
pairings = PAIRINGS[:3] + PAIRINGS[-3:] if args.quick else PAIRINGS
rows = [measure(p, dtype) for p in pairings for dtype in (np.float32, np.float64)]
print(parity_table(rows))

with writer.as_default():
    tf.summary.text("mapping", parity_table(rows).replace("\n", "  \n"), step=0)
writer.flush()
print(f"Logs: {args.logdir}/08_optimizers")
print("Next: lesson 9, overfitting (scripts/09_overfitting.py)")

# %% [markdown]
# In Jupyter, TensorBoard opens inside the notebook (jupytext turns these comments into the
# notebook's magics):

# %%
# %load_ext tensorboard
# %tensorboard --logdir logs
