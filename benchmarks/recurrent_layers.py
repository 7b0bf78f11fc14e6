"""Training-step speed of textrnn's recurrent layers against Keras's built-ins, all in one run.

One step = forward + backward + Adam update of one recurrent layer on float32 inputs
``[batch, steps, inputs]`` (loss: mean squared error of the last output against a fixed target).
Each variant is compiled and warmed up, then the variants of a family take turns (``--rounds``)
until each has ``--repeats`` timed steps; the median is reported as ms/step and tokens/s
(batch × steps per second), with its ratio to the Keras built-in of the same family measured in
the same run. On a shared 2-core VM single timings vary by ±20 %: read ratios, not digits.

    python benchmarks/recurrent_layers.py                      # the table in docs/benchmarks.md (CPU)
    python benchmarks/recurrent_layers.py --shapes 64x100 --jit  # under XLA

For the LSTM it also times a "matmul floor": the LSTM's per-step matmuls in the same loop with no
gate arithmetic (``MatmulFloorCell``), an upper bound for any cell in ``keras.layers.RNN``.

Results are written to benchmarks/results/recurrent_layers.json (one record per variant and shape).
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import statistics
import time
from pathlib import Path
from typing import Any

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")  # as textrnn/__init__.py sets them, before TensorFlow loads
os.environ.setdefault("TF_ENABLE_ONEDNN_OPTS", "0")

import keras
import numpy as np
import tensorflow as tf

from textrnn import cells, layers

LAYERS_BY_FAMILY = {
    "LSTM": (layers.LSTM, cells.LSTMCell, keras.layers.LSTM),
    "GRU": (layers.GRU, cells.GRUCell, keras.layers.GRU),
    "SimpleRNN": (layers.SimpleRNN, cells.SimpleRNNCell, keras.layers.SimpleRNN),
}
RESULTS = Path(__file__).parent / "results" / "recurrent_layers.json"


class MatmulFloorCell(keras.layers.Layer):
    """The matmuls of an LSTM step and nothing else: ``h_t = (x_t W + h_{t-1} U)[:, :H]``.

    Same weight shapes as an LSTM (``W`` ``[D, 4H]``, ``U`` ``[H, 4H]``) and the same per-step
    matmuls forward and backward, without the gate arithmetic. In ``keras.layers.RNN`` (the loop
    that Keras's LSTM and ours run, differentiated by TensorFlow) its ratio to
    ``keras.layers.LSTM`` bounds what any faster gate arithmetic inside that loop could reach.
    """

    def __init__(self, units: int, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.units = units
        self.state_size = units

    def build(self, input_shape: tuple[int | None, ...]) -> None:
        self.kernel = self.add_weight(shape=(input_shape[-1], 4 * self.units), name="kernel")
        self.recurrent_kernel = self.add_weight(shape=(self.units, 4 * self.units), name="recurrent_kernel")

    def call(self, inputs: Any, states: Any) -> tuple[Any, list[Any]]:
        z = keras.ops.matmul(inputs, self.kernel) + keras.ops.matmul(states[0], self.recurrent_kernel)
        h = z[:, : self.units]
        return h, [h]


def compile_training_step(layer: keras.layers.Layer, batch: int, steps: int, inputs: int, units: int, *, jit: bool):
    """A compiled, warmed-up forward + backward + Adam step of ``layer``."""
    rng = np.random.default_rng(0)
    x = tf.constant(rng.normal(size=(batch, steps, inputs)).astype("float32"))
    layer(x)
    target = tf.constant(rng.normal(size=(batch, units)).astype("float32"))
    optimizer = keras.optimizers.Adam(1e-3)
    optimizer.build(layer.trainable_variables)

    @tf.function(jit_compile=jit)
    def train_step() -> tf.Tensor:
        with tf.GradientTape() as tape:
            loss = tf.reduce_mean(tf.square(layer(x, training=True) - target))
        optimizer.apply(tape.gradient(loss, layer.trainable_variables), layer.trainable_variables)
        return loss

    for _ in range(5):
        train_step().numpy()
    return train_step


def time_steps(train_step: Any, count: int) -> list[float]:
    timings = []
    for _ in range(count):
        start = time.perf_counter()
        train_step().numpy()
        timings.append(time.perf_counter() - start)
    return timings


def run(
    shapes: list[tuple[int, int]], inputs: int, units: int, *, jit: bool, repeats: int, rounds: int
) -> list[dict[str, Any]]:
    """Time every variant; the variants of a family take turns over ``rounds`` so that drift hits all."""
    records = []
    for batch, steps in shapes:
        for family, (ours, cell, builtin) in LAYERS_BY_FAMILY.items():
            variants = {
                f"textrnn.layers.{family}": ours(units),
                f"keras.layers.RNN(textrnn.cells.{cell.__name__})": keras.layers.RNN(cell(units)),
                f"keras.layers.{family}": builtin(units),
            }
            if family == "LSTM":
                variants["matmul floor: keras.layers.RNN(MatmulFloorCell)"] = keras.layers.RNN(MatmulFloorCell(units))
            compiled = {
                name: compile_training_step(layer, batch, steps, inputs, units, jit=jit)
                for name, layer in variants.items()
            }
            timings: dict[str, list[float]] = {name: [] for name in compiled}
            for _ in range(rounds):
                for name, train_step in compiled.items():
                    timings[name] += time_steps(train_step, max(1, repeats // rounds))
            seconds = {name: statistics.median(values) for name, values in timings.items()}
            reference = seconds[f"keras.layers.{family}"]
            for name, value in seconds.items():
                ratio = reference / value
                records.append(
                    {
                        "family": family,
                        "variant": name,
                        "batch": batch,
                        "steps": steps,
                        "inputs": inputs,
                        "units": units,
                        "jit_compile": jit,
                        "ms_per_step": round(value * 1e3, 2),
                        "tokens_per_second": round(batch * steps / value),
                        "throughput_vs_keras": round(ratio, 2),
                    }
                )
                print(f"{batch:>4} x {steps:<5} {name:<50} {value * 1e3:9.2f} ms  {ratio:5.2f}x", flush=True)
    return records


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--shapes", nargs="+", default=["64x100", "64x1000", "1x100"], help="BATCHxSTEPS")
    parser.add_argument("--inputs", type=int, default=128)
    parser.add_argument("--units", type=int, default=128)
    parser.add_argument("--repeats", type=int, default=30, help="timed steps per variant (median)")
    parser.add_argument("--rounds", type=int, default=3, help="turns the variants take")
    parser.add_argument("--jit", action="store_true", help="compile the training step with XLA")
    args = parser.parse_args()
    shapes = [tuple(int(n) for n in shape.split("x")) for shape in args.shapes]
    records = run(shapes, args.inputs, args.units, jit=args.jit, repeats=args.repeats, rounds=args.rounds)  # type: ignore[arg-type]
    environment = {
        "tensorflow": tf.__version__,
        "keras": keras.__version__,
        "machine": platform.machine(),
        "cpus": os.cpu_count(),
        "devices": [d.device_type for d in tf.config.list_physical_devices()],
        "date": time.strftime("%Y-%m-%d"),
    }
    RESULTS.parent.mkdir(exist_ok=True)
    previous = json.loads(RESULTS.read_text()) if RESULTS.exists() else {"runs": []}
    kept = [r for r in previous["runs"] if r["environment"].get("jit_compile") != args.jit]
    runs = [*kept, {"environment": {**environment, "jit_compile": args.jit}, "records": records}]
    RESULTS.write_text(json.dumps({"runs": runs}, indent=2) + "\n")
    print(f"wrote {RESULTS}")


if __name__ == "__main__":
    main()
