"""The shared core: what both tracks build from and are checked against.

The model description (`spec`, `registry`), the data and its batches (`data`), input checks
(`checks`), the NumPy witness (`reference`), the one epoch loop (`loop`), checkpoint state and
the shared checkpoint callback (`training_state`, `checkpoint`), log folders and options (`logs`),
TensorBoard's pictures (`plots`) and where a model runs (`strategy`). It imports neither track.
"""

__all__ = [
    "checkpoint", "checks", "data", "errors", "layers", "logs", "loop", "plots", "reference",
    "registry", "spec", "strategy", "training_state",
]
