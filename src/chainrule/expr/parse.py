"""``parse``: text in LaTeX or NumPy style to one expression tree."""

from __future__ import annotations

import re
from collections.abc import Mapping

from chainrule.errors import ExpressionError
from chainrule.expr.build_common import Builder
from chainrule.expr.grammar import PRINTABLE_DEPTH, check_text, error_at
from chainrule.expr.symbols import SymbolTable
from chainrule.expr.tree import Expr, operation

__all__ = ["build", "parse"]

_LATEX_HINT = re.compile(r"[\\{}^]")
_SYNTAXES = ("auto", "latex", "numpy")


def parse(
    text: str,
    symbols: Mapping[str, object],
    syntax: str = "auto",
    *,
    functions: Mapping[str, str | None] | None = None,
) -> Expr:
    """Read a formula into an expression tree, resolving names and checking shapes.

    Parameters
    ----------
    text : str
        The formula, such as ``"\\delta W_3^T"`` or ``"delta @ W3.T"``; an equation
        ``a = b = c`` gives an :class:`~chainrule.expr.tree.Equation`.
    symbols : mapping of str to shape
        Each name as the problem writes it (``"W_3"``, ``"W^{(3)}"``, ``"\\delta"``) to its
        shape: a tuple of ints and dimension names such as ``("n", 3)``, ``()`` for scalars.
        Dimension names may also appear in the formula as numbers (``\\frac{1}{n}``).
    syntax : {"auto", "latex", "numpy"}
        ``"auto"`` reads text with a backslash, brace or caret as LaTeX; otherwise it tries
        NumPy style first and LaTeX second, and reports the error that got further.
    functions : mapping of str to str or None, optional
        Extra function names such as ``"g^{[l]}"``, mapped to a known function
        (``"sigmoid"``) or to None for an abstract element-wise function.

    Returns
    -------
    Expr
        The tree; ``.shape`` is its shape.

    Raises
    ------
    ExpressionError
        For text that does not parse, an unknown name (the message lists the known
        ones), shapes that do not fit (the message shows both and the sub-formula), or
        input beyond the limits in :mod:`chainrule.expr.grammar`.

    Examples
    --------
    >>> from chainrule.expr import parse
    >>> e = parse("delta @ W3", {"\\\\delta": ("n", 1), "W_3": (1, 2)})
    >>> e.shape
    ('n', 2)
    >>> e == parse("\\\\delta W_3", {"\\\\delta": ("n", 1), "W_3": (1, 2)})
    True
    """
    check_text(text)
    if syntax not in _SYNTAXES:
        raise ExpressionError(f"syntax must be one of {_SYNTAXES}, got {syntax!r}")
    table = SymbolTable(symbols, functions)
    tree = _read(text, table, syntax)
    if tree.depth > PRINTABLE_DEPTH:
        _check_printable(tree, text, table)
    return tree


def _read(text: str, table: SymbolTable, syntax: str) -> Expr:
    if syntax == "latex" or (syntax == "auto" and _LATEX_HINT.search(text)):
        return build(text, table, "latex")
    if syntax == "numpy":
        return build(text, table, "numpy")
    try:
        return build(text, table, "numpy")
    except ExpressionError as numpy_error:
        if getattr(numpy_error, "limit", False):
            raise  # too long or too deep to read at all: the LaTeX reader would say the same
        try:
            return build(text, table, "latex")
        except ExpressionError as latex_error:
            raise _preferred(numpy_error, latex_error) from None


def _check_printable(tree: Expr, text: str, table: SymbolTable) -> None:
    """Refuse a tree so deep that its LaTeX (:func:`to_latex`) would not read back."""
    try:
        printed = operation("to_latex")(tree)
        same = build(printed, table, "latex") == tree
    except ExpressionError:
        same = False
    if not same:
        raise error_at(
            f"the formula nests too deeply to be written back as LaTeX (its tree has "
            f"{tree.depth} levels; up to {PRINTABLE_DEPTH} always can be)",
            text,
            0,
        )


def build(text: str, table: SymbolTable, syntax: str) -> Expr:
    """Parse ``text`` (already checked) in one ``syntax`` with an existing symbol table."""
    builder = Builder(text, table)
    if syntax == "latex":
        from chainrule.expr.latex_build import build_latex

        return build_latex(text, builder)
    from chainrule.expr.numpy_build import build_numpy

    return build_numpy(text, builder)


def _preferred(numpy_error: ExpressionError, latex_error: ExpressionError) -> ExpressionError:
    """The more telling error.

    Text that is valid NumPy-style syntax gets the NumPy reader's error (about its
    meaning); otherwise an error about meaning beats one about syntax, then the further.
    """
    if not getattr(numpy_error, "syntax", False):
        return numpy_error

    def rank(error: ExpressionError) -> tuple[bool, int, int]:
        return (not getattr(error, "syntax", False), error.line or 0, error.column or 0)

    return latex_error if rank(latex_error) > rank(numpy_error) else numpy_error
