"""The expression tree: one immutable node class per kind of formula.

Every node is a frozen dataclass, so two trees compare equal (``==``) and hash alike exactly
when they have the same structure. Each node computes its ``shape`` when it is built and
raises :class:`~chainrule.errors.ExpressionError` when its operands do not fit; the parsers
add the position and the sub-formula to that message.

Shapes are tuples of ints and dimension names (see :mod:`chainrule.expr.shapes`). Indices
(:class:`Index`, :class:`IndexSum`) count from 1, as formulas do.

This module is the one door to the tree: it gathers the node kinds, which live in
:mod:`chainrule.expr.nodes` by family (the base class, the registry and the depth limit in
``base``; ``leaves``, ``arithmetic``, ``calls`` for functions, comparisons and reductions,
``indexing`` and ``equation``). Import the nodes from here.
"""

from __future__ import annotations

from chainrule.expr.nodes.arithmetic import (
    Add,
    Div,
    ElementwiseProduct,
    MatMul,
    Neg,
    Power,
    Scale,
    Sub,
    Transpose,
)
from chainrule.expr.nodes.base import MAX_TREE_DEPTH, NODE_CLASSES, Expr, operation, provide
from chainrule.expr.nodes.calls import RELATIONS, Apply, Indicator, Norm, Sum
from chainrule.expr.nodes.equation import Equation
from chainrule.expr.nodes.indexing import Index, IndexSum, MatrixLiteral
from chainrule.expr.nodes.leaves import (
    Constant,
    IdentityMatrix,
    IndexVar,
    Ones,
    Size,
    Slice,
    Symbol,
)

__all__ = [
    "MAX_TREE_DEPTH",
    "NODE_CLASSES",
    "RELATIONS",
    "Add",
    "Apply",
    "Constant",
    "Div",
    "ElementwiseProduct",
    "Equation",
    "Expr",
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
    "operation",
    "provide",
]
