"""Deriving a 10-layer network: ``cr.derive`` under half a second (the issue's bar).

Times ``cr.derive`` (composing every layer's formulas, every layout rewrite, the expanded
forms) on a 10-layer ReLU/sigmoid/tanh network with biases and L2, in each layout, and
separately its verification and LaTeX output:

    python benchmarks/derive_speed.py [--layers 10] [--repeats 5]

Prints the best wall time of each over the repeats (the machine is shared, the best is the
least disturbed); exit 1 when deriving takes 0.5 s or more.
"""

from __future__ import annotations

import argparse
import os
import sys
import time

import numpy as np

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "src"))

import chainrule as cr

BAR_S = 0.5


def network(depth: int) -> cr.Sequential:
    acts = [cr.ReLU, cr.Sigmoid, cr.Tanh]
    layers = []
    widths = [8 + k for k in range(depth + 1)]
    for k in range(depth):
        layers.append(cr.Linear(widths[k], widths[k + 1]))
        if k < depth - 1:
            layers.append(acts[k % 3]())
    return cr.Sequential(layers, dtype=np.float64, seed=0)


def best(fn, repeats: int) -> float:
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return min(times)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--layers", type=int, default=10, help="linear layers (10)")
    parser.add_argument("--repeats", type=int, default=5, help="repeats, best taken (5)")
    args = parser.parse_args()
    model, loss = network(args.layers), cr.HalfSquaredError()
    rng = np.random.default_rng(1)
    X = rng.standard_normal((16, model.n_inputs))
    y = rng.standard_normal((16, model.n_outputs))
    worst = 0.0
    print(f"python {sys.version.split()[0]}, {os.cpu_count()} CPUs, {args.layers} layers")
    for layout in ("row", "xw", "column"):
        t = best(lambda lay=layout: cr.derive(model, loss, l2=0.01, layout=lay), args.repeats)
        d = cr.derive(model, loss, l2=0.01, layout=layout)
        v = best(lambda d=d: d.verify(X, y), args.repeats)
        tex = best(d.to_latex, args.repeats)
        worst = max(worst, t)
        print(
            f"  {layout:6} derive {t * 1e3:7.1f} ms   verify {v * 1e3:7.1f} ms   "
            f"LaTeX {tex * 1e3:7.1f} ms   ({len(d.steps)} steps, ok={d.verify(X, y).ok})"
        )
    verdict = "under" if worst < BAR_S else "OVER"
    print(f"slowest derive: {worst * 1e3:.1f} ms, {verdict} the {BAR_S * 1e3:.0f} ms bar")
    return 0 if worst < BAR_S else 1


if __name__ == "__main__":
    sys.exit(main())
