"""The :class:`Derivation`: its steps, its symbols, the engine's numbers, its verification."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np

import chainrule.derivation.render as render
from chainrule.derivation.compare import TOLERANCE, relative_error
from chainrule.derivation.element import element_forms
from chainrule.derivation.engine import engine_arrays, notation_values
from chainrule.derivation.plan import Plan
from chainrule.derivation.step import Step
from chainrule.derivation.trace import Trace, trace
from chainrule.errors import ConfigError
from chainrule.expr.shapes import Shape
from chainrule.expr.symbols import canonical
from chainrule.suggest import did_you_mean

__all__ = ["Derivation", "Verification", "relative_error"]


@dataclass
class Verification:
    """Each step's relative error against the engine: ``errors[step.name]`` for the step's
    formula, ``expanded_errors`` for its expanded form; ``ok`` when all are below 1e-9."""

    errors: dict[str, float] = field(default_factory=dict)
    expanded_errors: dict[str, float] = field(default_factory=dict)

    @property
    def max_error(self) -> float:
        return max([*self.errors.values(), *self.expanded_errors.values()], default=0.0)

    @property
    def ok(self) -> bool:
        return self.max_error < TOLERANCE

    def __repr__(self) -> str:
        return (
            f"Verification(ok={self.ok}, max_error={self.max_error:.3g}, steps={len(self.errors)})"
        )


ELEMENT_PROBES = 6


def _probes(shape: tuple[int, ...]) -> list[tuple[int, ...]]:
    """A few entries of an array: the first, the last, and some between."""
    entries = list(np.ndindex(*shape))
    if len(entries) <= ELEMENT_PROBES:
        return entries
    step = (len(entries) - 1) / (ELEMENT_PROBES - 1)
    return sorted({entries[round(k * step)] for k in range(ELEMENT_PROBES)})


class Derivation:
    """The backprop derivation of one network in one notation; see :mod:`chainrule.derivation`."""

    def __init__(self, plan: Plan, steps: list[Step], form: str, data: tuple[Any, Any] | None):
        self.plan = plan
        self.steps = steps
        self.form = form
        self._data = data
        self._element: dict | None = None
        self._by_key: dict[str, Step] = {}
        for s in steps:
            self._by_key.setdefault(s.name, s)
            self._by_key.setdefault(canonical(s.quantity.name), s)
            if s.param is not None:
                self._by_key.setdefault(s.param, s)

    @property
    def notation(self):
        return self.plan.notation

    @property
    def layout(self) -> str:
        return self.plan.layout

    @property
    def batch(self) -> bool:
        return self.plan.batch

    @property
    def element(self) -> dict:
        """The element-wise index form of each backward step, by step name
        (:class:`~chainrule.derivation.element.ElementForm`: ``.lhs``, ``.tree`` with free
        indices ``i``, ``j`` bound through ``values``, ``.latex``); computed on first use."""
        if self._element is None:
            self._element = element_forms(self)
        return self._element

    @property
    def symbols(self) -> dict[str, Shape]:
        """Every name of the notation -> its shape: the symbol table a formula written in
        this notation is parsed with (forward quantities, weights, targets, every gradient
        and delta, ``\\lambda`` with L2, the ones row ``u`` where the notation uses it)."""
        table = {q.name: q.layout_shape for q in self.plan.q.values()}
        if self.plan.ones is not None:
            table[self.plan.ones] = (1, self.plan.n)
        return table

    def step(self, key: str) -> Step:
        """The step for an engine key (``"dW2"``, ``"z1"``), a parameter (``"W2"``: its
        gradient) or the quantity as the notation writes it (``"\\frac{\\partial l}{\\partial
        W^{2}}"``, ``"\\delta^{[1]}"``)."""
        found = self._by_key.get(key) or self._by_key.get(canonical(key))
        if found is None:
            keys = [s.name for s in self.steps]
            hint = did_you_mean(key, keys, sentence=True)
            raise ConfigError(
                f"the derivation has no step {key!r}; steps: {', '.join(keys)}.{hint}"
            )
        return found

    __getitem__ = step

    def _arrays(self, X: Any, y: Any) -> dict[str, np.ndarray]:
        if X is None or y is None:
            if self._data is None:
                raise ConfigError("values: give X and y (the derivation has no example batch)")
            X, y = self._data
        return engine_arrays(self.plan, X, y)

    def values(self, X: Any = None, y: Any = None) -> dict[str, np.ndarray]:
        """Every symbol of the notation -> its number at the model's current weights for
        the batch ``X`` (engine layout, (n, d_in)) and targets ``y``, as the engine computes
        it, in the notation's layout (float64). Without X and y: the zoo network's example."""
        return notation_values(self.plan, self._arrays(X, y))

    def verify(self, X: Any = None, y: Any = None) -> Verification:
        """Evaluate every step's formula (and its expanded form) on :meth:`values` and
        compare it with the engine's number for the quantity it defines."""
        values = self.values(X, y)
        report = Verification()
        for s in self.steps:
            want = values[s.quantity.name]
            report.errors[s.name] = relative_error(s.expr.evaluate(values), want)
            report.expanded_errors[s.name] = relative_error(s.expanded.evaluate(values), want)
            if s.simplified is not None:
                got = s.simplified.evaluate(values)
                report.errors[f"{s.name} (simplified)"] = relative_error(got, want)
        if self.form != "matrix":
            self._verify_elements(values, report)
        return report

    def _verify_elements(self, values: dict[str, np.ndarray], report: Verification) -> None:
        """Each element form at up to :data:`ELEMENT_PROBES` entries (the corners first)."""
        for name, form in self.element.items():
            want = np.asarray(values[form.step.quantity.name])
            for index in _probes(want.shape):
                bound = dict(values, **{i: k + 1 for i, k in zip(form.indices, index, strict=True)})
                got = form.tree.evaluate(bound)
                label = f"{name}[{','.join(str(k + 1) for k in index)}]"
                report.errors[label] = relative_error(got, want[index])

    def trace(self, X: Any = None, y: Any = None, *, at: str | None = None) -> Trace:
        """The numeric trace (:class:`~chainrule.derivation.trace.Trace`): each step's
        formula, the numbers put in, and the value, exact where the inputs are rational.
        ``at``: values such as ``"x=[1, 0.5]; W1=[[0.75, 0.5], [-1, 1]]"``."""
        return trace(self, X, y, at)

    # ------------------------------------------------------------ printing

    def _checked(self, verify: bool) -> Verification | None:
        return self.verify() if verify else None

    def to_latex(self, *, document: bool = False, verify: bool = False) -> str:
        """LaTeX ``aligned`` blocks, or with ``document=True`` a whole ``.tex`` file that
        pdflatex compiles (amsmath, amssymb). ``verify=True`` adds the closing check (it
        needs the zoo network's example batch)."""
        if document:
            return render.to_document(self, self._checked(verify))
        return render.to_latex(self, self._checked(verify))

    def to_markdown(self, *, verify: bool = False) -> str:
        """Markdown with ``$$`` blocks."""
        return render.to_markdown(self, self._checked(verify))

    def to_html(self, *, verify: bool = False) -> str:
        """A self-contained HTML page with MathML."""
        return render.to_html(self, self._checked(verify))

    def to_text(self, *, verify: bool = False) -> str:
        """Unicode text for a terminal."""
        return render.to_text(self, self._checked(verify))

    def to_json(self, *, verify: bool = False) -> str:
        """JSON: every step with its name, LaTeX, text, shape, layer (and error)."""
        return render.to_json(self, self._checked(verify))

    def _repr_latex_(self) -> str:
        rows = " \\\\ ".join(f"{s.lhs} &= {s.rhs}" for s in self.steps)
        return f"$$\\begin{{aligned}}{rows}\\end{{aligned}}$$"

    def _repr_markdown_(self) -> str:
        return self.to_markdown()

    def __repr__(self) -> str:
        return (
            f"Derivation({len(self.steps)} steps, notation={self.notation.name!r}, "
            f"layout={self.layout!r}, batch={self.batch})"
        )
