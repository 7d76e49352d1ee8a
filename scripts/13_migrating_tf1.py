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
# # Lesson 13: migrating a TF1 program to Keras 3, with proof
#
# A TF1 program in the classic style (placeholders, a convnet through `tf.compat.v1.layers`,
# dropout and batch norm behind an `is_training` flag, `UPDATE_OPS`, `AdamOptimizer`, a
# `Saver`, a `FileWriter`) taken to a Keras 3 model in four steps, each one proven:
#
# 1. run it unchanged through the drop-in layers (one import changed);
# 2. wrap its code in Keras (`TF1StyleLayer`) and check the wrapped model computes what the
#    graph computes (`tfmodels.migration.equivalence`, the migration guide's checks);
# 3. convert its checkpoint into a Keras model (`tf1_to_keras`, `tfmodels convert`);
# 4. rewrite it as native Keras layers and prove the rewrite with the same checks; a port with
#    one mistake in it is caught and named.
#
# docs/migration.md is this lesson as a guide for your own code.

# %%
import os

import keras
import numpy as np
import tensorflow as tf

from tfmodels.core.data import load_dataset
from tfmodels.core.logs import new_run_dir
from tfmodels.lessons import lesson_args
from tfmodels.migration import FusedBatchNormalization, TF1StyleLayer, tf1_to_keras, verify

args = lesson_args("Lesson 13: migrating a TF1 program to Keras 3")
v1 = tf.compat.v1
run_dir = new_run_dir(args.logdir, "13_migrating_tf1")  # logs; files in run_dir/model
data = load_dataset("digits")  # 8x8 digit images, flattened; one-hot labels
x_train, y_train = data.x_train.reshape(-1, 8, 8, 1), data.y_train
x_val, y_val = data.x_val.reshape(-1, 8, 8, 1), data.y_val

# %% [markdown]
# ## 1. The TF1 program, running again
#
# Under TensorFlow 2.16+ `tf.compat.v1.layers.conv2d` raises ("not available with Keras 3").
# The one change: `layers` comes from `tf1_compat` (TF1's functions, names and defaults, on
# `get_variable`); the rest is the program as it was written.

# %%
from tf1_compat import layers  # was: layers = tf.compat.v1.layers  # noqa: E402


def build(images, training):
    """The model function: images -> logits, TF1 style."""
    h = layers.conv2d(images, 8, 3, padding="same", activation=tf.nn.relu)
    h = layers.batch_normalization(h, training=training)
    h = layers.max_pooling2d(h, 2, 2)
    h = layers.dense(layers.flatten(h), 32, activation=tf.nn.relu)
    h = layers.dropout(h, 0.25, training=training)
    return layers.dense(h, 10)


steps, batch = (30 if args.quick else 300), 64
graph = tf.Graph()
with graph.as_default():
    v1.set_random_seed(0)
    images = v1.placeholder(tf.float32, (None, 8, 8, 1), name="images")
    labels = v1.placeholder(tf.float32, (None, 10), name="labels")
    is_training = v1.placeholder_with_default(False, (), name="is_training")
    logits = build(images, is_training)
    loss = tf.reduce_mean(tf.nn.softmax_cross_entropy_with_logits(labels=labels, logits=logits))
    global_step = v1.train.get_or_create_global_step()
    # The TF1 pitfall: batch norm's moving averages move only if UPDATE_OPS run with the step.
    with tf.control_dependencies(v1.get_collection(v1.GraphKeys.UPDATE_OPS)):
        train_op = v1.train.AdamOptimizer(0.01).minimize(loss, global_step=global_step)
    correct = tf.equal(tf.argmax(logits, 1), tf.argmax(labels, 1))
    accuracy = tf.reduce_mean(tf.cast(correct, tf.float32))
    summary = v1.summary.scalar("loss", loss)
    saver = v1.train.Saver()

rng = np.random.default_rng(0)
with v1.Session(graph=graph) as session:
    writer = v1.summary.FileWriter(os.path.join(run_dir, "tf1"), graph)
    session.run(v1.global_variables_initializer())
    losses = []
    for step in range(steps):
        idx = rng.choice(len(x_train), batch, replace=False)
        _, value, event = session.run([train_op, loss, summary], {
            images: x_train[idx], labels: y_train[idx], is_training: True})
        writer.add_summary(event, step)
        losses.append(value)
    writer.close()
    tf1_accuracy, tf1_logits = session.run([accuracy, logits], {images: x_val, labels: y_val})
    prefix = saver.save(session, os.path.join(run_dir, "model", "model.ckpt"),
                        global_step=steps)
    model_variables = [v.op.name for v in v1.global_variables() if "Adam" not in v.op.name
                       and v.op.name not in ("global_step", "beta1_power", "beta2_power")]
print(f"TF1 program: loss {losses[0]:.4f} -> {losses[-1]:.4f} in {steps} steps; validation "
      f"accuracy {tf1_accuracy:.4f}")
print(f"TF1 variables: {', '.join(model_variables)}")
print(f"Checkpoint: {prefix}")

# %% [markdown]
# ## 2. The same code inside a Keras model
#
# `TF1StyleLayer(build)` runs the function on Keras's tensors; every `get_variable` becomes a
# weight of the layer, made once, under its TF1 name. `verify` runs the migration guide's checks
# against the graph: the variables made once, paired by name, the same outputs (inference, and
# training with the same dropout masks), the same values after a few Adam steps.

# %%


def show(label, report):
    """Each check of a `verify` report, the largest difference it saw, and the verdict."""
    for check in report.checks:
        seen = "" if check.difference is None else f" (max |difference| {check.difference:.3g})"
        print(f"  {label}: {'ok  ' if check.ok else 'FAIL'}  {check.name}{seen}")
    print(f"{label}: " + ("equivalent" if report.ok else
                          f"NOT equivalent: {report.failure.name}: {report.failure.detail}"))


keras.backend.clear_session()
wrapped = keras.Sequential([keras.Input((8, 8, 1)), TF1StyleLayer(build)])
show("TF1StyleLayer", verify(build, wrapped, (8, 8, 1), optimizer="adam", learning_rate=0.01))

# %% [markdown]
# ## 3. The checkpoint, into a Keras model
#
# The native Keras model: the same layers in Keras's spelling. TF1's fused batch norm (4-D
# inputs) moved its moving variance towards the batch variance times n/(n-1); Keras 3's does
# not, so the port uses `FusedBatchNormalization`, Keras's layer with TF1's update.
# `tf1_to_keras` (the command: `tfmodels convert --from tf1 --to keras PREFIX out.keras
# --keras-model module:factory`) pairs TF1's `conv2d/kernel` with the Keras layer `conv2d`'s
# kernel, skips Adam's slots, prints the table, and writes the `.keras` file.

# %%


def native(epsilon=1e-3, batch_norm=FusedBatchNormalization):
    """The rewrite: Keras layers, TF1's defaults spelled out (batch norm momentum 0.99)."""
    keras.backend.clear_session()  # layers numbered conv2d, dense, dense_1 as in TF1
    return keras.Sequential([
        keras.Input((8, 8, 1)),
        keras.layers.Conv2D(8, 3, padding="same", activation="relu"),
        batch_norm(momentum=0.99, epsilon=epsilon),
        keras.layers.MaxPooling2D(2, 2),
        keras.layers.Flatten(),
        keras.layers.Dense(32, activation="relu"),
        keras.layers.Dropout(0.25),
        keras.layers.Dense(10),
    ])


converted = os.path.join(run_dir, "model", "converted.keras")
tf1_to_keras(prefix, native(), converted)
model = keras.saving.load_model(converted)
keras_logits = model.predict(x_val, verbose=0)
keras_accuracy = np.mean(np.argmax(keras_logits, 1) == np.argmax(y_val, 1))
print(f"Converted: {converted}; predictions apart from TF1's by "
      f"{np.max(np.abs(keras_logits - tf1_logits)):.1e}; validation accuracy Keras "
      f"{keras_accuracy:.4f}, TF1 {tf1_accuracy:.4f}")

# %% [markdown]
# ## 4. The rewrite, proven
#
# The same checks on the native model, starting from the trained checkpoint's values. In your
# own tests, `assert_equivalent(build, native, (8, 8, 1), optimizer="adam")` fails with this
# report. A port with one slip fails the first check that can see it: batch norm's epsilon 1e-5
# (another framework's default, for TF1's 1e-3) in the outputs; Keras's own batch norm in the
# moving variance, after a training step or two (with 4 images of 8x8 a step moves the two
# moving variances apart by about 4e-5 of the variance: near the tolerance, so a small batch
# shows it sooner).

# %%
ports = {"native Keras": native, "epsilon 1e-5": lambda: native(epsilon=1e-5),
         "Keras's own batch norm": lambda: native(batch_norm=keras.layers.BatchNormalization)}
for label, port in ports.items():
    show(label, verify(build, port, (8, 8, 1), optimizer="adam", learning_rate=0.01,
                       batch_size=4, checkpoint=prefix, log_dir=run_dir))
print("Next: lesson 14, why deep networks train (scripts/14_why_deep_networks_train.py): "
      "residual connections, batch norm, separable convolutions")

# %% [markdown]
# The TF1 program's loss and each `verify`'s two sides are in TensorBoard:

# %%
# %load_ext tensorboard
# %tensorboard --logdir logs
