"""The Keras track: each model as a Keras 3 `Sequential` with `compile/fit/evaluate/predict`.

Twin of `tf1_compat`, module for module (`model`, `optimizers`, `activations`, `losses`,
`basics`, `tensorboard`, `checkpoint`, `distribute`). It imports only the shared core
(`tfmodels.core`), never the TF1 track.
"""

__all__ = [
    "activations", "basics", "checkpoint", "distribute", "losses", "model", "optimizers",
    "tensorboard",
]
