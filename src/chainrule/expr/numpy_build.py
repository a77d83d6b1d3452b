"""From a Lark parse tree of NumPy-style code to an :class:`~chainrule.expr.tree.Expr`.

The same tree as the LaTeX reader gives: ``delta @ W3.T`` and ``\\delta W_3^T`` are one
``MatMul``. ``*`` is a scaling when one side is a scalar and an element-wise product
otherwise; ``@`` is always a matrix product; indices count from 0 here and are stored
counting from 1, as formulas count.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from lark import Token, Tree

from chainrule.expr import tree as T
from chainrule.expr.build_common import Builder, Pending
from chainrule.expr.grammar import parse_tree

__all__ = ["build_numpy"]

_UNARY = {
    "relu": "relu", "sigmoid": "sigmoid", "expit": "sigmoid", "softmax": "softmax",
    "tanh": "tanh", "exp": "exp", "log": "log", "sqrt": "sqrt", "identity": "identity",
}  # fmt: skip
_BINARY = {"maximum": "max", "minimum": "min", "max": "max", "min": "min"}
_MODULES = ("np", "numpy", "np.linalg", "numpy.linalg", "scipy.special", "special")
_FLOAT_TYPES = {f"{m}{t}" for m in ("", "np.", "numpy.") for t in ("float32", "float64", "double")}
_FLOAT_TYPES |= {"float", "np.float_", "numpy.float_"}
_INT_TYPES = {f"{m}{t}" for m in ("", "np.", "numpy.") for t in ("int32", "int64", "uint8")}
_INT_TYPES |= {"int", "bool", "np.bool_", "numpy.bool_"}


@dataclass
class _Dotted(Pending):
    """``np.maximum`` or ``x.sum``: a name that only makes sense when called."""

    owner: Any  # an Expr for a method, None for a module function
    path: str


def build_numpy(text: str, builder: Builder) -> T.Expr:
    """Parse NumPy-style ``text`` and build its tree with ``builder``'s symbol table."""
    return _Numpy(builder).value(parse_tree(text, "numpy"))


class _Numpy:
    def __init__(self, b: Builder) -> None:
        self.b = b

    def value(self, t: Any) -> T.Expr:
        return self.b.value(self.build(t), t)

    def build(self, t: Any) -> Any:
        handler: Callable[[Any], Any] = getattr(self, "_" + t.data)
        return handler(t)

    def _number(self, t: Any) -> T.Expr:
        return self.b.number(str(t.children[0]), t)

    def _name(self, t: Any) -> Any:
        ident = str(t.children[0])
        found = self.b.table.identifier(ident)
        if found is not None:
            return self.b.symbol(found)
        if ident in self.b.table.dims:
            return T.Size(ident)
        if ident in _MODULES or ident in _UNARY or ident in _BINARY or ident == "sum":
            return _Dotted(None, ident)
        if ident.endswith("_prime") and ident[: -len("_prime")] in _UNARY:
            return _Dotted(None, ident)
        raise self.b.error(f"unknown name {ident}; known names: {self.b.table.known()}", t)

    def _paren(self, t: Any) -> Any:
        return self.build(t.children[1])

    def _pos(self, t: Any) -> Any:
        return self.build(t.children[1])

    def _attr(self, t: Any) -> Any:
        owner, attr = self.build(t.children[0]), str(t.children[2])
        if isinstance(owner, _Dotted):
            return _Dotted(owner.owner, f"{owner.path}.{attr}")
        value = self.b.value(owner, t.children[0])
        if attr == "T":
            return self.b.make(T.Transpose, t, value)
        if attr in ("sum", "transpose", "astype"):
            return _Dotted(value, attr)
        raise self.b.error(
            f"unknown attribute .{attr}; expected .T, .sum, .transpose or .astype", t
        )

    def _prime(self, t: Any) -> Any:
        callee = self.build(t.children[0])
        function = isinstance(callee, _Dotted) and callee.owner is None
        if not function or callee.path.rsplit(".", 1)[-1].rstrip("'") not in _UNARY:
            raise self.b.error(
                "a prime marks the derivative of a function, such as relu'(z) or sigmoid'(z)", t
            )
        return _Dotted(None, callee.path + "'")

    def _astype(self, owner: T.Expr, t: Any) -> T.Expr:
        """``(z > 0).astype(float)``: the same values. A cast to integers keeps them only
        for a comparison's 0 and 1, so it is refused on anything else."""
        dtype = self.b.slice(t.children[2]).strip() if t.children[2] is not None else ""
        if dtype in _FLOAT_TYPES or (dtype in _INT_TYPES and isinstance(owner, T.Indicator)):
            return owner
        if dtype in _INT_TYPES:
            raise self.b.error(f".astype({dtype}) would round the values; leave it out", t)
        raise self.b.error(f".astype takes a number type such as float, got {dtype!r}", t)

    def _call(self, t: Any) -> T.Expr:
        callee = self.build(t.children[0])
        if not isinstance(callee, _Dotted):
            raise self.b.error(f"`{self.b.slice(t.children[0])}` is not a function", t)
        if callee.owner is not None and callee.path == "astype":
            return self._astype(callee.owner, t)
        args, keywords = self.arguments(t.children[2])
        name = callee.path.rsplit(".", 1)[-1]
        if callee.owner is not None:
            args = [callee.owner, *args]
        axis = keywords.pop("axis", None)
        if keywords:
            raise self.b.error(f"unexpected keyword {', '.join(keywords)}= for {name}", t)
        if axis is not None and name != "sum":
            raise self.b.error(f"{name} takes no axis=", t)
        if callee.path.split(".")[0] not in (*_MODULES, name) and callee.owner is None:
            raise self.b.error(f"unknown function {callee.path}", t)
        order = len(name) - len(name.rstrip("'"))
        name = name.rstrip("'")
        if name.endswith("_prime"):
            name, order = name[: -len("_prime")], order + 1
        if name == "heaviside":
            self.count(args, 2, name, t)
            return self._heaviside(*args, t)
        if name in _UNARY or name in _BINARY:
            function = _UNARY.get(name) or _BINARY[name]
            return self.b.make(T.Apply, t, function, tuple(args), order)
        if name == "sum":
            self.count(args, 1, name, t)
            return self.b.make(T.Sum, t, args[0], self.axis(axis, t))
        if name == "transpose":
            self.count(args, 1, name, t)
            return self.b.make(T.Transpose, t, args[0])
        if name in ("dot", "matmul"):
            self.count(args, 2, name, t)
            return self.b.make(T.MatMul, t, *args)
        if name == "norm":
            self.count(args, 1, name, t)
            return self.b.make(T.Norm, t, args[0])
        raise self.b.error(f"unknown function {callee.path}", t)

    def _heaviside(self, z: T.Expr, at_zero: T.Expr, t: Any) -> T.Expr:
        """``np.heaviside(z, h0)``: 1 where z > 0, ``h0`` where z = 0, else 0."""
        if not isinstance(at_zero, T.Constant):
            raise self.b.error("np.heaviside's second argument must be a number, such as 0 or 1", t)
        zero = T.Constant(0)
        if at_zero.value == 0:
            return self.b.make(T.Indicator, t, z, ">", zero)
        if at_zero.value == 1:
            return self.b.make(T.Indicator, t, z, ">=", zero)
        above = self.b.make(T.Indicator, t, z, ">", zero)
        at = self.b.make(T.Indicator, t, z, "==", zero)
        return self.b.make(T.Add, t, above, self.b.scale_or(T.ElementwiseProduct, at_zero, at, t))

    def count(self, args: list[T.Expr], n: int, name: str, t: Any) -> None:
        if len(args) != n:
            raise self.b.error(f"{name} takes {n} argument(s), got {len(args)}", t)

    def axis(self, axis: T.Expr | None, t: Any) -> int | None:
        if axis is None:
            return None
        negative = isinstance(axis, T.Neg)
        inner = axis.operand if negative else axis
        if isinstance(inner, T.Constant) and inner.value.denominator == 1:
            return -int(inner.value) if negative else int(inner.value)
        raise self.b.error("axis= must be an integer", t)

    def arguments(self, t: Any) -> tuple[list[T.Expr], dict[str, T.Expr]]:
        args: list[T.Expr] = []
        keywords: dict[str, T.Expr] = {}
        for item in t.children if t is not None else ():
            if isinstance(item, Token):
                continue
            if isinstance(item, Tree) and item.data == "keyword":
                keywords[str(item.children[0])] = self.value(item.children[2])
            elif keywords:
                raise self.b.error("a positional argument follows a keyword argument", item)
            else:
                args.append(self.value(item))
        return args, keywords

    def _getitem(self, t: Any) -> T.Expr:
        base = self.value(t.children[0])
        indices: list[T.Expr] = []
        for item in t.children[2].children:
            if isinstance(item, Token):
                continue
            if isinstance(item, Tree) and item.data == "whole_axis":
                indices.append(T.Slice())
                continue
            value = self.value(item)
            if not (isinstance(value, T.Constant) and value.value.denominator == 1):
                raise self.b.error("an index must be a whole number (from 0) or ':'", item)
            indices.append(T.Constant(value.value + 1))
        return self.b.make(T.Index, t, base, tuple(indices))

    def _compare(self, t: Any) -> T.Expr:
        left, rel, right = t.children
        relation = str(rel)
        return self.b.make(T.Indicator, t, self.value(left), relation, self.value(right))

    def _add(self, t: Any) -> T.Expr:
        return self.b.make(T.Add, t, self.value(t.children[0]), self.value(t.children[2]))

    def _sub(self, t: Any) -> T.Expr:
        return self.b.make(T.Sub, t, self.value(t.children[0]), self.value(t.children[2]))

    def _mul(self, t: Any) -> T.Expr:
        a, b = self.value(t.children[0]), self.value(t.children[2])
        return self.b.scale_or(T.ElementwiseProduct, a, b, t)

    def _div(self, t: Any) -> T.Expr:
        return self.b.make(T.Div, t, self.value(t.children[0]), self.value(t.children[2]))

    def _matmul(self, t: Any) -> T.Expr:
        return self.b.make(T.MatMul, t, self.value(t.children[0]), self.value(t.children[2]))

    def _neg(self, t: Any) -> T.Expr:
        return self.b.make(T.Neg, t, self.value(t.children[1]))

    def _pow(self, t: Any) -> T.Expr:
        base, exponent = self.value(t.children[0]), self.value(t.children[2])
        self.b.check_exponent(exponent, t)
        return self.b.make(T.Power, t, base, exponent)
