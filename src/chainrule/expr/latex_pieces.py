"""The LaTeX reader's vocabulary and the pieces its parts pass each other.

The words read as functions, the patterns of a transpose and of a sum's lower limit, the
matrix environments; the pieces that are not values yet (a function waiting for its
argument, a product whose right factor is a call, a tuple of arguments) and a script's
text with its position. :class:`ReaderPart` is what every part of the reader shares.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from lark import Token

from chainrule.expr import tree as T
from chainrule.expr.build_common import Builder, Pending
from chainrule.expr.relations import relation_of
from chainrule.expr.symbols import SymbolTable

__all__ = [
    "BARE_FUNCTIONS",
    "FUNCTION_WORDS",
    "MATRIX_ENVS",
    "SUM_FROM",
    "TRANSPOSE",
    "Arguments",
    "Curried",
    "Func",
    "ReaderPart",
    "Script",
    "is_token",
    "relation_symbol",
]

FUNCTION_WORDS = {
    "relu": "relu", "ReLU": "relu", "sigmoid": "sigmoid", "softmax": "softmax",
    "tanh": "tanh", "exp": "exp", "log": "log", "ln": "log", "sqrt": "sqrt",
    "identity": "identity", "id": "identity", "max": "max", "maximum": "max",
    "min": "min", "minimum": "min",
}  # fmt: skip
# Names read as functions when typed without a backslash (exp(x), relu(z)); short words
# that are also products of letters (ln, id) need their backslash or \operatorname.
BARE_FUNCTIONS = ("relu", "ReLU", "sigmoid", "softmax", "tanh", "exp", "log", "sqrt", "max",
                  "min", "maximum", "minimum")  # fmt: skip
TRANSPOSE = re.compile(r"(.*?)\s*(T|\\top|\\intercal|\\mathsf\s*\{\s*T\s*\})\s*\Z", re.S)
SUM_FROM = re.compile(r"\s*([A-Za-z])\s*(?:=(.*))?\Z", re.S)
MATRIX_ENVS = {"bmatrix", "pmatrix", "matrix", "Bmatrix"}


@dataclass
class Func(Pending):
    """A function name still waiting for its argument."""

    function: str
    order: int
    axis: int | None = None


@dataclass
class Curried(Pending):
    """``a \\sigma`` before ``(z)``: a product whose right factor is a function call."""

    left: Any
    func: Func
    tree: Any


@dataclass
class Arguments(Pending):
    """``(a, b)``: only allowed as the arguments of a function."""

    items: list[T.Expr]


@dataclass
class Script:
    """The text of a sub- or superscript and where it stands."""

    text: str
    pos: int  # offset of ``text`` in the whole formula


class ReaderPart:
    """What every part of the LaTeX reader holds: the builder, the whole text, the table.

    The parts (operators, structures, scripts, names) are mixed into one reader,
    :class:`chainrule.expr.latex_build.LatexReader`; a part reaches the others through
    ``self`` (``self.value``, ``self.build``, ``self.name``, ``self.decorate``, ...).
    """

    def __init__(self, b: Builder) -> None:
        self.b = b
        self.text = b.text
        self.table: SymbolTable = b.table


def is_token(node: Any, *types: str) -> bool:
    """Whether ``node`` is a Lark token of one of ``types``."""
    return isinstance(node, Token) and node.type in types


def relation_symbol(text: str) -> str:
    """The canonical symbol of a written relation (``\\geq`` -> ``>=``)."""
    found = relation_of(text)
    return found.symbol if found is not None else text.strip()
