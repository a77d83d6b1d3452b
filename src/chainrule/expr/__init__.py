"""The math language: formulas as text, parsed into one tree, checked, evaluated, printed.

Formulas come in two surface syntaxes, LaTeX (``\\delta^{[2]} (A^{[1]})^T``) and NumPy
style (``delta2 @ A1.T``), read by LALR grammars (``latex.lark``, ``numpy.lark``) into the
same tree. A symbol table, given by the caller, says which names exist and their shapes;
what a sub- or superscript means (layer, element, power, transpose) is decided through it.

>>> import chainrule as cr
>>> e = cr.expr.parse("\\\\frac{1}{2} (f - y)^2", {"f": (), "y": ()})
>>> e.shape
()
>>> e.evaluate({"f": 3, "y": 1}).item()
Fraction(2, 1)
>>> cr.expr.to_latex(e)
'\\\\frac{1}{2} (f - y)^{2}'

Public API: :func:`parse`, :func:`to_latex`, :func:`to_text`, :func:`evaluate`,
:class:`ExpressionError` (the class :class:`chainrule.errors.ExpressionError`).

The node classes, all frozen dataclasses in :mod:`chainrule.expr.tree` with a ``shape``:

- leaves: :class:`Symbol` (name, shape), :class:`Constant` (a non-negative Fraction),
  :class:`Size` (a dimension name used as a number), :class:`IndexVar` (``i`` in ``x_i``),
  :class:`IdentityMatrix` (size), :class:`Ones` (dims), :class:`Slice` (a whole axis in an index);
- arithmetic: :class:`Add`, :class:`Sub`, :class:`Neg`, :class:`Scale` (factor, operand:
  a scalar times anything), :class:`MatMul`, :class:`ElementwiseProduct`, :class:`Div`
  (numerator, denominator), :class:`Power` (base, exponent), :class:`Transpose`;
- functions and tests: :class:`Apply` (function, args, order: the derivative order),
  :class:`Indicator` (left, relation, right);
- reductions and access: :class:`Sum` (operand, axis), :class:`Norm`, :class:`Index`
  (operand, indices from 1), :class:`MatrixLiteral` (rows), :class:`IndexSum`
  (index, lower, upper, body);
- :class:`Equation` (sides) for ``a = b = c``.
"""

from __future__ import annotations

from chainrule.errors import ExpressionError
from chainrule.expr.evaluate import evaluate
from chainrule.expr.parse import parse
from chainrule.expr.render import to_latex, to_text
from chainrule.expr.tree import (
    Add,
    Apply,
    Constant,
    Div,
    ElementwiseProduct,
    Equation,
    Expr,
    IdentityMatrix,
    Index,
    IndexSum,
    IndexVar,
    Indicator,
    MatMul,
    MatrixLiteral,
    Neg,
    Norm,
    Ones,
    Power,
    Scale,
    Size,
    Slice,
    Sub,
    Sum,
    Symbol,
    Transpose,
)

__all__ = [
    "Add",
    "Apply",
    "Constant",
    "Div",
    "ElementwiseProduct",
    "Equation",
    "Expr",
    "ExpressionError",
    "IdentityMatrix",
    "Index",
    "IndexSum",
    "IndexVar",
    "Indicator",
    "MatMul",
    "MatrixLiteral",
    "Neg",
    "Norm",
    "Ones",
    "Power",
    "Scale",
    "Size",
    "Slice",
    "Sub",
    "Sum",
    "Symbol",
    "Transpose",
    "evaluate",
    "parse",
    "to_latex",
    "to_text",
]
