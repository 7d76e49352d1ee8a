"""tfmodels: deep-learning fundamentals written twice - TF1 graphs and Keras 3 - proven equal.

Three places, imports pointing one way:

- `tfmodels.core`: what both tracks share (spec, registry, data, checks, the NumPy reference,
  the epoch loop, checkpoint state, logs, strategy); it imports neither track.
- `tfmodels.keras_track` (Keras 3) and `tf1_compat` (TF1 graphs): the two tracks, each
  importing only the core.
- the tools here at the top (`cli`, `parity`, `training`, `sweep`, `convert`, `bench`,
  `lessons`, `optimizer_parity`, `table`), which drive both tracks, and `tf1_style`
  (`TF1StyleLayer`: TF1-style code inside a Keras 3 model), which joins them.

The public API:

    from tfmodels import get_spec, load_dataset, build_model, compare
    from tf1_compat import build_model as build_tf1_model
"""

import os

# TensorFlow's C++ start-up chatter (CUDA probing, CPU features) hides our own output; a user
# who wants it back sets TF_CPP_MIN_LOG_LEVEL themselves.
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

__version__ = "0.1.0"

# Loaded on first use, so that `import tfmodels` (and `tfmodels list`) does not start TensorFlow.
_PUBLIC = {
    "get_spec": "tfmodels.core.registry",
    "load_dataset": "tfmodels.core.data",
    "build_model": "tfmodels.keras_track.model",
    "compare": "tfmodels.parity",
}
__all__ = list(_PUBLIC)


def __getattr__(name):
    if name in _PUBLIC:
        import importlib

        return getattr(importlib.import_module(_PUBLIC[name]), name)
    raise AttributeError(f"module 'tfmodels' has no attribute {name!r}")
