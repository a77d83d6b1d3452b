"""What both tree builders share: positions, node construction with located errors,
products decided by shapes, and the sizes of ``I`` and ``\\mathbf{1}`` taken from context.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from fractions import Fraction
from typing import Any

from chainrule.errors import ExpressionError
from chainrule.expr import tree as T
from chainrule.expr.grammar import (
    MAX_EXPONENT,
    MAX_NODES,
    MAX_NUMBER_DIGITS,
    error_at,
    parse_tree,
)
from chainrule.expr.literals import latex_digits
from chainrule.expr.shapes import format_shape, same_dim
from chainrule.expr.symbols import SymbolTable

__all__ = ["Builder", "Pending", "Unsized"]


class Pending:
    """A piece that is not a value yet (a function waiting for its argument, ...)."""


@dataclass
class Unsized(Pending):
    """``I`` or ``\\mathbf{1}`` whose size comes from what it is added to or multiplied by."""

    kind: str  # "identity" or "ones"
    dims: tuple[Any, ...] | None


class Builder:
    """State of one parse: the whole text, the symbol table and the bound indices."""

    def __init__(self, text: str, table: SymbolTable) -> None:
        self.text = text
        self.table = table
        self.offset = 0
        self.nodes = 0
        self.bound_indices: list[str] = []
        self.in_index = 0

    # ------------------------------------------------------------ positions and errors

    def start(self, t: Any) -> int:
        pos = getattr(t, "start_pos", None)
        if pos is None:
            pos = getattr(getattr(t, "meta", None), "start_pos", None)
        return self.offset + (pos or 0)

    def end(self, t: Any) -> int:
        pos = getattr(t, "end_pos", None)
        if pos is None:
            pos = getattr(getattr(t, "meta", None), "end_pos", None)
        return self.offset + (pos or 0)

    def slice(self, t: Any) -> str:
        return self.text[self.start(t) : self.end(t)]

    def error(self, message: str, t: Any) -> ExpressionError:
        return error_at(message, self.text, self.start(t))

    @contextmanager
    def _shift(self, offset: int) -> Iterator[None]:
        saved = self.offset
        self.offset = offset
        try:
            yield
        finally:
            self.offset = saved

    def shifted(self, offset: int, build: Callable[[], Any]) -> Any:
        """Run ``build`` on a tree parsed from the piece of text starting at ``offset``."""
        with self._shift(offset):
            return build()

    def sub_parse(self, piece: str, offset: int, start: str, latex: Any) -> T.Expr:
        """Parse a piece of the formula (a script, a limit) as a value."""
        tree = parse_tree(piece, "latex", start, self.text, offset)
        value = self.shifted(offset, lambda: latex.value(tree))
        if isinstance(value, T.Equation):
            raise error_at("an equation cannot stand here", self.text, offset)
        return value

    # ------------------------------------------------------------ indices

    @contextmanager
    def bound(self, index: str) -> Iterator[None]:
        self.bound_indices.append(index)
        try:
            yield
        finally:
            self.bound_indices.pop()

    @contextmanager
    def index_context(self) -> Iterator[None]:
        self.in_index += 1
        try:
            yield
        finally:
            self.in_index -= 1

    def is_index(self, name: str) -> bool:
        return name.isalpha() and (self.in_index > 0 or name in self.bound_indices)

    # ------------------------------------------------------------ nodes

    def make(self, cls: Callable[..., T.Expr], t: Any, *args: Any) -> T.Expr:
        """Build a node; a shape error names the sub-formula and points at it."""
        self.nodes += 1
        if self.nodes > MAX_NODES:
            raise self.error(f"the formula has more than {MAX_NODES} parts", t)
        try:
            node = cls(*args)
        except ExpressionError as exc:
            raise self.error(f"{exc.message} in `{self.slice(t).strip()}`", t) from None
        # Where the node was written, for errors found later (evaluation); not compared.
        object.__setattr__(node, "_source", (self.text, self.start(t), self.end(t)))
        return node

    def value(self, x: Any, t: Any) -> T.Expr:
        if isinstance(x, T.Expr):
            return x
        if isinstance(x, Unsized):
            name = "I" if x.kind == "identity" else "the ones vector"
            raise self.error(
                f"cannot tell the size of {name} here; add it to the symbol table or "
                "write its size, as I_{3} or \\mathbf{1}_{n \\times 1}",
                t,
            )
        what = "a list of arguments" if hasattr(x, "items") else "a function name"
        raise self.error(f"{what} cannot stand alone here: `{self.slice(t).strip()}`", t)

    def number(self, text: str, t: Any) -> T.Expr:
        digits = sum(c.isdigit() for c in text)
        if digits > MAX_NUMBER_DIGITS:
            raise self.error(
                f"the number has {digits} digits; at most {MAX_NUMBER_DIGITS} are allowed", t
            )
        _, _, exponent = text.lower().partition("e")
        if exponent and abs(int(exponent)) > MAX_EXPONENT:
            raise self.error(f"the exponent {exponent} is beyond ±{MAX_EXPONENT}", t)
        value = Fraction(text)
        written = latex_digits(value)
        if written > MAX_NUMBER_DIGITS:  # to_latex writes it out in full
            raise self.error(
                f"the number {text} has {written} digits written out; at most "
                f"{MAX_NUMBER_DIGITS} are allowed",
                t,
            )
        return self.make(T.Constant, t, value)

    def symbol(self, found: tuple[str, Any]) -> T.Symbol:
        """The Symbol of a table entry, remembering the table (for :func:`to_latex`)."""
        node = T.Symbol(found[0], found[1])
        object.__setattr__(node, "_table", self.table)
        return node

    def check_exponent(self, exponent: T.Expr, t: Any) -> None:
        inner = exponent.operand if isinstance(exponent, T.Neg) else exponent
        if isinstance(inner, T.Constant) and abs(inner.value) > MAX_EXPONENT:
            raise self.error(f"the exponent {inner.value} is beyond ±{MAX_EXPONENT}", t)

    def product(self, left: Any, right: Any, t: Any) -> T.Expr:
        """Juxtaposition or ``\\cdot``: scaling when one side is a scalar, else ``@``."""
        if _is_identity(left) and isinstance(right, T.Expr) and right.shape:
            return self.make(T.MatMul, t, T.IdentityMatrix(right.shape[0]), right)
        if _is_identity(right) and isinstance(left, T.Expr) and left.shape:
            return self.make(T.MatMul, t, left, T.IdentityMatrix(left.shape[-1]))
        return self.scale_or(T.MatMul, self.value(left, t), self.value(right, t), t)

    def scale_or(self, cls: Callable[..., T.Expr], a: T.Expr, b: T.Expr, t: Any) -> T.Expr:
        """A scaling when one side is a scalar (the left one first), else ``cls(a, b)``."""
        if a.shape == ():
            return self.make(T.Scale, t, a, b)
        if b.shape == ():
            return self.make(T.Scale, t, b, a)
        return self.make(cls, t, a, b)

    def combine(self, cls: Callable[..., T.Expr], left: Any, right: Any, t: Any) -> T.Expr:
        """An element-wise operation; ``I`` or ``\\mathbf{1}`` takes the other side's size."""
        if isinstance(left, Unsized) and isinstance(right, T.Expr):
            left = self.fit(left, right, t)
        elif isinstance(right, Unsized) and isinstance(left, T.Expr):
            right = self.fit(right, left, t)
        return self.make(cls, t, self.value(left, t), self.value(right, t))

    def fit(self, unsized: Unsized, other: T.Expr, t: Any) -> T.Expr:
        shape = other.shape
        if unsized.kind == "ones":
            return T.Ones(shape) if shape else T.Constant(1)  # ones the size of a scalar: 1
        if len(shape) == 2 and same_dim(shape[0], shape[1]):
            return T.IdentityMatrix(shape[0])
        raise self.error(
            f"the identity I is square, but it meets a value of shape {format_shape(shape)} "
            f"in `{self.slice(t).strip()}`; did you mean the ones matrix \\mathbf{{1}}?",
            t,
        )

    def sized(self, base: str, text: str, pos: int, latex: Any, t: Any) -> T.Expr:
        """``I_{3}`` or ``\\mathbf{1}_{n \\times 1}``: sizes written in the subscript."""
        tree = parse_tree(text, "latex", "dims", self.text, pos)
        dims: list[Any] = []
        for item in tree.children:
            if getattr(item, "type", None) == "TIMES":
                continue
            value = self.shifted(pos, lambda i=item: latex.value(i))
            if isinstance(value, T.Size):
                dims.append(value.name)
            elif isinstance(value, T.Constant) and value.value.denominator == 1 and value.value > 0:
                dims.append(int(value.value))
            else:
                raise error_at(f"expected a size such as 3 or n in {text!r}", self.text, pos)
        if base == "I":
            if len(dims) != 1:
                raise error_at("the identity takes one size: I_{n}", self.text, pos)
            return T.IdentityMatrix(dims[0])
        return T.Ones(tuple(dims))


def _is_identity(x: Any) -> bool:
    return isinstance(x, Unsized) and x.kind == "identity"
