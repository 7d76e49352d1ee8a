"""The Keras track: each model as a Keras 3 `Sequential` with `compile/fit/evaluate/predict`.

Twin of `tf1_compat`, module for module (`model`, `optimizers`, `activations`, `losses`,
`tensorboard`, `checkpoint`, `distribute`; the basics of graphs and Sessions are lesson 10's own
functions, `scripts/10_tf1_session_basics.py`). It imports only the shared core
(`tfmodels.core`), never the TF1 track.
"""

__all__ = [
    "activations", "basics", "checkpoint", "distribute", "losses", "model", "optimizers",
    "tensorboard",
]
