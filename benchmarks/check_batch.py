"""Batch grading: 10,000 answers through ``chainrule check``'s worker pool (goal < 60 s on 2 cores).

The answers are a class's worth of realistic submissions on one problem: the reference
and its equivalent rewritings, the seed's own mistakes (the bank's fixtures), every
mutation the hypotheses name, and fuzz strings, repeated and shuffled to 10,000.

    python benchmarks/check_batch.py [--problem seed001-q1.11] [--answers 10000] [--workers 2]
"""

from __future__ import annotations

import argparse
import os
import random
import sys
import time
from collections import Counter

sys.path.insert(0, os.path.join(os.path.dirname(__file__), ".."))

import chainrule as cr
from chainrule.check.batch import grade_many
from chainrule.check.mutations import apply, mutations
from chainrule.expr.render import to_latex


def answers_for(pid: str, count: int, seed: int = 0) -> list[str]:
    from tests.check.rewrite import rewritings
    from tests.check.test_fuzz_grade import corpus

    p = cr.check.problem(pid)
    ref = p.reference
    pool = [p.reference_latex(), *rewritings(ref.tree()), *(f["answer"] for f in p.fixtures)]
    for m in mutations(ref):
        try:
            pool.append(to_latex(ref.wrap(apply(ref.base, (m,)))))
        except cr.ExpressionError:
            continue
    pool += corpus(seed, max(1, len(pool) // 2))
    rng = random.Random(seed)
    # distinct texts (leading spaces), so that no verdict is reused: the cost of judging
    return [" " * (k % 97) + rng.choice(pool) + " " * (k // 97) for k in range(count)]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--problem", default="seed001-q1.11")
    parser.add_argument("--answers", type=int, default=10_000)
    parser.add_argument("--workers", type=int, default=2)
    args = parser.parse_args()
    answers = answers_for(args.problem, args.answers)
    p = cr.check.problem(args.problem)
    cpu = time.process_time()
    for text in answers[:500]:
        p.grader._grade(text)
    per_answer = (time.process_time() - cpu) / 500
    import resource

    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    start = time.perf_counter()
    results = grade_many(p, answers, workers=args.workers)
    elapsed = time.perf_counter() - start
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    workers_cpu = (after.ru_utime + after.ru_stime) - (before.ru_utime + before.ru_stime)
    codes = Counter(r.code for r in results)
    print(f"{len(answers)} answers on {args.problem} with {args.workers} workers: {elapsed:.1f} s "
          f"({1000 * elapsed / len(answers):.2f} ms an answer)")  # fmt: skip
    print(", ".join(f"{c}: {n}" for c, n in codes.most_common()))
    print(f"CPU time to judge one answer in one process: {1000 * per_answer:.2f} ms "
          f"({per_answer * len(answers) / args.workers:.1f} s of work per core for the batch); "
          f"load average now {os.getloadavg()[0]:.1f}")  # fmt: skip
    print(f"CPU time of the worker processes: {workers_cpu:.1f} s "
          f"({workers_cpu / args.workers:.1f} s per core: the batch's wall time on idle cores)")  # fmt: skip


if __name__ == "__main__":
    main()
