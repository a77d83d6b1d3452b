"""The judge: an answer against a :class:`~chainrule.check.reference.Reference`.

Order of the verdicts (first match wins): correct; transposed; scaled (a named factor);
sign; then the mutations of :mod:`chainrule.check.mutations` (missing mask, wrong
derivative, swapped order, missing batch sum, missing or wrong L2), each also transposed or
scaled; then a name of another layer (:mod:`chainrule.check.layer_swap`); then a
regression on the reference's terms (wrong coefficient, missing term); zero; a shape that
no hypothesis explains; else wrong, with a counterexample.

The values of the reference and of every mutation are computed once per grader, so
grading one more answer costs its own evaluation and some comparisons.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from chainrule.check import messages
from chainrule.check.answer import ReadError, read_answer
from chainrule.check.layer_swap import siblings, swapped_in_text, swapped_layer
from chainrule.check.match import Match, compare, name_factor
from chainrule.check.mutations import Candidate, candidates
from chainrule.check.reference import Reference
from chainrule.check.regress import regress
from chainrule.check.result import Result
from chainrule.check.values import answer_values, values_on
from chainrule.check.verdict import Verdict
from chainrule.errors import ExpressionError
from chainrule.expr import tree as T
from chainrule.expr.glyphs import plain_name

__all__ = ["Grader"]

MAX_REMEMBERED = 10_000  # distinct answer texts whose verdicts a grader keeps


class Grader:
    """Grades answers against one reference.

    Parameters
    ----------
    ref : Reference
        The right answer with its instances and network facts.
    credit : dict, optional
        Partial credit per code (0 to 1); ``correct`` is always 1.
    feedback : dict, optional
        Instructor text per code, shown as the hint.
    sig_digits : int, optional
        For numeric problems: a decimal answer within this many significant digits of
        the exact value counts as correct.
    """

    def __init__(
        self,
        ref: Reference,
        credit: dict[str, float] | None = None,
        feedback: dict[str, str] | None = None,
        sig_digits: int | None = None,
    ) -> None:
        self.ref = ref
        self.asked = plain_name(ref.quantity)  # the quantity's name in messages
        # the layered names and their siblings: the same in both symbol tables
        self.siblings = siblings(ref.symbols)
        self.credit = dict(credit or {})
        self.feedback = dict(feedback or {})
        self.sig_digits = sig_digits
        self.ref_values = values_on(ref.tree(), ref.instances, ref.free)
        self.answer_instances = [answer_values(i, ref.symbols) for i in ref.instances]
        self.as_matrices = _as_matrices(ref)
        self._candidates: list[tuple[Candidate, list[np.ndarray]]] | None = None
        self._seen: dict[str, Result] = {}

    # ------------------------------------------------------------ public

    def grade(self, text: object) -> Result:
        """The verdict on an answer written as text (LaTeX or NumPy style).

        A class hands in many identical answers; each distinct text is judged once.
        """
        if isinstance(text, str) and text in self._seen:
            return _copy(self._seen[text])
        result = self._grade(text)
        if isinstance(text, str) and len(self._seen) < MAX_REMEMBERED:
            self._seen[text] = _copy(result)
        return result

    def _grade(self, text: object) -> Result:
        try:
            read = read_answer(text, self.ref.symbols, self.ref.functions)
            instances, table = self.answer_instances, self.ref.symbols
            if isinstance(read, ReadError) and read.code == "shape_mismatch" and self.as_matrices:
                # a 1 x 1 matrix is a number only where that makes the formula fit. Where
                # the number was what stopped the reading (delta @ W3 with delta one
                # number), or the reading then stops at something else (an unknown name
                # further on), the 1 x 1 reading says what is wrong with the answer
                again = read_answer(text, self.as_matrices, self.ref.functions)
                number_in_product = "()" in read.details.get("shapes", [])
                other_trouble = not isinstance(again, ReadError) or again.code != "shape_mismatch"
                if number_in_product or other_trouble:
                    read, instances, table = again, self.ref.instances, self.as_matrices
            if isinstance(read, ReadError) and read.code == "shape_mismatch":
                swapped = self._swapped_in_text(text, table, instances)
                if swapped is not None:
                    return self.result(swapped)
            if isinstance(read, ReadError):
                verdict = Verdict([read.code], read.details, read.message, read.hint)
                return self.result(verdict)
            return self.result(self.judge(read, instances, table))
        except (ExpressionError, RecursionError, MemoryError, ValueError, TypeError) as err:
            return self.result(Verdict(["parse_error"], {}, f"The answer cannot be read: {err}"))

    def grade_tree(self, tree: T.Expr) -> Result:
        """The verdict on a tree built with the reference's own shapes (for tests)."""
        return self.result(self.judge(tree, self.ref.instances))

    @property
    def candidates(self) -> list[tuple[Candidate, list[np.ndarray]]]:
        """Every mutation of the reference with its values (computed on first use)."""
        if self._candidates is None:
            out = []
            for cand in candidates(self.ref):
                try:
                    tree = self.ref.wrap(cand.tree)
                    out.append((cand, values_on(tree, self.ref.instances, self.ref.free)))
                except (ExpressionError, ValueError, ZeroDivisionError):
                    continue
            self._candidates = out
        return self._candidates

    # ------------------------------------------------------------ judging

    def judge(
        self, tree: T.Expr, instances: list[dict[str, Any]], table: dict[str, Any] | None = None
    ) -> Verdict:
        """The diagnosis of an answer tree evaluated on ``instances``; ``table`` holds the
        shapes the tree was read with (the reference's symbols by default)."""
        try:
            with np.errstate(all="ignore"):
                answer = values_on(tree, instances, self.ref.free)
        except ExpressionError as err:
            code = "unknown_symbol" if "has no value" in err.message else "wrong"
            return Verdict([code], {}, f"The answer cannot be evaluated: {err.message}.")
        found = self.against_reference(answer)
        if found is None:
            found = self.against_mutations(answer)
        if found is None:
            found = swapped_layer(
                tree,
                self.ref.symbols if table is None else table,
                lambda repaired: values_on(repaired, instances, self.ref.free),
                self._is_right,
                self.siblings,
            )
        if found is None and all(_is_zero(a) for a in answer):
            found = Verdict(["zero"])
        if found is None:
            found = regress(self.ref, answer, self.ref_values)
        if found is None and not _same_shape(answer[0], self.ref_values[0]):
            found = self.shape_verdict(answer[0])
        if found is None:
            found = Verdict(["wrong"], counterexample=self.counterexample(answer))
        return found

    def against_reference(self, answer: list[np.ndarray]) -> Verdict | None:
        match = compare(answer, self.ref_values)
        if match is not None and match.exact:
            return Verdict(["correct"])
        close = self.within_digits(answer)
        if close is not None or match is None:
            return close
        if self.ref.exact and name_factor(match.factor, self.ref.sizes, named_only=True) is None:
            return None  # one number times any number is another: only named factors count
        return self.describe(match, [], {})

    def _swapped_in_text(
        self, text: object, table: dict[str, Any], instances: list[dict[str, Any]]
    ) -> Verdict | None:
        """``wrong_layer`` for an answer that does not fit as written (see
        :func:`~chainrule.check.layer_swap.swapped_in_text`)."""
        return swapped_in_text(
            table,
            lambda shapes: read_answer(text, shapes, self.ref.functions),
            lambda repaired: values_on(repaired, instances, self.ref.free),
            self._is_right,
            self.siblings,
        )

    def _is_right(self, answer: list[np.ndarray]) -> bool:
        verdict = self.against_reference(answer)
        return verdict is not None and verdict.codes == ["correct"]

    def against_mutations(self, answer: list[np.ndarray]) -> Verdict | None:
        for cand, values in self.candidates:
            # one number is a multiple of any other: a numeric answer matches exactly
            match = compare(answer, values, scaled=not self.ref.exact)
            if match is not None:
                return self.describe(match, list(cand.codes), dict(cand.details))
        return None

    def describe(self, match: Match, codes: list[str], details: dict[str, Any]) -> Verdict:
        """Codes for a match with a candidate: its own codes, then transposed / scaled."""
        extra = []
        if match.transposed:
            extra.append("transposed")
        if match.factor != 1:
            factor = match.factor
            if abs(factor + 1) <= 1e-9:
                extra.append("sign")
            else:
                extra.append("scaled")
                if factor < 0:
                    extra.append("sign")
                details["factor"] = factor
                details["factor_name"] = name_factor(factor, self.ref.sizes)
        return Verdict(codes + extra, details)

    def within_digits(self, answer: list[np.ndarray]) -> Verdict | None:
        """A decimal close enough to an exact number (``sig_digits`` of the problem)."""
        if self.sig_digits is None or not self.ref.exact:
            return None
        got, want = np.asarray(answer[0]).astype(float), np.asarray(self.ref_values[0])
        want = want.astype(float)
        if got.shape != want.shape or not np.all(np.isfinite(got)):
            return None
        with np.errstate(divide="ignore"):
            exponent = np.floor(np.log10(np.where(want == 0, 1.0, np.abs(want))))
        allowed = 0.5 * 10.0 ** (exponent - self.sig_digits + 1)
        if np.all(np.abs(got - want) <= allowed):
            return Verdict(["correct"], {"significant_digits": self.sig_digits})
        return None

    def shape_verdict(self, answer: np.ndarray) -> Verdict:
        got, want = np.asarray(answer).shape, np.asarray(self.ref_values[0]).shape
        message = f"The answer has shape {got}, but {self.asked} has shape {want}."
        hint = "A gradient has the shape of the quantity it is taken with respect to."
        if not got:
            hint = f"{self.asked} is not one number: it has an entry per element."
        return Verdict(["shape_mismatch"], {"shape": list(got), "expected": list(want)},
                       message, hint)  # fmt: skip

    def counterexample(self, answer: list[np.ndarray]) -> dict[str, Any]:
        """The instance with the smallest values where the answer differs."""
        order = sorted(range(len(answer)), key=lambda k: _size(self.ref.instances[k]))
        for k in order:
            got, want = np.squeeze(answer[k]), np.squeeze(self.ref_values[k])
            if got.shape != want.shape:
                entry: Any = None
            else:
                diff = np.abs(got.astype(float) - want.astype(float))
                diff = np.where(np.isfinite(diff), diff, np.inf)
                entry = [int(i) + 1 for i in np.unravel_index(int(np.argmax(diff)), diff.shape)]
            if entry is None or compare([answer[k]], [self.ref_values[k]], scaled=False) is None:
                return {
                    "instance": k,
                    "values": {n: _round(v) for n, v in self.ref.instances[k].items()},
                    "expected": _round(want),
                    "got": _round(got),
                    "entry": entry,
                }
        return {"instance": 0}

    # ------------------------------------------------------------ scoring

    def result(self, verdict: Verdict) -> Result:
        code = verdict.codes[0]
        message, hint = messages.explain(code, verdict.details, self.asked)
        message = verdict.message or message
        hint = self.feedback.get(code, verdict.hint if verdict.hint is not None else hint)
        score = 1.0 if code == "correct" else float(self.credit.get(code, 0.0))
        return Result(
            correct=code == "correct",
            code=code,
            codes=list(dict.fromkeys(verdict.codes)),
            message=message,
            hint="" if code == "correct" else hint,
            score=score,
            details=verdict.details,
            counterexample=verdict.counterexample,
        )


def _as_matrices(ref: Reference) -> dict[str, Any] | None:
    """The answer table with each 1 x 1 matrix kept a matrix (None when there is none)."""
    if not ref.instances:
        return None
    first = ref.instances[0]
    out, changed = dict(ref.symbols), False
    for name, shape in ref.symbols.items():
        value = first.get(name)
        if shape == () and value is not None and np.ndim(value) == 2:
            out[name] = tuple(np.shape(value))
            changed = True
    return out if changed else None


def _copy(r: Result) -> Result:
    import copy

    return copy.deepcopy(r)


def _is_zero(a: np.ndarray) -> bool:
    arr = np.asarray(a)
    if arr.dtype == object:
        return all(v == 0 for v in arr.flat)
    return bool(np.all(arr == 0))


def _same_shape(a: np.ndarray, b: np.ndarray) -> bool:
    a, b = np.asarray(a), np.asarray(b)
    if a.shape == b.shape or (a.ndim == b.ndim == 2 and a.shape == b.shape[::-1]):
        return True
    return np.squeeze(a).shape == np.squeeze(b).shape


def _size(instance: dict[str, Any]) -> float:
    total = 0.0
    for v in instance.values():
        arr = np.asarray(v)
        if arr.dtype.kind in "fiuO" and arr.size:
            total += float(np.sum(np.abs(arr.astype(float))))
    return total


def _round(value: Any) -> Any:
    arr = np.asarray(value)
    if arr.dtype == object:
        return arr.tolist()
    return np.round(arr.astype(float), 6).tolist()
