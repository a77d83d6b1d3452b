"""Shapes of formulas: tuples of sizes that may be symbolic.

A shape is a tuple whose entries are positive ints or dimension names such as ``"n"``:
``("n", 3)`` is a batch of rows of length 3 and ``()`` is a scalar. Two sizes agree when
they are the same int or the same name; a name never agrees with an int other than itself,
because a formula must hold for every size the name can take.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

from chainrule.errors import ExpressionError

__all__ = ["Dim", "Shape", "broadcast", "check_shape", "format_shape", "same_dim"]

Dim = int | str
Shape = tuple[Dim, ...]

_DIM_NAME = re.compile(r"[A-Za-z][A-Za-z0-9_]{0,31}\Z")
MAX_NDIM = 4
MAX_SIZE = 1_000_000


def check_shape(shape: object, owner: str) -> Shape:
    """Validate a shape given by a caller and return it as a tuple.

    Parameters
    ----------
    shape : tuple of int or str
        Sizes; ints must be in ``1..1_000_000``, names are identifiers such as ``"n"``.
    owner : str
        The name the shape belongs to, used in the error message.
    """
    if not isinstance(shape, tuple | list):
        raise ExpressionError(
            f"the shape of {owner!r} must be a tuple such as ('n', 3) or () for a scalar, "
            f"got {shape!r}"
        )
    if len(shape) > MAX_NDIM:
        raise ExpressionError(
            f"the shape of {owner!r} has {len(shape)} axes; at most {MAX_NDIM} are supported"
        )
    dims: list[Dim] = []
    for dim in shape:
        if isinstance(dim, bool):
            ok = False
        elif isinstance(dim, int):
            ok = 1 <= dim <= MAX_SIZE
        else:
            ok = isinstance(dim, str) and bool(_DIM_NAME.match(dim))
        if not ok:
            raise ExpressionError(
                f"the shape of {owner!r} has the size {dim!r}; expected a positive int "
                f"(at most {MAX_SIZE}) or a dimension name such as 'n'"
            )
        dims.append(dim)
    return tuple(dims)


def same_dim(a: Dim, b: Dim) -> bool:
    """Whether two sizes are known to be equal."""
    return type(a) is type(b) and a == b


def format_shape(shape: Shape) -> str:
    """Write a shape as Python does, with names unquoted: ``(n, 3)``, ``(3,)``, ``()``."""
    if len(shape) == 1:
        return f"({shape[0]},)"
    return "(" + ", ".join(str(d) for d in shape) + ")"


def broadcast(shapes: Iterable[Shape]) -> Shape | None:
    """The NumPy broadcast of several shapes, or None when they do not broadcast.

    Sizes are aligned from the right; a size 1 stretches to the other size, a missing
    axis counts as size 1, and otherwise the sizes must agree (see :func:`same_dim`).
    """
    result: list[Dim] = []
    for shape in shapes:
        merged: list[Dim] = []
        longer = max(len(shape), len(result))
        left = [1] * (longer - len(result)) + result
        right = [1] * (longer - len(shape)) + list(shape)
        for a, b in zip(left, right, strict=True):
            if same_dim(a, b) or b == 1:
                merged.append(a)
            elif a == 1:
                merged.append(b)
            else:
                return None
        result = merged
    return tuple(result)
