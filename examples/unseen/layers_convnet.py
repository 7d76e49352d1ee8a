"""A small convnet in the `tf.layers` style of 2017: conv2d, batch normalization (with the
UPDATE_OPS dependency), max pooling, conv2d, a dense layer with dropout, dense logits.

The only line changed from the original is the import: `from tf1_compat import layers` instead
of `layers = tf.compat.v1.layers` (which raises under Keras 3). The data are synthetic.
"""

import keras
import numpy as np
import tensorflow as tf

from tf1_compat import layers  # was: layers = tf.compat.v1.layers
from tfmodels.migration import FusedBatchNormalization

v1 = tf.compat.v1

INPUT_SHAPE = (12, 12, 1)
CLASSES = 10


def data(n, seed):
    """`n` images (float32, NHWC) and labels (int64): one template per class plus noise."""
    templates = np.random.default_rng(2017).normal(size=(CLASSES,) + INPUT_SHAPE)
    rng = np.random.default_rng(seed)
    labels = rng.integers(0, CLASSES, size=n)
    images = templates[labels] + rng.normal(scale=0.5, size=(n,) + INPUT_SHAPE)
    return images.astype(np.float32), labels.astype(np.int64)


def build(x, training):
    """The logits (batch, CLASSES). Variables: conv2d/kernel (3, 3, 1, 4), conv2d/bias (4,),
    batch_normalization/gamma, beta, moving_mean, moving_variance (4,), conv2d_1/kernel
    (3, 3, 4, 8), conv2d_1/bias (8,), dense/kernel (288, 32), dense/bias (32,),
    dense_1/kernel (32, 10), dense_1/bias (10,)."""
    net = layers.conv2d(x, 4, 3, padding="same", activation=tf.nn.relu)
    net = layers.batch_normalization(net, training=training)
    net = layers.max_pooling2d(net, 2, 2)                        # 6x6x4
    net = layers.conv2d(net, 8, 3, padding="same", activation=tf.nn.relu)
    net = layers.flatten(net)                                    # 288
    net = layers.dense(net, 32, activation=tf.nn.relu)
    net = layers.dropout(net, rate=0.3, training=training)
    return layers.dense(net, CLASSES)


def train(checkpoint_prefix, steps=20, seed=0, log_dir=None, batch_size=32):
    """Train with Adam on synthetic data, save a checkpoint; {"prefix", "losses", "variables"}."""
    images, labels = data(256, seed)
    graph = tf.Graph()
    with graph.as_default():
        v1.set_random_seed(seed)
        x = v1.placeholder(tf.float32, (None,) + INPUT_SHAPE, name="images")
        y = v1.placeholder(tf.int64, (None,), name="labels")
        is_training = v1.placeholder_with_default(False, (), name="is_training")
        logits = build(x, is_training)
        loss = v1.losses.sparse_softmax_cross_entropy(labels=y, logits=logits)
        update_ops = v1.get_collection(v1.GraphKeys.UPDATE_OPS)
        with tf.control_dependencies(update_ops):
            train_op = v1.train.AdamOptimizer(1e-3).minimize(
                loss, global_step=v1.train.get_or_create_global_step())
        saver = v1.train.Saver()
        variables = {v.op.name: v.shape.as_list() for v in v1.global_variables()}
        with v1.Session(graph=graph) as sess:
            writer = v1.summary.FileWriter(log_dir, sess.graph) if log_dir else None
            sess.run(v1.global_variables_initializer())
            losses = []
            for step in range(steps):
                start = (step * batch_size) % len(images)
                _, value = sess.run([train_op, loss], {x: images[start:start + batch_size],
                                                       y: labels[start:start + batch_size],
                                                       is_training: True})
                losses.append(float(value))
            if writer:
                writer.close()
            prefix = saver.save(sess, checkpoint_prefix)
    return {"prefix": prefix, "losses": losses, "variables": variables}


# -- Keras 3 ports --------------------------------------------------------------------------------


def _layers(epsilon=1e-3, batch_norm=FusedBatchNormalization):
    return [
        keras.layers.Conv2D(4, 3, padding="same", activation="relu"),
        batch_norm(momentum=0.99, epsilon=epsilon),
        keras.layers.MaxPooling2D(2, 2),
        keras.layers.Conv2D(8, 3, padding="same", activation="relu"),
        keras.layers.Flatten(),
        keras.layers.Dense(32, activation="relu"),
        keras.layers.Dropout(0.3),
        keras.layers.Dense(CLASSES),
    ]


def keras_model():
    """The right port: TF1's batch-norm defaults (momentum 0.99, epsilon 1e-3) spelled out, and
    the batch norm that moves its moving variance as TF1's fused one did."""
    return keras.Sequential([keras.Input(INPUT_SHAPE)] + _layers())


def keras_model_keras_batchnorm():
    """NEARLY right: Keras 3's own BatchNormalization, whose moving variance moves towards the
    batch variance without TF1's fused n/(n-1) factor: equal outputs at first, moving variances
    that drift apart by (1 - momentum) * variance / (n - 1) a step."""
    return keras.Sequential([keras.Input(INPUT_SHAPE)]
                            + _layers(batch_norm=keras.layers.BatchNormalization))


def keras_model_wrong_epsilon():
    """WRONG: batch norm with epsilon 1e-5 (PyTorch's default, carried over from a port of a
    port) instead of TF1's 1e-3; the outputs move wherever a variance is small."""
    return keras.Sequential([keras.Input(INPUT_SHAPE)] + _layers(epsilon=1e-5))


def keras_model_frozen_batchnorm():
    """WRONG, the "forgotten UPDATE_OPS": the batch norm is frozen (`trainable=False`, as for
    fine-tuning), which in Keras 3 also runs it in inference mode: in training it normalizes
    with the moving statistics and never updates them. Not training, it computes what the right
    port computes. (Calling the layer with `training=False` inside a functional model would not
    do it: Keras 3 passes the outer call's `training` to every layer, overriding it.)"""
    net = _layers()
    net[1].trainable = False
    return keras.Sequential([keras.Input(INPUT_SHAPE)] + net)


if __name__ == "__main__":  # the program as its author ran it: python PROGRAM.py PREFIX [STEPS]
    import sys

    result = train(sys.argv[1], steps=int(sys.argv[2]) if len(sys.argv) > 2 else 20)
    print(f"loss {result['losses'][0]:.4f} -> {result['losses'][-1]:.4f}; saved "
          f"{result['prefix']}")
