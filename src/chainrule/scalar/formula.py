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

import re
from collections.abc import Mapping
from numbers import Real
from typing import Any

import numpy as np

from chainrule.errors import ConfigError, ExpressionError
from chainrule.expr import parse
from chainrule.expr.functions import FUNCTIONS
from chainrule.expr.symbols import canonical
from chainrule.scalar.compile import compile_tree
from chainrule.scalar.value import Value

__all__ = ["build"]

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
    result = compile_tree(tree, arrays)
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
        try:
            numbers = np.array(float(given))
        except OverflowError:
            raise ConfigError(f"the value of {name!r} is beyond float64 (about 1.8e308)") from None
    else:
        try:
            numbers = np.array(given, dtype=float)
        except (TypeError, ValueError, OverflowError):
            raise ConfigError(f"the value of {name!r} is {given!r}; {hint}") from None
        if numbers.ndim not in (1, 2) or numbers.size == 0:
            raise ConfigError(f"the value of {name!r} has shape {numbers.shape}; {hint}")
    if not np.isfinite(numbers).all():
        raise ConfigError(f"the value of {name!r} must be finite, got {given!r}")
    return numbers
