"""Memory of training: an N1 epoch in a fresh process, and ``chainrule train`` on a full
MNIST-sized data set.

``python benchmarks/memory.py mnist [--epochs 1]`` writes MNIST-format IDX files of
60,000 + 10,000 random 28 x 28 images into a temporary directory, runs the command line
``chainrule train --data mnist:DIR`` on them (the default network, 784-100-10, with its
validation split, standardisation, checkpoints and plots) in a child process, and prints
one JSON line with the child's peak resident set size (``ru_maxrss``) against the size of
the float32 training data (60,000 x 784 x 4 bytes = 179 MiB); the target is under 2x.

``python benchmarks/memory.py IMPL THREADS [N] [--traced]`` prints one JSON line. Method:
after the imports and after the data set (float32, generated in place) exists, the resident
set size is the baseline; then come the model, the optimizer, the one-off validation of the
data set (chainrule, as fit() does) and one epoch of training steps (contiguous batches of
256: fit()'s step for chainrule, the usual loop for PyTorch); ``extra`` is the peak resident
set size (``ru_maxrss``) minus the baseline. With ``--traced`` (chainrule only, a separate
run because tracing costs memory itself) ``tracemalloc`` gives the peak of NumPy's own
allocations over the same span instead.
"""

from __future__ import annotations

import json
import os
import resource
import sys


def rss_kib() -> int:
    with open("/proc/self/statm") as f:
        pages = int(f.read().split()[1])
    return pages * os.sysconf("SC_PAGE_SIZE") // 1024


def write_idx(path, array) -> None:
    """An uncompressed IDX file of unsigned bytes: magic ``0 0 8 ndim``, sizes, data."""
    import numpy as np

    with open(path, "wb") as f:
        f.write(bytes([0, 0, 8, array.ndim]))
        f.write(np.array(array.shape, dtype=">u4").tobytes())
        f.write(np.ascontiguousarray(array, dtype=np.uint8).tobytes())


def mnist_sized(argv: list[str]) -> dict:
    """Peak RSS of ``chainrule train`` on MNIST-sized IDX files (see the module text)."""
    import argparse
    import shutil
    import subprocess
    import tempfile
    import time

    import numpy as np

    ap = argparse.ArgumentParser(prog="memory.py mnist")
    ap.add_argument("--epochs", type=int, default=1)
    ap.add_argument("--train", type=int, default=60_000)
    args = ap.parse_args(argv)
    tmp = tempfile.mkdtemp(prefix="chainrule-mnist-")
    try:
        rng = np.random.default_rng(0)
        for part, n in (("train", args.train), ("t10k", 10_000)):
            images = rng.integers(0, 256, size=(n, 28, 28), dtype=np.uint8)
            images[:, :, :3] = 0  # blank borders, as in the real digits
            write_idx(os.path.join(tmp, f"{part}-images-idx3-ubyte"), images)
            write_idx(os.path.join(tmp, f"{part}-labels-idx1-ubyte"), rng.integers(0, 10, n))
            del images
        cmd = [sys.executable, "-m", "chainrule", "train", "--data", f"mnist:{tmp}"]
        cmd += ["--epochs", str(args.epochs), "--quiet", "--json", "--out"]
        cmd += [os.path.join(tmp, "run")]
        t0 = time.perf_counter()
        out = subprocess.run(cmd, capture_output=True, text=True, check=True)
        seconds = time.perf_counter() - t0
        peak = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
        result = json.loads(out.stdout)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    data_kib = args.train * 784 * 4 // 1024
    return {
        "case": "chainrule train, MNIST-sized",
        "examples": args.train,
        "epochs": args.epochs,
        "peak_rss_kib": peak,
        "float32_train_kib": data_kib,
        "peak_over_data": peak / data_kib,
        "seconds": seconds,
        "train_seconds": result.get("train_seconds"),
    }


def main() -> None:
    if sys.argv[1] == "mnist":
        print(json.dumps(mnist_sized(sys.argv[2:])))
        return
    impl, threads = sys.argv[1], int(sys.argv[2])
    traced = "--traced" in sys.argv
    args = [a for a in sys.argv[3:] if not a.startswith("--")]
    n = int(args[0]) if args else 50_000
    for var in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS"):
        os.environ[var] = str(threads)
    import numpy as np  # noqa: F401

    if impl == "torch":
        import torch

        torch.set_num_threads(threads)
    else:
        import chainrule as cr

        cr.Sequential, cr.Adam, cr.SoftmaxCrossEntropy  # load the engine modules  # noqa: B018
    import tracemalloc

    import worker
    from problems import NETS, data, weights

    net = NETS["N1"]
    X, y = data(net, n)
    W = weights(net)
    peak_before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    base = rss_kib()
    if traced:
        tracemalloc.start()
    step = worker.BUILDERS[impl](net, W, X, y)
    from problems import batches

    for _ in batches(net, X, y):
        step()
    traced_peak = tracemalloc.get_traced_memory()[1] if traced else None
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    print(
        json.dumps(
            {
                "impl": impl,
                "examples": n,
                "baseline_kib": base,
                "peak_before_kib": peak_before,
                "peak_kib": peak,
                "extra_kib": peak - max(base, peak_before),
                "traced_peak_kib": None if traced_peak is None else traced_peak // 1024,
            }
        )
    )


if __name__ == "__main__":
    main()
