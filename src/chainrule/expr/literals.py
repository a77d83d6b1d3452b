"""Number literals: how a constant is written in LaTeX, and how many digits that takes."""

from __future__ import annotations

from fractions import Fraction

__all__ = ["constant_latex", "latex_digits"]


def constant_latex(value: Fraction) -> str:
    """A non-negative constant as LaTeX: ``3``, ``0.125``, or ``\\frac{1}{3}``.

    A terminating decimal is written out in full (``1e-5`` is ``0.00001``), so that it
    reads back as the same :class:`~chainrule.expr.tree.Constant`; any other fraction
    is written ``\\frac{p}{q}``, which reads back as a division.
    """
    if value.denominator == 1:
        return str(value.numerator)
    den, twos, fives = value.denominator, 0, 0
    while den % 2 == 0:
        den, twos = den // 2, twos + 1
    while den % 5 == 0:
        den, fives = den // 5, fives + 1
    if den != 1:
        return f"\\frac{{{value.numerator}}}{{{value.denominator}}}"
    places = max(twos, fives)
    digits = str(value.numerator * 10**places // value.denominator).rjust(places + 1, "0")
    return f"{digits[:-places]}.{digits[-places:]}"


def latex_digits(value: Fraction) -> int:
    """The number of digits :func:`constant_latex` writes for ``value``."""
    return sum(c.isdigit() for c in constant_latex(value))
