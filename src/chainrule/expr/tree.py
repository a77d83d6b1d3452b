"""The expression tree: one immutable node class per kind of formula.

Every node is a frozen dataclass, so two trees compare equal (``==``) and hash alike exactly
when they have the same structure. Each node computes its ``shape`` when it is built and
raises :class:`~chainrule.errors.ExpressionError` when its operands do not fit; the parsers
add the position and the sub-formula to that message.

Shapes are tuples of ints and dimension names (see :mod:`chainrule.expr.shapes`). Indices
(:class:`Index`, :class:`IndexSum`) count from 1, as formulas do.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, fields
from fractions import Fraction
from typing import Any

from chainrule.errors import ExpressionError
from chainrule.expr.functions import FUNCTIONS
from chainrule.expr.relations import RELATIONS as _RELATION_TABLE
from chainrule.expr.shapes import Dim, Shape, broadcast, format_shape, same_dim

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
]

#: The deepest tree a node may head. Every tree walk (==, hash, repr, printing, evaluation,
#: scalar graphs) recurses once per level or a few times; this keeps them all well inside
#: Python's recursion limit, so they all agree on what a formula may be.
MAX_TREE_DEPTH = 100

#: The relations an :class:`Indicator` may test (see :mod:`chainrule.expr.relations`).
RELATIONS = tuple(_RELATION_TABLE)

#: Every node class, in the order defined; a subclass of Expr made anywhere is added, so
#: the interpreters' completeness test (:meth:`chainrule.expr.visit.Rules.missing`) sees it.
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


class Expr:
    """Base class of every node.

    Attributes
    ----------
    shape : tuple of int or str
        The shape of the value the node stands for, ``()`` for a scalar.
    """

    shape: Shape

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        NODE_CLASSES.append(cls)

    #: Levels of nodes from this one down to its deepest leaf (1 for a leaf).
    depth = 1

    def _set_shape(self, shape: Shape) -> None:
        object.__setattr__(self, "shape", shape)
        depth = 1 + max((child.depth for child in self.children()), default=0)
        if depth > MAX_TREE_DEPTH:
            _fail(
                f"the formula nests deeper than {MAX_TREE_DEPTH} levels (a long run of "
                "letters is a product of that many factors; separate names with spaces or "
                "\\cdot, or use fewer)"
            )
        object.__setattr__(self, "depth", depth)

    def children(self) -> tuple[Expr, ...]:
        """The direct sub-expressions, in the order they are written."""
        found: list[Expr] = []
        for f in fields(self):  # type: ignore[arg-type]
            value = getattr(self, f.name)
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


def _fail(message: str) -> None:
    raise ExpressionError(message)


def _require_scalar(node: Expr, role: str) -> None:
    if node.shape != ():
        _fail(f"{role} must be a scalar, got shape {format_shape(node.shape)}")


def _broadcast(kind: str, left: Expr, right: Expr) -> Shape:
    shape = broadcast([left.shape, right.shape])
    if shape is None:
        _fail(
            f"{kind} needs shapes that agree (or broadcast): left has shape "
            f"{format_shape(left.shape)}, right has shape {format_shape(right.shape)}"
        )
    return shape  # type: ignore[return-value]


# ---------------------------------------------------------------- leaves


@dataclass(frozen=True)
class Symbol(Expr):
    """A named quantity from the symbol table, such as ``W^{(3)}`` or ``\\delta``.

    ``name`` is the key of the symbol table as the caller wrote it; ``shape`` its shape.
    A partial derivative written as a fraction (``\\frac{\\partial L}{\\partial f}``) is
    also a Symbol, named by that fraction.
    """

    name: str
    shape: Shape


@dataclass(frozen=True)
class Size(Expr):
    """A dimension name used as a number, such as ``n`` in ``\\frac{1}{n}``; a scalar."""

    name: str

    def __post_init__(self) -> None:
        self._set_shape(())


@dataclass(frozen=True)
class IndexVar(Expr):
    """An index variable such as ``i`` in ``x_i``, bound by :class:`IndexSum` or by the values."""

    name: str

    def __post_init__(self) -> None:
        self._set_shape(())


@dataclass(frozen=True)
class Constant(Expr):
    """A non-negative rational number; ``-2`` is ``Neg(Constant(2))``."""

    value: Fraction

    def __post_init__(self) -> None:
        value = self.value
        if isinstance(value, bool) or not isinstance(value, int | Fraction):
            _fail(f"a constant must be an int or Fraction, got {value!r}")
        if value < 0:
            _fail(f"a constant must not be negative (write Neg), got {value}")
        object.__setattr__(self, "value", Fraction(value))
        self._set_shape(())


@dataclass(frozen=True)
class IdentityMatrix(Expr):
    """The identity matrix ``I`` of shape ``(size, size)`` (not the layer ``cr.Identity``)."""

    size: Dim

    def __post_init__(self) -> None:
        self._set_shape((self.size, self.size))


@dataclass(frozen=True)
class Ones(Expr):
    """An array of ones (``\\mathbf{1}``) of shape ``dims``."""

    dims: Shape

    def __post_init__(self) -> None:
        if not self.dims:
            _fail("an array of ones needs at least one axis (the scalar one is Constant(1))")
        self._set_shape(tuple(self.dims))


@dataclass(frozen=True)
class Slice(Expr):
    """A whole axis inside :class:`Index` (written ``:``, ``\\cdot`` or left empty)."""

    def __post_init__(self) -> None:
        self._set_shape(())


# ---------------------------------------------------------------- arithmetic


@dataclass(frozen=True)
class Add(Expr):
    """``left + right``, element-wise with NumPy broadcasting."""

    left: Expr
    right: Expr

    def __post_init__(self) -> None:
        self._set_shape(_broadcast("a sum", self.left, self.right))


@dataclass(frozen=True)
class Sub(Expr):
    """``left - right``, element-wise with NumPy broadcasting."""

    left: Expr
    right: Expr

    def __post_init__(self) -> None:
        self._set_shape(_broadcast("a difference", self.left, self.right))


@dataclass(frozen=True)
class Neg(Expr):
    """``-operand``."""

    operand: Expr

    def __post_init__(self) -> None:
        self._set_shape(self.operand.shape)


@dataclass(frozen=True)
class Scale(Expr):
    """A scalar times anything: ``factor * operand``, where ``factor.shape == ()``.

    A product of two scalars is a Scale too (``(x + y) z``); the written order is kept
    when the left side is the scalar, otherwise the scalar becomes the factor.
    """

    factor: Expr
    operand: Expr

    def __post_init__(self) -> None:
        _require_scalar(self.factor, "the factor of a scaling")
        self._set_shape(self.operand.shape)


@dataclass(frozen=True)
class MatMul(Expr):
    """The matrix product ``left @ right``: ``(a, b) @ (b, c) -> (a, c)``.

    A 1-D operand acts as NumPy treats it: ``(b,) @ (b, c) -> (c,)``,
    ``(a, b) @ (b,) -> (a,)`` and ``(b,) @ (b,) -> ()``.
    """

    left: Expr
    right: Expr

    def __post_init__(self) -> None:
        a, b = self.left.shape, self.right.shape
        if len(a) not in (1, 2) or len(b) not in (1, 2):
            _fail(
                "a matrix product needs vectors or matrices: left has shape "
                f"{format_shape(a)}, right has shape {format_shape(b)}"
            )
        inner_left = a[-1]
        inner_right = b[0] if len(b) == 1 else b[-2]
        if not same_dim(inner_left, inner_right):
            hint = ""
            if len(a) == 2 and len(b) == 2:
                if same_dim(a[0], b[0]):
                    hint = "; the left factor looks transposed"
                elif same_dim(a[1], b[1]):
                    hint = "; the right factor looks transposed"
                elif same_dim(a[0], b[1]):
                    hint = "; the factors look swapped"
            needed = (inner_left, *b[1:]) if len(b) == 2 else (inner_left,)
            _fail(
                f"a matrix product needs the inner sizes to agree: left has shape "
                f"{format_shape(a)}, right has shape {format_shape(b)} where "
                f"{format_shape(needed)} is needed{hint}"
            )
        self._set_shape(a[:-1] + b[1:])


@dataclass(frozen=True)
class ElementwiseProduct(Expr):
    """The element-wise (Hadamard) product ``left ⊙ right``, with broadcasting."""

    left: Expr
    right: Expr

    def __post_init__(self) -> None:
        self._set_shape(_broadcast("an element-wise product", self.left, self.right))


@dataclass(frozen=True)
class Div(Expr):
    """``numerator / denominator``: division by a scalar, or element-wise with broadcasting."""

    numerator: Expr
    denominator: Expr

    def __post_init__(self) -> None:
        self._set_shape(_broadcast("a division", self.numerator, self.denominator))


@dataclass(frozen=True)
class Power(Expr):
    """``base ** exponent``, element-wise; the exponent is a scalar."""

    base: Expr
    exponent: Expr

    def __post_init__(self) -> None:
        _require_scalar(self.exponent, "an exponent")
        self._set_shape(self.base.shape)


@dataclass(frozen=True)
class Transpose(Expr):
    """``operand^T``: reverses the axes of a matrix; a vector or scalar keeps its shape."""

    operand: Expr

    def __post_init__(self) -> None:
        if len(self.operand.shape) > 2:
            _fail(f"a transpose needs at most 2 axes, got {format_shape(self.operand.shape)}")
        self._set_shape(tuple(reversed(self.operand.shape)))


# ---------------------------------------------------------------- functions and tests


@dataclass(frozen=True)
class Apply(Expr):
    """An element-wise function or its derivative: ``function^{(order)}(args)``.

    ``function`` is a name from :data:`chainrule.expr.functions.FUNCTIONS` (``relu``,
    ``sigmoid``, ``tanh``, ``exp``, ``log``, ``sqrt``, ``softmax``, ``identity``,
    ``max``, ``min``) or an abstract name the caller declared, such as ``g^{[l]}``;
    ``order`` is 0 for the function, 1 for ``\\sigma'``, 2 for ``\\sigma''``.
    """

    function: str
    args: tuple[Expr, ...]
    order: int = 0

    def __post_init__(self) -> None:
        object.__setattr__(self, "args", tuple(self.args))
        spec = FUNCTIONS.get(self.function)
        arity = spec.arity if spec else 1
        if len(self.args) != arity:
            _fail(f"{self.function} takes {arity} argument(s), got {len(self.args)}")
        if not 0 <= self.order <= (spec.max_order if spec else 2):
            _fail(f"{self.function} has no derivative of order {self.order}")
        if arity == 1:
            self._set_shape(self.args[0].shape)
        else:
            self._set_shape(_broadcast(self.function, self.args[0], self.args[1]))


@dataclass(frozen=True)
class Indicator(Expr):
    """``[left relation right]``: 1 where the comparison holds, else 0, element-wise."""

    left: Expr
    relation: str
    right: Expr

    def __post_init__(self) -> None:
        if self.relation not in RELATIONS:
            _fail(f"unknown relation {self.relation!r}; expected one of {RELATIONS}")
        self._set_shape(_broadcast("a comparison", self.left, self.right))


# ---------------------------------------------------------------- reductions and indexing


@dataclass(frozen=True)
class Sum(Expr):
    """The sum of all entries (``axis=None``) or along one axis (0-based, as in NumPy)."""

    operand: Expr
    axis: int | None = None

    def __post_init__(self) -> None:
        shape = self.operand.shape
        if self.axis is None:
            self._set_shape(())
            return
        if isinstance(self.axis, bool) or not -len(shape) <= self.axis < len(shape):
            _fail(f"a sum over axis {self.axis} needs more axes than {format_shape(shape)}")
        axis = self.axis % len(shape)
        self._set_shape(shape[:axis] + shape[axis + 1 :])


@dataclass(frozen=True)
class Norm(Expr):
    """The Euclidean (Frobenius) norm ``\\|operand\\|``; a scalar."""

    operand: Expr

    def __post_init__(self) -> None:
        self._set_shape(())


@dataclass(frozen=True)
class Index(Expr):
    """Element access ``operand_{i,j}``, indices counted from 1.

    Each index is a scalar expression or :class:`Slice` for a whole axis; fewer indices
    than axes select along the leading axes (``x_i`` is row ``i`` of a matrix ``x``), so
    trailing whole axes are dropped: ``x_{i,:}`` is the same node as ``x_i``.
    """

    operand: Expr
    indices: tuple[Expr, ...]

    def __post_init__(self) -> None:
        indices = tuple(self.indices)
        while len(indices) > 1 and isinstance(indices[-1], Slice):
            indices = indices[:-1]
        object.__setattr__(self, "indices", indices)
        shape = self.operand.shape
        if not self.indices or len(self.indices) > len(shape):
            _fail(
                f"{len(self.indices)} index(es) do not fit a value of shape {format_shape(shape)}"
            )
        kept: list[Dim] = []
        for index, size in zip(self.indices, shape[: len(self.indices)], strict=True):
            if isinstance(index, Slice):
                kept.append(size)
            else:
                _require_scalar(index, "an index")
                if isinstance(index, Constant) and (
                    index.value.denominator != 1
                    or index.value < 1
                    or (isinstance(size, int) and index.value > size)
                ):
                    _fail(f"index {index.value} is outside 1..{size}")
        self._set_shape((*kept, *shape[len(self.indices) :]))


@dataclass(frozen=True)
class MatrixLiteral(Expr):
    """A matrix written out entry by entry (``bmatrix``/``pmatrix``): shape ``(rows, cols)``."""

    rows: tuple[tuple[Expr, ...], ...]

    def __post_init__(self) -> None:
        rows = tuple(tuple(r) for r in self.rows)
        object.__setattr__(self, "rows", rows)
        if not rows or not rows[0]:
            _fail("a matrix needs at least one entry")
        width = len(rows[0])
        for number, row in enumerate(rows, start=1):
            if len(row) != width:
                _fail(f"matrix row {number} has {len(row)} entries, row 1 has {width}")
            for entry in row:
                _require_scalar(entry, f"an entry of matrix row {number}")
        self._set_shape((len(rows), width))


@dataclass(frozen=True)
class IndexSum(Expr):
    """``\\sum_{index=lower}^{upper} body``: the body summed as ``index`` runs over a range."""

    index: str
    lower: Expr
    upper: Expr
    body: Expr

    def __post_init__(self) -> None:
        _require_scalar(self.lower, "the lower limit of a sum")
        _require_scalar(self.upper, "the upper limit of a sum")
        self._set_shape(self.body.shape)


@dataclass(frozen=True)
class Equation(Expr):
    """``sides[0] = sides[1] = ...``: every side must have the same shape.

    A 1 x 1 matrix may equal a scalar, as notes write ``J = \\frac{1}{2} (t - y)^2``
    with ``y`` of shape (1, 1).

    Evaluating an equation gives ``True`` when all sides agree (exactly for rationals,
    to a relative 1e-9 for floats).
    """

    sides: tuple[Expr, ...]

    def __post_init__(self) -> None:
        sides = tuple(self.sides)
        object.__setattr__(self, "sides", sides)
        if len(sides) < 2:
            _fail("an equation needs at least two sides")
        first = sides[0].shape
        for number, side in enumerate(sides[1:], start=2):
            if not _same_shape(side.shape, first):
                _fail(
                    f"the sides of an equation must have the same shape: side 1 has shape "
                    f"{format_shape(first)}, side {number} has shape {format_shape(side.shape)}"
                )
        self._set_shape(first)


def _same_shape(a: Shape, b: Shape) -> bool:
    if len(a) == len(b) and all(map(same_dim, a, b)):
        return True
    return all(d == 1 for d in (*a, *b))
