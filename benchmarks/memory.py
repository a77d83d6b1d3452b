"""Extra memory of one training epoch of N1 on 50,000 examples, in a fresh process.

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


def main() -> None:
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
