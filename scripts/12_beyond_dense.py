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
# # Lesson 12: beyond Dense
#
# The layers that come right after the notes' MLPs, each in both tracks from one description:
# a small convnet on the 8x8 digits as images (its dropout masks the same in both tracks, step
# for step), the classic TF1 pitfall of batch normalization (forget `UPDATE_OPS` and the moving
# averages never move), an LSTM whose TF1 weights (one kernel over `[x, h]`, gates i, c, f, o)
# become a Keras `LSTM`'s, and the notes' other activations and losses in training.

# %%
import os

import keras
import matplotlib.pyplot as plt
import numpy as np
import tensorflow as tf

from tf1_compat import layers, rnn
from tfmodels.core import reference as ref
from tfmodels.core.data import load_dataset
from tfmodels.core.logs import new_run_dir
from tfmodels.core.registry import get_spec
from tfmodels.lessons import lesson_args, log_figure
from tfmodels.parity import compare

args = lesson_args("Lesson 12: beyond Dense")
v1 = tf.compat.v1

# %% [markdown]
# ## 1. A convnet
#
# C16: images are `(samples, height, width, channels)`. A 3x3 convolution slides 8 small
# filters over the 8x8 digit, max pooling keeps the largest of each 2x2 patch, `Flatten` lays
# the 4x4x8 result out as 128 numbers for the softmax layer, and `Dropout` zeroes a quarter of
# them at random while training, so that no single one can be relied on.

# %%
data = load_dataset("digits")
images, val_images = data.x_train.reshape(-1, 8, 8, 1), data.x_val.reshape(-1, 8, 8, 1)
epochs = 1 if args.quick else 4
model = keras.Sequential([
    keras.Input((8, 8, 1)),
    keras.layers.Conv2D(8, 3, padding="same", activation="relu"),  # 8 filters, 3x3 each
    keras.layers.MaxPooling2D(2),  # 8x8 -> 4x4
    keras.layers.Flatten(),  # 4 x 4 x 8 = 128 numbers
    keras.layers.Dropout(0.25, seed=0),
    keras.layers.Dense(10, activation="softmax"),
])
model.summary()
model.compile(optimizer=keras.optimizers.Adam(learning_rate=0.005),
              loss="categorical_crossentropy", metrics=["accuracy"])
history = model.fit(images, data.y_train, batch_size=64, epochs=epochs,
                    validation_data=(val_images, data.y_val), verbose=0)
print(f"convnet: {model.count_params()} weights")

# %% [markdown]
# What it learned: the 8 filters, and which digits it mistakes for which (rows: the true
# digit, columns: the prediction) on the validation images.

# %%
filters = model.layers[0].get_weights()[0]  # (3, 3, 1 channel in, 8 filters out)
predicted = np.argmax(model(val_images), axis=1)
confusion = np.zeros((10, 10), int)
np.add.at(confusion, (np.argmax(data.y_val, axis=1), predicted), 1)
fig, axes = plt.subplots(1, 9, figsize=(13, 2.2), dpi=80,
                         gridspec_kw={"width_ratios": [1] * 8 + [3]})
for i, ax in enumerate(axes[:8]):
    ax.imshow(filters[:, :, 0, i], cmap="gray")
    ax.set_title(f"filter {i}")
    ax.axis("off")
axes[8].imshow(confusion, cmap="Blues")
axes[8].set(title="confusion", xlabel="predicted", ylabel="true")
run_dir = new_run_dir(args.logdir, "12_beyond_dense")
writer = tf.summary.create_file_writer(os.path.join(run_dir, "lesson"))
log_figure(writer, "convnet_filters_and_confusion", fig)
plt.show()

# %% [markdown]
# ## The same convnet in both tracks, compared
#
# `compare` (the project's parity check) builds `digits_cnn`, the network above, as a Keras
# `Sequential` and as a TF1 graph, trains both from the same weights on the same batches, and
# compares them number by number; TF1's dropout draws Keras's own masks. The weights agree to
# the last bit, or within 1e-7 where TensorFlow's oneDNN rewrite gives the two graphs
# different convolution-gradient kernels (some CPUs; README: layer parity).

# %%
spec = get_spec("digits_cnn", epochs=epochs)
report = compare(spec, data, run_dir)
print("digits_cnn:", " -> ".join(layer.kind for layer in spec.layers))
print(f"convnet, dropout on: final loss keras {report.keras.history['loss'][-1]:.6f} "
      f"tf1 {report.tf1.history['loss'][-1]:.6f}; largest weight difference "
      f"{report.weight_diff:.1e}")
print(f"Pictures: {os.path.join(run_dir, 'keras')} (Images tab: conv_filters, "
      f"conv_feature_maps)")

# %% [markdown]
# ## 2. Batch normalization in a TF1 graph: `UPDATE_OPS`
#
# Training mode normalises by the batch and adds the moving-average updates to the
# `UPDATE_OPS` collection; only a train op that depends on them runs them. Keras's
# `BatchNormalization` layer updates its moving averages itself.

# %%
rng = np.random.default_rng(0)
batches = [rng.normal(3.0, 2.0, (32, 4)).astype(np.float32) for _ in range(20)]
for remember in (False, True):
    with tf.Graph().as_default() as graph:
        x = v1.placeholder(tf.float32, (None, 4), name="x")
        h = layers.batch_normalization(x, training=True, fused=False)
        loss = tf.reduce_mean(tf.square(layers.dense(h, 1)))
        updates = v1.get_collection(v1.GraphKeys.UPDATE_OPS) if remember else []
        with tf.control_dependencies(updates):  # the line TF1 programs forget
            train_op = v1.train.GradientDescentOptimizer(0.1).minimize(loss)
        moving_mean = next(v for v in v1.global_variables()
                           if v.op.name == "batch_normalization/moving_mean")
        with v1.Session(graph=graph) as sess:
            sess.run(v1.global_variables_initializer())
            for batch in batches:
                sess.run(train_op, {x: batch})
            tf1_mean = sess.run(moving_mean)
    print(f"UPDATE_OPS {'run' if remember else 'forgotten'}: moving_mean after 20 steps "
          f"{[round(float(v), 4) for v in tf1_mean]}")

# %% [markdown]
# The same 20 updates in NumPy: `moving = moving * 0.99 + batch mean * 0.01`.

# %%
mean, var = np.zeros(4), np.ones(4)
for batch in batches:
    _, mean, var = ref.batch_norm_forward(batch.astype(np.float64), np.ones(4), np.zeros(4),
                                          mean, var)
print(f"NumPy's moving_mean after the same 20 steps {[round(float(v), 4) for v in mean]}; "
      f"largest difference "
      f"from TF1's {np.max(np.abs(mean - tf1_mean)):.1e}")

# %% [markdown]
# ## 3. An LSTM's weights, from TF1 to Keras
#
# TF1's cell keeps one kernel over `[x, h]`, gates i, c, f, o, and adds `forget_bias` at run
# time; Keras keeps two kernels, gates i, f, c, o, and stores the whole bias. Moved across,
# both give the same last hidden state, and so does NumPy.

# %%
sequences = rng.normal(size=(5, 8, 3)).astype(np.float32)
with tf.Graph().as_default() as graph:
    xs = v1.placeholder(tf.float32, (None, 8, 3))
    cell = rnn.LSTMCell(6)
    _, state = rnn.dynamic_rnn(cell, xs, dtype=tf.float32)
    with v1.Session(graph=graph) as sess:
        sess.run(v1.global_variables_initializer())
        kernel, bias = sess.run(cell.variables)
        tf1_h = sess.run(state.h, {xs: sequences})
lstm = keras.layers.LSTM(6)
lstm.build((None, 8, 3))
lstm.set_weights(rnn.lstm_to_keras(kernel, bias, forget_bias=1.0))
keras_h = keras.ops.convert_to_numpy(lstm(sequences))
numpy_h = ref.lstm_forward(sequences.astype(np.float64),
                           *[w.astype(np.float64) for w in lstm.get_weights()])
print(f"TF1 kernel {kernel.shape} -> Keras kernel {lstm.get_weights()[0].shape}, recurrent "
      f"{lstm.get_weights()[1].shape}; last h: Keras - TF1 "
      f"{np.max(np.abs(keras_h - tf1_h)):.1e}, "
      f"Keras - NumPy {np.max(np.abs(keras_h - numpy_h)):.1e}")

# %% [markdown]
# ## 4. The notes' other activations and losses, trained
#
# C06 and C09: leaky, randomized ReLU and Swish, and L1 against L2, each a registered model
# (`tfmodels list`) trained in both tracks and compared number by number.

# %%
for name in ("spiral_leaky", "spiral_rrelu", "spiral_swish", "sine", "sine_l1"):
    spec = get_spec(name, epochs=3 if args.quick else None)
    report = compare(spec, load_dataset(spec.dataset))
    print(f"{name:13s} {spec.layers[0].activation:15s} {spec.loss:26s} final loss "
          f"{report.keras.history['loss'][-1]:.6f} (tf1 {report.tf1.history['loss'][-1]:.6f}), "
          f"weights apart {report.weight_diff:.1e}")
print(f"tensorboard --logdir={args.logdir}")
print("Next: lesson 13, migrating a TF1 program to Keras 3 (scripts/13_migrating_tf1.py)")

# %% [markdown]
# In Jupyter, TensorBoard opens inside the notebook (jupytext turns these comments into the
# notebook's magics):

# %%
# %load_ext tensorboard
# %tensorboard --logdir logs
