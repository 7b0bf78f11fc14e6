"""What every benchmark's results file records of the machine and software it was measured on."""

from __future__ import annotations

import os
import platform

import keras
import tensorflow as tf


def environment() -> dict[str, str]:
    return {
        "machine": f"{platform.machine()}, {os.cpu_count()} CPUs",
        "tensorflow": tf.__version__,
        "keras": keras.__version__,
    }
