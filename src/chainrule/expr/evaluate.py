"""Evaluating a tree with NumPy, exactly (with Fractions) when every input is rational.

Exact arithmetic keeps a worked example's numbers as the notes write them: the seed's
``-\\frac{1}{8} \\cdot 0.5`` evaluates to ``Fraction(-1, 16)``, not ``-0.0625``. A value
that is not rational (``exp(1)``, ``sqrt(2)``) turns what is computed from it into floats
(:mod:`chainrule.expr.exact`).

Every step is sized and charged before it runs (:mod:`chainrule.expr.budget`), every value
is checked to be finite, and every error names the sub-formula it arose in, with its line
and column when the tree came from :func:`chainrule.expr.parse`.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from fractions import Fraction
from numbers import Integral
from typing import Any

import numpy as np

from chainrule.errors import ExpressionError
from chainrule.expr import tree as T
from chainrule.expr.budget import (
    COST_EXACT,
    COST_FLOAT,
    COST_NODE,
    MAX_EXACT_BITS,
    Budget,
    entries,
)
from chainrule.expr.exact import is_exact, is_rational, settle, to_fractions
from chainrule.expr.functions import FUNCTIONS, apply_function
from chainrule.expr.grammar import error_at
from chainrule.expr.relations import RELATIONS
from chainrule.expr.shapes import Shape, format_shape
from chainrule.expr.tree import provide
from chainrule.expr.visit import Rules, visits

__all__ = ["evaluate"]


def evaluate(expr: T.Expr, values: Mapping[str, Any]) -> np.ndarray:
    """Evaluate a tree given a value for each symbol.

    Parameters
    ----------
    expr : Expr
        The tree, such as ``parse("X^T \\delta", symbols)``.
    values : mapping of str to array_like
        A value for each symbol, keyed like the symbol table (``"W_3"``, ``"\\delta"``),
        with the shape the table gives; dimension names (``n``) are bound from these
        shapes. Free index variables (``i`` in ``x_i``) take ints here, counted from 1.

    Returns
    -------
    numpy.ndarray
        An array of shape ``expr.shape`` with the sizes filled in (0-d for a scalar):
        dtype object holding Fractions when every value is an int or Fraction (and no
        function leaves the rationals), float64 otherwise. An :class:`Equation` gives a
        0-d bool array: whether its sides agree (exactly, or to a relative 1e-9).

    Raises
    ------
    ExpressionError
        A missing value, a value of the wrong shape or not finite, an index out of range,
        a division by zero, a value that overflows float64, an abstract function that has
        no values, or work beyond :mod:`chainrule.expr.budget`'s limits. The message names
        the sub-formula (and its line and column when the tree came from ``parse``).
    """
    if not isinstance(expr, T.Expr):
        _RULES.handler(expr)  # the error for what is not a tree
    if not isinstance(values, Mapping):
        raise ExpressionError(f"values must be a mapping, got {type(values).__name__}")
    return _Evaluator(expr, values).run()


_RULES = Rules("evaluate")


class _Evaluator:
    def __init__(self, expr: T.Expr, values: Mapping[str, Any]) -> None:
        self.expr = expr
        self.values = values
        self.budget = Budget("evaluating the formula")
        self.symbols = {n.name: n for n in expr.walk() if isinstance(n, T.Symbol)}
        missing = sorted(set(self.symbols) - set(values))
        if missing:
            raise ExpressionError(
                f"no value for {', '.join(missing)}; values were given for "
                f"{', '.join(sorted(map(str, values))) or 'nothing'}"
            )
        self.exact = all(is_rational(values[name]) for name in self.symbols)
        self.cost = COST_EXACT if self.exact else COST_FLOAT
        self.dims: dict[str, int] = {}
        self.arrays = {name: self.bind(name, values[name]) for name in self.symbols}
        self.indices: dict[str, int] = {}

    def run(self) -> np.ndarray:
        with np.errstate(all="ignore"):
            return self.value_of(self.expr)

    # ------------------------------------------------------------ inputs and sizes

    def bind(self, name: str, raw: Any) -> np.ndarray:
        array = _numeric(name, raw, self.exact)
        self.budget.charge(array.size * self.cost, f"the value for {name}")
        if not is_exact(array) and not np.isfinite(array).all():
            raise ExpressionError(f"the value for {name} holds NaN or an infinity")
        array = settle(array)
        shape = self.symbols[name].shape
        if array.ndim != len(shape):
            raise ExpressionError(
                f"the value for {name} has shape {array.shape}; the symbol table says "
                f"{format_shape(shape)}"
            )
        for size, dim in zip(array.shape, shape, strict=True):
            known = self.dims.setdefault(dim, size) if isinstance(dim, str) else dim
            if known != size:
                raise ExpressionError(
                    f"the value for {name} has shape {array.shape}, which does not fit "
                    f"{format_shape(shape)}" + (f" with {dim}={known}" if dim != known else "")
                )
        return array

    def size(self, dim: Any) -> int:
        if isinstance(dim, int):
            return dim
        if dim not in self.dims:
            raise ExpressionError(f"the size {dim} is not fixed by any value")
        return self.dims[dim]

    def shape(self, shape: Shape) -> tuple[int, ...]:
        return tuple(self.size(d) for d in shape)

    def number(self, value: Fraction | int) -> np.ndarray:
        if self.exact:
            return to_fractions(Fraction(value))
        return np.asarray(float(value))

    def filled(self, ints: np.ndarray) -> np.ndarray:
        return to_fractions(ints) if self.exact else ints.astype(float)

    def integer(self, node: T.Expr, what: str) -> int:
        value = self.value_of(node).reshape(()).item()
        whole = value.denominator == 1 if isinstance(value, Fraction) else value.is_integer()
        if not whole:
            raise ExpressionError(f"{what} must be a whole number, got {value}")
        return int(value)

    # ------------------------------------------------------------ nodes

    def value_of(self, e: T.Expr) -> np.ndarray:
        """The value of one node: sized and charged first, settled and checked after."""
        handler = _RULES.handler(e)
        if handler is _Evaluator._symbol:  # bound and checked once, in bind
            self.budget.charge(COST_NODE, "looking up a symbol")
            return self.arrays[e.name]  # type: ignore[attr-defined]
        try:
            size = entries(self.shape(e.shape), lambda: f"the value of `{_short(e)}`")
            self.budget.charge(COST_NODE + size * self.cost, "this step")
            result = handler(self, e)
            return result if isinstance(e, T.Equation) else settle(result)
        except ExpressionError as exc:
            raise _located(exc, e) from None
        except (ArithmeticError, ValueError, TypeError) as exc:  # NumPy or Fraction refusing
            raise _located(ExpressionError(f"cannot compute this: {exc}"), e) from None

    @_RULES(T.Symbol)
    def _symbol(self, e: T.Symbol) -> Any:
        return self.arrays[e.name]

    @_RULES(T.Constant)
    def _constant(self, e: T.Constant) -> Any:
        return self.number(e.value)

    @_RULES(T.Size)
    def _size(self, e: T.Size) -> Any:
        return self.number(self.size(e.name))

    @_RULES(T.IndexVar)
    def _index_var(self, e: T.IndexVar) -> Any:
        if e.name in self.indices:
            return self.number(self.indices[e.name])
        value = self.values.get(e.name)
        if isinstance(value, Integral) and not isinstance(value, bool):
            return self.number(int(value))
        raise ExpressionError(f"the index {e.name} has no value; give {e.name}=<int> in values")

    @_RULES(T.IdentityMatrix)
    def _identity(self, e: T.IdentityMatrix) -> Any:
        return self.filled(np.eye(self.size(e.size), dtype=int))

    @_RULES(T.Ones)
    def _ones(self, e: T.Ones) -> Any:
        return self.filled(np.ones(self.shape(e.dims), dtype=int))

    @_RULES(T.Slice)
    def _slice(self, e: T.Slice) -> Any:
        raise ExpressionError("a whole axis (:) stands only inside an index")

    @_RULES(T.Add)
    def _add(self, e: T.Add) -> Any:
        return self.value_of(e.left) + self.value_of(e.right)

    @_RULES(T.Sub)
    def _sub(self, e: T.Sub) -> Any:
        return self.value_of(e.left) - self.value_of(e.right)

    @_RULES(T.Neg)
    def _neg(self, e: T.Neg) -> Any:
        return -self.value_of(e.operand)

    @_RULES(T.Scale)
    def _scale(self, e: T.Scale) -> Any:
        return self.value_of(e.factor) * self.value_of(e.operand)

    @_RULES(T.ElementwiseProduct)
    def _hadamard(self, e: T.ElementwiseProduct) -> Any:
        return self.value_of(e.left) * self.value_of(e.right)

    @_RULES(T.MatMul)
    def _matmul(self, e: T.MatMul) -> Any:
        left, right = self.value_of(e.left), self.value_of(e.right)
        inner = left.shape[-1]
        self.budget.charge(inner * math.prod(self.shape(e.shape)) * self.cost, "a matrix product")
        return np.matmul(left, right)

    @_RULES(T.Div)
    def _div(self, e: T.Div) -> Any:
        num, den = self.value_of(e.numerator), self.value_of(e.denominator)
        if is_exact(den) and any(d == 0 for d in den.flat):
            raise ExpressionError("division by zero in exact arithmetic")
        return num / den

    @_RULES(T.Power)
    def _power(self, e: T.Power) -> Any:
        base, exponent = self.value_of(e.base), self.value_of(e.exponent).reshape(()).item()
        if not (is_exact(base) and isinstance(exponent, Fraction) and exponent.denominator == 1):
            return np.power(base.astype(float), float(exponent))
        n = int(exponent)
        if n < 0 and any(b == 0 for b in base.flat):
            raise ExpressionError("zero to a negative power in exact arithmetic")
        bits = max((max(b.numerator.bit_length(), b.denominator.bit_length()) for b in base.flat),
                   default=0)  # fmt: skip
        self.budget.charge(bits * abs(n) * base.size, "an exact power")
        if bits * abs(n) > MAX_EXACT_BITS:
            return np.power(base.astype(float), float(n))
        return np.frompyfunc(lambda b: b**n, 1, 1)(base)

    @_RULES(T.Transpose)
    def _transpose(self, e: T.Transpose) -> Any:
        return self.value_of(e.operand).T

    @_RULES(T.Sum)
    def _sum(self, e: T.Sum) -> Any:
        return np.sum(self.value_of(e.operand), axis=e.axis)

    @_RULES(T.Norm)
    def _norm(self, e: T.Norm) -> Any:
        array = self.value_of(e.operand)
        if not is_exact(array):
            return np.sqrt(np.sum(array * array))
        total = sum((v * v for v in array.flat), Fraction(0))
        root = math.isqrt(total.numerator), math.isqrt(total.denominator)
        if root[0] ** 2 == total.numerator and root[1] ** 2 == total.denominator:
            return to_fractions(Fraction(*root))
        return np.sqrt(np.asarray(settle(np.asarray(total, dtype=object)), dtype=float))

    @_RULES(T.MatrixLiteral)
    def _matrix(self, e: T.MatrixLiteral) -> Any:
        rows = [[self.value_of(x).reshape(()).item() for x in row] for row in e.rows]
        return np.array(rows, dtype=object)

    @_RULES(T.Apply)
    def _apply(self, e: T.Apply) -> Any:
        if e.function not in FUNCTIONS:
            raise ExpressionError(f"the function {e.function} is abstract and has no values")
        args = [self.value_of(a) for a in e.args]
        exact = all(is_exact(a) for a in args)
        if not exact:
            args = [a.astype(float) for a in args]
        return apply_function(e.function, e.order, args, exact)

    @_RULES(T.Indicator)
    def _indicator(self, e: T.Indicator) -> Any:
        left, right = self.value_of(e.left), self.value_of(e.right)
        if is_exact(left) != is_exact(right):
            left, right = left.astype(float), right.astype(float)
        holds = np.asarray(RELATIONS[e.relation].test(left, right), dtype=bool)
        return self.filled(holds.astype(int))

    @_RULES(T.Index)
    def _index(self, e: T.Index) -> Any:
        array = self.value_of(e.operand)
        key: list[Any] = []
        for axis, item in enumerate(e.indices):
            if isinstance(item, T.Slice):
                key.append(slice(None))
                continue
            k = self.integer(item, "an index")
            if not 1 <= k <= array.shape[axis]:
                raise ExpressionError(
                    f"index {k} is outside 1..{array.shape[axis]} on axis {axis} of "
                    f"{_short(e.operand)}"
                )
            key.append(k - 1)
        return array[tuple(key)]

    @_RULES(T.IndexSum)
    def _index_sum(self, e: T.IndexSum) -> Any:
        lower, upper = self.integer(e.lower, "a sum limit"), self.integer(e.upper, "a sum limit")
        terms = max(0, upper - lower + 1)
        body = visits(e.body) * COST_NODE
        self.budget.require(terms * body, f"the sum over {e.index} ({terms:,} terms)")
        saved = self.indices.get(e.index)
        total: Any = self.filled(np.zeros(self.shape(e.body.shape), dtype=int))
        try:
            for k in range(lower, upper + 1):
                self.indices[e.index] = k
                total = settle(total + self.value_of(e.body))
        finally:
            if saved is None:
                self.indices.pop(e.index, None)
            else:
                self.indices[e.index] = saved
        return total

    @_RULES(T.Equation)
    def _equation(self, e: T.Equation) -> Any:
        sides = [self.value_of(s) for s in e.sides]
        first = sides[0]
        if all(is_exact(s) for s in sides):
            same = all(bool(np.all(s == first)) for s in sides[1:])
        else:
            same = all(np.allclose(s.astype(float), first.astype(float), rtol=1e-9, atol=0)
                       for s in sides[1:])  # fmt: skip
        return np.asarray(same)


def _numeric(name: str, raw: Any, exact: bool) -> np.ndarray:
    """The caller's value as an array: Fractions when ``exact``, else float64."""
    hint = "expected a number or a (nested, rectangular) list or array of numbers"
    try:
        array = np.asarray(raw, dtype=object if exact else float)
    except (TypeError, ValueError, OverflowError) as exc:
        raise ExpressionError(f"the value for {name} is not numeric ({exc}); {hint}") from None
    if exact:
        try:
            array = to_fractions(array)
        except TypeError:
            raise ExpressionError(
                f"the value for {name} is ragged or not numeric; {hint}"
            ) from None
    return array


def _short(e: T.Expr) -> str:
    text = str(e)
    return text if len(text) <= 60 else text[:57] + "..."


def _located(exc: ExpressionError, e: T.Expr) -> ExpressionError:
    """The error, naming the node it arose in (once: the innermost node names it)."""
    if getattr(exc, "located", False):
        return exc
    source = getattr(e, "_source", None)
    if source is not None:
        text, start, end = source
        error = error_at(f"{exc.message} in `{text[start:end].strip()}`", text, start)
    else:
        error = ExpressionError(f"{exc.message} in `{_short(e)}`")
    error.located = True  # type: ignore[attr-defined]
    return error


provide("evaluate", evaluate)
