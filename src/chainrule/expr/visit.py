"""One dispatch style for every interpreter of a tree: a table from node class to handler.

Each interpreter (evaluation, the LaTeX and text printers, the scalar-graph compiler, the
generic tree maps) makes one :class:`Rules` and registers a handler for every node class
with the decorator::

    rules = Rules("evaluate")

    @rules(T.Add)
    def _add(self, node): ...

``rules.handler(node)`` finds the handler by the node's exact class. Every ``Rules`` is
listed in :data:`INTERPRETERS`, and :meth:`Rules.missing` says which node classes it lacks,
so a test finds a node kind that an interpreter forgot (``tests/expr/test_dispatch.py``),
not a user at run time. An interpreter that cannot handle a kind still registers a handler
for it that raises a clear error.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar

from chainrule.errors import ExpressionError
from chainrule.expr import tree as T
from chainrule.expr.tree import NODE_CLASSES, Expr

__all__ = ["INTERPRETERS", "Rules", "visits"]

F = TypeVar("F", bound=Callable[..., Any])

#: Every Rules table made so far, by name.
INTERPRETERS: dict[str, Rules] = {}


class Rules:
    """The handlers of one interpreter, by node class.

    Parameters
    ----------
    name : str
        The interpreter, for messages and :data:`INTERPRETERS` (``"evaluate"``).
    """

    def __init__(self, name: str) -> None:
        self.name = name
        self.table: dict[type[Expr], Callable[..., Any]] = {}
        INTERPRETERS[name] = self

    def __call__(self, *classes: type[Expr]) -> Callable[[F], F]:
        """Register the decorated function as the handler of ``classes``."""

        def register(function: F) -> F:
            for cls in classes:
                if cls in self.table:
                    raise TypeError(f"{self.name} handles {cls.__name__} twice")
                self.table[cls] = function
            return function

        return register

    def handler(self, node: Any) -> Callable[..., Any]:
        """The handler of ``node``'s class; an ExpressionError for anything else."""
        try:
            return self.table[type(node)]
        except KeyError:
            what = type(node).__name__
            if not isinstance(node, Expr):
                raise ExpressionError(
                    f"{self.name} needs an expression tree (chainrule.expr.parse gives one), "
                    f"got {what}"
                ) from None
            raise ExpressionError(f"{self.name} has no rule for the node kind {what}") from None

    def missing(self) -> tuple[type[Expr], ...]:
        """The node classes this interpreter has no handler for (empty when complete)."""
        return tuple(cls for cls in NODE_CLASSES if cls not in self.table)


def visits(node: T.Expr) -> int:
    """How many node visits evaluating ``node`` takes, counting the terms of every sum
    whose limits are numbers (a sum with other limits counts as one term)."""
    if isinstance(node, T.IndexSum):
        terms = 1
        if isinstance(node.lower, T.Constant) and isinstance(node.upper, T.Constant):
            terms = max(0, int(node.upper.value) - int(node.lower.value) + 1)
        return 1 + visits(node.lower) + visits(node.upper) + terms * visits(node.body)
    return 1 + sum(visits(child) for child in node.children())
