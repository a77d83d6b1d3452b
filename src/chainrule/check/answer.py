"""Reading an answer in the problem's symbol table, and naming what stops it from reading.

A parse error keeps the caret that :class:`~chainrule.errors.ExpressionError` draws; an
unknown name gets the closest known names; a shape error names the sub-formula and both
shapes, and says when reversing the product or transposing a factor would fit.
"""

from __future__ import annotations

import difflib
import re
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any

from chainrule.errors import ExpressionError
from chainrule.expr import tree as T
from chainrule.expr.parse import parse
from chainrule.expr.symbols import SymbolTable, canonical

__all__ = ["ReadError", "read_answer"]

_UNKNOWN = re.compile(r"unknown (?:symbol|name) (.+?); known names")
_TRANSPOSE_MARK = re.compile(r"\^(?:\{(?:T|\\top|\\intercal)\}|T|\\top|\\intercal)$")
_SHAPES = re.compile(r"left has shape (\([^)]*\)), right has shape (\([^)]*\))")
_SUBFORMULA = re.compile(r" in `(.*)`\s*$", re.S)
_LIMITS = ("characters; at most", "nests deeper", "more than", "control character",
           "digits; at most", "is beyond", "entries; at most", "is empty", "must be a str")  # fmt: skip
_SHAPE_WORDS = ("shape", "outside 1..", "do not fit", "is square", "must be a scalar")


@dataclass
class ReadError:
    """Why an answer could not be read: a code with its message, hint and details."""

    code: str
    message: str
    hint: str
    details: dict[str, Any] = field(default_factory=dict)


def read_answer(
    text: object, symbols: dict[str, Any], functions: dict[str, str | None] | None = None
) -> T.Expr | ReadError:
    """The tree of ``text``, or a :class:`ReadError` saying why it does not read."""
    try:
        tree = parse(text, symbol_table(symbols, functions))  # type: ignore[arg-type]
    except ExpressionError as err:
        shorthand = _expand_shorthand(text) if isinstance(text, str) else None
        if shorthand is None or shorthand == text:
            return classify(err, symbols)
        try:
            tree = parse(shorthand, symbol_table(symbols, functions))
        except (ExpressionError, RecursionError):
            return classify(err, symbols)
    except RecursionError:
        return ReadError("parse_error", "The formula nests too deeply to read.", _SIMPLER)
    return resolve_entries(tree, symbols, functions)


def symbol_table(symbols: dict[str, Any], functions: dict[str, str | None] | None) -> Any:
    """The parser's table of ``symbols``, built once per distinct table (a batch reads
    thousands of answers in the same names)."""
    try:
        key = (tuple(symbols.items()), tuple((functions or {}).items()))
        return _table(key)
    except (TypeError, AttributeError):  # unhashable shapes, or no mapping: its own error
        return SymbolTable(symbols, functions)


@lru_cache(maxsize=64)
def _table(key: tuple[tuple[Any, ...], tuple[Any, ...]]) -> SymbolTable:
    return SymbolTable(dict(key[0]), dict(key[1]) or None)


_PARTIAL_SUB = re.compile(
    r"\\partial_(\{(?:[^{}]|\{[^{}]*\})*\}|[A-Za-z])\s*"
    r"(\\mathcal\{[A-Za-z]\}|\\?[A-Za-z]+)(\s*\(\\theta\))?"
)
_FRACTION = re.compile(r"\\[dt]?frac\{\\partial\s*(.*)\}\{\\partial\s*(.*)\}\Z", re.S)


def _expand_shorthand(text: str) -> str | None:
    """``\\partial_{h^2} l`` (seed 001's shorthand) as ``\\frac{\\partial l}{\\partial h^2}``."""
    if "\\partial_" not in text:
        return None

    def frac(m: re.Match[str]) -> str:
        wrt = m.group(1)[1:-1] if m.group(1).startswith("{") else m.group(1)
        return f"\\frac{{\\partial {m.group(2)}}}{{\\partial {wrt}}}"

    return _PARTIAL_SUB.sub(frac, text)


def resolve_entries(tree: T.Expr, symbols: dict[str, Any], functions: Any = None) -> T.Expr:
    """``\\frac{\\partial l}{\\partial h^1_{1,i}}``, an entry of a given gradient, as
    the entry ``(\\frac{\\partial l}{\\partial h^1})_{1,i}`` of that gradient's symbol."""
    from chainrule.check.trees import rebuild

    known = {canonical(k): k for k in symbols}
    if not any(
        isinstance(n, T.Symbol) and canonical(n.name) not in known and "\\partial" in n.name
        for n in tree.walk()
    ):
        return tree  # no entry of a gradient: nothing to rebuild

    def visit(node: T.Expr) -> T.Expr | None:
        if not isinstance(node, T.Symbol) or canonical(node.name) in known:
            return None
        m = _FRACTION.match(node.name)
        if m is None:
            return None
        try:
            entry = parse(m.group(2), symbol_table(symbols, functions))
        except ExpressionError:
            return None
        if not (isinstance(entry, T.Index) and isinstance(entry.operand, T.Symbol)):
            return None
        whole = canonical(f"\\frac{{\\partial {m.group(1)}}}{{\\partial {entry.operand.name}}}")
        key = known.get(whole)
        if key is None:
            return None
        return T.Index(T.Symbol(key, tuple(symbols[key])), entry.indices)

    try:
        return rebuild(tree, visit)
    except ExpressionError:
        return tree


_SIMPLER = "Write the formula with fewer nested brackets."


def classify(err: ExpressionError, symbols: dict[str, Any]) -> ReadError:
    """Turn a parser error into a diagnosis code with words for the student."""
    message = err.message
    shown = str(err)
    where = {"line": err.line, "column": err.column} if err.column else {}
    if getattr(err, "syntax", False):
        return ReadError(
            "parse_error",
            f"The formula does not read: {shown}",
            "Check the brackets and operators at the caret.",
            where,
        )
    m = _UNKNOWN.search(message)
    if m:
        name = _TRANSPOSE_MARK.sub("", m.group(1))  # a_{(0)}^T: the name is a_{(0)}
        close = did_you_mean(name, symbols)
        hint = f"Did you mean {' or '.join(close)}?" if close else ""
        hint = hint or "Use only the names the problem defines."
        return ReadError(
            "unknown_symbol",
            f"The problem has no symbol {name}.",
            hint,
            dict(where, symbol=name, suggestions=close),
        )
    if "index" in message and "has no value" in message:
        return ReadError("unknown_symbol", message, "Use only the free indices of the question.")
    if any(word in message for word in _LIMITS):
        return ReadError("parse_error", f"The formula breaks a limit: {shown}", _SIMPLER, where)
    if any(word in message for word in _SHAPE_WORDS):
        return _shape_error(err, where)
    return ReadError("parse_error", f"The formula does not read: {shown}", "", where)


def _shape_error(err: ExpressionError, where: dict[str, Any]) -> ReadError:
    message = err.message
    details: dict[str, Any] = dict(where)
    sub = _SUBFORMULA.search(message)
    if sub:
        details["subformula"] = sub.group(1)
    hint = "Write down the shape of each factor and check that neighbours fit."
    m = _SHAPES.search(message)
    if m and "matrix product" in message:
        left, right = _dims(m.group(1)), _dims(m.group(2))
        details["shapes"] = [m.group(1), m.group(2)]
        fits = product_fixes(left, right)
        if fits:
            hint = " ".join(fits)
    if "is square" in message:
        hint = (
            "1 - A with a matrix A means the all-ones matrix \\mathbf{1} (every entry 1), "
            "not the identity I."
        )
    text = re.sub(r"; the (left|right) factor looks transposed|; the factors look swapped", "",
                  message)  # fmt: skip
    return ReadError("shape_mismatch", f"The shapes do not fit: {text}.", hint, details)


def _dims(text: str) -> tuple[str, ...]:
    return tuple(d.strip() for d in text.strip("()").split(",") if d.strip())


def product_fixes(left: tuple[str, ...], right: tuple[str, ...]) -> list[str]:
    """Which change makes ``left @ right`` fit: reversing it, or transposing a factor."""
    if len(left) != 2 or len(right) != 2:
        return []
    a, b = left
    c, d = right
    fixes = []
    if d == a:
        fixes.append("Reversing the product (the right factor first) would fit.")
    if a == c:
        fixes.append("Transposing the left factor would fit.")
    if b == d:
        fixes.append("Transposing the right factor would fit.")
    return fixes


def did_you_mean(name: str, symbols: dict[str, Any]) -> list[str]:
    """Known names closest to ``name`` (in LaTeX or NumPy spelling)."""
    plain = {}
    for key in symbols:
        plain[_plain(key)] = key
        plain[canonical(key)] = key
    hits = difflib.get_close_matches(_plain(name), list(plain), n=3, cutoff=0.5)
    hits += difflib.get_close_matches(canonical(name), list(plain), n=3, cutoff=0.5)
    return list(dict.fromkeys(plain[h] for h in hits))[:3]


def _plain(name: str) -> str:
    return re.sub(r"[\\{}()\[\]^_ ]", "", name)
