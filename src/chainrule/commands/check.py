"""``chainrule check``: grade a gradient formula (or a class's answers) with a diagnosis.

Exit codes: 0 every answer correct, 3 one is not, 2 usage, 4 a bad problem or answers file.
"""

from __future__ import annotations

import argparse
import csv
import io
import json
from pathlib import Path
from typing import Any

from chainrule.commands.output import add_command, add_json_flag, emit
from chainrule.errors import CheckFailedError, ConfigError, DataError

EXIT_OK = 0

MAX_ANSWERS_BYTES = 50_000_000
MAX_ANSWERS = 200_000
_ID_COLUMNS = ("id", "student", "student_id", "sid", "name", "email")
_ANSWER_COLUMNS = ("answer", "response", "formula", "submission")


HELP = "grade a student's gradient formula against the derivation, with a diagnosis"
DESCRIPTION = (
    "Grade an answer (LaTeX or NumPy style) to a built-in problem or a problem file: "
    "correct, or what is wrong (transposed, scaled, missing_mask, ...) with a hint. "
    f"Exit 0 when every answer is correct, {CheckFailedError.exit_code} when one is not."
)


def register(subparsers) -> argparse.ArgumentParser:
    parser = add_command(subparsers, "check", HELP, DESCRIPTION, run)
    parser.add_argument("problem", nargs="?", help="a built-in problem id or a .toml file")
    what = parser.add_mutually_exclusive_group()
    what.add_argument("--answer", metavar="TEXT", help="one answer")
    what.add_argument(
        "--answers", metavar="FILE", help="a CSV or JSON Lines file with a student id and an answer"
    )
    what.add_argument("--list", action="store_true", help="list the built-in problems and exit")
    parser.add_argument("--gradescope", metavar="OUT", help="also write Gradescope results.json")
    parser.add_argument("--workers", type=int, default=None, help="worker processes (CPUs)")
    parser.add_argument(
        "--time-limit", type=float, default=5.0, help="seconds per answer (default 5)"
    )
    add_json_flag(parser)
    return parser


def run(args: argparse.Namespace) -> int:
    from chainrule.check.bank import problems

    if args.list:
        ids = problems()
        rows = [_listing(pid) for pid in ids]
        emit(args, {"problems": ids, "details": rows}, lambda: print(_list_text(rows)))
        return EXIT_OK
    if not args.problem or (args.answer is None and args.answers is None):
        raise ConfigError("give a PROBLEM and --answer TEXT or --answers FILE (or --list)")
    if args.workers is not None and args.workers < 1:
        raise ConfigError(f"--workers must be at least 1, got {args.workers}")
    if not 0 < args.time_limit <= 600:
        raise ConfigError(f"--time-limit must be in (0, 600] seconds, got {args.time_limit}")
    if args.gradescope:
        _check_gradescope(args.gradescope)  # before a long batch, not after it
    problem = _problem(args.problem)
    single = args.answer is not None
    rows = [("answer", args.answer)] if single else read_answers(args.answers)
    from chainrule.check.batch import grade_many

    results = grade_many(
        problem, [a for _, a in rows], workers=args.workers, time_limit=args.time_limit
    )
    if args.gradescope:
        write_gradescope(args.gradescope, problem, rows, results)
    _report(args, problem, rows, results)
    return EXIT_OK if all(r.correct for r in results) else CheckFailedError.exit_code


def _check_gradescope(out: str) -> None:
    from chainrule.commands.runs import check_run_folder

    path = Path(out)
    if path.is_dir():
        raise ConfigError(f"--gradescope {out}: is a folder; give the file to write")
    check_run_folder(path.parent, "--gradescope")


def _problem(spec: str):
    from chainrule.check.batch import is_problem_file, load_problem

    try:
        problem = load_problem(spec)
        problem.grader  # noqa: B018 - a problem that cannot be built is a bad problem (4)
        return problem
    except ConfigError as err:
        if is_problem_file(spec):
            raise DataError(str(err)) from None
        raise


def _report(args, problem, rows, results) -> None:
    if args.answer is not None:
        payload: dict[str, Any] = {"problem": problem.id, **results[0].to_dict()}
        emit(args, payload, lambda: print(results[0]))
        return
    counts: dict[str, int] = {}
    for r in results:
        counts[r.code] = counts.get(r.code, 0) + 1
    payload = {
        "problem": problem.id,
        "ok": all(r.correct for r in results),
        "answers": len(results),
        "codes": counts,
        "results": [
            {"id": sid, "answer": a, **r.to_dict()}
            for (sid, a), r in zip(rows, results, strict=True)
        ],
    }

    def render() -> None:
        for (sid, _), r in zip(rows, results, strict=True):
            print(f"{sid}: {r.code} ({r.score:g}) {r.message}")
        print(", ".join(f"{code}: {n}" for code, n in sorted(counts.items())))

    emit(args, payload, render)


def _listing(pid: str) -> dict[str, str]:
    """What ``--list`` says of a built-in problem: its id, the quantity asked (as LaTeX and
    as plain text), where it comes from, and its question where the bank words one."""
    from chainrule.check.bank import problem
    from chainrule.expr.glyphs import plain_name

    p = problem(pid)
    return {
        "id": pid,
        "quantity": p.quantity,
        "asks": plain_name(p.quantity),
        "source": str(p.data.get("source", "")),
        "question": p.question,
    }


def _list_text(rows: list[dict[str, str]]) -> str:
    """One line a problem: id, the quantity asked, the source, the question."""
    wide = max(len(r["id"]) for r in rows)
    asks = max(len(r["asks"]) for r in rows)
    lines = []
    for r in rows:
        line = f"{r['id']:<{wide}}  {r['asks']:<{asks}}  {r['source']}"
        lines.append(f"{line}: {r['question']}" if r["question"] else line)
    return "\n".join(lines)


def read_answers(path: str) -> list[tuple[str, str]]:
    """(student id, answer) pairs from a CSV file (with a header) or JSON Lines."""
    from chainrule.readfile import read_regular

    p = Path(path)
    raw = read_regular(p, "answers file", DataError, max_bytes=MAX_ANSWERS_BYTES)
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as err:
        raise DataError(f"{p}: not UTF-8 text (byte {err.start})") from None
    rows = _jsonl(text, p) if p.suffix in (".jsonl", ".ndjson", ".json") else _csv(text, p)
    if not rows:
        raise DataError(f"{p}: no answers found")
    if len(rows) > MAX_ANSWERS:
        raise DataError(f"{p}: {len(rows)} answers; at most {MAX_ANSWERS} in one file")
    return rows


def _pick(keys: list[str], wanted: tuple[str, ...], p: Path, what: str) -> str:
    lowered = {k.strip().lower(): k for k in keys if isinstance(k, str)}
    for w in wanted:
        if w in lowered:
            return lowered[w]
    raise DataError(f"{p}: no {what} column; expected one of {', '.join(wanted)}, got {keys}")


def _csv(text: str, p: Path) -> list[tuple[str, str]]:
    try:
        reader = csv.DictReader(io.StringIO(text))
        keys = list(reader.fieldnames or [])
        sid, ans = (
            _pick(keys, _ID_COLUMNS, p, "student id"),
            _pick(keys, _ANSWER_COLUMNS, p, "answer"),
        )
        rows = []
        for line, row in enumerate(reader, start=2):
            if row.get(ans) is None or row.get(sid) is None:
                raise DataError(f"{p}, line {line}: the row has fewer columns than the header")
            rows.append((str(row[sid]), str(row[ans])))
        return rows
    except csv.Error as err:
        raise DataError(f"{p}: not valid CSV: {err}") from None


def _jsonl(text: str, p: Path) -> list[tuple[str, str]]:
    """JSON Lines, or (a ``.json`` file that starts with ``[``) one array of objects."""
    if p.suffix == ".json" and text.lstrip().startswith("["):
        items = _json(text, p)
        if not isinstance(items, list):  # pragma: no cover - "[" opens a list
            raise DataError(f"{p}: expected an array of objects")
        return [_row(item, p, f"item {k}") for k, item in enumerate(items, start=1)]
    rows = []
    for line, raw in enumerate(text.splitlines(), start=1):
        if not raw.strip():
            continue
        rows.append(_row(_json(raw, p, line), p, f"line {line}"))
    return rows


def _json(text: str, p: Path, line: int | None = None) -> Any:
    """``text`` read as JSON; ``line``: the file's line it is (else the error's own)."""
    try:
        return json.loads(text)
    except json.JSONDecodeError as err:
        where = err.lineno if line is None else line
        raise DataError(f"{p}, line {where}: not JSON: {err.msg} at column {err.colno}") from None


def _row(item: Any, p: Path, where: str) -> tuple[str, str]:
    if not isinstance(item, dict):
        raise DataError(f"{p}, {where}: expected an object with an id and an answer")
    sid, ans = (
        _pick(list(item), _ID_COLUMNS, p, "student id"),
        _pick(list(item), _ANSWER_COLUMNS, p, "answer"),
    )
    if not isinstance(item[ans], str):
        raise DataError(
            f"{p}, {where}: the answer must be a string, got {type(item[ans]).__name__}"
        )
    return str(item[sid]), item[ans]


def write_gradescope(out: str, problem, rows, results) -> None:
    """Gradescope's ``results.json``: one test per answer, named by the student id."""
    points = problem.points
    tests = [
        {
            "name": f"{problem.id}: {sid}",
            "score": round(r.score * points, 6),
            "max_score": points,
            "status": "passed" if r.correct else "failed",
            "output": r.message + (f"\nHint: {r.hint}" if r.hint else ""),
        }
        for (sid, _), r in zip(rows, results, strict=True)
    ]
    payload = {"score": round(sum(t["score"] for t in tests), 6), "tests": tests}
    from chainrule.atomic import atomic_write

    try:
        with atomic_write(out, text=True) as fh:
            fh.write(json.dumps(payload, indent=2) + "\n")
    except OSError as err:
        raise DataError(f"cannot write the Gradescope results {out}: {err.strerror}") from None
