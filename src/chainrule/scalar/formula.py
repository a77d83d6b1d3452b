"""A scalar graph from a formula: parsed by :mod:`chainrule.expr` (never ``eval``), then
expanded into :class:`~chainrule.scalar.value.Value` nodes.

Inputs come from ``at``. A number gives one leaf with that name. A list gives a vector whose
entries become scalar leaves named by the 0-based position, as seed 004 writes them:
``at={"w": [2, -3, 2]}`` makes ``w0, w1, w2``, so ``\\vec{w}^T \\vec{x}`` expands to
``w0*x0 + w1*x1 + w2*x2`` and builds the same graph, with the same leaf names, as the formula
written out in scalars. A list of lists gives a matrix with leaves ``W0,0, W0,1, ...``.
In LaTeX, ``\\vec{w}``, ``\\mathbf{w}``, ``\\boldsymbol{w}`` and ``\\bm{w}`` name the input
``w`` (an input given as ``"\\vec{w}"`` also gets the leaves ``w0, w1, ...``).
Indices written inside a formula count from 1, as :mod:`chainrule.expr` reads them:
``\\sum_{i=1}^{3} w_i x_i`` is the same dot product, and ``w_1`` is the leaf ``w0``.

Vector operations expand left to right: a dot product is ``a0*b0 + a1*b1 + ...``, a sum
``a0 + a1 + ...``. A sub-formula with no inputs in it (``\\frac{1}{2}``, ``-3``) becomes one
constant leaf. A formula written as ``L = ...`` names the output ``L``.
"""

from __future__ import annotations

import operator
import re
from collections.abc import Callable, Mapping
from numbers import Real
from typing import Any

import numpy as np

from chainrule.errors import ConfigError, ExpressionError
from chainrule.expr import parse
from chainrule.expr import tree as T
from chainrule.expr.functions import FUNCTIONS
from chainrule.expr.relations import RELATIONS
from chainrule.expr.symbols import canonical
from chainrule.expr.visit import Rules
from chainrule.scalar.value import Value, maximum, minimum

__all__ = ["build"]

_MAX_INDEX_SUM = 100_000
_VECTOR_FONTS = ("vec", "mathbf", "boldsymbol", "bm")
_PLAIN = re.compile(r"[A-Za-z][A-Za-z0-9]*")
_DECORATED = re.compile(r"\\(?:vec|mathbf|boldsymbol|bm)\s*\{?\s*([A-Za-z][A-Za-z0-9]*)\s*\}?")
# "L = ..." or "\mathcal{L}_1 = ...": a name with braced scripts, then a single "=".
_NAME = r"(?:\\[A-Za-z]+(?:\{[^{}=]*\})?|[A-Za-z][A-Za-z0-9]*)(?:[_^](?:\{[^{}=]*\}|[A-Za-z0-9]))*"
_OUTPUT_NAME = re.compile(rf"\s*({_NAME})\s*=(?!=)(.*)\Z", re.S)


def build(text: str, at: Mapping[str, Any], syntax: str = "auto") -> tuple[Value, dict[str, Value]]:
    """Build the scalar graph of a formula at given input values.

    Parameters
    ----------
    text : str
        The formula, in plain text (``"(x+y)*z"``) or LaTeX (``"\\sigma(w^T x + b)"``);
        ``"L = (x+y) z"`` also names the output ``L``.
    at : mapping of str to number, list or list of lists
        The value of every input: a number, a vector (its leaves are ``w0, w1, ...``) or a
        matrix (leaves ``W0,0, W0,1, ...``).
    syntax : {"auto", "latex", "numpy"}
        Passed to :func:`chainrule.expr.parse`.

    Returns
    -------
    out : Value
        The output node, a scalar; call ``out.backward()`` next.
    leaves_by_name : dict of str to Value
        Every input leaf by name, in the order of ``at``.

    Raises
    ------
    ExpressionError
        When the formula does not parse, is not a scalar, or cannot be evaluated there.
    ConfigError
        When a value in ``at`` is not a finite number, vector or matrix.

    Examples
    --------
    >>> out, leaves = build("(x+y)*z", at={"x": -2, "y": 5, "z": -4})
    >>> out.backward()
    >>> out.data, {name: leaf.grad for name, leaf in leaves.items()}
    (-12.0, {'x': -4.0, 'y': -4.0, 'z': 3.0})
    """
    if not isinstance(text, str):
        raise ExpressionError(f"the formula must be a str, got {type(text).__name__}")
    if not isinstance(at, Mapping):
        raise ConfigError(f"at must map input names to values, got {type(at).__name__}")
    out_name = None
    match = _OUTPUT_NAME.match(text)
    if match and match.group(1) not in at:
        out_name, text = match.group(1), match.group(2)
    arrays, leaves = _leaves(at)
    arrays.update(_vector_aliases(text, arrays))
    # abs is not one of expr's functions; declared abstract, \operatorname{abs}(x) parses.
    extra = {} if "abs" in FUNCTIONS else {"abs": None}
    tree = parse(text, {name: a.shape for name, a in arrays.items()}, syntax, functions=extra)
    result = _Compiler(arrays).compile(tree, {})
    if result.shape != ():
        raise ExpressionError(
            f"the formula gives a value of shape {result.shape}, but a graph needs one scalar "
            "output; hint: sum it, or take one entry"
        )
    out = result.item()
    if out_name is not None:
        if out.op == "leaf":  # naming would rename an input; keep the input's name
            out = out + 0.0
        out.name = out_name
    return out, leaves


def _leaves(at: Mapping[str, Any]) -> tuple[dict[str, np.ndarray], dict[str, Value]]:
    arrays: dict[str, np.ndarray] = {}
    leaves: dict[str, Value] = {}
    for name, given in at.items():
        if not isinstance(name, str) or not name:
            raise ConfigError(f"input names must be non-empty strings, got {name!r}")
        numbers = _numbers(name, given)
        array = np.empty(numbers.shape, dtype=object)
        decorated = _DECORATED.fullmatch(name)
        stem = decorated.group(1) if decorated and numbers.ndim else name  # \vec{w} -> w0, w1
        for index in np.ndindex(numbers.shape):
            suffix = ",".join(map(str, index))
            leaf = Value(float(numbers[index]), name=stem + suffix)
            if leaf.name in leaves:
                raise ConfigError(
                    f"the input name {leaf.name!r} is given twice (once through the vector or "
                    f"matrix {name!r}); rename one of them"
                )
            leaves[leaf.name] = leaf  # type: ignore[index]
            array[index] = leaf
        arrays[name] = array
    return arrays, leaves


def _vector_aliases(text: str, arrays: dict[str, np.ndarray]) -> dict[str, np.ndarray]:
    """``\\vec{w}``, ``\\mathbf{w}``, ... for each plain input name ``w``, when the formula
    uses that decoration: they mark the same quantity as a vector, not another symbol."""
    taken = {canonical(name) for name in arrays}
    aliases = {}
    for command in _VECTOR_FONTS:
        if "\\" + command not in text:
            continue
        for name, array in arrays.items():
            alias = f"\\{command}{{{name}}}"
            if _PLAIN.fullmatch(name) and canonical(alias) not in taken:
                aliases[alias] = array
    return aliases


def _numbers(name: str, given: Any) -> np.ndarray:
    hint = "expected a number, a list of numbers (a vector) or a list of lists (a matrix)"
    if isinstance(given, Value):
        given = given.data
    if isinstance(given, Real) and not isinstance(given, bool):
        numbers = np.array(float(given))
    else:
        try:
            numbers = np.array(given, dtype=float)
        except (TypeError, ValueError):
            raise ConfigError(f"the value of {name!r} is {given!r}; {hint}") from None
        if numbers.ndim not in (1, 2) or numbers.size == 0:
            raise ConfigError(f"the value of {name!r} has shape {numbers.shape}; {hint}")
    if not np.isfinite(numbers).all():
        raise ConfigError(f"the value of {name!r} must be finite, got {given!r}")
    return numbers


def _scalar(value: Value) -> np.ndarray:
    array = np.empty((), dtype=object)
    array[()] = value
    return array


def _elementwise(fn: Callable[..., Value], *arrays: np.ndarray) -> np.ndarray:
    shape = np.broadcast_shapes(*(a.shape for a in arrays))
    result = np.empty(shape, dtype=object)
    expanded = [np.broadcast_to(a, shape) for a in arrays]
    for index in np.ndindex(shape):
        result[index] = fn(*(a[index] for a in expanded))
    return result


def _fold_sum(values: list[Value]) -> Value:
    total = values[0]
    for v in values[1:]:
        total = total + v
    return total


def _dot(left: list[Value], right: list[Value]) -> Value:
    return _fold_sum([a * b for a, b in zip(left, right, strict=True)])


_FUNCTIONS: dict[str, Callable[[Value], Value]] = {
    "relu": Value.relu,
    "sigmoid": Value.sigmoid,
    "tanh": Value.tanh,
    "exp": Value.exp,
    "log": Value.log,
    "sqrt": lambda v: v**0.5,
    "abs": abs,
}


_RULES = Rules("scalar graph")


class _Compiler:
    """Turns an expression tree into object arrays of Values (shape () for scalars)."""

    def __init__(self, arrays: dict[str, np.ndarray]) -> None:
        self.arrays = arrays

    def compile(self, node: Any, env: dict[str, int]) -> np.ndarray:
        handler = _RULES.handler(node)
        if not isinstance(node, T.Constant | T.Symbol | T.Slice) and _is_constant(node):
            folded = handler(self, node, env)
            if folded.shape == ():  # one leaf for a number such as \frac{1}{2}
                return _scalar(Value(folded.item().data))
            return folded
        return handler(self, node, env)

    # leaves
    @_RULES(T.Symbol)
    def _symbol(self, node: Any, env: dict[str, int]) -> np.ndarray:
        return self.arrays[node.name]

    @_RULES(T.Constant)
    def _constant(self, node: Any, env: dict[str, int]) -> np.ndarray:
        return _scalar(Value(float(node.value)))

    @_RULES(T.IndexVar)
    def _index_var(self, node: Any, env: dict[str, int]) -> np.ndarray:
        if node.name not in env:
            raise ExpressionError(
                f"the index {node.name} has no value here; hint: sum over it, e.g. "
                f"\\sum_{{{node.name}=1}}^{{3}}"
            )
        return _scalar(Value(float(env[node.name])))

    @_RULES(T.Size, T.Slice)
    def _refused(self, node: Any, env: dict[str, int]) -> np.ndarray:
        raise ExpressionError(
            f"a scalar graph cannot be built from {type(node).__name__} (in {_show(node)}); "
            "hint: write it with + - * /, powers and functions"
        )

    @_RULES(T.IdentityMatrix)
    def _identity(self, node: Any, env: dict[str, int]) -> np.ndarray:
        size = _int_dim(node.size, "the identity matrix")
        return _elementwise(lambda v: Value(v), np.eye(size).astype(object))

    @_RULES(T.Ones)
    def _ones(self, node: Any, env: dict[str, int]) -> np.ndarray:
        shape = tuple(_int_dim(d, "a vector of ones") for d in node.dims)
        return _elementwise(lambda v: Value(1.0), np.empty(shape, dtype=object))

    # arithmetic
    @_RULES(T.Add)
    def _add(self, node: Any, env: dict[str, int]) -> np.ndarray:
        return self._binary(operator.add, node.left, node.right, env)

    @_RULES(T.Sub)
    def _sub(self, node: Any, env: dict[str, int]) -> np.ndarray:
        return self._binary(operator.sub, node.left, node.right, env)

    @_RULES(T.ElementwiseProduct)
    def _elementwise_product(self, node: Any, env: dict[str, int]) -> np.ndarray:
        return self._binary(operator.mul, node.left, node.right, env)

    @_RULES(T.Scale)
    def _scale(self, node: Any, env: dict[str, int]) -> np.ndarray:
        return self._binary(operator.mul, node.factor, node.operand, env)

    @_RULES(T.Div)
    def _div(self, node: Any, env: dict[str, int]) -> np.ndarray:
        return self._binary(operator.truediv, node.numerator, node.denominator, env)

    @_RULES(T.Neg)
    def _neg(self, node: Any, env: dict[str, int]) -> np.ndarray:
        return _elementwise(operator.neg, self.compile(node.operand, env))

    def _binary(self, fn: Callable, left: Any, right: Any, env: dict[str, int]) -> np.ndarray:
        return _elementwise(fn, self.compile(left, env), self.compile(right, env))

    @_RULES(T.Power)
    def _power(self, node: Any, env: dict[str, int]) -> np.ndarray:
        base = self.compile(node.base, env)
        exponent = self.compile(node.exponent, env).item()
        if _is_constant(node.exponent):  # a fixed number: negative bases allowed for integers
            p = exponent.data
            return _elementwise(lambda a: a**p, base)
        return _elementwise(lambda a: a**exponent, base)

    @_RULES(T.MatMul)
    def _mat_mul(self, node: Any, env: dict[str, int]) -> np.ndarray:
        a, b = self.compile(node.left, env), self.compile(node.right, env)
        a2 = a if a.ndim == 2 else a[np.newaxis, :]
        b2 = b if b.ndim == 2 else b[:, np.newaxis]
        result = np.empty((a2.shape[0], b2.shape[1]), dtype=object)
        for i in range(a2.shape[0]):
            for j in range(b2.shape[1]):
                result[i, j] = _dot(list(a2[i, :]), list(b2[:, j]))
        if a.ndim == 1:
            result = result[0]
        if b.ndim == 1:
            result = result[..., 0]
        return result

    @_RULES(T.Transpose)
    def _transpose(self, node: Any, env: dict[str, int]) -> np.ndarray:
        return self.compile(node.operand, env).T

    # functions and tests
    @_RULES(T.Apply)
    def _apply(self, node: Any, env: dict[str, int]) -> np.ndarray:
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
            return _elementwise(maximum if name == "max" else minimum, *args)
        if name == "softmax":
            return _softmax(args[0])
        if name not in _FUNCTIONS:
            raise ExpressionError(
                f"the function {name} has no formula, so it cannot be computed; hint: use "
                f"one of {', '.join(sorted([*_FUNCTIONS, 'max', 'min', 'softmax']))}"
            )
        return _elementwise(_FUNCTIONS[name], args[0])

    @_RULES(T.Indicator)
    def _indicator(self, node: Any, env: dict[str, int]) -> np.ndarray:
        # [a > b] is piecewise constant: a constant leaf at these values, no gradient path.
        compare = RELATIONS[node.relation].test
        return _elementwise(
            lambda a, b: Value(1.0 if compare(a.data, b.data) else 0.0),
            self.compile(node.left, env),
            self.compile(node.right, env),
        )

    @_RULES(T.Equation)
    def _equation(self, node: Any, env: dict[str, int]) -> np.ndarray:
        raise ExpressionError(
            "a scalar graph needs one formula, not an equation; hint: write only the right-hand "
            "side, or `L = formula` to name the output L"
        )

    # reductions and access
    @_RULES(T.Sum)
    def _sum(self, node: Any, env: dict[str, int]) -> np.ndarray:
        array = self.compile(node.operand, env)
        if node.axis is None:
            return _scalar(_fold_sum(list(array.ravel())))
        moved = np.moveaxis(array, node.axis, -1)
        result = np.empty(moved.shape[:-1], dtype=object)
        for index in np.ndindex(result.shape):
            result[index] = _fold_sum(list(moved[index]))
        return result

    @_RULES(T.Norm)
    def _norm(self, node: Any, env: dict[str, int]) -> np.ndarray:
        array = self.compile(node.operand, env)
        if array.shape == ():  # the norm of a number is its absolute value
            return _elementwise(abs, array)
        return _scalar(_fold_sum([v**2 for v in array.ravel()]) ** 0.5)

    @_RULES(T.Index)
    def _index(self, node: Any, env: dict[str, int]) -> np.ndarray:
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
    def _matrix_literal(self, node: Any, env: dict[str, int]) -> np.ndarray:
        rows = [[self.compile(entry, env).item() for entry in row] for row in node.rows]
        result = np.empty((len(rows), len(rows[0])), dtype=object)
        for i, row in enumerate(rows):
            for j, value in enumerate(row):
                result[i, j] = value
        return result

    @_RULES(T.IndexSum)
    def _index_sum(self, node: Any, env: dict[str, int]) -> np.ndarray:
        bounds = []
        for limit in (node.lower, node.upper):
            number = self.compile(limit, env).item().data
            if not number.is_integer():
                raise ExpressionError(f"the limits of a sum must be integers, got {number:g}")
            bounds.append(int(number))
        lower, upper = bounds
        if upper < lower:
            raise ExpressionError(f"the sum over {node.index} runs from {lower} to {upper}: empty")
        if upper - lower >= _MAX_INDEX_SUM:
            raise ExpressionError(f"the sum over {node.index} has more than {_MAX_INDEX_SUM} terms")
        terms = [self.compile(node.body, {**env, node.index: i}) for i in range(lower, upper + 1)]
        total = terms[0]
        for term in terms[1:]:
            total = _elementwise(operator.add, total, term)
        return total


def _softmax(array: np.ndarray) -> np.ndarray:
    """:math:`s_i = e^{x_i} / \\sum_j e^{x_j}` along the last axis, each entry its own node."""
    if array.shape == ():
        raise ExpressionError("softmax needs a vector")
    exps = _elementwise(Value.exp, array)
    result = np.empty(array.shape, dtype=object)
    for index in np.ndindex(array.shape[:-1]):
        row = list(exps[index])
        total = _fold_sum(row)
        for k, e in enumerate(row):
            result[(*index, k)] = e / total
    return result


def _is_constant(node: Any) -> bool:
    return not any(isinstance(n, T.Symbol | T.IndexVar) for n in node.walk())


def _int_dim(dim: Any, what: str) -> int:
    if isinstance(dim, int):
        return dim
    raise ExpressionError(f"{what} has the size {dim!r}; a scalar graph needs a number")


def _show(node: Any) -> str:
    try:
        return f"`{node}`"
    except Exception:  # rendering is a nicety; never hide the real error behind it
        return type(node).__name__
