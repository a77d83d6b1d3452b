"""End to end: a whole ``fit`` epoch against the steps it is made of, and the default
``chainrule train`` from the command line.

    python benchmarks/epoch.py [--rounds 3] [--cli-runs 3]

Epoch: the default network of ``chainrule train`` (784-100-10 ReLU, softmax cross-entropy,
L2 1e-3, Adam 2e-3, batch 32) on 60,000 x 784 float32 examples, with 6,000 validation
examples and a checkpoint written at the end of the epoch. Each round times one ``fit``
epoch whole, then as many ``train_step`` calls on contiguous batches of the same data
(the BLAS thread count chosen the same way), and reports epoch / (median step x steps):
what the loop, the gathering of batches, validation and checkpointing add (target: at
most 1.2). On a busy machine the epoch also carries every preemption, which the median
step does not; epoch / (sum of the loop's step times) sees the same noise on both sides.

Command line: ``chainrule train --quiet`` (digits, 30 epochs) run in a fresh process after
one warm-up run; the median wall time (target: under 3 s).

Prints one JSON object; other processes' load on the machine over the run is included.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from chainrule import cpuload


def epoch_rounds(rounds: int) -> list[dict]:
    import numpy as np

    import chainrule as cr
    from chainrule.threads import ThreadChooser
    from chainrule.train import ModelCheckpoint

    rng = np.random.default_rng(0)
    X = rng.standard_normal((60_000, 784), dtype=np.float32)
    y = rng.integers(0, 10, 60_000)
    Xv = rng.standard_normal((6_000, 784), dtype=np.float32)
    yv = rng.integers(0, 10, 6_000)
    net = cr.zoo.build("seed002-two-layer-softmax", n_inputs=784, n_outputs=10, seed=0)
    model, loss = net.model, net.loss
    opt = cr.Adam(model, lr=2e-3)
    batch, steps = 32, -(-60_000 // 32)
    out = []
    with tempfile.TemporaryDirectory() as tmp:
        ckpt = ModelCheckpoint(os.path.join(tmp, "model.chainrule"))
        for r in range(rounds):
            t0 = time.perf_counter()
            cr.fit(model, loss, opt, (X, y), epochs=1, batch_size=batch, validation=(Xv, yv),
                   l2=net.l2, seed=r, callbacks=[ckpt], verbose=0)  # fmt: skip
            epoch = time.perf_counter() - t0
            reg = cr.L2(net.l2)
            times = []
            with ThreadChooser() as threads:
                for i in range(0, 60_000 - batch + 1, batch):
                    t1 = time.perf_counter()
                    threads.begin()
                    cr.train_step(model, loss, opt, X[i : i + batch], y[i : i + batch], l2=reg)
                    threads.end()
                    times.append(time.perf_counter() - t1)
            step = statistics.median(times)
            out.append({"epoch_s": epoch, "step_s": step, "steps": steps,
                        "epoch_over_steps": epoch / (step * steps),
                        "epoch_over_step_sum": epoch / sum(times)})  # fmt: skip
    return out


def cli_runs(runs: int) -> list[float]:
    env = dict(os.environ)
    # warm means the bytecode cache too, as an installed package has it (pip compiles it)
    env.pop("PYTHONDONTWRITEBYTECODE", None)
    walls = []
    with tempfile.TemporaryDirectory() as tmp:
        for k in range(runs + 1):  # the first run warms the caches and is not counted
            cmd = [sys.executable, "-m", "chainrule", "train", "--quiet", "--out"]
            cmd.append(os.path.join(tmp, f"run{k}"))
            t0 = time.perf_counter()
            subprocess.run(cmd, check=True, capture_output=True, env=env)
            if k:
                walls.append(time.perf_counter() - t0)
    return walls


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--rounds", type=int, default=3)
    ap.add_argument("--cli-runs", type=int, default=3)
    args = ap.parse_args()
    t0, before = time.perf_counter(), cpuload.sample()
    rounds = epoch_rounds(args.rounds)
    walls = cli_runs(args.cli_runs)
    seconds = time.perf_counter() - t0
    # the CLI children's time is counted as foreign here: the load is an upper bound
    load = cpuload.foreign_cores(before, cpuload.sample(), seconds)
    result = {
        "epoch": rounds,
        "epoch_over_steps_median": statistics.median(r["epoch_over_steps"] for r in rounds),
        "epoch_over_step_sum_median": statistics.median(r["epoch_over_step_sum"] for r in rounds),
        "cli_train_wall_s": walls,
        "cli_train_wall_median_s": statistics.median(walls),
        "foreign_load_upper_bound": load,
    }
    print(json.dumps(result, indent=1))


if __name__ == "__main__":
    main()
