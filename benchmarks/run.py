"""Training-step throughput of chainrule against PyTorch, scikit-learn and the matrix
products alone, plus peak memory of an N1 epoch and the import time of chainrule.

    python benchmarks/run.py [--quick] [--busy] [--json] [--threads 2] [--readme]

Each implementation lives in its own process (``worker.py``): PyTorch's OpenMP pool and
NumPy's OpenBLAS pool slow each other down when they share one. The processes take turns:
in every round each network is timed in each process, one process at a time, the order of
the processes rotating from round to round. A round's figure is the median step time within
it; the reported figure is the median over the rounds after a warm-up round. Samples per
second = batch size / step time. ``--readme`` rewrites the "## Speed" section of README.md.

``--busy`` also times every network with one core kept busy by another process: a plain
spinning Python process that this script starts, pauses (SIGSTOP) while the quiet figure
is taken and lets run (SIGCONT) for the busy figure, right after it in the same round, and
ends at the end. Its own CPU time is not counted as load from other processes. A network
*keeps* busy / quiet throughput; the table gives the median over the rounds and the worst
round.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import re
import signal
import statistics
import subprocess
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

from problems import NETS, gemm_flops  # noqa: E402

from chainrule import cpuload  # noqa: E402

IMPLS = ("chainrule", "torch", "sklearn", "bound")
#: Untimed steps at least before each timing: enough for chainrule's thread choice to look
#: (12 steps) on the slowest network, where 0.25 s is a handful of steps.
SETTLE_STEPS = 16
NOTES = {
    "N2b1": "sklearn: with biases (it has no bias-free layers)",
    "N2b2": "sklearn: with biases",
    "N3": "sklearn: MLPRegressor, identity output (no output ReLU)",
}


class Spinner:
    """One core kept busy by a plain spinning process, paused until :meth:`resume`."""

    def __init__(self) -> None:
        self.proc = subprocess.Popen([sys.executable, "-c", "while True: pass"])
        self.pause()

    def pause(self) -> None:
        os.kill(self.proc.pid, signal.SIGSTOP)

    def resume(self) -> None:
        os.kill(self.proc.pid, signal.SIGCONT)

    def close(self) -> None:
        self.proc.kill()
        self.proc.wait(timeout=30)


def wait_for_quiet(max_wait: float, threshold: float = 0.1) -> float:
    """Wait (at most ``max_wait`` s) until other processes use under ``threshold`` cores
    over 0.2 s; returns the load seen last. Only Linux's /proc is asked; elsewhere 0."""
    if not cpuload.supported():
        return 0.0
    deadline = time.monotonic() + max_wait
    while True:
        before = cpuload.sample()
        time.sleep(0.2)
        load = cpuload.foreign_cores(before, cpuload.sample(), 0.2)
        if load < threshold or time.monotonic() > deadline:
            return load


class Worker:
    def __init__(self, impl: str, threads: int, baseline: str | None = None) -> None:
        self.impl = impl
        self.max_wait = 2.0
        self.spinner: Spinner | None = None  # a process whose CPU time is not foreign load
        env = dict(os.environ)
        if impl == "baseline":
            # another copy of the package (e.g. the last commit's), to measure a change
            env["PYTHONPATH"] = os.pathsep.join(filter(None, [baseline, env.get("PYTHONPATH")]))
        for var in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS"):
            env[var] = str(threads)
        self.proc = subprocess.Popen(
            [sys.executable, str(HERE / "worker.py"), impl, str(threads)],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            text=True,
            env=env,
            cwd=HERE,
        )

    def measure(self, retries: int, **cmd):
        """Run a timing command; repeat it (up to ``retries`` times, after waiting for a
        quiet machine) while other processes took more than 0.15 cores during it. Returns
        the answer with the least foreign load, with that load under ``"foreign_load"``."""
        best = None
        proc = cpuload.supported()
        for attempt in range(retries + 1):
            if proc and attempt:
                wait_for_quiet(self.max_wait)
            t0 = time.perf_counter()
            before = self._jiffies() if proc else None
            answer = self.ask(**cmd)
            elapsed = time.perf_counter() - t0
            after = self._jiffies() if proc else None
            answer["foreign_load"] = cpuload.foreign_cores(before, after, elapsed) if proc else 0.0
            if best is None or answer["foreign_load"] < best["foreign_load"]:
                best = answer
            if best["foreign_load"] <= 0.15 or answer["times"] == "skip":
                break
        return best

    def _jiffies(self) -> tuple[int, int]:
        pids = [self.proc.pid] + ([self.spinner.proc.pid] if self.spinner is not None else [])
        return cpuload.sample(pids)

    def ask(self, **cmd):
        self.proc.stdin.write(json.dumps(cmd) + "\n")
        self.proc.stdin.flush()
        for line in self.proc.stdout:
            if line.startswith("@@"):
                return json.loads(line[2:])
        raise RuntimeError(f"worker {self.impl} ended (exit code {self.proc.wait()})")

    def close(self) -> None:
        try:
            self.proc.stdin.write(json.dumps({"cmd": "quit"}) + "\n")
            self.proc.stdin.close()
        except BrokenPipeError:
            pass
        self.proc.wait(timeout=30)


def time_steps(impls, threads, rounds, seconds, retries, log, baseline=None, busy=False):
    """``{phase: {net: {impl: [median step time of each timed round]}}}`` (phases "quiet"
    and, with ``busy``, "busy"), the workers' setup, and the load other processes put on
    the machine during each kept measurement."""
    workers = {impl: Worker(impl, threads, baseline) for impl in impls}
    spinner = Spinner() if busy else None
    phases = ("quiet", "busy") if busy else ("quiet",)
    try:
        setup = {impl: w.ask(cmd="setup") for impl, w in workers.items()}
        per_round = {ph: {key: {impl: [] for impl in impls} for key in NETS} for ph in phases}
        loads = []
        choices: dict[str, list[int]] = {}  # chainrule's BLAS thread count per round
        looks: dict[str, list[list[dict]]] = {}  # and the looks that led to it
        for r in range(rounds + 1):  # round 0 warms up and is thrown away
            order = impls[r % len(impls) :] + impls[: r % len(impls)]
            for key in NETS:
                for impl in order:
                    for phase in phases:
                        answer = _measure_phase(
                            workers[impl], spinner, phase, retries if r else 0, key, seconds, r
                        )
                        if answer["times"] == "skip" or r == 0:
                            continue
                        per_round[phase][key][impl].append(statistics.median(answer["times"]))
                        loads.append(answer["foreign_load"])
                        if "blas_threads" in answer:
                            choices.setdefault(f"{key} {phase}", []).append(answer["blas_threads"])
                            looks.setdefault(f"{key} {phase}", []).append(answer["looks"])
            recent = loads[-len(NETS) * len(impls) * len(phases) :] or [0.0]
            log(f"round {r}/{rounds} done (other processes: {statistics.median(recent):.2f} cores)")
        return per_round, setup, loads, (choices, looks)
    finally:
        for w in workers.values():
            w.close()
        if spinner is not None:
            spinner.close()


def _measure_phase(worker, spinner, phase, retries, key, seconds, r):
    """One timing of network ``key`` in ``worker``, with the spinner running if busy."""
    if phase == "busy":
        spinner.resume()
        worker.spinner = spinner
    try:
        return worker.measure(
            retries,
            cmd="run",
            net=key,
            seconds=seconds * (2 if r == 0 else 1),
            min_steps=5,
            settle=seconds,
            settle_steps=SETTLE_STEPS,
        )
    finally:
        if phase == "busy":
            spinner.pause()
            worker.spinner = None


def memory(impl: str, threads: int, traced: bool = False) -> dict:
    cmd = [sys.executable, str(HERE / "memory.py"), impl, str(threads)]
    if traced:
        cmd.append("--traced")
    env = dict(os.environ)
    for var in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS"):
        env[var] = str(threads)
    out = subprocess.run(cmd, capture_output=True, text=True, env=env, cwd=HERE, check=True)
    return json.loads(out.stdout.strip().splitlines()[-1])


def mnist_memory() -> dict:
    """Peak RSS of ``chainrule train`` on MNIST-sized files (``memory.py mnist``)."""
    cmd = [sys.executable, str(HERE / "memory.py"), "mnist"]
    out = subprocess.run(cmd, capture_output=True, text=True, cwd=HERE, check=True)
    return json.loads(out.stdout.strip().splitlines()[-1])


def import_time(repeats: int) -> dict:
    """Seconds for ``import chainrule`` and for ``import chainrule`` plus loading the engine
    (``cr.Sequential``, which brings NumPy), each in a fresh interpreter; medians."""
    code = (
        "import time; t0 = time.perf_counter(); import chainrule as cr; "
        "t1 = time.perf_counter(); cr.Sequential, cr.Adam, cr.SoftmaxCrossEntropy; "
        "t2 = time.perf_counter(); print(t1 - t0, t2 - t0)"
    )
    bare, engine = [], []
    for _ in range(repeats):
        out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
        a, b = map(float, out.stdout.split())
        bare.append(a)
        engine.append(b)
    return {"import": statistics.median(bare), "import_and_engine": statistics.median(engine)}


def machine() -> str:
    model = platform.processor() or "unknown CPU"
    try:
        out = subprocess.run(["lscpu"], capture_output=True, text=True).stdout
        found = re.search(r"Model name:\s*(.+)", out)
        if found:
            model = found.group(1).strip()
    except OSError:
        pass
    return f"{model}, {os.cpu_count()} cores, {platform.system()} {platform.release()}"


def summarise(per_round: dict) -> dict:
    table = {}
    for key, net in NETS.items():
        row = {}
        for impl, medians in per_round["quiet"][key].items():
            if medians:
                t = statistics.median(medians)
                row[impl] = {
                    "step_s": t,
                    "samples_per_s": net.batch / t,
                    "spread": (max(medians) - min(medians)) / t,
                    "rounds": len(medians),
                }
        cr, pt, bd = (row.get(i, {}).get("step_s") for i in ("chainrule", "torch", "bound"))
        row["chainrule/torch"] = pt / cr if cr and pt else None
        row["chainrule/bound"] = bd / cr if cr and bd else None
        row["bound_gflops"] = gemm_flops(net) / bd / 1e9 if bd else None
        base = row.get("baseline", {}).get("step_s")
        if base and cr:
            row["chainrule/baseline"] = base / cr
        if "busy" in per_round:
            row["busy"] = _busy_row(net, per_round["quiet"][key], per_round["busy"][key])
        table[key] = row
    return table


def _busy_row(net, quiet: dict, busy: dict) -> dict:
    """Busy step times, and per implementation the share of the quiet throughput it keeps
    (quiet time / busy time of the same round): median and worst round."""
    row = {}
    for impl, medians in busy.items():
        if not medians:
            continue
        kept = [q / b for q, b in zip(quiet[impl], medians, strict=True)]
        t = statistics.median(medians)
        row[impl] = {
            "step_s": t,
            "samples_per_s": net.batch / t,
            "kept_median": statistics.median(kept),
            "kept_worst": min(kept),
        }
    cr, pt = (row.get(i, {}).get("step_s") for i in ("chainrule", "torch"))
    row["chainrule/torch"] = pt / cr if cr and pt else None
    return row


def _fmt_rate(x: float | None) -> str:
    if x is None:
        return "-"
    return f"{x:,.0f}"


def _ratio(x: float | None) -> str:
    return "-" if x is None else f"{x:.2f}x"


def _kept(cell: dict | None) -> str:
    if not cell:
        return "-"
    return f"{cell['kept_median']:.0%} ({cell['kept_worst']:.0%})"


def table_lines(result: dict) -> list[str]:
    """The Markdown table: throughputs and ratios, with the busy columns where measured."""
    busy = any("busy" in row for row in result["table"].values())
    head = (
        "| network | batch | chainrule | PyTorch | scikit-learn | GEMMs only (bound) "
        "| chainrule / PyTorch | chainrule / bound |"
    )
    rule = "|---|---:|---:|---:|---:|---:|---:|---:|"
    if busy:
        head += " busy: chainrule / PyTorch | busy: chainrule keeps | busy: PyTorch keeps |"
        rule += "---:|---:|---:|"
    lines = [head, rule]
    for key, net in NETS.items():
        row = result["table"][key]

        def rate(impl, row=row):
            return _fmt_rate(row.get(impl, {}).get("samples_per_s"))

        ratio_b = row["chainrule/bound"]
        line = (
            f"| {net.title} | {net.batch} | {rate('chainrule')} | {rate('torch')} "
            f"| {rate('sklearn')} | {rate('bound')} | {_ratio(row['chainrule/torch'])} "
            f"| {'-' if ratio_b is None else f'{ratio_b:.0%}'} |"
        )
        if busy:
            b = row.get("busy", {})
            line += (
                f" {_ratio(b.get('chainrule/torch'))} | {_kept(b.get('chainrule'))} "
                f"| {_kept(b.get('torch'))} |"
            )
        lines.append(line)
    return lines


def markdown(result: dict) -> str:
    lines = table_lines(result)
    mem = result.get("memory", {})
    extra = []
    if mem:
        parts = [f"{impl} {m['extra_kib'] / 1024:.1f} MiB" for impl, m in mem.items()]
        extra.append(
            "Extra memory of one N1 epoch (50,000 examples, float32): "
            + ", ".join(parts)
            + " (peak RSS `ru_maxrss` minus the RSS after imports and data; "
            "`benchmarks/memory.py`)."
        )
    if "mnist_memory" in result:
        m = result["mnist_memory"]
        extra.append(
            f"`chainrule train` on MNIST-sized data (60,000 + 10,000 images of 28 x 28, one "
            f"epoch of the default network): peak RSS {m['peak_rss_kib'] / 1024:.0f} MiB, "
            f"{m['peak_over_data']:.2f}x the float32 training data "
            f"({m['float32_train_kib'] / 1024:.0f} MiB; `python benchmarks/memory.py mnist`)."
        )
    if "traced" in result:
        extra.append(
            f"NumPy allocations traced by `tracemalloc` during that chainrule epoch: peak "
            f"{result['traced']['traced_peak_kib'] / 1024:.1f} MiB."
        )
    if "import" in result:
        imp = result["import"]
        extra.append(
            f"`import chainrule`: {imp['import'] * 1000:.0f} ms; with the engine loaded "
            f"(`cr.Sequential`, NumPy included): {imp['import_and_engine'] * 1000:.0f} ms "
            "(fresh interpreters, median)."
        )
    if "foreign_load" in result:
        fl = result["foreign_load"]
        extra.append(
            f"Load from other processes during the kept measurements: median "
            f"{fl['median']:.2f} cores, max {fl['max']:.2f} ({fl['over_0.15']} of "
            f"{fl['measurements']} measurements above 0.15 cores after retries)."
        )
    notes = "; ".join(f"{NETS[k].key} {v}" for k, v in NOTES.items())
    if any("busy" in row for row in result["table"].values()):
        extra.append(
            "Busy columns: the same steps while a plain spinning process (started and "
            "stopped by the benchmark) keeps one core busy; *keeps* is busy / quiet "
            "throughput of the same round, median over the rounds (worst round in brackets)."
        )
    extra.append(
        "Every timing follows as long a run of untimed steps (16 at least) under the same load, so a "
        "timed run has met its load (quiet or busy) as a training run does; what a change "
        "of load costs chainrule's thread choice is counted in `tests/training/"
        "test_threads.py` (two slow steps when a core is taken away)."
    )
    chosen = result.get("blas_threads_chosen", {})
    if chosen:
        shown = ", ".join(
            f"{key} {'/'.join(str(n) for n in sorted(set(counts)))}"
            for key, counts in chosen.items()
        )
        extra.append(
            f"chainrule's BLAS threads at the end of each timing (network phase: counts seen): {shown}."
        )
    extra.append(f"Notes: {notes}. Where the time goes, and what is left: `benchmarks/NOTES.md`.")
    return "\n".join(lines) + "\n\n" + "\n\n".join(extra)


def _sharing(result: dict) -> str:
    """How quiet the machine was, in words for the README."""
    median = result["foreign_load"]["median"]
    if median < 0.15:
        return (
            f"on a quiet machine (other processes used a median {median:.2f} cores); the "
            "ratios, from the same interleaved run, are steadier than the absolute figures"
        )
    return (
        f"with other jobs sharing the machine (a median {median:.2f} cores), so the ratios "
        "(from the same run) mean more than the absolute figures"
    )


def write_readme(result: dict, command: str) -> None:
    path = HERE.parent / "README.md"
    text = path.read_text()
    section = (
        "## Speed\n\n"
        f"Samples per second of one training step (forward, backward, Adam update), float32, "
        f"each library in its own process started with {result['threads']} threads (OpenBLAS "
        "and PyTorch); chainrule then picks 1 or 2 BLAS threads by timing its steps, as "
        "`fit` does (`chainrule.threads`). Median over interleaved rounds, the rounds' load "
        "from other processes below the table. Measured with "
        f"`{command}` on {result['machine']} (NumPy {result['versions']['numpy']}, "
        f"PyTorch {result['versions'].get('torch', '-')}, scikit-learn "
        f"{result['versions'].get('sklearn', '-')}), {_sharing(result)}.\n\n"
        + markdown(result)
        + "\n"
    )
    found = re.search(r"^## Speed\n.*?(?=^## |\Z)", text, flags=re.S | re.M)
    if found:
        text = text[: found.start()] + section + text[found.end() :]
    else:
        text = text.rstrip("\n") + "\n\n" + section
    path.write_text(text)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--quick", action="store_true", help="fewer, shorter rounds (< 2 min)")
    ap.add_argument("--json", action="store_true", help="print one JSON object on stdout")
    ap.add_argument("--threads", type=int, default=2, help="threads of every library")
    ap.add_argument("--rounds", type=int, help="timed rounds (default 5 quick, 11 full)")
    ap.add_argument("--only", nargs="+", choices=IMPLS, help="implementations to run")
    ap.add_argument(
        "--retries",
        type=int,
        default=2,
        help="repeat a measurement during which other processes used > 0.15 cores",
    )
    ap.add_argument(
        "--baseline",
        metavar="DIR",
        help="also time the chainrule package found in DIR (e.g. an older copy), as 'baseline'",
    )
    ap.add_argument("--no-memory", action="store_true", help="skip the memory probe")
    ap.add_argument(
        "--busy", action="store_true", help="also time each network with one core kept busy"
    )
    ap.add_argument("--readme", action="store_true", help="rewrite README.md's Speed section")
    args = ap.parse_args(argv)

    def log(msg):
        print(msg, file=sys.stderr, flush=True)

    rounds = args.rounds or (5 if args.quick else 11)
    seconds = 0.25 if args.quick else 0.6
    impls = tuple(args.only or IMPLS)
    if args.baseline:
        impls += ("baseline",)
    t0 = time.perf_counter()
    log(f"{len(impls)} processes, {args.threads} threads each, {rounds} rounds of {seconds} s")
    per_round, setup, loads, (choices, looks) = time_steps(
        impls, args.threads, rounds, seconds, args.retries, log, args.baseline, args.busy
    )
    result = {
        "machine": machine(),
        "threads": args.threads,
        "rounds": rounds,
        "thread_pools": {impl: s["threads"] for impl, s in setup.items()},
        "versions": {k: v for s in setup.values() for k, v in s["versions"].items()},
        "table": summarise(per_round),
        "blas_threads_chosen": choices,
        "chainrule_looks": looks,
        "foreign_load": {
            "median": statistics.median(loads),
            "max": max(loads),
            "over_0.15": sum(x > 0.15 for x in loads),
            "measurements": len(loads),
        },
    }
    if not args.no_memory:
        mem_impls = [i for i in ("chainrule", "torch") if i in impls]
        repeats = 1 if args.quick else 3
        runs = {impl: [] for impl in mem_impls}
        for _ in range(repeats):
            for impl in mem_impls:
                runs[impl].append(memory(impl, args.threads))
        result["memory"] = {
            impl: sorted(r, key=lambda m: m["extra_kib"])[len(r) // 2] for impl, r in runs.items()
        }
        if "chainrule" in impls and not args.quick:
            result["traced"] = memory("chainrule", args.threads, traced=True)
        if "chainrule" in impls:
            result["mnist_memory"] = mnist_memory()
        log("memory done")
    if "chainrule" in impls:
        result["import"] = import_time(5 if args.quick else 9)
    result["seconds"] = time.perf_counter() - t0
    command = "python benchmarks/run.py" + (" --quick" if args.quick else "")
    command += " --busy" if args.busy else ""
    if args.threads != 2:
        command += f" --threads {args.threads}"
    if args.json:
        print(json.dumps(result, indent=1))
    else:
        print(f"machine: {result['machine']}")
        print(f"threads: {args.threads} per library; pools seen: {result['thread_pools']}")
        print(f"versions: {result['versions']}")
        fl = result["foreign_load"]
        print(
            f"load from other processes during the kept measurements: median "
            f"{fl['median']:.2f} cores, max {fl['max']:.2f}; {fl['over_0.15']} of "
            f"{fl['measurements']} above 0.15 after retries"
        )
        print(markdown(result))
        for key, row in result["table"].items():
            if "chainrule/baseline" in row:
                print(f"{key}: chainrule / baseline {row['chainrule/baseline']:.2f}x")
        print(f"({result['seconds']:.0f} s)")
    if args.readme:
        write_readme(result, command)
        log("README.md: Speed section written")
    return 0


if __name__ == "__main__":
    sys.exit(main())
