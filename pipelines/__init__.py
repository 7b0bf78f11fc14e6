"""Stage entry points: ``python -m pipelines.<stage> [hydra overrides]`` (dvc.yaml runs them).

TensorFlow's C++ start-up logs stay quiet unless ``TF_CPP_MIN_LOG_LEVEL`` is set (``0`` shows them).
"""

import os

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")  # read when TensorFlow first loads: before any stage imports it
