"""A `.keras` file written from disk, not from memory: a large model's weights held once.

Keras's `model.save("m.keras")` writes the weights into an in-memory HDF5 file, then copies it
into the zip archive, whenever the weights fit in memory: a 420 MiB BERT-base held twice more
beside the model (its fallback, a temporary file on disk, only for models larger than memory).
`write_keras` has Keras write the same archive's members as a folder (`model.save(folder,
zipped=False)`: `metadata.json`, `config.json`, `model.weights.h5`, `assets/`), then zips them
as they are, streamed from disk: the same `.keras` file (`keras.saving.load_model` reads it),
the weights held once, by the model.
"""

from __future__ import annotations

import os
import shutil
import tempfile
import zipfile

__all__ = ["write_keras"]

_FIRST = ("metadata.json", "config.json")  # the order Keras writes them in


def _members(folder: str) -> list[str]:
    """The folder's files as archive names (`/`-separated), Keras's first two first."""
    names = []
    for parent, _, files in os.walk(folder):
        for file in files:
            names.append(os.path.relpath(os.path.join(parent, file), folder).replace(os.sep, "/"))
    return sorted(names, key=lambda n: (n not in _FIRST, _FIRST.index(n) if n in _FIRST else 0,
                                        n))


def write_keras(model, target: str) -> None:
    """`model` as the `.keras` file `target` (a path ending in `.keras`), written through a
    temporary folder beside it; the caller renames it into place."""
    folder = tempfile.mkdtemp(prefix=".tmp-keras-", dir=os.path.dirname(os.path.abspath(target)))
    try:
        model.save(os.path.join(folder, "model"), zipped=False)
        members = os.path.join(folder, "model")
        with zipfile.ZipFile(target, "w") as archive:
            for name in _members(members):
                archive.write(os.path.join(members, *name.split("/")), name)
    finally:
        shutil.rmtree(folder, ignore_errors=True)
