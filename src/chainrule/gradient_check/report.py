"""The report of a gradient check: one :class:`ParameterCheck` a gradient, a verdict, a
table for the terminal and for a notebook."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

__all__ = ["GradcheckReport", "ParameterCheck"]


@dataclass
class ParameterCheck:
    """The check of one gradient: a parameter's data-loss part, its L2 part, or the input's."""

    name: str
    part: str  # "data", "l2" or "input"
    shape: tuple[int, ...]
    rel_error: float
    max_abs_error: float
    worst_index: tuple[int, ...] | None
    analytic_norm: float
    numeric_norm: float
    n_checked: int
    n_kinks: int
    ok: bool
    #: Why the check proves nothing (every probe skipped, or both gradients exactly 0);
    #: None for a check that tested something. An inconclusive check is never ``ok``.
    inconclusive: str | None = None

    @property
    def status(self) -> str:
        """``"ok"``, ``"FAIL"`` or ``"INCONCLUSIVE"``."""
        return "INCONCLUSIVE" if self.inconclusive else ("ok" if self.ok else "FAIL")

    def to_dict(self) -> dict[str, Any]:
        d = dict(self.__dict__)
        d["shape"] = list(self.shape)
        d["worst_index"] = None if self.worst_index is None else list(self.worst_index)
        return d


@dataclass
class GradcheckReport:
    """Result of :func:`gradcheck`: one :class:`ParameterCheck` per gradient checked."""

    checks: list[ParameterCheck]
    tol: float
    mode: str
    eps: float  # the finite-difference step h
    stencil: int
    loss_value: float
    notes: list[str] = field(default_factory=list)
    allow_inconclusive: bool = False

    @property
    def ok(self) -> bool:
        """True when every gradient's relative error is within ``tol`` and every check tested
        something (inconclusive checks are let through only with ``allow_inconclusive``)."""
        return all(c.ok or (self.allow_inconclusive and c.inconclusive) for c in self.checks)

    @property
    def inconclusive(self) -> list[ParameterCheck]:
        """The checks that proved nothing (see :attr:`ParameterCheck.inconclusive`)."""
        return [c for c in self.checks if c.inconclusive]

    @property
    def max_rel_error(self) -> float:
        return max((c.rel_error for c in self.checks), default=0.0)

    @property
    def n_kinks(self) -> int:
        return sum(c.n_kinks for c in self.checks)

    def __getitem__(self, key: str) -> ParameterCheck:
        """``report["W1"]`` (data part) or ``report["W1", "l2"]``."""
        name, part = (key, "data") if isinstance(key, str) else key
        for c in self.checks:
            if c.name == name and c.part == part:
                return c
        raise KeyError(key)

    def to_dict(self) -> dict[str, Any]:
        return {
            "ok": self.ok,
            "max_rel_error": self.max_rel_error,
            "tol": self.tol,
            "mode": self.mode,
            "eps": self.eps,
            "stencil": self.stencil,
            "loss": self.loss_value,
            "n_kinks": self.n_kinks,
            "n_inconclusive": len(self.inconclusive),
            "allow_inconclusive": self.allow_inconclusive,
            "checks": [c.to_dict() for c in self.checks],
            "notes": list(self.notes),
        }

    def verdict(self) -> str:
        """``PASSED``, ``FAILED`` or ``INCONCLUSIVE`` with the largest error and the settings."""
        if any(not c.ok and not c.inconclusive for c in self.checks):
            word = "FAILED"
        elif self.inconclusive:
            word = "PASSED (allowed inconclusive)" if self.ok else "INCONCLUSIVE"
        else:
            word = "PASSED"
        return (
            f"{word}: max relative error {self.max_rel_error:.2e} (tolerance {self.tol:.0e}, "
            f"{self.mode} mode, h = {self.eps:g}, {self.stencil}-point stencil)"
        )

    def rows(self) -> list[tuple[str, str, str, str, int, int, str]]:
        """One row a check: gradient, part, shape, relative error, checked, kinks, status."""
        return [
            (c.name, c.part, str(c.shape), f"{c.rel_error:.2e}", c.n_checked, c.n_kinks, c.status)
            for c in self.checks
        ]

    def __str__(self) -> str:
        head = (
            f"{'gradient':<12}{'part':<7}{'shape':<14}{'rel. error':>12}{'checked':>9}{'kinks':>7}"
        )
        lines = [head]
        for name, part, shape, rel, checked, kinks, status in self.rows():
            lines.append(f"{name:<12}{part:<7}{shape:<14}{rel:>12}{checked:>9}{kinks:>7}  {status}")
        lines.append(self.verdict())
        lines.extend(self.notes)
        return "\n".join(lines)

    def _repr_html_(self) -> str:
        from chainrule.notebook import html_table

        headers = ["gradient", "part", "shape", "rel. error", "checked", "kinks", "status"]
        return html_table(
            headers, self.rows(), caption=self.verdict(), footer=" ".join(self.notes) or None
        )
