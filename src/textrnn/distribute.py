"""Where and how training runs: TensorFlow distribution strategies and Keras mixed precision.

* ``default`` — one device: the GPU if there is one, else the CPU.
* ``mirrored`` — ``tf.distribute.MirroredStrategy``: one replica per local GPU, gradients
  all-reduced every step. Without GPUs, ``cpu_devices`` splits the CPU into logical devices, which
  is how the strategy is exercised on a laptop or in CI.
* ``multi_worker`` — ``tf.distribute.MultiWorkerMirroredStrategy``: the same across machines; each
  process finds its place in the cluster from the ``TF_CONFIG`` environment variable.

Batch sizes given to Keras are global: with N replicas each one sees ``batch_size / N`` examples.
"""

from __future__ import annotations

import json
import os

import keras
import tensorflow as tf

from textrnn.errors import TextrnnError

STRATEGIES = ("default", "mirrored", "multi_worker")
PRECISIONS = ("float32", "mixed_float16", "mixed_bfloat16")


def split_cpu(count: int) -> None:
    """Expose the CPU as ``count`` logical devices; call before TensorFlow first uses a device."""
    cpu = tf.config.list_physical_devices("CPU")[0]
    try:
        tf.config.set_logical_device_configuration(cpu, [tf.config.LogicalDeviceConfiguration()] * count)
    except RuntimeError:  # already initialised: fine if it already has that many
        if len(tf.config.list_logical_devices("CPU")) != count:
            raise


def make_strategy(name: str, *, cpu_devices: int | None = None) -> tf.distribute.Strategy:
    """The strategy ``name`` (see the module docstring)."""
    if name == "default":
        return tf.distribute.get_strategy()
    if name == "mirrored":
        if tf.config.list_physical_devices("GPU") or not cpu_devices:
            return tf.distribute.MirroredStrategy()
        split_cpu(cpu_devices)
        return tf.distribute.MirroredStrategy([d.name for d in tf.config.list_logical_devices("CPU")])
    if name == "multi_worker":
        if "TF_CONFIG" not in os.environ:
            raise TextrnnError(
                'trainer.strategy=multi_worker needs TF_CONFIG, e.g. {"cluster": {"worker": ["host1:12345", '
                '"host2:12345"]}, "task": {"type": "worker", "index": 0}} on the first machine'
            )
        return tf.distribute.MultiWorkerMirroredStrategy()
    raise ValueError(f"name must be one of {list(STRATEGIES)}, got {name!r}")


def is_chief() -> bool:
    """Whether this process writes checkpoints and tracking data: true unless ``TF_CONFIG`` says otherwise.

    The chief is the task of type ``chief``, or worker 0 when the cluster has no chief.
    """
    config = json.loads(os.environ.get("TF_CONFIG", "{}"))
    task = config.get("task") or {}
    if not task:
        return True
    if task.get("type") == "chief":
        return True
    return task.get("type") == "worker" and int(task.get("index", 0)) == 0 and "chief" not in config.get("cluster", {})


def set_precision(policy: str) -> None:
    """Set Keras's global dtype policy; ``mixed_float16`` makes ``compile`` add loss scaling."""
    if policy not in PRECISIONS:
        raise ValueError(f"policy must be one of {list(PRECISIONS)}, got {policy!r}")
    keras.mixed_precision.set_global_policy(policy)
