"""Evaluating a tree on a problem's instances, over every value of its free indices."""

from __future__ import annotations

from itertools import product
from typing import Any

import numpy as np

from chainrule.expr import tree as T
from chainrule.expr.evaluate import evaluate

__all__ = ["answer_values", "stacked", "values_on"]


def stacked(tree: T.Expr, values: dict[str, Any], free: tuple[tuple[str, int], ...]) -> np.ndarray:
    """The value of ``tree``; with free indices, one value per assignment, stacked.

    Parameters
    ----------
    tree : Expr
        A tree whose symbols all have values.
    values : dict
        Symbol values (the evaluator binds dimension names from their shapes).
    free : tuple of (name, size)
        Free index variables; the result has shape ``(size_1, ..., *tree.shape)``.
    """
    if not free:
        return np.asarray(evaluate(tree, values))
    names = [name for name, _ in free]
    used = {n.name for n in tree.walk() if isinstance(n, T.IndexVar)}
    out = []
    for assignment in product(*(range(1, size + 1) for _, size in free)):
        bound = dict(values)
        bound.update((n, k) for n, k in zip(names, assignment, strict=True) if n in used)
        out.append(np.asarray(evaluate(tree, bound)))
    sizes = tuple(size for _, size in free)
    stacked_value = np.stack(out) if out[0].ndim else np.array(out, dtype=out[0].dtype)
    return stacked_value.reshape(sizes + out[0].shape)


def values_on(tree: T.Expr, instances: list[dict[str, Any]], free) -> list[np.ndarray]:
    """:func:`stacked` on every instance."""
    return [stacked(tree, inst, free) for inst in instances]


def answer_values(instance: dict[str, Any], shapes: dict[str, tuple]) -> dict[str, Any]:
    """The instance with each value reshaped to the answer table's shape (1 x 1 -> scalar)."""
    out = dict(instance)
    for name, shape in shapes.items():
        if name in out:
            value = np.asarray(out[name])
            if len(value.shape) != len(shape):
                out[name] = value.reshape(tuple(d for d in shape if isinstance(d, int)))
    return out
