"""Loading the Lark grammars, the limits on input, and Lark errors as ExpressionError.

The parsers are LALR(1) with Lark's contextual lexer: linear time in the input, no
backtracking, so a hostile string cannot make parsing slow. The limits below bound the
work done after parsing (tree building, shape inference, rendering).
"""

from __future__ import annotations

import re
from functools import cache
from importlib import resources
from typing import Any

from chainrule.errors import ExpressionError

__all__ = [
    "MAX_DEPTH",
    "MAX_EXPONENT",
    "MAX_LENGTH",
    "MAX_MATRIX_ENTRIES",
    "MAX_NODES",
    "MAX_NUMBER_DIGITS",
    "PRINTABLE_DEPTH",
    "check_text",
    "line_column",
    "parse_tree",
]

MAX_LENGTH = 2000  # characters of one formula (the seeds' longest has 647)
MAX_DEPTH = 100  # nesting of the parse tree (brackets, operators, scripts)
# to_latex nests at most two parse levels per tree level (`\exp(...)`, `(...)^{2}`), so a
# tree up to this deep always prints as text that reads back; a deeper one is checked.
PRINTABLE_DEPTH = (MAX_DEPTH - 2) // 2
MAX_NODES = 2500  # nodes of the parse tree and of the expression tree (seeds: at most 351)
MAX_EXPONENT = 100  # largest |n| in a literal power x^n
MAX_MATRIX_ENTRIES = 400  # entries of one matrix literal (at most 20 x 20, say)
MAX_NUMBER_DIGITS = 30  # digits of one number, also written out in full (1e-5 is 0.00001)

_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")
_SURROGATE = re.compile("[\ud800-\udfff]")
_NORM_BAR = re.compile(r"(\\left\s*|\\right\s*)?(\\\||\\[lr]?Vert(?![A-Za-z]))")

_NAMES = {
    "RPAR": "')'", "LPAR": "'('", "RBRACE": "'}'", "LBRACE": "'{'", "RBRACK": "']'",
    "LBRACK": "'['", "NORM_CLOSE": "a closing '\\|'", "NORM_OPEN": "'\\|'", "WORD": "a name",
    "NUMBER": "a number", "GREEK": "a Greek letter", "PLUS": "'+'", "MINUS": "'-'",
    "CDOT": "'\\cdot'", "ODOT": "'\\odot'", "SLASH": "'/'", "EQ": "'='", "REL": "a comparison",
    "COMMA": "','", "AMP": "'&'", "ROWSEP": "'\\\\'", "END": "'\\end{...}'", "FRAC": "'\\frac'",
    "NAME": "a name", "STAR": "'*'", "AT": "'@'", "DOT": "'.'", "POW": "'**'",
    "COLON": "':'", "$END": "the end of the formula", "SUPMARK": "'^'", "SUBMARK": "'_'",
}  # fmt: skip


@cache
def _parser(syntax: str) -> Any:
    from lark import Lark

    source = resources.files("chainrule.expr").joinpath(f"{syntax}.lark").read_text("utf-8")
    starts = ["start", "index_list", "dims"] if syntax == "latex" else ["start"]
    return Lark(source, parser="lalr", lexer="contextual", start=starts, propagate_positions=True)


def line_column(text: str, pos: int) -> tuple[int, int]:
    """1-based line and column of a character offset."""
    pos = max(0, min(pos, len(text)))
    line = text.count("\n", 0, pos) + 1
    return line, pos - (text.rfind("\n", 0, pos) + 1) + 1


def error_at(message: str, text: str, pos: int, *, syntax: bool = False) -> ExpressionError:
    """An ExpressionError pointing at a character offset of ``text``.

    ``syntax`` marks errors of the grammar itself (``err.syntax``), as opposed to
    errors in the meaning of a formula that parsed, such as shapes that do not fit.
    """
    line, column = line_column(text, pos)
    error = ExpressionError(message, text=text, line=line, column=column)
    error.syntax = syntax  # type: ignore[attr-defined]
    return error


def check_text(text: object) -> str:
    """Reject input that is not a str, too long, or holds control characters."""
    if not isinstance(text, str):
        raise ExpressionError(f"a formula must be a str, got {type(text).__name__}")
    if len(text) > MAX_LENGTH:
        raise error_at(
            f"the formula has {len(text)} characters; at most {MAX_LENGTH} are allowed",
            text,
            MAX_LENGTH,
        )
    bad = _CONTROL.search(text)
    if bad:
        raise error_at(f"unexpected control character {bad.group()!r}", text, bad.start())
    lone = _SURROGATE.search(text)
    if lone:  # bytes that were not UTF-8, smuggled in by the file system's decoding
        shown = text.encode("utf-8", "backslashreplace").decode("utf-8")
        raise ExpressionError(
            f"the formula holds a byte that is not UTF-8 text at column {lone.start() + 1}",
            text=shown,
            line=1,
            column=lone.start() + 1,
        )
    if not text.strip():
        raise error_at("the formula is empty", text, len(text))
    _check_brackets(text)
    return text


def _check_brackets(text: str) -> None:
    """Refuse brackets nested deeper than :data:`MAX_DEPTH` in one linear pass, before any
    parser runs (each bracket is at least one level of the parse tree)."""
    depth = 0
    for pos, char in enumerate(text):
        if char in "([{":
            depth += 1
            if depth > MAX_DEPTH:
                raise limit_error(f"the formula nests deeper than {MAX_DEPTH} levels", text, pos)
        elif char in ")]}":
            depth = max(0, depth - 1)


def limit_error(message: str, text: str, pos: int) -> ExpressionError:
    """An error for input beyond a limit: no other reading of the text can help."""
    error = error_at(message, text, pos)
    error.limit = True  # type: ignore[attr-defined]
    return error


def mark_norms(text: str) -> str:
    """Replace each norm bar by same-length marks: \\x01 opens, \\x02 closes."""
    out, last, depth = [], 0, 0
    for m in _NORM_BAR.finditer(text):
        prefix, bar = m.group(1) or "", m.group(2)
        if prefix.startswith("\\left") or bar == "\\lVert":
            opening = True
        elif prefix.startswith("\\right") or bar == "\\rVert":
            opening = False
        else:
            opening = depth == 0
        depth = depth + 1 if opening else max(0, depth - 1)
        out += [text[last : m.start(2)], ("\x01" if opening else "\x02") * len(bar)]
        last = m.end()
    out.append(text[last:])
    return "".join(out)


def parse_tree(text: str, syntax: str, start: str = "start", shown: str | None = None,
               offset: int = 0) -> Any:  # fmt: skip
    """Parse with Lark and check the depth and size of the tree.

    ``shown`` is the whole formula when ``text`` is a piece of it starting at ``offset``;
    errors then point into the whole formula.
    """
    from lark.exceptions import UnexpectedCharacters, UnexpectedInput, UnexpectedToken

    whole = text if shown is None else shown
    lexed = mark_norms(text) if syntax == "latex" else text
    try:
        tree = _parser(syntax).parse(lexed, start=start)
    except UnexpectedCharacters as exc:
        char = text[exc.pos_in_stream] if exc.pos_in_stream < len(text) else ""
        raise error_at(
            f"unexpected character {char!r}{_expected(exc.allowed)}",
            whole,
            offset + exc.pos_in_stream,
            syntax=True,
        ) from None
    except UnexpectedToken as exc:
        pos = exc.token.start_pos if exc.token.start_pos is not None else len(text)
        if exc.token.type == "$END":
            seen, pos = "the formula ends too early", len(text)
        else:
            seen = f"unexpected {text[pos : exc.token.end_pos]!r}"
        raise error_at(seen + _expected(exc.expected), whole, offset + pos, syntax=True) from None
    except UnexpectedInput as exc:  # pragma: no cover - other Lark input errors
        raise error_at(f"cannot read the formula: {exc}", whole, offset, syntax=True) from None
    _check_size(tree, whole, offset)
    return tree


def _expected(names: Any) -> str:
    readable = sorted({_NAMES.get(n, n.lower()) for n in names or ()})
    if not readable:
        return ""
    more = ", ..." if len(readable) > 8 else ""
    return "; expected " + ", ".join(readable[:8]) + more


def _check_size(tree: Any, text: str, offset: int) -> None:
    from lark import Tree

    count = 0
    stack = [(tree, 1)]
    while stack:
        node, depth = stack.pop()
        count += 1
        if depth > MAX_DEPTH or count > MAX_NODES:
            what = (
                f"nests deeper than {MAX_DEPTH} levels"
                if depth > MAX_DEPTH
                else f"has more than {MAX_NODES} parts"
            )
            pos = getattr(node.meta, "start_pos", 0) if isinstance(node, Tree) else node.start_pos
            raise limit_error(f"the formula {what}", text, offset + (pos or 0))
        if isinstance(node, Tree):
            stack.extend((child, depth + 1) for child in node.children)
