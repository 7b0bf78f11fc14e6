"""textrnn: recurrent neural networks for text, from the textbook equations to a SavedModel.

``textrnn.cells`` and ``textrnn.layers`` are imported on first use, so that ``import textrnn`` (and
the ``textrnn`` command's ``--help``) does not load TensorFlow. Importing ``textrnn.layers``
registers the Keras layers; :func:`textrnn.models.load` reads the ``.keras`` files that use them.

TensorFlow stays quiet on every x86-64 CPU: its C++ start-up logs unless ``TF_CPP_MIN_LOG_LEVEL`` is
set (``0`` shows them), and its oneDNN graph rewrites are off unless ``TF_ENABLE_ONEDNN_OPTS`` is set.
Where TensorFlow turns those rewrites on by itself (CPUs with AVX-512 VNNI or BF16, Intel's and
AMD's), it announces them through Abseil's logging, which ``TF_CPP_MIN_LOG_LEVEL`` does not reach
(``oneDNN custom operations are on``, ``oneDNN supports DT_BOOL only on platforms with AVX-512``),
and they change results in the last digits from one CPU to the next. Off, every CPU runs the same
Eigen kernels (``TF_ENABLE_ONEDNN_OPTS=1`` turns them back on; the speed of each is in
``benchmarks/results/onednn.json``).
"""

from __future__ import annotations

import importlib
import os
from types import ModuleType

# Both are read when TensorFlow first loads
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
os.environ.setdefault("TF_ENABLE_ONEDNN_OPTS", "0")

__all__ = ["cells", "layers"]
__version__ = "0.1.0"


def __getattr__(name: str) -> ModuleType:
    if name in __all__:
        return importlib.import_module(f"textrnn.{name}")
    raise AttributeError(f"module 'textrnn' has no attribute {name!r}")
