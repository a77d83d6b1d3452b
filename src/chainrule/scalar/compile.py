"""An expression tree expanded into scalar :class:`~chainrule.scalar.value.Value` nodes.

Every value of the tree becomes an object array of Values (shape ``()`` for a scalar):
a vector operation expands left to right (a dot product is ``a0*b0 + a1*b1 + ...``). A
sub-formula with no inputs in it (``\\frac{1}{2}``) becomes one constant leaf.

The number of nodes one graph may have is :data:`MAX_GRAPH_NODES`; every step counts the
nodes it will make before making them, so a formula such as ``\\sum_{i=1}^{10^6} x`` is
refused at once, not after minutes.
"""

from __future__ import annotations

import math
import operator
from collections.abc import Callable
from typing import Any

import numpy as np

from chainrule.errors import ExpressionError
from chainrule.expr import tree as T
from chainrule.expr.relations import RELATIONS
from chainrule.expr.visit import Rules, visits
from chainrule.scalar.value import Value, maximum, minimum

__all__ = ["MAX_GRAPH_NODES", "compile_tree"]

#: Nodes of one scalar graph (inputs included): about 50 MB and half a second to build.
MAX_GRAPH_NODES = 100_000

_FUNCTIONS: dict[str, Callable[[Value], Value]] = {
    "relu": Value.relu,
    "sigmoid": Value.sigmoid,
    "tanh": Value.tanh,
    "exp": Value.exp,
    "log": Value.log,
    "sqrt": lambda v: v**0.5,
    "abs": abs,
}


def compile_tree(tree: T.Expr, arrays: dict[str, np.ndarray]) -> np.ndarray:
    """The object array of Values for ``tree``, whose symbols are the arrays of leaves."""
    leaves = sum(a.size for a in arrays.values())
    return _Compiler(arrays, leaves).compile(tree, {})


def scalar(value: Value) -> np.ndarray:
    """A 0-d object array holding ``value``."""
    array = np.empty((), dtype=object)
    array[()] = value
    return array


def elementwise(fn: Callable[..., Value], *arrays: np.ndarray) -> np.ndarray:
    """``fn`` applied entry by entry, with NumPy broadcasting."""
    if all(a.ndim == 0 for a in arrays):  # the common case of scalars, kept fast
        return scalar(fn(*(a[()] for a in arrays)))
    shape = np.broadcast_shapes(*(a.shape for a in arrays))
    result = np.empty(shape, dtype=object)
    expanded = [np.broadcast_to(a, shape) for a in arrays]
    for index in np.ndindex(shape):
        result[index] = fn(*(a[index] for a in expanded))
    return result


def fold_sum(values: list[Value]) -> Value:
    """``v0 + v1 + ...``, left to right."""
    total = values[0]
    for v in values[1:]:
        total = total + v
    return total


_RULES = Rules("scalar graph")

#: The two-operand nodes, each the entry-by-entry operator of its two children in order
#: (``left, right``; a Scale's ``factor, operand``; a Div's ``numerator, denominator``).
_ARITHMETIC: dict[type[T.Expr], Callable[[Any, Any], Any]] = {
    T.Add: operator.add,
    T.Sub: operator.sub,
    T.ElementwiseProduct: operator.mul,
    T.Scale: operator.mul,
    T.Div: operator.truediv,
}


class _Compiler:
    """Turns an expression tree into object arrays of Values, counting the nodes made."""

    def __init__(self, arrays: dict[str, np.ndarray], nodes: int) -> None:
        self.arrays = arrays
        self.nodes = nodes
        self.constant: dict[int, bool] = {}
        self.reserve(0, "the inputs")

    def reserve(self, count: int, what: str, *, keep: bool = True) -> None:
        """Count ``count`` nodes about to be made; refuse beyond :data:`MAX_GRAPH_NODES`.

        With ``keep=False`` only check that they would fit (they are counted as made).
        """
        if keep:
            self.nodes += count
        if self.nodes + (0 if keep else count) > MAX_GRAPH_NODES:
            raise ExpressionError(
                f"the scalar graph would have more than {MAX_GRAPH_NODES:,} nodes ({what}); "
                "hint: use smaller vectors or sums, or chainrule.expr.evaluate for the value"
            )

    def compile(self, node: T.Expr, env: dict[str, int]) -> np.ndarray:
        handler = _RULES.handler(node)
        if not isinstance(node, T.Constant | T.Symbol | T.Slice) and self.is_constant(node):
            folded = handler(self, node, env)
            if folded.shape == ():  # one leaf for a number such as \frac{1}{2}
                return scalar(Value(folded.item().data))
            return folded
        return handler(self, node, env)

    def is_constant(self, node: T.Expr) -> bool:
        key = id(node)
        if key not in self.constant:
            self.constant[key] = not any(isinstance(n, T.Symbol | T.IndexVar) for n in node.walk())
        return self.constant[key]

    def each(self, fn: Callable[..., Value], *arrays: np.ndarray) -> np.ndarray:
        shape = np.broadcast_shapes(*(a.shape for a in arrays))
        self.reserve(math.prod(shape), "an element-wise operation")
        return elementwise(fn, *arrays)

    def binary(self, fn: Callable, left: T.Expr, right: T.Expr, env: dict[str, int]) -> np.ndarray:
        return self.each(fn, self.compile(left, env), self.compile(right, env))

    # leaves
    @_RULES(T.Symbol)
    def _symbol(self, node: T.Symbol, env: dict[str, int]) -> np.ndarray:
        if node.name not in self.arrays:
            raise ExpressionError(
                f"{node.name} names a derivative, which a scalar graph computes by "
                "backpropagation rather than takes as an input; hint: build the function "
                "itself and read the gradients"
            )
        return self.arrays[node.name]

    @_RULES(T.Constant)
    def _constant(self, node: T.Constant, env: dict[str, int]) -> np.ndarray:
        self.reserve(1, "a constant")
        return scalar(Value(_as_float(node.value)))

    @_RULES(T.IndexVar)
    def _index_var(self, node: T.IndexVar, env: dict[str, int]) -> np.ndarray:
        if node.name not in env:
            raise ExpressionError(
                f"the index {node.name} has no value here; hint: sum over it, e.g. "
                f"\\sum_{{{node.name}=1}}^{{3}}"
            )
        self.reserve(1, "an index")
        return scalar(Value(float(env[node.name])))

    @_RULES(T.Size, T.Slice)
    def _refused(self, node: T.Expr, env: dict[str, int]) -> np.ndarray:
        raise ExpressionError(
            f"a scalar graph cannot be built from {type(node).__name__} (in {_show(node)}); "
            "hint: write it with + - * /, powers and functions"
        )

    @_RULES(T.IdentityMatrix)
    def _identity(self, node: T.IdentityMatrix, env: dict[str, int]) -> np.ndarray:
        size = _int_dim(node.size, "the identity matrix")
        self.reserve(size * size, "an identity matrix")
        return elementwise(lambda v: Value(v), np.eye(size).astype(object))

    @_RULES(T.Ones)
    def _ones(self, node: T.Ones, env: dict[str, int]) -> np.ndarray:
        shape = tuple(_int_dim(d, "a vector of ones") for d in node.dims)
        self.reserve(math.prod(shape), "an array of ones")
        return elementwise(lambda v: Value(1.0), np.empty(shape, dtype=object))

    # arithmetic
    @_RULES(*_ARITHMETIC)
    def _arithmetic(self, node: T.Expr, env: dict[str, int]) -> np.ndarray:
        left, right = node.children()
        return self.binary(_ARITHMETIC[type(node)], left, right, env)

    @_RULES(T.Neg)
    def _neg(self, node: T.Neg, env: dict[str, int]) -> np.ndarray:
        return self.each(operator.neg, self.compile(node.operand, env))

    @_RULES(T.Power)
    def _power(self, node: T.Power, env: dict[str, int]) -> np.ndarray:
        base = self.compile(node.base, env)
        exponent = self.compile(node.exponent, env).item()
        if self.is_constant(node.exponent):  # a fixed number: negative bases allowed for ints
            p = exponent.data
            return self.each(lambda a: a**p, base)
        return self.each(lambda a: a**exponent, base)

    @_RULES(T.MatMul)
    def _matmul(self, node: T.MatMul, env: dict[str, int]) -> np.ndarray:
        a, b = self.compile(node.left, env), self.compile(node.right, env)
        a2 = a if a.ndim == 2 else a[np.newaxis, :]
        b2 = b if b.ndim == 2 else b[:, np.newaxis]
        self.reserve(a2.shape[0] * b2.shape[1] * (2 * a2.shape[1] - 1), "a matrix product")
        result = np.empty((a2.shape[0], b2.shape[1]), dtype=object)
        for i in range(a2.shape[0]):
            for j in range(b2.shape[1]):
                result[i, j] = fold_sum([x * y for x, y in zip(a2[i, :], b2[:, j], strict=True)])
        if a.ndim == 1:
            result = result[0]
        if b.ndim == 1:
            result = result[..., 0]
        return result

    @_RULES(T.Transpose)
    def _transpose(self, node: T.Transpose, env: dict[str, int]) -> np.ndarray:
        return self.compile(node.operand, env).T

    # functions and tests
    @_RULES(T.Apply)
    def _apply(self, node: T.Apply, env: dict[str, int]) -> np.ndarray:
        name = node.function
        if node.order != 0:
            raise ExpressionError(
                f"a scalar graph computes functions, not derivatives such as {name}'; "
                "hint: write the derivative out, e.g. sigmoid(z) * (1 - sigmoid(z))"
            )
        args = [self.compile(a, env) for a in node.args]
        if name == "identity":
            return args[0]
        if name in ("max", "min"):
            return self.each(maximum if name == "max" else minimum, *args)
        if name == "softmax":
            self.reserve(3 * args[0].size, "a softmax")
            return _softmax(args[0])
        if name not in _FUNCTIONS:
            raise ExpressionError(
                f"the function {name} has no formula, so it cannot be computed; hint: use "
                f"one of {', '.join(sorted([*_FUNCTIONS, 'max', 'min', 'softmax']))}"
            )
        return self.each(_FUNCTIONS[name], args[0])

    @_RULES(T.Indicator)
    def _indicator(self, node: T.Indicator, env: dict[str, int]) -> np.ndarray:
        # [a > b] is piecewise constant: a constant leaf at these values, no gradient path.
        compare = RELATIONS[node.relation].test
        return self.each(
            lambda a, b: Value(1.0 if compare(a.data, b.data) else 0.0),
            self.compile(node.left, env),
            self.compile(node.right, env),
        )

    @_RULES(T.Equation)
    def _equation(self, node: T.Equation, env: dict[str, int]) -> np.ndarray:
        raise ExpressionError(
            "a scalar graph needs one formula, not an equation; hint: write only the right-hand "
            "side, or `L = formula` to name the output L"
        )

    # reductions and access
    @_RULES(T.Sum)
    def _sum(self, node: T.Sum, env: dict[str, int]) -> np.ndarray:
        array = self.compile(node.operand, env)
        self.reserve(array.size, "a sum")
        if node.axis is None:
            return scalar(fold_sum(list(array.ravel())))
        moved = np.moveaxis(array, node.axis, -1)
        result = np.empty(moved.shape[:-1], dtype=object)
        for index in np.ndindex(result.shape):
            result[index] = fold_sum(list(moved[index]))
        return result

    @_RULES(T.Norm)
    def _norm(self, node: T.Norm, env: dict[str, int]) -> np.ndarray:
        array = self.compile(node.operand, env)
        if array.shape == ():  # the norm of a number is its absolute value
            return self.each(abs, array)
        self.reserve(2 * array.size + 1, "a norm")
        return scalar(fold_sum([v**2 for v in array.ravel()]) ** 0.5)

    @_RULES(T.Index)
    def _index(self, node: T.Index, env: dict[str, int]) -> np.ndarray:
        array = self.compile(node.operand, env)
        picks: list[Any] = []
        for axis, index in enumerate(node.indices):
            if isinstance(index, T.Slice):
                picks.append(slice(None))
                continue
            number = self.compile(index, env).item().data
            size = array.shape[axis]
            if not number.is_integer() or not 1 <= number <= size:
                raise ExpressionError(
                    f"the index {number:g} is outside 1..{size} in {_show(node)} "
                    "(indices in formulas count from 1)"
                )
            picks.append(int(number) - 1)
        return np.asarray(array[tuple(picks)], dtype=object) if picks else array

    @_RULES(T.MatrixLiteral)
    def _matrix(self, node: T.MatrixLiteral, env: dict[str, int]) -> np.ndarray:
        rows = [[self.compile(entry, env).item() for entry in row] for row in node.rows]
        result = np.empty((len(rows), len(rows[0])), dtype=object)
        for i, row in enumerate(rows):
            for j, value in enumerate(row):
                result[i, j] = value
        return result

    @_RULES(T.IndexSum)
    def _index_sum(self, node: T.IndexSum, env: dict[str, int]) -> np.ndarray:
        bounds = []
        for limit in (node.lower, node.upper):
            number = self.compile(limit, env).item().data
            if not number.is_integer():
                raise ExpressionError(f"the limits of a sum must be integers, got {number:g}")
            bounds.append(int(number))
        lower, upper = bounds
        if upper < lower:
            raise ExpressionError(f"the sum over {node.index} runs from {lower} to {upper}: empty")
        # At least one addition per entry and term, and the body's own nodes each time:
        # refuse a sum too long at once, not after building most of it.
        terms = f"the sum over {node.index} has {upper - lower + 1:,} terms"
        body = math.prod(_int_dim(d, "a sum") for d in node.body.shape)
        least = (upper - lower) * body + (upper - lower + 1) * (visits(node.body) - 1)
        self.reserve(least, terms, keep=False)
        total = self.compile(node.body, {**env, node.index: lower})
        for i in range(lower + 1, upper + 1):
            term = self.compile(node.body, {**env, node.index: i})
            total = self.each(operator.add, total, term)
        return total


def _softmax(array: np.ndarray) -> np.ndarray:
    """:math:`s_i = e^{x_i} / \\sum_j e^{x_j}` along the last axis, each entry its own node."""
    if array.shape == ():
        raise ExpressionError("softmax needs a vector")
    exps = elementwise(Value.exp, array)
    result = np.empty(array.shape, dtype=object)
    for index in np.ndindex(array.shape[:-1]):
        row = list(exps[index])
        total = fold_sum(row)
        for k, e in enumerate(row):
            result[(*index, k)] = e / total
    return result


def _as_float(value: Any) -> float:
    try:
        number = float(value)
    except OverflowError:
        number = math.inf
    if not math.isfinite(number):
        raise ExpressionError(f"the number {value} is beyond float64 (about 1.8e308)")
    return number


def _int_dim(dim: Any, what: str) -> int:
    if isinstance(dim, int):
        return dim
    raise ExpressionError(f"{what} has the size {dim!r}; a scalar graph needs a number")


def _show(node: Any) -> str:
    text = str(node)
    return f"`{text}`" if len(text) <= 60 else f"`{text[:57]}...`"
