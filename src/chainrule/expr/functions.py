"""The element-wise functions a formula may apply, with their derivatives.

Each function is evaluated two ways: on float arrays with NumPy, and on object arrays of
:class:`fractions.Fraction` when every input is rational. In the exact way a value that is
not rational (``exp(1)``) becomes a float, and the whole result then becomes float.

=========  =====================================  ===============================
name       f(x)                                   f'(x)
=========  =====================================  ===============================
relu       max(x, 0)                              [x > 0]  (ReLU'(0) = 0)
sigmoid    1 / (1 + e^-x)                         s (1 - s)
tanh       tanh x                                 1 - t^2
exp        e^x                                    e^x
log        ln x                                   1 / x
sqrt       sqrt x                                 1 / (2 sqrt x)
identity   x                                      1
softmax    e^x / sum e^x  (along the last axis)   (no element-wise derivative)
max, min   element-wise max(a, b), min(a, b)      (none)
=========  =====================================  ===============================
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass
from fractions import Fraction
from typing import Any

import numpy as np

from chainrule import elementwise as ew
from chainrule.expr.exact import to_float

__all__ = ["FUNCTIONS", "FunctionSpec", "apply_function"]


@dataclass(frozen=True)
class FunctionSpec:
    """How many arguments a function takes and how many derivatives it has."""

    name: str
    arity: int = 1
    max_order: int = 2


FUNCTIONS: dict[str, FunctionSpec] = {
    spec.name: spec
    for spec in (
        FunctionSpec("relu"),
        FunctionSpec("sigmoid"),
        FunctionSpec("tanh"),
        FunctionSpec("exp"),
        FunctionSpec("log"),
        FunctionSpec("sqrt"),
        FunctionSpec("identity"),
        FunctionSpec("softmax", max_order=0),
        FunctionSpec("max", arity=2, max_order=0),
        FunctionSpec("min", arity=2, max_order=0),
    )
}


def _float_unary(name: str, order: int, x: Any) -> Any:
    # relu, sigmoid, tanh and softmax are the engine's own (chainrule.elementwise): relu'
    # here is the ReLU layer's backward mask, sigma' the Sigmoid layer's h (1 - h)
    if name == "relu":
        return [ew.relu(x), ew.relu_grad(x), np.zeros_like(x)][order]
    if name == "sigmoid":
        s = ew.sigmoid(x)
        return [s, ew.sigmoid_grad(s), ew.sigmoid_grad(s) * (1 - 2 * s)][order]
    if name == "tanh":
        t = ew.tanh(x)
        return [t, ew.tanh_grad(t), -2 * t * ew.tanh_grad(t)][order]
    if name == "exp":
        return np.exp(x)
    if name == "log":
        return [np.log(x), 1 / x, -1 / (x * x)][order]
    if name == "sqrt":
        r = np.sqrt(x)
        return [r, 0.5 / r, -0.25 / (r * x)][order]
    if name == "identity":
        return [x * 1.0, np.ones_like(x), np.zeros_like(x)][order]
    if name == "softmax":
        return ew.softmax(x)
    raise KeyError(name)


def _exact_sqrt(q: Fraction) -> Fraction | float:
    if q >= 0:
        num, den = math.isqrt(q.numerator), math.isqrt(q.denominator)
        if num * num == q.numerator and den * den == q.denominator:
            return Fraction(num, den)
    return math.sqrt(to_float(q)) if q >= 0 else math.nan


def _exact_scalar(name: str, order: int, q: Fraction) -> Fraction | float:
    if name == "relu":
        return [max(q, Fraction(0)), Fraction(int(q > 0)), Fraction(0)][order]
    if name == "identity":
        return [q, Fraction(1), Fraction(0)][order]
    if name == "sigmoid" and q == 0:
        return [Fraction(1, 2), Fraction(1, 4), Fraction(0)][order]
    if name == "tanh" and q == 0:
        return [Fraction(0), Fraction(1), Fraction(0)][order]
    if name == "exp" and q == 0:
        return Fraction(1)
    if name == "log" and q != 0 and order > 0:
        return 1 / q if order == 1 else -1 / (q * q)
    if name == "log" and q == 1:
        return Fraction(0)
    if name == "sqrt" and order == 0:
        return _exact_sqrt(q)
    return float(_float_unary(name, order, np.float64(to_float(q))))


def apply_function(name: str, order: int, args: list[Any], exact: bool) -> Any:
    """Apply a known function (or its derivative of ``order``) to evaluated arguments.

    Parameters
    ----------
    name : str
        A key of :data:`FUNCTIONS`.
    order : int
        0 for the function itself, 1 or 2 for its derivatives.
    args : list of numpy.ndarray
        Float arrays, or object arrays of Fraction when ``exact``.
    exact : bool
        Whether the arguments are exact rationals.
    """
    if name in ("max", "min"):
        pick: Callable[[Any, Any], Any] = max if name == "max" else min
        if exact:
            return np.frompyfunc(pick, 2, 1)(*args)
        return (np.maximum if name == "max" else np.minimum)(*args)
    (x,) = args
    if exact and name != "softmax":
        return np.frompyfunc(lambda q: _exact_scalar(name, order, q), 1, 1)(x)
    if exact:
        x = np.asarray(np.frompyfunc(to_float, 1, 1)(x), dtype=float)
    return _float_unary(name, order, np.asarray(x, dtype=float))
