"""The highest share of the matrix-products bound a training step can reach here.

    python benchmarks/ceiling.py [NET ...] [--threads 2] [--rounds 5] [--json PATH]

``parts.py`` times each part of a step on its own, over and over, so its arrays stay in
the caches. Inside the real step they do not: every matrix product leaves its operands in
the two cores' caches and evicts the rest, and the element-wise passes that follow (the
activations, the loss, the optimizer) then read their arrays from further away. This
script times each part where it runs, inside ``chainrule.train_step`` on the benchmark's
rotating batches, and the bound (the same products and nothing else) in interleaved
rounds, at a fixed BLAS thread count.

The ceiling it prints is ``bound / (bound + the parts other than Linear, as timed inside
the step)``: the share of the bound a step would reach if its products ran as fast as in
the bound and its element-wise passes cost what they cost now. It counts the bias
additions inside ``Linear``, Python's overhead and the products' own slowdown inside the
step as free, so it is an upper limit on what these passes allow, not an estimate.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("nets", nargs="*", default=["N1", "N3", "N4"])
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--rounds", type=int, default=5)
    ap.add_argument("--json", type=Path, help="also write the figures to this file")
    args = ap.parse_args()
    for var in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS"):
        os.environ[var] = str(args.threads)
    import worker
    from problems import NETS, data, weights
    from run import wait_for_quiet

    results = {}
    for key in args.nets:
        net = NETS[key]
        X, y = data(net)
        step = worker.build_chainrule(net, weights(net), X, y)
        step.threads = None  # the thread count stays as set above, the bound's count
        bound = worker.build_bound(net, weights(net), X, y)
        results[key] = measure(step, bound, args.rounds, wait_for_quiet)
        report(net.title, results[key])
    if args.json:
        args.json.write_text(json.dumps({"threads": args.threads, "nets": results}, indent=1))


class PartTimer:
    """Times the public calls of a step's layers, loss, penalty and optimizer where they
    run, by wrapping them on the instances (:meth:`remove` puts the classes' back)."""

    def __init__(self, step) -> None:
        self.times: dict[str, list[float]] = {}
        self._wrapped = []
        for layer in step.model.layers:
            self._wrap(layer, "forward", f"forward {layer.label}")
            self._wrap(layer, "backward", f"backward {layer.label}")
        self._wrap(step.loss, "forward", "loss forward")
        self._wrap(step.loss, "backward", "loss backward")
        if step.reg is not None:
            self._wrap(step.reg, "forward", "L2 forward")
        self._wrap(step.optimizer, "step", "optimizer step")

    def _wrap(self, obj, method: str, label: str) -> None:
        inner = getattr(obj, method)
        times = self.times.setdefault(label, [])
        clock = time.perf_counter

        def timed(*args, **kwargs):
            t0 = clock()
            out = inner(*args, **kwargs)
            times.append(clock() - t0)
            return out

        setattr(obj, method, timed)
        self._wrapped.append((obj, method))

    def remove(self) -> None:
        for obj, method in self._wrapped:
            delattr(obj, method)
        self._wrapped.clear()


def timed_block(f, n: int) -> float:
    """The 20th percentile of ``n`` timings of ``f()`` in seconds, after 3 warm-up calls (a
    low percentile: on a shared machine noise only ever adds time)."""
    import numpy as np

    for _ in range(3):
        f()
    ts = []
    for _ in range(n):
        t0 = time.perf_counter()
        f()
        ts.append(time.perf_counter() - t0)
    return float(np.percentile(ts, 20))


def measure(step, bound, rounds: int, wait_for_quiet) -> dict:
    """Interleaved rounds of the bound, the bare step and the step with its parts timed;
    the medians over rounds of each round's 20th percentile, in microseconds."""
    import numpy as np

    for _ in range(10):
        step()
    n = max(20, int(0.4 / max(timed_block(step, 5), 1e-6)))
    bounds, wholes, parts = [], [], {}
    for _ in range(rounds):
        wait_for_quiet(3.0)
        bounds.append(timed_block(bound, n))
        wholes.append(timed_block(step, n))
        timer = PartTimer(step)
        timed_block(step, n)
        timer.remove()
        for label, ts in timer.times.items():
            parts.setdefault(label, []).append(float(np.percentile(ts, 20)))
    us = {label: float(np.median(v)) * 1e6 for label, v in parts.items()}
    products = float(np.median(bounds)) * 1e6
    passes = sum(t for label, t in us.items() if "Linear" not in label)
    return {
        "bound_us": products,
        "step_us": float(np.median(wholes)) * 1e6,
        "parts_us": us,
        "linear_in_step_us": sum(t for label, t in us.items() if "Linear" in label),
        "other_in_step_us": passes,
        "ceiling": products / (products + passes),
    }


def report(title: str, r: dict) -> None:
    print(f"\n{title} (microseconds, inside the step)")
    for label, t in r["parts_us"].items():
        print(f"  {label:<26}{t:10.1f}")
    print(f"  {'Linear layers (products)':<26}{r['linear_in_step_us']:10.1f}"
          f"   the products alone: {r['bound_us']:.1f}")  # fmt: skip
    print(f"  {'everything else':<26}{r['other_in_step_us']:10.1f}")
    print(f"  whole step {r['step_us']:.1f}: {r['bound_us'] / r['step_us']:.0%} of the bound; "
          f"ceiling with these passes {r['ceiling']:.0%}")  # fmt: skip


if __name__ == "__main__":
    main()
