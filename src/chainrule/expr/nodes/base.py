"""What every node of the expression tree shares.

The base class :class:`Expr` (shape, depth, children, the operations the evaluator and the
printers install), the registry :data:`NODE_CLASSES` that the interpreters' completeness
test reads, the depth limit, and the shape checks the node kinds raise
:class:`~chainrule.errors.ExpressionError` with. Two shared bases carry the shape rules
that several kinds have in common: :class:`ScalarNode` (shape ``()``) and
:class:`BroadcastNode` (two operands combined entry by entry).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, fields
from typing import Any, ClassVar

from chainrule.errors import ExpressionError
from chainrule.expr.shapes import Shape, broadcast, format_shape

__all__ = [
    "MAX_TREE_DEPTH",
    "NODE_CLASSES",
    "BroadcastNode",
    "Expr",
    "ScalarNode",
    "broadcast_shape",
    "fail",
    "operation",
    "provide",
    "require_scalar",
]

#: The deepest tree a node may head. Every tree walk (==, hash, repr, printing, evaluation,
#: scalar graphs) recurses once per level or a few times; this keeps them all well inside
#: Python's recursion limit, so they all agree on what a formula may be.
MAX_TREE_DEPTH = 100

#: Every node class, in the order defined; a subclass of Expr made anywhere is added, so
#: the interpreters' completeness test (:meth:`chainrule.expr.visit.Rules.missing`) sees it.
#: A shared base declared with ``abstract=True`` is not a node kind and is left out.
NODE_CLASSES: list[type[Expr]] = []

# The evaluator and the printers install themselves here when they are imported (the
# package imports both), so that this module does not import them back.
_OPERATIONS: dict[str, Callable[..., Any]] = {}


def provide(name: str, function: Callable[..., Any]) -> None:
    """Install the function behind ``Expr.evaluate``, ``Expr.to_latex`` or ``str(expr)``."""
    _OPERATIONS[name] = function


def operation(name: str) -> Callable[..., Any]:
    """The function installed as ``name`` (``"evaluate"``, ``"to_latex"``, ``"to_text"``)."""
    return _OPERATIONS[name]


_FIELD_NAMES: dict[type, tuple[str, ...]] = {}  # each node class's field names


class Expr:
    """Base class of every node.

    Attributes
    ----------
    shape : tuple of int or str
        The shape of the value the node stands for, ``()`` for a scalar.
    """

    shape: Shape

    def __init_subclass__(cls, abstract: bool = False, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        if not abstract:
            NODE_CLASSES.append(cls)

    #: Levels of nodes from this one down to its deepest leaf (1 for a leaf).
    depth = 1

    def _set_shape(self, shape: Shape) -> None:
        object.__setattr__(self, "shape", shape)
        depth = 1 + max((child.depth for child in self.children()), default=0)
        if depth > MAX_TREE_DEPTH:
            fail(
                f"the formula nests deeper than {MAX_TREE_DEPTH} levels (a long run of "
                "letters is a product of that many factors; separate names with spaces or "
                "\\cdot, or use fewer)"
            )
        object.__setattr__(self, "depth", depth)

    def children(self) -> tuple[Expr, ...]:
        """The direct sub-expressions, in the order they are written."""
        names = _FIELD_NAMES.get(type(self))
        if names is None:  # dataclasses.fields on every call was a tenth of grading
            names = _FIELD_NAMES[type(self)] = tuple(f.name for f in fields(self))  # type: ignore[arg-type]
        found: list[Expr] = []
        for name in names:
            value = getattr(self, name)
            if isinstance(value, Expr):
                found.append(value)
            elif isinstance(value, tuple):
                for item in value:
                    if isinstance(item, Expr):
                        found.append(item)
                    elif isinstance(item, tuple):
                        found.extend(x for x in item if isinstance(x, Expr))
        return tuple(found)

    def walk(self) -> Iterator[Expr]:
        """Every node of the tree, parents before children (iterative, any depth)."""
        stack: list[Expr] = [self]
        while stack:
            node = stack.pop()
            yield node
            stack.extend(reversed(node.children()))

    def evaluate(self, values: Mapping[str, Any]) -> Any:
        """The value of the formula as a ``numpy.ndarray``; see :func:`chainrule.expr.evaluate`."""
        return operation("evaluate")(self, values)

    def to_latex(self) -> str:
        """LaTeX that :func:`chainrule.expr.parse` reads back to an equal tree."""
        return operation("to_latex")(self)

    def __str__(self) -> str:
        return operation("to_text")(self)


def fail(message: str) -> None:
    """Raise the :class:`~chainrule.errors.ExpressionError` of a node that cannot be built."""
    raise ExpressionError(message)


def require_scalar(node: Expr, role: str) -> None:
    """Refuse ``node`` unless its shape is ``()``; ``role`` names it in the message."""
    if node.shape != ():
        fail(f"{role} must be a scalar, got shape {format_shape(node.shape)}")


def broadcast_shape(kind: str, left: Expr, right: Expr) -> Shape:
    """The shape of ``left`` and ``right`` combined entry by entry (NumPy broadcasting);
    ``kind`` names the operation in the message when they do not fit."""
    shape = broadcast([left.shape, right.shape])
    if shape is None:
        fail(
            f"{kind} needs shapes that agree (or broadcast): left has shape "
            f"{format_shape(left.shape)}, right has shape {format_shape(right.shape)}"
        )
    return shape  # type: ignore[return-value]


class ScalarNode(Expr, abstract=True):
    """A node that stands for a scalar whatever it holds: shape ``()``."""

    def __post_init__(self) -> None:
        self._set_shape(())


@dataclass(frozen=True)
class BroadcastNode(Expr, abstract=True):
    """``left`` and ``right`` combined entry by entry, with NumPy broadcasting.

    The shape is ``broadcast(left.shape, right.shape)``; a kind states only what it is,
    ``kind``, the words an error names it by (``"a sum"``).
    """

    left: Expr
    right: Expr
    kind: ClassVar[str] = "an element-wise operation"

    def __init_subclass__(cls, kind: str = "", **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        cls.kind = kind or cls.kind

    def __post_init__(self) -> None:
        self._set_shape(broadcast_shape(self.kind, self.left, self.right))
