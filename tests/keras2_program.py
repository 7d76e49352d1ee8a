"""Three Keras 2 models written as tf.keras tutorials wrote them (TF <= 2.15), trained briefly,
saved in every way tf.keras saved them, with their own predictions: the reference side of
tests/test_keras2.py. Run with `TF_USE_LEGACY_KERAS=1` (tf_keras is `tf.keras` then), each
model in a fresh Keras session as in a fresh process; writes, in the folder given:

- `<name>.h5` (`model.save`), `<name>_weights.h5` (`save_weights`), `<name>_tf/ckpt`
  (`save_weights` in TF's checkpoint format), `mlp_savedmodel/` (`model.save` of a folder);
- `arrays.npz`: `<name>_x`, the inputs, and `<name>_y`, the model's predictions on them;
- `structure.json`: each model's weight names, and the module of the `Dense` that ran (tf_keras's).
"""

import json
import os
import sys

import numpy as np
import tensorflow as tf
from tensorflow.keras import layers, models  # tf_keras's, under TF_USE_LEGACY_KERAS=1

# The sizes the Keras 3 ports (examples/keras2_models.py) were written for; not imported from
# there: that module imports Keras 3, which this tf_keras process leaves alone.
IMAGE = (12, 12, 3)
PIXELS = (8, 8)
VOCABULARY, STEPS = 50, 7


def mlp():
    model = tf.keras.models.Sequential([
        tf.keras.layers.Flatten(input_shape=PIXELS),
        tf.keras.layers.Dense(32, activation="relu"),
        tf.keras.layers.Dropout(0.2),
        tf.keras.layers.Dense(32, activation="relu"),
        tf.keras.layers.Dense(32, activation="relu"),
        tf.keras.layers.Dense(10),
    ])
    model.compile(optimizer="adam", metrics=["accuracy"],
                  loss=tf.keras.losses.SparseCategoricalCrossentropy(from_logits=True))
    return model, (64, *PIXELS), 10


def convnet():
    model = models.Sequential()
    model.add(layers.Conv2D(8, (3, 3), activation="relu", input_shape=IMAGE))
    model.add(layers.BatchNormalization())
    model.add(layers.MaxPooling2D((2, 2)))
    model.add(layers.Conv2D(16, (3, 3), activation="relu"))
    model.add(layers.BatchNormalization())
    model.add(layers.Flatten())
    model.add(layers.Dense(16, activation="relu"))
    model.add(layers.Dense(10))
    model.compile(optimizer="adam", metrics=["accuracy"],
                  loss=tf.keras.losses.SparseCategoricalCrossentropy(from_logits=True))
    return model, (64, *IMAGE), 10


def lstm():
    model = tf.keras.Sequential([
        tf.keras.layers.Embedding(VOCABULARY, 8),
        tf.keras.layers.LSTM(12, return_sequences=True),
        tf.keras.layers.LSTM(6),
        tf.keras.layers.Dense(1),
    ])
    model.compile(loss=tf.keras.losses.BinaryCrossentropy(from_logits=True),
                  optimizer=tf.keras.optimizers.Adam(1e-2), metrics=["accuracy"])
    return model, (64, STEPS), 2


def binary4():
    """The layers of the project's `binary4` model, written in Keras 2 (`convert --model`)."""
    model = tf.keras.Sequential([
        tf.keras.layers.Dense(5, input_shape=(4,)),
        tf.keras.layers.Dense(3, activation="relu"),
        tf.keras.layers.Dense(1, activation="sigmoid"),
    ])
    model.compile(optimizer="adam", loss="binary_crossentropy")
    return model, (64, 4), 2


def main(out):
    rng = np.random.default_rng(0)
    arrays, structure = {}, {"dense": layers.Dense.__module__, "models": {}}
    for make in (mlp, convnet, lstm, binary4):
        name = make.__name__
        tf.keras.backend.clear_session()
        tf.random.set_seed(0)
        model, shape, classes = make()
        if name == "lstm":
            x = rng.integers(0, VOCABULARY, shape).astype(np.int32)
        else:
            x = rng.normal(size=shape).astype(np.float32)
        y = rng.integers(0, classes, shape[0])
        model.fit(x, y, epochs=3, batch_size=16, verbose=0)  # moves BN's moving statistics
        arrays[f"{name}_x"], arrays[f"{name}_y"] = x, model.predict(x, verbose=0)
        model.save(os.path.join(out, f"{name}.h5"))
        model.save_weights(os.path.join(out, f"{name}_weights.h5"))
        model.save_weights(os.path.join(out, f"{name}_tf", "ckpt"))
        if name == "mlp":
            model.save(os.path.join(out, "mlp_savedmodel"), save_format="tf")
        structure["models"][name] = [w.name for w in model.weights]
    np.savez(os.path.join(out, "arrays.npz"), **arrays)
    with open(os.path.join(out, "structure.json"), "w") as f:
        json.dump(structure, f)


if __name__ == "__main__":
    main(sys.argv[1])
