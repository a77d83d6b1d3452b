"""Evaluating a tree with NumPy, exactly (with Fractions) when every input is rational.

Exact arithmetic keeps a worked example's numbers as the notes write them: the seed's
``-\\frac{1}{8} \\cdot 0.5`` evaluates to ``Fraction(-1, 16)``, not ``-0.0625``. A value
that is not rational (``exp(1)``, ``sqrt(2)``) turns the whole result into floats.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from fractions import Fraction
from numbers import Integral, Rational
from typing import Any

import numpy as np

from chainrule.errors import ExpressionError
from chainrule.expr import tree as T
from chainrule.expr.functions import FUNCTIONS, apply_function
from chainrule.expr.relations import RELATIONS
from chainrule.expr.shapes import Shape, format_shape
from chainrule.expr.tree import provide
from chainrule.expr.visit import Rules

__all__ = ["evaluate"]

MAX_SUM_TERMS = 100_000  # iterations of all index sums in one evaluation
MAX_EXACT_BITS = 20_000  # size of one exact numerator or denominator


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
        A missing value, a value of the wrong shape, an index out of range, a division
        by zero in exact arithmetic, or an abstract function that has no values.
    """
    if not isinstance(expr, T.Expr):
        _RULES.handler(expr)  # the error for what is not a tree
    if not isinstance(values, Mapping):
        raise ExpressionError(f"values must be a mapping, got {type(values).__name__}")
    return _Evaluator(expr, values).run()


_RULES = Rules("evaluate")


def _is_rational(value: Any) -> bool:
    if isinstance(value, bool | Integral | Rational) and not isinstance(value, float):
        return True
    if isinstance(value, np.ndarray):
        if value.dtype.kind in "biu":
            return True
        if value.dtype == object:
            return all(_is_rational(v) for v in value.flat)
        return False
    if isinstance(value, list | tuple):
        return all(_is_rational(v) for v in value)
    return False


_to_fraction = np.frompyfunc(
    lambda v: Fraction(int(v)) if isinstance(v, bool) else Fraction(v), 1, 1
)


class _Evaluator:
    def __init__(self, expr: T.Expr, values: Mapping[str, Any]) -> None:
        self.expr = expr
        self.values = values
        self.symbols = {n.name: n for n in expr.walk() if isinstance(n, T.Symbol)}
        missing = sorted(set(self.symbols) - set(values))
        if missing:
            raise ExpressionError(
                f"no value for {', '.join(missing)}; values were given for "
                f"{', '.join(sorted(map(str, values))) or 'nothing'}"
            )
        used = [values[name] for name in self.symbols]
        self.exact = all(_is_rational(np.asarray(v) if not isinstance(v, Rational) else v)
                         for v in used)  # fmt: skip
        self.dims: dict[str, int] = {}
        self.arrays = {name: self.bind(name, values[name]) for name in self.symbols}
        self.indices: dict[str, int] = {}
        self.terms = 0

    def run(self) -> np.ndarray:
        with np.errstate(all="ignore"):
            result = np.asarray(self.value_of(self.expr))
        if isinstance(self.expr, T.Equation):
            return result
        if result.dtype == object:
            flat = list(result.flat)
            if any(isinstance(v, float) for v in flat):
                return result.astype(float)
            return np.asarray(_to_fraction(result), dtype=object).reshape(result.shape)
        return result

    # ------------------------------------------------------------ inputs and sizes

    def bind(self, name: str, raw: Any) -> np.ndarray:
        try:
            array = np.asarray(raw, dtype=object if self.exact else float)
        except (TypeError, ValueError) as exc:
            raise ExpressionError(f"the value for {name} is not numeric: {exc}") from None
        if self.exact:
            array = np.asarray(_to_fraction(array), dtype=object).reshape(array.shape)
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

    def number(self, value: Fraction | int) -> Any:
        return np.asarray(Fraction(value), dtype=object) if self.exact else np.float64(value)

    def integer(self, node: T.Expr, what: str) -> int:
        value = np.asarray(self.value_of(node)).reshape(()).item()
        if float(value) != int(float(value)):
            raise ExpressionError(f"{what} must be a whole number, got {value}")
        return int(float(value))

    # ------------------------------------------------------------ nodes

    def value_of(self, e: T.Expr) -> Any:
        return _RULES.handler(e)(self, e)

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
        return self.number(self.index_value(e.name))

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
        return np.matmul(self.value_of(e.left), self.value_of(e.right))

    @_RULES(T.Div)
    def _div(self, e: T.Div) -> Any:
        return self.divide(self.value_of(e.numerator), self.value_of(e.denominator))

    @_RULES(T.Power)
    def _power(self, e: T.Power) -> Any:
        return self.power(self.value_of(e.base), self.value_of(e.exponent))

    @_RULES(T.Transpose)
    def _transpose(self, e: T.Transpose) -> Any:
        return np.asarray(self.value_of(e.operand)).T

    @_RULES(T.Sum)
    def _sum(self, e: T.Sum) -> Any:
        return np.sum(np.asarray(self.value_of(e.operand)), axis=e.axis)

    @_RULES(T.Norm)
    def _norm(self, e: T.Norm) -> Any:
        return self.norm(np.asarray(self.value_of(e.operand)))

    @_RULES(T.MatrixLiteral)
    def _matrix(self, e: T.MatrixLiteral) -> Any:
        rows = [[np.asarray(self.value_of(x)).item() for x in row] for row in e.rows]
        return np.array(rows, dtype=object if self.exact else float)

    def filled(self, ints: np.ndarray) -> Any:
        if self.exact:
            return np.asarray(_to_fraction(ints), dtype=object).reshape(ints.shape)
        return ints.astype(float)

    def index_value(self, name: str) -> int:
        if name in self.indices:
            return self.indices[name]
        value = self.values.get(name)
        if isinstance(value, Integral) and not isinstance(value, bool):
            return int(value)
        raise ExpressionError(f"the index {name} has no value; give {name}=<int> in values")

    def divide(self, num: Any, den: Any) -> Any:
        if self.exact:
            if any(d == 0 for d in np.asarray(den).flat):
                raise ExpressionError("division by zero in exact arithmetic")
            return np.asarray(num) / np.asarray(den)
        return num / den

    def power(self, base: Any, exponent: Any) -> Any:
        exp_value = np.asarray(exponent).reshape(()).item()
        if not self.exact or not all(isinstance(b, Fraction) for b in np.asarray(base).flat):
            # a float among exact values (an irrational norm): the power is a float too
            return np.power(np.asarray(base, dtype=float), float(exp_value))
        if exp_value.denominator != 1:
            return np.power(np.asarray(base).astype(float), float(exp_value))
        n = int(exp_value)
        base = np.asarray(base)
        if n < 0 and any(b == 0 for b in base.flat):
            raise ExpressionError("zero to a negative power in exact arithmetic")
        bits = max((abs(b.numerator).bit_length() + b.denominator.bit_length() for b in
                    base.flat), default=0)  # fmt: skip
        if bits * abs(n) > MAX_EXACT_BITS:
            raise ExpressionError(f"an exact power is too large ({bits * abs(n)} bits)")
        return np.asarray(np.frompyfunc(lambda b: b**n, 1, 1)(base), dtype=object)

    @_RULES(T.Apply)
    def apply(self, e: T.Apply) -> Any:
        if e.function not in FUNCTIONS:
            raise ExpressionError(f"the function {e.function} is abstract and has no values")
        args = [np.asarray(self.value_of(a)) for a in e.args]
        result = apply_function(e.function, e.order, args, self.exact)
        return np.asarray(result, dtype=object if self.exact and e.function != "softmax" else None)

    @_RULES(T.Indicator)
    def compare(self, e: T.Indicator) -> Any:
        left, right = np.asarray(self.value_of(e.left)), np.asarray(self.value_of(e.right))
        test = RELATIONS[e.relation].test
        if self.exact:
            result = np.frompyfunc(test, 2, 1)(left, right)
            return self.filled(np.asarray(result, dtype=int))
        return np.asarray(test(left, right), dtype=float)

    def norm(self, array: np.ndarray) -> Any:
        if self.exact:
            total = sum((v * v for v in array.flat), Fraction(0))
            if not isinstance(total, Fraction):
                return np.float64(math.sqrt(total))
            root = math.isqrt(total.numerator), math.isqrt(total.denominator)
            if root[0] ** 2 == total.numerator and root[1] ** 2 == total.denominator:
                return np.asarray(Fraction(*root), dtype=object)
            return np.float64(math.sqrt(total))
        return np.sqrt(np.sum(array * array))

    @_RULES(T.Index)
    def index(self, e: T.Index) -> Any:
        array = np.asarray(self.value_of(e.operand))
        key: list[Any] = []
        for axis, item in enumerate(e.indices):
            if isinstance(item, T.Slice):
                key.append(slice(None))
                continue
            k = self.integer(item, "an index")
            if not 1 <= k <= array.shape[axis]:
                raise ExpressionError(
                    f"index {k} is outside 1..{array.shape[axis]} on axis {axis} of "
                    f"{T.Expr.__str__(e.operand)}"
                )
            key.append(k - 1)
        return array[tuple(key)]

    @_RULES(T.IndexSum)
    def index_sum(self, e: T.IndexSum) -> Any:
        lower, upper = self.integer(e.lower, "a sum limit"), self.integer(e.upper, "a sum limit")
        self.terms += max(0, upper - lower + 1)
        if self.terms > MAX_SUM_TERMS:
            raise ExpressionError(f"the sums run over more than {MAX_SUM_TERMS} terms")
        saved = self.indices.get(e.index)
        total: Any = self.filled(np.zeros(self.shape(e.body.shape), dtype=int))
        try:
            for k in range(lower, upper + 1):
                self.indices[e.index] = k
                total = total + self.value_of(e.body)
        finally:
            if saved is None:
                self.indices.pop(e.index, None)
            else:
                self.indices[e.index] = saved
        return total

    @_RULES(T.Equation)
    def equation(self, e: T.Equation) -> Any:
        sides = [np.asarray(self.value_of(s)) for s in e.sides]
        first = sides[0]
        if self.exact and all(s.dtype == object for s in sides):
            same = all(bool(np.all(s == first)) for s in sides[1:])
        else:
            same = all(np.allclose(s.astype(float), first.astype(float), rtol=1e-9, atol=0)
                       for s in sides[1:])  # fmt: skip
        return np.asarray(same)


provide("evaluate", evaluate)
