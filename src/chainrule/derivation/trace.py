"""The numeric trace: each step as its formula, the numbers put in, and the value.

The values are exact :class:`~fractions.Fraction` numbers whenever the inputs are rational
and the operations keep them so (affine maps, ReLU, squared error, sigmoid(0) = 1/2): a
float weight is read by its shortest decimal (0.75 is 3/4). Every value is compared with the
engine's float64 number. A ReLU input that is exactly 0 is flagged, with the convention.
"""

from __future__ import annotations

import dataclasses
import json
from collections.abc import Callable
from dataclasses import dataclass, field
from fractions import Fraction
from typing import Any

import numpy as np

from chainrule.derivation.at import parse_at
from chainrule.derivation.compare import TOLERANCE, relative_error
from chainrule.derivation.engine import engine_arrays, notation_values
from chainrule.derivation.render import latex_note
from chainrule.derivation.step import Step
from chainrule.errors import ConfigError, ExpressionError
from chainrule.expr import tree as T
from chainrule.expr.glyphs import unicode
from chainrule.expr.maps import constant, rebuild
from chainrule.expr.render import to_latex
from chainrule.layers import LeakyReLU, ReLU
from chainrule.losses import SoftmaxCrossEntropy

__all__ = ["Trace", "TraceRow", "decimal_fractions", "trace"]

MAX_SHOWN = 64  # entries of a value written out; larger values show their shape only
MAX_EXACT_ENTRIES = 4096  # inputs and weights beyond this are traced in float64: Fraction
# arithmetic on a 3072-input layer would take minutes

_exact = np.frompyfunc(lambda v: v if isinstance(v, Fraction) else Fraction(repr(float(v))), 1, 1)


def decimal_fractions(array: Any) -> np.ndarray:
    """``array`` (any shape) as an object array of Fractions, each float read by its
    shortest decimal (0.75 is 3/4, 0.1 is 1/10); Fractions stay as they are."""
    a = np.asarray(array)
    return np.asarray(_exact(a), dtype=object).reshape(a.shape)


def number_latex(v: Any) -> str:
    """``-\\frac{1}{16}`` for a Fraction, ``0.880797`` (6 digits) for a float."""
    if isinstance(v, Fraction):
        if v.denominator == 1:
            return str(v.numerator)
        sign = "-" if v < 0 else ""
        return f"{sign}\\frac{{{abs(v.numerator)}}}{{{v.denominator}}}"
    return f"{float(v) + 0.0:.6g}"  # + 0.0: no "-0"


def number_text(v: Any) -> str:
    return str(v) if isinstance(v, Fraction) else f"{float(v) + 0.0:.6g}"


#: How an array reads: (too large to show, opening, between rows, between entries, closing).
_LATEX_ARRAY = ("\\text{{(a {} array)}}", "\\begin{bmatrix} ", " \\\\ ", " & ", " \\end{bmatrix}")
_TEXT_ARRAY = ("(a {} array)", "[", "; ", ", ", "]")


def _value(value: np.ndarray, number: Callable[[Any], str], marks: tuple[str, ...]) -> str:
    """A number, a matrix (a vector as one row) or, over :data:`MAX_SHOWN` entries, its
    shape, each number written by ``number`` and the rest by ``marks``."""
    big, opening, row_sep, entry_sep, closing = marks
    a = np.asarray(value)
    if a.ndim == 0:
        return number(a.item())
    if a.size > MAX_SHOWN:
        return big.format(" x ".join(map(str, a.shape)))
    rows = a.reshape(1, -1) if a.ndim == 1 else a
    return opening + row_sep.join(entry_sep.join(number(v) for v in row) for row in rows) + closing


def value_latex(value: np.ndarray) -> str:
    return _value(value, number_latex, _LATEX_ARRAY)


def value_text(value: np.ndarray) -> str:
    return _value(value, number_text, _TEXT_ARRAY)


@dataclass
class TraceRow:
    """One step with numbers: the substituted formula (LaTeX, None when too large), the
    value (Fractions when exact), its error against the engine and any flags."""

    step: Step
    substituted: str | None
    value: np.ndarray
    exact: bool
    error: float
    flags: list[str] = field(default_factory=list)

    @property
    def latex(self) -> str:
        parts = [self.step.latex]
        if self.substituted is not None:
            parts.append(self.substituted)
        parts.append(value_latex(self.value))
        return " = ".join(parts)


def _aligned_row(r: TraceRow) -> str:
    """One row as an ``aligned`` block, each ``=`` of its chain on a line of its own."""
    lhs, _, rest = r.latex.partition(" = ")
    body = " \\\\\n".join(
        f"  {lhs if i == 0 else ''} &= {line}" for i, line in enumerate(rest.split(" = "))
    )
    return "\\[\n\\begin{aligned}\n" + body + "\n\\end{aligned}\n\\]"


def _text_row(r: TraceRow) -> str:
    return f"  {unicode(r.step.text)} = {value_text(r.value)}"


@dataclass
class Trace:
    """The worked numbers of a derivation (see :func:`trace`)."""

    rows: list[TraceRow]
    notation: str

    @property
    def ok(self) -> bool:
        return all(r.error < TOLERANCE for r in self.rows)

    def value(self, key: str) -> np.ndarray:
        """The value of the step with engine key ``key`` (``"dW1"``)."""
        for r in self.rows:
            if r.step.name == key:
                return r.value
        raise ConfigError(f"the trace has no step {key!r}")

    def entry(self, key: str, *index: int) -> Any:
        """One entry, indices from 1 as formulas write them: ``entry("dW1", 1, 2)``."""
        return self.value(key)[tuple(i - 1 for i in index)]

    def _listing(self, head: str, row: Callable[[TraceRow], str], flag: str, sep: str) -> str:
        """``head``, then each row's ``row(r)`` followed by its flags written into ``flag``
        (a format string), joined by ``sep``."""
        out = [head]
        for r in self.rows:
            out.append(row(r))
            out.extend(flag.format(f) for f in r.flags)
        return sep.join(out) + "\n"

    def to_latex(self) -> str:
        head = f"% Numeric trace, notation {self.notation}"
        return self._listing(head, _aligned_row, "% Flag: {}", "\n")

    def to_markdown(self) -> str:
        head = f"## Numeric trace ({self.notation})"
        return self._listing(head, lambda r: f"$$ {r.latex} $$", "> **Note:** {}", "\n\n")

    def to_text(self) -> str:
        head = f"Numeric trace ({self.notation})"
        return self._listing(head, _text_row, "      note: {}", "\n")

    def to_json(self) -> str:
        return json.dumps(self.as_data(), indent=2) + "\n"

    def as_data(self) -> dict[str, Any]:
        """The notation, ``ok`` and each step's name, LaTeX, value, exact value, error and
        flags, as plain data (what :meth:`to_json` writes)."""
        rows = [
            {
                "name": r.step.name,
                "latex": r.latex,
                "value": value_text(r.value),
                "exact": r.exact,
                "error": r.error,
                "flags": r.flags,
            }
            for r in self.rows
        ]
        return {"notation": self.notation, "ok": self.ok, "steps": rows}

    def to_document_section(self) -> str:
        return "\\subsection*{Numeric trace}\n" + "\n".join(
            f"\\begin{{equation*}}\\begin{{aligned}} {r.latex.replace(' = ', ' &= ', 1)} "
            f"\\end{{aligned}}\\end{{equation*}}" + "".join(f"\n{latex_note(f)}" for f in r.flags)
            for r in self.rows
        )


def trace(d, X: Any = None, y: Any = None, at: str | None = None) -> Trace:
    """Each step of derivation ``d`` worked with numbers.

    ``X``, ``y``: the batch (engine layout), default the zoo network's example; ``at``: a
    string of values (:mod:`chainrule.derivation.at`) that replace inputs and weights.
    """
    plan = d.plan
    given = parse_at(at, plan) if at else {}
    if X is None or y is None:
        if d._data is None and not {"X", "y"} <= set(given):
            raise ConfigError("trace: give X and y, or x and y in --at")
        X, y = d._data if d._data is not None else (None, None)
    inputs = _inputs(plan, X, y, given)
    model = plan.model.astype(np.float64)
    for name, p in model.named_parameters():
        p.value[...] = np.asarray(inputs[name], dtype=float)
    checked = dataclasses.replace(plan, model=model)
    labels = inputs.get("labels")
    y_engine = labels if labels is not None else np.asarray(inputs["y"], dtype=float)
    engine = notation_values(
        checked, engine_arrays(checked, np.asarray(inputs["X"], float), y_engine)
    )
    values = _layout_values(plan, inputs)
    rows = []
    for step in d.steps:
        value = np.asarray(step.expr.evaluate(values))
        values[step.quantity.name] = value
        rows.append(
            TraceRow(
                step,
                _substituted(step, values),
                value,
                value.dtype == object,
                relative_error(value.astype(float), engine[step.quantity.name]),
                _flags(plan, step, values),
            )
        )
    return Trace(rows, plan.notation.name)


def _inputs(plan, X, y, given: dict[str, np.ndarray]) -> dict[str, Any]:
    params = dict(plan.model.named_parameters())
    size = sum(p.value.size for p in params.values()) + np.size(X if X is not None else 0)
    exact = size <= MAX_EXACT_ENTRIES

    def _rational(array: Any) -> np.ndarray:
        return decimal_fractions(array) if exact else np.asarray(array, dtype=float)

    inputs: dict[str, Any] = {name: _rational(p.value) for name, p in params.items()}
    if X is not None:
        inputs["X"] = _rational(np.atleast_2d(np.asarray(X, dtype=float)))
    if isinstance(plan.loss, SoftmaxCrossEntropy):
        labels = np.asarray(given.get("y", y)).astype(int).ravel()
        inputs["labels"] = labels
        given = {k: v for k, v in given.items() if k != "y"}
        c = plan.q["y"].shape[1]
        inputs["y"] = _rational(np.eye(c, dtype=int)[labels])
    elif y is not None:
        inputs["y"] = _rational(np.asarray(y, dtype=float).reshape(-1, plan.q["y"].shape[1]))
    inputs.update({k: _rational(v) for k, v in given.items()})
    if not plan.batch and inputs["X"].shape[0] != 1:
        inputs["X"], inputs["y"] = inputs["X"][:1], inputs["y"][:1]
    return inputs


def _layout_values(plan, inputs: dict[str, Any]) -> dict[str, Any]:
    values = {plan.q[k].name: plan.q[k].from_engine(v) for k, v in inputs.items() if k in plan.q}
    exact = inputs["X"].dtype == object
    if plan.l2 is not None:
        lam = plan.l2.lam
        values[plan.q["lambda"].name] = Fraction(repr(lam)) if exact else np.float64(lam)
    if plan.ones is not None:
        ones = np.ones((1, inputs["X"].shape[0]), dtype=int)
        values[plan.ones] = decimal_fractions(ones) if exact else ones.astype(float)
    return values


def _literal(value: Any) -> T.Expr:
    a = np.asarray(value)
    show = np.frompyfunc(
        lambda v: v if isinstance(v, Fraction) else Fraction(f"{float(v):.6g}"), 1, 1
    )
    if a.ndim == 0:
        return constant(show(a.item()))
    rows = a.reshape(1, -1) if a.ndim == 1 else a
    return T.MatrixLiteral(tuple(tuple(constant(show(v)) for v in row) for row in rows))


def _substituted(step: Step, values: dict[str, Any]) -> str | None:
    names = {n.name for n in step.expr.walk() if isinstance(n, T.Symbol)}
    if any(np.asarray(values[n]).size > MAX_SHOWN for n in names):
        return None
    try:
        tree = rebuild(
            step.expr, lambda e: _literal(values[e.name]) if isinstance(e, T.Symbol) else None
        )
    except ExpressionError:
        return None  # a vector written as a row no longer fits: show formula and value only
    return to_latex(tree)


def _flags(plan, step: Step, values: dict[str, Any]) -> list[str]:
    if step.kind != "activation":
        return []
    block = next(b for b in plan.blocks if f"d{b.pre}" == step.name)
    if not isinstance(block.activation, ReLU | LeakyReLU):
        return []
    z = plan.q[block.pre]
    at = np.argwhere(np.asarray(values[z.name], dtype=float) == 0)
    return [
        f"{z.name} has the entry ({i + 1}, {j + 1}) exactly 0: ReLU'(0) = 0 is used there "
        "(the mask [z > 0] is 0; a subgradient in [0, 1] would be as valid)."
        for i, j in at
    ]
