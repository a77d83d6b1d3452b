"""Wall time and test accuracy of ``chainrule train`` with its defaults on digits.

Runs the command as a user would, in a fresh process (imports, data loading, training,
plots and checkpoint included), once per seed:

    python benchmarks/train_digits.py            # seed 0
    python benchmarks/train_digits.py --seeds 5  # seeds 0..4

The issue's bar: >= 97% test accuracy in under 15 s on 2 cores.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--seeds", type=int, default=1, help="run seeds 0..N-1 (1)")
    args = parser.parse_args()
    print(f"python {sys.version.split()[0]}, {os.cpu_count()} CPUs")
    worst_time, worst_acc = 0.0, 1.0
    # with the bytecode cache, as an installed package has it (pip compiles it)
    env = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}
    with tempfile.TemporaryDirectory() as tmp:
        for seed in range(args.seeds):
            cmd = [
                sys.executable,
                "-m",
                "chainrule",
                "train",
                "--json",
                "--quiet",
                "--seed",
                str(seed),
                "--out",
                os.path.join(tmp, f"run{seed}"),
            ]
            start = time.perf_counter()
            done = subprocess.run(cmd, capture_output=True, text=True, check=False, env=env)
            wall = time.perf_counter() - start
            if done.returncode != 0:
                print(done.stderr, file=sys.stderr)
                return done.returncode
            result = json.loads(done.stdout)
            acc = result["test_accuracy"]
            worst_time, worst_acc = max(worst_time, wall), min(worst_acc, acc)
            print(
                f"seed {seed}: test accuracy {acc:.4f}, wall time {wall:.2f} s "
                f"(training {result['train_seconds']:.2f} s)"
            )
    verdict = "ok" if worst_acc >= 0.97 and worst_time < 15 else "BELOW THE BAR"
    print(f"worst: accuracy {worst_acc:.4f}, wall time {worst_time:.2f} s -> {verdict}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
