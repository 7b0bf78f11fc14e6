"""The adding problem (textrnn.adding): which of our recurrent families solve it at which length.

For each family, lengths in increasing order, a fresh model (128 units, batch 50, Adam 1e-3,
gradients clipped to norm 1) trains on fresh sequences until its absolute error is below 0.04
on 99 % of 1,000 test sequences, checked every ``--check-every`` training sequences, or until a
budget (``--max-sequences``, ``--max-seconds``) is spent. A family that does not solve a length
within the budget is not run at the longer lengths (each is harder, and its steps slower, so the
same budget cannot solve it); those rows say "not run".

    python benchmarks/adding_problem.py                         # the README table
    python benchmarks/adding_problem.py --lengths 50 --families lstm --max-seconds 60

Results are written to benchmarks/results/adding_problem.json.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import time
from pathlib import Path

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

import keras
import tensorflow as tf

from textrnn import adding

RESULTS = Path(__file__).parent / "results" / "adding_problem.json"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--lengths", type=int, nargs="+", default=[50, 100, 200, 500])
    parser.add_argument("--families", nargs="+", default=["simple_rnn", "lstm", "gru"])
    parser.add_argument("--units", type=int, default=128)
    parser.add_argument("--check-every", type=int, default=5_000, help="training sequences between test checks")
    parser.add_argument("--max-sequences", type=int, default=200_000)
    parser.add_argument("--max-seconds", type=float, default=240.0, help="wall-time budget of one run")
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()
    records = []
    for family in args.families:
        for length in sorted(args.lengths):
            if records and records[-1]["family"] == family and not records[-1].get("solved"):
                records.append({"family": family, "length": length, "not_run": "not solved at a shorter length"})
                continue
            result = adding.train(
                family=family,
                length=length,
                units=args.units,
                check_every=args.check_every,
                max_sequences=args.max_sequences,
                max_seconds=args.max_seconds,
                seed=args.seed,
            )
            records.append(result.as_dict())
            print(result, flush=True)
    setup = {
        **{key: value for key, value in vars(args).items() if key not in ("lengths", "families")},
        "tolerance": adding.TOLERANCE,
        "solved_fraction": adding.SOLVED_FRACTION,
        "date": time.strftime("%Y-%m-%d"),
        "machine": f"{platform.machine()}, {os.cpu_count()} CPUs",
        "tensorflow": tf.__version__,
        "keras": keras.__version__,
    }
    RESULTS.parent.mkdir(exist_ok=True)
    RESULTS.write_text(json.dumps({"setup": setup, "results": records}, indent=2) + "\n")
    print(f"wrote {RESULTS}")


if __name__ == "__main__":
    main()
