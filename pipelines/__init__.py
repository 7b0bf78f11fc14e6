"""Stage entry points: ``python -m pipelines.<stage> [hydra overrides]`` (dvc.yaml runs them).

Importing :mod:`textrnn` first keeps TensorFlow's C++ start-up logs quiet (it defaults
``TF_CPP_MIN_LOG_LEVEL``) before any stage's ``import keras`` loads TensorFlow; ruff's isort
settings sort ``pipelines`` imports ahead of third-party ones so that this package loads first.
"""

import textrnn  # noqa: F401  (for its side effect above)
