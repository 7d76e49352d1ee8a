"""A package's public names, each loaded from its module on first use (PEP 562), so that
importing the package starts no TensorFlow: `tfmodels list` answers at once."""

from __future__ import annotations

import importlib

__all__ = ["lazy_exports"]


def lazy_exports(package: str, public: dict):
    """The module `__getattr__` of `package` whose names are `public`: {name: module}."""

    def __getattr__(name):
        if name in public:
            return getattr(importlib.import_module(public[name]), name)
        raise AttributeError(f"module {package!r} has no attribute {name!r}")

    return __getattr__
