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
# # Lesson 6: input scaling (C04) and initialisation (C05)
#
# Pixels as raw bytes 0..255 make a layer's sums, and its gradients, 255 times larger than
# pixels scaled to 0..1: the same learning rate now overshoots. Weights all started at zero
# make every hidden unit compute the same thing and receive the same update, so they stay
# identical: small random weights (Glorot, uniform +-0.1, 0.01 randn) break that symmetry;
# biases may start at zero.

# %%
import keras
import matplotlib.pyplot as plt
import numpy as np
import tensorflow as tf

from tfmodels.core.data import load_dataset
from tfmodels.lessons import lesson_args, log_figure, seeded_glorot, summary_writer, write_curves

args = lesson_args("Lesson 6: input scaling and initialisation")
v1 = tf.compat.v1

# %% [markdown]
# ## C04: the same model on scaled and on raw pixels
#
# The digits MLP, plain gradient descent at 0.05, 3 epochs, from the same weights: once on
# pixels in 0..1, once on the same pixels times 255. (Starting weights from NumPy's seeded
# Glorot draw and one NumPy shuffle, so that the tests can retrain it in NumPy.)

# %%
data = load_dataset("digits")  # 8x8 digits, flattened to 64 pixels, already scaled to 0..1
shuffled = np.random.default_rng(0).permutation(len(data.x_train))
x_train, y_train = data.x_train[shuffled], data.y_train[shuffled]
curves = {}
for name, x in (("scaled 0..1", x_train), ("raw 0..255", x_train * 255)):
    model = keras.Sequential([keras.Input((64,)),
                              keras.layers.Dense(512, activation="relu"),
                              keras.layers.Dense(10, activation="softmax")])
    model.set_weights(seeded_glorot(model, seed=0))
    model.compile(optimizer=keras.optimizers.SGD(learning_rate=0.05),
                  loss="categorical_crossentropy")
    history = model.fit(x, y_train, batch_size=32, epochs=3, shuffle=False, verbose=0)
    curves[name] = history.history["loss"]
    print(f"digits, SGD 0.05, 3 epochs, inputs {name}: final loss {curves[name][-1]:.4f}")
model.summary()

# %% [markdown]
# ## C05: all-zero weights, in both tracks
#
# A spiral classifier with 8 sigmoid hidden units, every weight and bias started at zero,
# trained by gradient descent in Keras and as a TF1 graph. After training, all 8 columns of the
# first kernel are still equal: every unit got the same gradient, so they never became
# different.

# %%
epochs = 2 if args.quick else 5
data = load_dataset("spiral", 0)
shuffled = np.random.default_rng(0).permutation(len(data.x_train))
x_train, y_train = data.x_train[shuffled], data.y_train[shuffled]

model = keras.Sequential([keras.Input((2,)),
                          keras.layers.Dense(8, activation="sigmoid", kernel_initializer="zeros"),
                          keras.layers.Dense(3, activation="softmax", kernel_initializer="zeros")])
model.compile(optimizer=keras.optimizers.SGD(learning_rate=0.5),
              loss="categorical_crossentropy")
model.fit(x_train, y_train, batch_size=32, epochs=epochs, shuffle=False, verbose=0)
kernels = {"keras": model.get_weights()[0]}

with tf.Graph().as_default():  # the same network as a TF1 graph
    x = v1.placeholder(tf.float32, (None, 2))
    y = v1.placeholder(tf.float32, (None, 3))
    zeros = v1.zeros_initializer()
    w1 = v1.get_variable("w1", (2, 8), initializer=zeros)
    b1 = v1.get_variable("b1", (8,), initializer=zeros)
    w2 = v1.get_variable("w2", (8, 3), initializer=zeros)
    b2 = v1.get_variable("b2", (3,), initializer=zeros)
    logits = tf.sigmoid(x @ w1 + b1) @ w2 + b2
    loss = tf.reduce_mean(tf.nn.softmax_cross_entropy_with_logits(labels=y, logits=logits))
    train = v1.train.GradientDescentOptimizer(0.5).minimize(loss)
    with v1.Session() as sess:
        sess.run(v1.global_variables_initializer())
        for _ in range(epochs):
            for start in range(0, len(x_train), 32):
                sess.run(train, {x: x_train[start:start + 32], y: y_train[start:start + 32]})
        kernels["tf1"] = sess.run(w1)
for track, kernel in kernels.items():
    # equal up to float32 rounding: oneDNN may compute the last columns of a row in another
    # SIMD block, one ulp apart (1.2e-7 relative measured on an AVX2 CPU)
    spread = float(np.max(np.abs(kernel - kernel[:, :1])) / np.max(np.abs(kernel)))
    print(f"{track}: all-zero start, 8 hidden units after training: columns identical = "
          f"{spread < 1e-6} (largest relative spread {spread:.1e}); first input's weights "
          f"{np.round(kernel[0], 6)}")

# %% [markdown]
# ## Drawn: the loss on raw pixels, and the zero-started kernel's identical columns

# %%
fig, (left, right) = plt.subplots(1, 2, figsize=(10, 4), dpi=80)
for name, curve in curves.items():
    left.plot(range(1, 4), curve, marker="o", label=name)
left.set(title="digits: training loss, SGD 0.05", xlabel="epoch", yscale="log")
left.legend()
image = right.imshow(kernels["keras"], cmap="coolwarm")
right.set(title="zero start: hidden kernel (2 inputs x 8 units)", xlabel="unit", ylabel="input")
fig.colorbar(image, ax=right)
writer = summary_writer(args.logdir, "06_scaling_and_init")
write_curves(writer, "loss", curves)
with writer.as_default():
    tf.summary.histogram("zero_init/hidden_kernel", kernels["keras"], step=0)
log_figure(writer, "scaling_and_zero_init", fig)
plt.show()
print(f"Logs: {args.logdir}/06_scaling_and_init")
print("Next: lesson 7, learning rate and batch size (scripts/07_learning_rate_and_batches.py)")

# %% [markdown]
# In Jupyter, TensorBoard opens inside the notebook (jupytext turns these comments into the
# notebook's magics):

# %%
# %load_ext tensorboard
# %tensorboard --logdir logs
