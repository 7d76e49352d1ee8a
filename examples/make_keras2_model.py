"""Make a Keras 2 model as a tf.keras tutorial of TF <= 2.15 did, with tf_keras (Keras 2).

    python examples/make_keras2_model.py runs/keras2/m.h5     # builds, trains 1 epoch, saves

`mlp()` is the "beginner" classifier (flatten, dense, dropout, dense, dense, 10 logits) on 8x8
inputs, compiled with Adam: the Keras 2 original of `examples/keras2_models.py:mlp`, the Keras 3
port. It is also a factory for `tfmodels verify --keras2 examples/make_keras2_model.py:mlp`,
which calls it in a tf_keras process of its own. The data are made up (random 8x8 inputs, ten
classes), so the saved model has trained weights, batch statistics and a compiled optimizer,
as a user's file would.

`import tf_keras` needs no environment variable; this program never imports Keras 3, so it
runs in a process of its own (a Keras 3 program cannot import it).
"""

import os
import sys

import numpy as np
import tf_keras

PIXELS = (8, 8)

__all__ = ["PIXELS", "main", "mlp"]


def mlp():
    """The tutorial MLP, compiled; layers named as in a fresh process (`dense`, `dense_1`...)."""
    tf_keras.backend.clear_session()
    tf_keras.utils.set_random_seed(0)
    model = tf_keras.Sequential([
        tf_keras.layers.Flatten(input_shape=PIXELS),
        tf_keras.layers.Dense(32, activation="relu"),
        tf_keras.layers.Dropout(0.2),
        tf_keras.layers.Dense(32, activation="relu"),
        tf_keras.layers.Dense(32, activation="relu"),
        tf_keras.layers.Dense(10),
    ])
    model.compile(optimizer="adam", metrics=["accuracy"],
                  loss=tf_keras.losses.SparseCategoricalCrossentropy(from_logits=True))
    return model


def main(argv) -> int:
    path = argv[0] if argv else os.path.join("runs", "keras2", "m.h5")
    if not path.endswith((".h5", ".hdf5")):
        print(f"make_keras2_model.py: {path!r}: expected a path ending in .h5 (the file "
              f"model.save writes)", file=sys.stderr)
        return 2
    rng = np.random.default_rng(0)
    x = rng.normal(size=(256, *PIXELS)).astype(np.float32)
    y = rng.integers(0, 10, 256)
    model = mlp()
    model.fit(x, y, epochs=1, batch_size=32, verbose=0)
    os.makedirs(os.path.dirname(os.path.abspath(path)), exist_ok=True)
    model.save(path)
    print(f"Wrote {path}: a Keras 2 (tf_keras {tf_keras.__version__}) model, "
          f"{model.count_params()} parameters, trained 1 epoch, compiled with Adam")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
