"""textrnn: recurrent neural networks for text, from the textbook equations to a SavedModel.

``textrnn.cells`` and ``textrnn.layers`` are imported on first use, so that ``import textrnn`` (and
the ``textrnn`` command's ``--help``) does not load TensorFlow. Importing ``textrnn.layers``
registers the Keras layers; :func:`textrnn.models.load` reads the ``.keras`` files that use them.

TensorFlow's C++ start-up logs stay quiet unless ``TF_CPP_MIN_LOG_LEVEL`` is set (``0`` shows them).
"""

from __future__ import annotations

import importlib
import os
from types import ModuleType

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")  # read when TensorFlow first loads

__all__ = ["cells", "layers"]
__version__ = "0.1.0"


def __getattr__(name: str) -> ModuleType:
    if name in __all__:
        return importlib.import_module(f"textrnn.{name}")
    raise AttributeError(f"module 'textrnn' has no attribute {name!r}")
