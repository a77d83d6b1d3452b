"""The ``wrong_layer`` hypothesis: an answer that is right once one of its names is
replaced by the same quantity of another layer (``h^2`` where ``h^1`` belongs).

Students often take the activations entering the wrong layer, or the weights of the layer
before. The answer itself is repaired, not the reference: each name of the answer that
has siblings (the same letter and script with another layer number, such as ``h^{1}``,
``h^{2}``) is replaced by each sibling in turn, and the repaired answer is compared with
the reference. This works whether the mix-up changed the answer's shape or not. The work
is bounded: at most :data:`MAX_TRIES` repaired answers are evaluated.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

import numpy as np

from chainrule.check.trees import rebuild
from chainrule.check.verdict import Verdict
from chainrule.errors import ExpressionError
from chainrule.expr import tree as T

__all__ = ["MAX_TRIES", "siblings", "swapped_in_text", "swapped_layer"]

#: Repaired answers evaluated at most for one answer.
MAX_TRIES = 48

# W^{3}, h_{2}, W_{(1)}, a^{[2]}, z^2: a stem, then a layer number as the last script
_LAYERED = re.compile(r"(?P<stem>.*?[_^]\{?[(\[]?)(?P<layer>\d+)(?P<close>[)\]]?\}?)")


def siblings(symbols: dict[str, Any]) -> dict[str, list[str]]:
    """Each layered name -> the names of the same quantity at the other layers."""
    groups: dict[tuple[str, str], list[tuple[int, str]]] = {}
    for name in symbols:
        m = _LAYERED.fullmatch(name)
        if m:
            key = (m.group("stem"), m.group("close"))
            groups.setdefault(key, []).append((int(m.group("layer")), name))
    out: dict[str, list[str]] = {}
    for members in groups.values():
        if len(members) < 2:
            continue
        for layer, name in members:
            # the nearest layers first: an off-by-one is the usual slip
            others = sorted((m for m in members if m[1] != name), key=lambda m: abs(m[0] - layer))
            out[name] = [other for _, other in others]
    return out


def swapped_layer(
    tree: T.Expr,
    symbols: dict[str, Any],
    evaluate: Callable[[T.Expr], list[np.ndarray]],
    is_right: Callable[[list[np.ndarray]], bool],
    near: dict[str, list[str]] | None = None,
) -> Verdict | None:
    """The ``wrong_layer`` verdict when replacing one name of ``tree`` by a sibling makes
    ``is_right`` true of its values (``evaluate`` gives them), else None. ``near`` is
    :func:`siblings` of ``symbols``, given by a caller that grades many answers."""
    near = siblings(symbols) if near is None else near
    used = sorted({n.name for n in tree.walk() if isinstance(n, T.Symbol) and n.name in near})
    pairs = [(name, other) for name in used for other in near[name]][:MAX_TRIES]
    for name, other in pairs:
        if _right_with(tree, name, T.Symbol(other, tuple(symbols[other])), evaluate, is_right):
            return Verdict(["wrong_layer"], {"used": name, "expected": other})
    return None


def swapped_in_text(
    symbols: dict[str, Any],
    read: Callable[[dict[str, Any]], Any],
    evaluate: Callable[[T.Expr], list[np.ndarray]],
    is_right: Callable[[list[np.ndarray]], bool],
    near: dict[str, list[str]] | None = None,
) -> Verdict | None:
    """The same for an answer whose shapes do not fit as written: it is read again with
    one layered name given a sibling's shape (``read(table)`` gives a tree or not), and a
    tree that reads is repaired and compared as :func:`swapped_layer` does."""
    near = siblings(symbols) if near is None else near
    pairs = [
        (name, other)
        for name, others in near.items()
        for other in others
        if tuple(symbols[other]) != tuple(symbols[name])  # same shapes: swapped_layer's case
    ][:MAX_TRIES]
    for name, other in pairs:
        shape = tuple(symbols[other])
        tree = read({**symbols, name: shape})
        if isinstance(tree, T.Expr) and _right_with(
            tree, name, T.Symbol(other, shape), evaluate, is_right
        ):
            return Verdict(["wrong_layer"], {"used": name, "expected": other})
    return None


def _right_with(
    tree: T.Expr,
    name: str,
    by: T.Symbol,
    evaluate: Callable[[T.Expr], list[np.ndarray]],
    is_right: Callable[[list[np.ndarray]], bool],
) -> bool:
    """Whether ``tree`` with the symbol ``name`` replaced by ``by`` is the right answer
    (False where it does not fit or does not evaluate, or ``name`` is not in it)."""
    if not any(isinstance(n, T.Symbol) and n.name == name for n in tree.walk()):
        return False
    repaired = _replaced(tree, name, by)
    if repaired is None:
        return False
    try:
        with np.errstate(all="ignore"):
            return is_right(evaluate(repaired))
    except (ExpressionError, ValueError, ZeroDivisionError):
        return False


def _replaced(tree: T.Expr, name: str, by: T.Symbol) -> T.Expr | None:
    try:
        return rebuild(tree, lambda n: by if isinstance(n, T.Symbol) and n.name == name else None)
    except ExpressionError:  # the sibling does not fit where the name stood
        return None
