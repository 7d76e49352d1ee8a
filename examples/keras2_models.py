"""Keras 3 ports of three Keras 2 (tf.keras, TF <= 2.15) models, for `tfmodels convert --from
keras2` (README: A Keras 2 model into Keras 3) and tests/test_keras2.py.

The Keras 2 originals are tutorial-era `tf.keras.Sequential` code (tests/keras2_program.py writes
them with tf_keras and saves them as `.h5` files and `save_weights` checkpoints); each port here
is the same layers written for Keras 3, named on the command line as
`examples/keras2_models.py:convnet`. The layers keep Keras's default names (`dense`, `dense_1`,
...), as a fresh Keras 2 process gave them.
"""

import keras

IMAGE = (12, 12, 3)
PIXELS = (8, 8)
VOCABULARY, STEPS = 50, 7

__all__ = ["IMAGE", "PIXELS", "STEPS", "VOCABULARY", "convnet", "lstm", "mlp"]


def mlp():
    """The "beginner" classifier: flatten, three dense layers with dropout, 10 logits."""
    keras.utils.set_random_seed(1)  # any values: the conversion overwrites them
    return keras.Sequential([
        keras.Input(PIXELS),
        keras.layers.Flatten(),
        keras.layers.Dense(32, activation="relu"),
        keras.layers.Dropout(0.2),
        keras.layers.Dense(32, activation="relu"),
        keras.layers.Dense(32, activation="relu"),
        keras.layers.Dense(10),
    ])


def convnet():
    """The CIFAR-style convnet: conv, batch norm, pool, conv, batch norm, dense, 10 logits."""
    return keras.Sequential([
        keras.Input(IMAGE),
        keras.layers.Conv2D(8, (3, 3), activation="relu"),
        keras.layers.BatchNormalization(),
        keras.layers.MaxPooling2D((2, 2)),
        keras.layers.Conv2D(16, (3, 3), activation="relu"),
        keras.layers.BatchNormalization(),
        keras.layers.Flatten(),
        keras.layers.Dense(16, activation="relu"),
        keras.layers.Dense(10),
    ])


def lstm():
    """The text classifier: token ids, an embedding, two stacked LSTMs, one logit."""
    return keras.Sequential([
        keras.Input((STEPS,), dtype="int32"),
        keras.layers.Embedding(VOCABULARY, 8),
        keras.layers.LSTM(12, return_sequences=True),
        keras.layers.LSTM(6),
        keras.layers.Dense(1),
    ])
