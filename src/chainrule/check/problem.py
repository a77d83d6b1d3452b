"""A problem: a network, a notation, the quantity asked, and how answers earn points.

>>> import chainrule as cr
>>> p = cr.check.problem("seed001-q1.11")
>>> p.grade(r"(\\delta W^3 \\odot [z^2 > 0])^T h^1").code
'correct'

Problems are plain data (TOML): the built-in bank ships in ``chainrule/check/bank/`` and an
instructor's own file loads with :meth:`Problem.from_toml`. The reference answer is never
written in the file: it is derived from the network (:mod:`chainrule.check.build`).
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from chainrule.check.result import Result
from chainrule.check.schema import validate
from chainrule.errors import ConfigError

__all__ = ["Problem", "load_toml"]

MAX_PROBLEM_BYTES = 1_000_000


def load_toml(path: str | os.PathLike[str]) -> dict[str, Any]:
    """Read a TOML file as plain data; a missing or malformed file is a ConfigError."""
    try:
        import tomllib
    except ModuleNotFoundError:  # pragma: no cover - Python 3.10
        import tomli as tomllib  # type: ignore[no-redef]
    from chainrule.readfile import read_regular

    p = Path(path)
    raw = read_regular(p, "problem file", ConfigError, max_bytes=MAX_PROBLEM_BYTES)
    try:
        return tomllib.loads(raw.decode("utf-8"))
    except (UnicodeDecodeError, tomllib.TOMLDecodeError) as err:
        raise ConfigError(f"{p}: not valid TOML: {err}") from None


@dataclass
class Problem:
    """One question with its network and grading rules.

    Attributes
    ----------
    id : str
        The problem's name (``seed001-q1.11``).
    data : dict
        The problem file's content, checked against :data:`chainrule.check.schema.SCHEMA`.
    """

    id: str
    data: dict[str, Any]
    where: str = "problem"
    _grader: Any = field(default=None, repr=False, compare=False)

    @classmethod
    def from_dict(cls, data: dict[str, Any], where: str = "problem") -> Problem:
        """A problem from plain data (the content of a problem file)."""
        if not isinstance(data, dict):
            raise ConfigError(f"{where}: a problem must be a table, got {type(data).__name__}")
        validate(data, where)
        return cls(data["id"], data, where)

    @classmethod
    def from_toml(cls, path: str | os.PathLike[str]) -> Problem:
        """A problem from an instructor's TOML file; unknown keys are refused."""
        return cls.from_dict(load_toml(path), str(path))

    # ------------------------------------------------------------ fields

    @property
    def title(self) -> str:
        return str(self.data.get("title", self.id))

    @property
    def question(self) -> str:
        return str(self.data.get("question", ""))

    @property
    def quantity(self) -> str:
        """The quantity asked, in LaTeX."""
        q = self.data["quantity"]
        return str(q.get("latex") or q.get("wrt") or "the quantity")

    @property
    def points(self) -> float:
        return float(self.data.get("points", 1.0))

    @property
    def fixtures(self) -> list[dict[str, str]]:
        """Answers written in the seed notes, each with the diagnosis it must get."""
        return list(self.data.get("fixtures", []))

    # ------------------------------------------------------------ grading

    @property
    def grader(self):
        """The :class:`~chainrule.check.grader.Grader` (built on first use)."""
        if self._grader is None:
            from chainrule.check.build import build_reference
            from chainrule.check.grader import Grader

            ref = build_reference(self)
            self._grader = Grader(
                ref,
                credit=self.data.get("credit"),
                feedback=self.data.get("feedback"),
                sig_digits=self.data.get("sig_digits"),
            )
        return self._grader

    @property
    def reference(self):
        """The :class:`~chainrule.check.reference.Reference` of this problem."""
        return self.grader.ref

    def reference_latex(self) -> str:
        """The reference answer as LaTeX (it reads back as correct)."""
        from chainrule.check.build import reference_text

        return reference_text(self.reference)

    def grade(self, answer: str) -> Result:
        """The verdict on one answer (LaTeX or NumPy style)."""
        return self.grader.grade(answer)

    def symbols(self) -> dict[str, Any]:
        """The names an answer may use, with their shapes."""
        return dict(self.reference.symbols)
