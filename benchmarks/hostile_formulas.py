"""Counts of the hostile-formula corpus, per family: tried, clear error, crash, silent.

    PYTHONPATH=src python benchmarks/hostile_formulas.py [SIZE] [--show N] [--slowest N]

Runs ``tests/expr/hostile.py``'s corpus (the known hostile inputs and SIZE generated ones,
20,000 by default) through parse, the to_latex round trip, exact and float evaluation and
scalar.build, prints one line per family and the first N crashes or silent wrong results,
and the inputs that took the most CPU time.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from tests.expr.hostile import check, corpus


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("size", nargs="?", type=int, default=20_000)
    parser.add_argument("--show", type=int, default=10)
    parser.add_argument("--slowest", type=int, default=5)
    args = parser.parse_args()
    counts: dict[str, dict[str, int]] = {}
    bad, slow = [], []
    start = time.process_time()
    for case in corpus(args.size):
        outcome = check(case)
        row = counts.setdefault(case.family, {"ok": 0, "clear": 0, "crash": 0, "silent": 0})
        row[outcome.verdict] += 1
        if outcome.verdict in ("crash", "silent"):
            bad.append((case, outcome))
        slow.append((sum(outcome.seconds.values()), case.text, outcome.seconds))
    total = time.process_time() - start
    print(f"{'family':16} {'tried':>7} {'ran':>7} {'clear':>7} {'crash':>7} {'silent':>7}")
    for family, row in counts.items():
        tried = sum(row.values())
        print(f"{family:16} {tried:7} {row['ok']:7} {row['clear']:7} {row['crash']:7} "
              f"{row['silent']:7}")  # fmt: skip
    print(f"CPU time: {total:.1f} s")
    for case, outcome in bad[: args.show]:
        print(f"{outcome.verdict}: {case.text[:100]!r}: {outcome.detail[:200]}")
    for seconds, text, stages in sorted(slow, reverse=True)[: args.slowest]:
        parts = ", ".join(f"{k} {v:.2f}" for k, v in stages.items())
        print(f"slowest {seconds:.2f} s: {text[:60]!r} ({parts})")


if __name__ == "__main__":
    main()
