r"""Verdicts with a diagnosis on a student's gradient formula.

>>> import chainrule as cr
>>> p = cr.check.problem("seed001-q1.11")
>>> r = p.grade(r"\delta (W^3)^T h^1")
>>> r.code in cr.check.CODES
True

A problem (:class:`Problem`, from the built-in bank or a TOML file) names a network, a
notation and the quantity asked; :meth:`Problem.grade` reads an answer in LaTeX or NumPy
style in that notation and returns a :class:`Result`: ``correct``, or what is wrong
(``transposed``, ``scaled``, ``missing_mask``, ...), where, a hint and a score. The
reference answers come from :func:`chainrule.derive`; none is written by hand.
"""

from __future__ import annotations

from chainrule.check.bank import problem, problems
from chainrule.check.problem import Problem
from chainrule.check.result import CODES, Result

__all__ = ["CODES", "Problem", "Result", "grade", "problem", "problems"]


def grade(problem: Problem | str, answer: str) -> Result:
    """Grade ``answer`` for ``problem`` (a :class:`Problem` or a built-in id)."""
    if isinstance(problem, str):
        from chainrule.check.bank import problem as builtin

        problem = builtin(problem)
    return problem.grade(answer)
