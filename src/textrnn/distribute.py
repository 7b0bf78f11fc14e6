"""Where and how training runs: TensorFlow distribution strategies and Keras mixed precision.

* ``default`` — one device: the GPU if there is one, else the CPU.
* ``mirrored`` — ``tf.distribute.MirroredStrategy``: one replica per local GPU, gradients
  all-reduced every step. Without GPUs, ``cpu_devices`` splits the CPU into logical devices, which
  is how the strategy is exercised on a laptop or in CI.
* ``multi_worker`` — ``tf.distribute.MultiWorkerMirroredStrategy``: the same across machines; each
  process finds its place in the cluster from a ``TF_CONFIG`` (:func:`parse_tf_config`,
  :func:`tf_config`). Keras's ``fit`` cannot train under it (keras-team/keras#20585):
  :mod:`textrnn.custom_loop` does.

Batch sizes given to Keras are global: with N replicas each one sees ``batch_size / N`` examples.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from typing import Any

import keras
import numpy as np
import tensorflow as tf

from textrnn import choices
from textrnn.errors import ArgumentError, TextrnnError


def split_cpu(count: int) -> None:
    """Expose the CPU as ``count`` logical devices; call before TensorFlow first uses a device."""
    cpu = tf.config.list_physical_devices("CPU")[0]
    try:
        tf.config.set_logical_device_configuration(cpu, [tf.config.LogicalDeviceConfiguration()] * count)
    except RuntimeError:  # already initialised: fine if it already has that many
        if len(tf.config.list_logical_devices("CPU")) != count:
            raise


def make_strategy(
    name: str,
    *,
    cpu_devices: int | None = None,
    cluster: Mapping[str, Any] | None = None,
    peer_timeout: float = 120.0,
) -> tf.distribute.Strategy:
    """The strategy ``name`` (see the module docstring); ``multi_worker`` needs ``cluster``, a ``TF_CONFIG``.

    ``multi_worker`` returns once every worker of ``cluster`` has started; a worker that waits longer
    than ``peer_timeout`` seconds for the others prints one ``error:`` line and is killed (TensorFlow
    would wait for ever, deaf to SIGTERM). Later, a collective operation that waits that long for a
    peer raises ``tf.errors.DeadlineExceededError``.
    """
    if name == "default":
        return tf.distribute.get_strategy()
    if name == "mirrored":
        if tf.config.list_physical_devices("GPU") or not cpu_devices:
            return tf.distribute.MirroredStrategy()
        split_cpu(cpu_devices)
        return tf.distribute.MirroredStrategy([d.name for d in tf.config.list_logical_devices("CPU")])
    if name == "multi_worker":
        if cluster is None:
            raise ValueError("cluster (a TF_CONFIG) is needed for multi_worker, got None")
        task = cluster["task"]
        resolver = tf.distribute.cluster_resolver.SimpleClusterResolver(
            tf.train.ClusterSpec(cluster["cluster"]), task_type=task["type"], task_id=task["index"], rpc_layer="grpc"
        )
        own = cluster["cluster"][task["type"]][task["index"]]
        peers = [address for job in cluster["cluster"].values() for address in job if address != own]
        message = (
            f"no answer from the cluster's other workers ({', '.join(peers)}) within peer_timeout = "
            f"{peer_timeout:g} s; start the same command on every worker, each with its own task index"
        )
        with _deadline(peer_timeout, message):
            strategy = tf.distribute.MultiWorkerMirroredStrategy(
                cluster_resolver=resolver,
                communication_options=tf.distribute.experimental.CommunicationOptions(timeout_seconds=peer_timeout),
            )
            barrier(strategy)
        return strategy
    raise ValueError(f"name must be one of {list(choices.STRATEGIES)}, got {name!r}")


def replica_sum(strategy: tf.distribute.Strategy, value: Callable[[], tf.Tensor]) -> np.ndarray:
    """``value()`` on every replica of every worker, summed; every worker of ``strategy`` must call it alike."""
    return tf.function(lambda: strategy.reduce("sum", strategy.run(value), axis=None), autograph=False)().numpy()


def barrier(strategy: tf.distribute.Strategy) -> None:
    """Return once every worker of ``strategy`` has called this."""
    replica_sum(strategy, lambda: tf.constant(1.0))


# Run as a process of its own by _deadline: after ``seconds``, unless its parent has ended or ended it
_WATCHDOG = """
import os, signal, sys, time
parent, seconds, line = int(sys.argv[1]), float(sys.argv[2]), sys.argv[3]
time.sleep(seconds)
if os.getppid() == parent:
    print(line, file=sys.stderr, flush=True)
    os.kill(parent, signal.SIGKILL)
"""


@contextmanager
def _deadline(seconds: float, message: str) -> Iterator[None]:
    """Kill this process with ``error: message`` on stderr unless the block ends within ``seconds``.

    A process of its own does it: TensorFlow waits for a cluster in C++ holding Python's GIL, so no
    thread, exception or signal handler of this process runs meanwhile, and its coordination
    service takes SIGTERM for a pre-emption notice."""
    watchdog = subprocess.Popen([sys.executable, "-c", _WATCHDOG, str(os.getpid()), str(seconds), f"error: {message}"])
    try:
        yield
    except tf.errors.OpError:  # e.g. the coordination service's own registration deadline
        raise TextrnnError(message) from None
    finally:
        watchdog.kill()
        watchdog.wait()


def parse_tf_config(text: str) -> dict[str, Any]:
    """The ``TF_CONFIG`` environment variable's cluster and task, checked."""
    try:
        config = json.loads(text)
        jobs, task = config["cluster"], config["task"]
        addresses = jobs[task["type"]]
        if not (isinstance(addresses, list) and 0 <= int(task["index"]) < len(addresses)):
            raise ValueError
    except (ValueError, KeyError, TypeError):
        raise TextrnnError(
            f"TF_CONFIG = {text!r}: must be JSON like {json.dumps(tf_config(['host1:12345', 'host2:12345'], 0))}, "
            "its task one of its cluster's"
        ) from None
    return {"cluster": jobs, "task": {"type": task["type"], "index": int(task["index"])}}


def resolve_cluster(cluster: Sequence[str] | None, task_index: int, environment: str | None) -> dict[str, Any]:
    """The cluster and this worker's place in it (a ``TF_CONFIG``): from ``cluster`` (the workers'
    ``host:port``) and ``task_index``, or from ``environment``, the ``TF_CONFIG`` environment variable's
    text; exactly one of the two."""
    if cluster is not None and environment is not None:
        raise ArgumentError(
            "`cluster` is set and so is the TF_CONFIG environment variable: give the cluster one way, unset "
            "TF_CONFIG or set `cluster`=null"
        )
    if cluster is not None:
        return tf_config(list(cluster), task_index)
    if environment is None:
        raise ArgumentError(
            "`strategy`=multi_worker needs the cluster: set `cluster` (the workers' host:port) and `task_index` "
            "(this machine's place), or the TF_CONFIG environment variable"
        )
    return parse_tf_config(environment)


def tf_config(workers: Sequence[str], index: int) -> dict[str, Any]:
    """A ``TF_CONFIG`` for the worker at ``index`` of a cluster of ``workers`` (``host:port`` each)."""
    if not 0 <= index < len(workers):
        raise ValueError(f"index must be the place of a worker in workers ({len(workers)}), got {index}")
    return {"cluster": {"worker": list(workers)}, "task": {"type": "worker", "index": index}}


def is_chief(cluster: Mapping[str, Any] | None) -> bool:
    """Whether this process writes checkpoints and tracking data: true without a ``cluster`` (a ``TF_CONFIG``).

    The chief is the task of type ``chief``, or worker 0 when the cluster has no chief.
    """
    if cluster is None:
        return True
    task = cluster["task"]
    if task["type"] == "chief":
        return True
    return task["type"] == "worker" and task["index"] == 0 and "chief" not in cluster["cluster"]


def set_precision(policy: str) -> None:
    """Set Keras's global dtype policy; ``mixed_float16`` makes ``compile`` add loss scaling."""
    if policy not in choices.PRECISIONS:
        raise ValueError(f"policy must be one of {list(choices.PRECISIONS)}, got {policy!r}")
    keras.mixed_precision.set_global_policy(policy)
