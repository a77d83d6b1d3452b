"""Grading many answers: a pool of worker processes, each answer under a time limit.

Answers are untrusted text. Each worker grades one answer at a time; an answer that runs
past the limit has its worker killed and replaced, and gets ``parse_error`` with a limit
message; a worker that dies (a crash, the memory limit) is replaced the same way. So one
hostile answer costs at most the time limit and never stops the batch.

>>> from chainrule.check.batch import grade_many
>>> [r.code for r in grade_many("seed001-q1.5", [r"\\delta W^3", r"-\\delta W^3"], workers=1)]
['correct', 'sign']
"""

from __future__ import annotations

import contextlib
import multiprocessing as mp
import os
import time
from collections.abc import Sequence
from multiprocessing.connection import Connection, wait
from typing import Any

from chainrule.check.problem import Problem
from chainrule.check.result import Result
from chainrule.errors import ChainruleError

__all__ = ["DEFAULT_TIME_LIMIT", "grade_many", "is_problem_file", "load_problem"]

DEFAULT_TIME_LIMIT = 5.0
CHUNK = 16  # answers sent to a worker at once (each still timed on its own)
MEMORY_LIMIT = 2 << 30  # bytes of address space per worker, where the OS supports it


def is_problem_file(spec: str) -> bool:
    """Whether ``spec`` names a problem file (``.toml``, or a path) rather than a built-in id."""
    return spec.endswith(".toml") or os.path.sep in spec


def load_problem(spec: str) -> Problem:
    """A built-in id, or the path of a problem file (``.toml``)."""
    from chainrule.check.bank import problem

    if is_problem_file(spec):
        return Problem.from_toml(spec)
    return problem(spec)


def _limit_memory() -> None:
    try:
        import resource

        _, hard = resource.getrlimit(resource.RLIMIT_AS)
        limit = MEMORY_LIMIT if hard == resource.RLIM_INFINITY else min(MEMORY_LIMIT, hard)
        resource.setrlimit(resource.RLIMIT_AS, (limit, hard))
    except (ImportError, ValueError, OSError):  # pragma: no cover - not on this OS
        pass


def _worker(conn: Connection, problem: Problem) -> None:
    """Grade the chunks of answers received on ``conn`` until it closes; send back each
    plain result as soon as it is ready (so the parent times every answer on its own)."""
    _limit_memory()
    while True:
        try:
            chunk = conn.recv()
        except (EOFError, OSError):
            return
        for index, text in chunk:
            try:
                result = problem.grade(text).to_dict()
            except BaseException as err:  # an answer must never stop the worker
                result = _failure(f"the answer could not be graded ({type(err).__name__})")
            conn.send((index, result))


def _failure(why: str) -> dict[str, Any]:
    return Result(False, "parse_error", ["parse_error"], f"The answer was not graded: {why}.",
                  "Write a shorter, simpler formula.").to_dict()  # fmt: skip


class _Slot:
    """One worker process and the answers it holds; ``started`` is when the first of them
    began (the last result, or the send)."""

    def __init__(self, ctx: Any, problem: Problem) -> None:
        parent, child = ctx.Pipe()
        self.conn = parent
        self.process = ctx.Process(target=_worker, args=(child, problem), daemon=True)
        self.process.start()
        child.close()
        self.queue: list[int] = []
        self.started = 0.0

    def send(self, indices: list[int], answers: Sequence[str]) -> None:
        self.queue, self.started = list(indices), time.monotonic()
        self.conn.send([(i, answers[i]) for i in indices])

    def kill(self) -> None:
        self.process.kill()
        self.process.join(timeout=5)
        self.conn.close()


def _warm(problem: Problem) -> None:
    """Build what every worker needs once, before the workers fork: the parse tables of
    both syntaxes, the lexers of the states the reference passes through (Lark builds
    them on first use), the reference's values and the mutations' values."""
    from chainrule.expr.parse import parse

    parse("x", {"x": ()}, syntax="latex")
    parse("x", {"x": ()}, syntax="numpy")
    problem.grader.candidates  # noqa: B018 - computed for its cache
    with contextlib.suppress(ChainruleError):  # a problem without a formula reference
        problem.grade(problem.reference_latex())


def _context() -> Any:
    methods = mp.get_all_start_methods()
    return mp.get_context("fork" if "fork" in methods else "spawn")


def grade_many(
    problem: Problem | str,
    answers: Sequence[str],
    *,
    workers: int | None = None,
    time_limit: float = DEFAULT_TIME_LIMIT,
) -> list[Result]:
    """Grade every answer, in order, with ``workers`` processes (default: the CPUs).

    Each answer gets at most ``time_limit`` seconds; past it, its result is
    ``parse_error`` with a limit message.
    """
    if isinstance(problem, str):
        problem = load_problem(problem)
    _warm(problem)
    count = max(1, min(workers or os.cpu_count() or 1, len(answers) or 1))
    ctx = _context()
    results: list[dict[str, Any] | None] = [None] * len(answers)
    todo = list(range(len(answers)))[::-1]
    slots = [_Slot(ctx, problem) for _ in range(count)]
    try:
        _run(slots, todo, answers, results, time_limit, ctx, problem)
    finally:
        for slot in slots:
            slot.kill()
    return [_as_result(r) for r in results]


def _run(slots, todo, answers, results, time_limit, ctx, problem) -> None:
    """Keep every worker fed with a chunk; collect results; kill a worker whose current
    answer runs past ``time_limit`` (the rest of its chunk goes back in the queue)."""
    for slot in slots:
        _feed(slot, todo, answers)
    while any(s.queue for s in slots):
        busy = [s for s in slots if s.queue]
        deadline = min(s.started for s in busy) + time_limit
        ready = wait([s.conn for s in busy], timeout=max(0.0, deadline - time.monotonic()))
        for k, slot in enumerate(slots):
            if not slot.queue:
                continue
            if slot.conn in ready:
                try:
                    index, result = slot.conn.recv()
                except (EOFError, OSError):
                    slots[k] = _fail_head(
                        slot, "its worker process stopped", results, todo, ctx, problem
                    )
                    _feed(slots[k], todo, answers)
                    continue
                results[index] = result
                slot.queue.remove(index)
                slot.started = time.monotonic()
            elif time.monotonic() - slot.started >= time_limit:
                why = f"it took longer than {time_limit:g} s"
                slots[k] = _fail_head(slot, why, results, todo, ctx, problem)
            if not slots[k].queue:
                _feed(slots[k], todo, answers)


def _feed(slot: _Slot, todo: list[int], answers: Sequence[str]) -> None:
    """Send ``slot`` the next chunk: a quarter of what is left, 1 to :data:`CHUNK` answers."""
    if todo:
        size = min(CHUNK, len(todo) // 4 or 1)
        slot.send([todo.pop() for _ in range(size)], answers)


def _fail_head(slot: _Slot, why: str, results, todo, ctx, problem) -> _Slot:
    """The answer being graded fails with ``why``; the others of its chunk are requeued."""
    head, *rest = slot.queue
    results[head] = _failure(why)
    todo.extend(reversed(rest))
    slot.kill()
    return _Slot(ctx, problem)


def _as_result(data: dict[str, Any] | None) -> Result:
    if data is None:  # pragma: no cover - every task is answered or failed
        data = _failure("it was never graded")
    return Result(**data)
