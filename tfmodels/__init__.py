"""tfmodels: deep-learning fundamentals written twice - TF1 graphs and Keras 3 - proven equal.

Four places, imports pointing one way:

- `tfmodels.core`: what both tracks share (spec, registry, data, checks, the NumPy reference,
  the epoch loop, checkpoint state, logs, strategy); it imports neither track.
- `tfmodels.keras_track` (Keras 3) and `tf1_compat` (TF1 graphs, and the drop-ins for the TF1
  API that TensorFlow 2.16 removed): the two tracks, each importing only the core.
- `tfmodels.migration`: the migration kit (TF1 code inside Keras 3, checkpoints both ways, the
  proof of a port), above both tracks.
- the tools here at the top (`cli`, `parity`, `training`, `sweep`, `inference`, `bench`,
  `lessons`, `optimizer_parity`), which drive both tracks.

The public API (what the README teaches):

    from tfmodels import get_spec, load_dataset, build_model, compare, ModelSpec, train
    from tfmodels.migration import TF1StyleLayer, tf1_to_keras, keras_to_tf1, verify
    from tf1_compat import build_model as build_tf1_model
"""

import os

# TensorFlow's C++ start-up chatter (CUDA probing, CPU features) hides our own output; a user
# who wants it back sets TF_CPP_MIN_LOG_LEVEL themselves.
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

from tfmodels.core.exports import lazy_exports  # noqa: E402 - after the environment

__version__ = "0.1.0"

# Loaded on first use, so that `import tfmodels` (and `tfmodels list`) does not start TensorFlow.
_PUBLIC = {
    "get_spec": "tfmodels.core.registry",
    "load_dataset": "tfmodels.core.data",
    "build_model": "tfmodels.keras_track.model",
    "compare": "tfmodels.parity",
    "ModelSpec": "tfmodels.core.spec",
    "train": "tfmodels.training",
    "convert": "tfmodels.migration.conversion",
    "tf1_to_keras": "tfmodels.migration.conversion",
    "keras_to_tf1": "tfmodels.migration.conversion",
    "verify": "tfmodels.migration.equivalence",
    "assert_equivalent": "tfmodels.migration.equivalence",
    "TF1StyleLayer": "tfmodels.migration.tf1_style",
}
__all__ = list(_PUBLIC)
__getattr__ = lazy_exports(__name__, _PUBLIC)
