"""Keras 2 (tf_keras) factories for tests/test_keras2_training.py's `module:factory` source:
imported and called only in the Keras 2 process of `verify_keras2` (`TF_USE_LEGACY_KERAS=1`),
never by a test process (it imports tf_keras)."""

import tf_keras

__all__ = ["uncompiled_mlp"]


def uncompiled_mlp():
    """examples/make_keras2_model.py's tutorial MLP, not compiled: the optimizer is named."""
    tf_keras.backend.clear_session()
    tf_keras.utils.set_random_seed(3)
    return tf_keras.Sequential([
        tf_keras.layers.Flatten(input_shape=(8, 8)),
        tf_keras.layers.Dense(32, activation="relu"),
        tf_keras.layers.Dropout(0.2),
        tf_keras.layers.Dense(32, activation="relu"),
        tf_keras.layers.Dense(32, activation="relu"),
        tf_keras.layers.Dense(10),
    ])
