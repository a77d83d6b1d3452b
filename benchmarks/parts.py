"""Where a chainrule training step spends its time, part by part.

    python benchmarks/parts.py [NET ...] [--threads 2] [--repeat 200]

Times each layer's forward and backward, the loss, the L2 term and the Adam update of the
benchmark networks, each part on its own, and prints the 20th percentile of many repeats
(a low percentile, because on a shared machine the noise only ever adds time). The sum of
the parts is compared with the whole step and with the matrix products alone.
"""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("nets", nargs="*", default=["N1", "N2b1", "N3", "N4"])
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--repeat", type=int, default=200)
    args = ap.parse_args()
    for var in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS"):
        os.environ[var] = str(args.threads)
    import numpy as np
    import worker
    from problems import NETS, data, weights
    from run import wait_for_quiet

    for key in args.nets:
        profile(NETS[key], data, weights, worker, wait_for_quiet, args.repeat, np)


def q(f, n):
    """20th percentile of ``n`` timings of ``f()`` in microseconds, after 3 warm-up calls."""
    from ceiling import timed_block

    return timed_block(f, n) * 1e6


def profile(net, data, weights, worker, wait_for_quiet, repeat, np) -> None:
    X, y = data(net)
    n = max(20, repeat if net.batch > 1 else repeat * 20)
    step = worker.build_chainrule(net, weights(net), X, y)
    bound = worker.build_bound(net, weights(net), X, y)
    model, loss, opt, reg = step.model, step.loss, step.optimizer, step.reg
    no_opt = step.with_optimizer(_NoStep())
    # the three whole-step variants in alternating blocks, so that noise hits all three
    wholes, no_opts, gemms = [], [], []
    for _ in range(5):
        wait_for_quiet(3.0)
        wholes.append(q(step, n // 5))
        no_opts.append(q(no_opt, n // 5))
        gemms.append(q(bound, n // 5))
    whole, fwd_bwd, gemm = (float(np.median(v)) for v in (wholes, no_opts, gemms))
    xb, yb = X[: net.batch], y[: net.batch]
    rows = []
    h = xb
    outs = []
    for layer in model.layers:
        outs.append(h)
        rows.append((f"forward {layer.label}", q(lambda la=layer, h=h: la.forward(h), n)))
        h = layer.forward(h)
    rows.append(("loss forward", q(lambda: loss.forward(h, yb), n)))
    g = loss.backward()
    for i in range(len(model.layers) - 1, -1, -1):
        layer = model.layers[i]
        layer.forward(outs[i])
        back = q(lambda la=layer, g=g, i=i: la.backward(g, input_grad=i > 0), n)
        rows.append((f"backward {layer.label}", back))
        g = layer.backward(g, input_grad=i > 0)
    if reg is not None:
        # the L2 gradient is added inside the optimizer's update (train_step folds it)
        rows.append(("L2 forward", q(lambda: reg.forward(model), n)))
        rows.append(("Adam step, L2 folded in", q(lambda: opt.step(penalty=reg), n)))
    else:
        rows.append(("Adam step", q(opt.step, n)))
    total = sum(t for _, t in rows)
    print(f"\n{net.title}, batch {net.batch} (microseconds, 20th percentile)")
    for name, t in rows:
        print(f"  {name:<26}{t:10.1f}")
    print(f"  {'sum of parts':<26}{total:10.1f}")
    print(f"  {'whole step':<26}{whole:10.1f}")
    print(f"  {'step without optimizer':<26}{fwd_bwd:10.1f}")
    print(f"  {'matrix products only':<26}{gemm:10.1f}   bound/step {gemm / whole:.0%}")
    print(f"  engine beyond the products {fwd_bwd - gemm:.1f}, optimizer {whole - fwd_bwd:.1f}")


class _NoStep:
    """An optimizer that updates nothing: the step without its update (not a chainrule
    Optimizer, so train_step adds the L2 gradient to .grad as a separate pass)."""

    def step(self):
        pass


if __name__ == "__main__":
    main()
