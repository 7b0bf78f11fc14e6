"""The adding problem (textrnn.adding): which of our recurrent families solve it at which length.

For each family, lengths in increasing order, a fresh model (128 units, batch 50, Adam 1e-3,
gradients clipped to norm 1) trains on fresh sequences until its absolute error is below 0.04
on 99 % of 1,000 test sequences, checked every ``--check-every`` training sequences, or until a
budget (``--max-sequences``, ``--max-seconds``) is spent. Unsolved runs still say how far they
got: the test mean squared error against the 1/6 of a model that always answers the mean, 1.0.

    python benchmarks/adding_problem.py                         # the table in docs/cells.md (about 40 minutes)
    python benchmarks/adding_problem.py --lengths 50 --families lstm --max-seconds 60

Results are written to benchmarks/results/adding_problem.json, one record per family and length:
a run replaces the records of the pairs it ran and keeps the others.
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import os
import time
from pathlib import Path

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")  # as textrnn/__init__.py sets them, before TensorFlow loads
os.environ.setdefault("TF_ENABLE_ONEDNN_OPTS", "0")

from environment import environment

from textrnn import adding
from textrnn.models import FAMILIES

RESULTS = Path(__file__).parent / "results" / "adding_problem.json"


def sequence_length(text: str) -> int:
    """A sequence length for argparse: an integer ≥ 2 (one marker in each half)."""
    if not text.isdigit() or int(text) < 2:
        raise argparse.ArgumentTypeError(f"{text!r} is not an integer ≥ 2 (one marker in each half)")
    return int(text)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--lengths", type=sequence_length, nargs="+", default=[50, 100, 200, 500])
    parser.add_argument("--families", nargs="+", choices=sorted(FAMILIES), default=["simple_rnn", "lstm", "gru"])
    parser.add_argument("--units", type=int, default=128)
    parser.add_argument("--check-every", type=int, default=5_000, help="training sequences between test checks")
    parser.add_argument("--max-sequences", type=int, default=200_000)
    parser.add_argument("--max-seconds", type=float, default=200.0, help="wall-time budget of one run")
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()
    records = []
    for family in args.families:
        for length in sorted(args.lengths):
            result = adding.train(
                family=family,
                length=length,
                units=args.units,
                check_every=args.check_every,
                max_sequences=args.max_sequences,
                max_seconds=args.max_seconds,
                seed=args.seed,
            )
            records.append(
                {
                    **dataclasses.asdict(result),
                    **{key: value for key, value in vars(args).items() if key not in ("lengths", "families", "units")},
                    "date": time.strftime("%Y-%m-%d"),
                }
            )
            print(result, flush=True)
    setup = {
        "tolerance": adding.TOLERANCE,
        "solved_fraction": adding.SOLVED_FRACTION,
        **environment(),
    }
    ran = {(record["family"], record["length"]) for record in records}
    kept = (
        [r for r in json.loads(RESULTS.read_text())["results"] if (r["family"], r["length"]) not in ran]
        if RESULTS.exists()
        else []
    )
    order = {family: index for index, family in enumerate(("simple_rnn", "lstm", "gru"))}
    merged = sorted([*kept, *records], key=lambda r: (order.get(r["family"], len(order)), r["family"], r["length"]))
    RESULTS.parent.mkdir(exist_ok=True)
    RESULTS.write_text(json.dumps({"setup": setup, "results": merged}, indent=2) + "\n")
    print(f"wrote {RESULTS}")


if __name__ == "__main__":
    main()
