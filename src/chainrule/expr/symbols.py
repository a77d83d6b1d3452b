"""The symbol table: which written names exist and what shape each has.

The caller writes names as the problem does (``"W_3"``, ``"W^{(3)}"``, ``"\\hat{x}"``,
``"\\frac{\\partial L}{\\partial f}"``). Names are compared in a canonical form, so
``W^{3}``, ``W^3`` and ``W^ 3`` are one name, and ``h^2_{1}`` is ``h_1^2``.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Union

from chainrule.errors import ExpressionError
from chainrule.expr.functions import FUNCTIONS
from chainrule.expr.shapes import Shape, check_shape

__all__ = ["SymbolTable", "canonical", "split_key"]

_TOKEN = re.compile(r"\\[A-Za-z]+|\\.|\s+|.", re.S)
_IGNORED = {"\\,", "\\;", "\\:", "\\!", "\\ ", "\\quad", "\\qquad", "\\left", "\\right"}
_FONTS = {
    "\\hat", "\\vec", "\\bar", "\\tilde", "\\widehat", "\\overline", "\\dot", "\\mathbf",
    "\\boldsymbol", "\\bm", "\\mathcal", "\\mathbb", "\\mathrm", "\\text", "\\operatorname",
}  # fmt: skip
_GREEK = {
    "alpha", "beta", "gamma", "delta", "epsilon", "varepsilon", "zeta", "eta", "theta",
    "iota", "kappa", "lambda", "mu", "nu", "xi", "pi", "rho", "sigma", "tau", "phi",
    "varphi", "chi", "psi", "omega", "Gamma", "Delta", "Theta", "Lambda", "Phi", "Psi",
    "Omega", "ell",
}  # fmt: skip
MAX_SYMBOLS = 1000

Item = Union[str, list["Item"]]  # noqa: UP007 - a recursive alias needs Union on 3.10


def _items(text: str) -> list[Item]:
    """Tokens with braces turned into nested lists; unbalanced braces stay tokens."""
    stack: list[list[Item]] = [[]]
    for tok in _TOKEN.findall(text):
        if tok.isspace() or tok in _IGNORED:
            continue
        if tok == "{":
            stack.append([])
        elif tok == "}" and len(stack) > 1:
            group = stack.pop()
            stack[-1].append(group)
        else:
            stack[-1].append(tok)
    if len(stack) == 1:
        return stack[0]
    # Unclosed braces stay tokens; joined in one pass (linear even for 2,000 of them).
    flat: list[Item] = []
    for level, group in enumerate(stack):
        if level:
            flat.append("{")
        flat.extend(group)
    return flat


def _render(items: list[Item]) -> str:
    out: list[str] = []
    i = 0
    while i < len(items):
        item = items[i]
        if isinstance(item, list):
            out.append("{" + _render(item) + "}")
        else:
            if out and out[-1][-1:].isalpha() and out[-1].startswith("\\") and item[:1].isalpha():
                out.append(" ")
            out.append(item)
            nxt = items[i + 1] if i + 1 < len(items) else None
            if item in _FONTS and nxt is not None and not isinstance(nxt, list):
                out.append("{" + _render([nxt]) + "}")
                i += 1
            elif item in ("_", "^") and isinstance(nxt, list) and _single(nxt):
                out.append(_render(nxt))
                i += 1
        i += 1
    return "".join(out)


def _single(group: list[Item]) -> bool:
    return len(group) == 1 and isinstance(group[0], str) and len(group[0]) == 1


@lru_cache(maxsize=4096)
def canonical(text: str) -> str:
    """The canonical spelling of a written name (spaces dropped, scripts in one order)."""
    parts = split_key(text)
    if parts is None:
        return _render(_items(text))
    base, sub, sup = parts
    return compose(base, sub, sup)


@lru_cache(maxsize=4096)
def compose(base: str, sub: str | None, sup: str | None) -> str:
    """Canonical name from a base and the raw texts of its subscript and superscript."""
    name = _render(_items(base))
    if sub is not None:
        name += "_" + _script(sub)
    if sup is not None:
        name += "^" + _script(sup)
    return name


def _script(text: str) -> str:
    inner = _render(_items(text))
    return inner if len(inner) == 1 and inner.isalnum() else "{" + inner + "}"


@lru_cache(maxsize=4096)
def split_key(text: str) -> tuple[str, str | None, str | None] | None:
    """Split ``h^2_{1,1}`` into ``("h", "1,1", "2")``; None when it is not one symbol.

    The base is a word of letters, a command such as ``\\delta``, a font command with
    its group (``\\hat{x}``) or a fraction; scripts may come in either order, once each.
    """
    items = _items(text)
    n = 0
    while n < len(items) and items[n] not in ("_", "^"):
        n += 1
    base, rest = items[:n], items[n:]
    if not base or not _is_base(base):
        return None
    scripts: dict[str, str] = {}
    while rest:
        if len(rest) < 2 or not isinstance(rest[0], str) or rest[0] in scripts:
            return None
        mark, arg = rest[0], rest[1]
        if mark not in ("_", "^"):
            return None
        scripts[mark] = _render(arg) if isinstance(arg, list) else arg
        rest = rest[2:]
    return _render(base), scripts.get("_"), scripts.get("^")


def _is_base(base: list[Item]) -> bool:
    first = base[0]
    if isinstance(first, list):
        return False
    if len(base) == 1:
        return first.isalpha() or (first.startswith("\\") and first[1:] in _GREEK)
    if first in _FONTS and len(base) == 2:
        return True
    if first in ("\\frac", "\\dfrac", "\\tfrac") and len(base) == 3:
        return True
    return all(isinstance(b, str) and b.isalpha() and len(b) == 1 for b in base)


@dataclass
class SymbolTable:
    """Names and shapes given by the caller, looked up in canonical form.

    Parameters
    ----------
    symbols : mapping of str to shape
        Each name as the problem writes it, to its shape (``("n", 3)``, ``()``).
    functions : mapping of str to str or None, optional
        Extra function names (``"g^{[l]}"``) mapped to a known function such as
        ``"sigmoid"``, or to None for an abstract element-wise function that can be
        shape-checked but not evaluated.
    """

    symbols: Mapping[str, object]
    functions: Mapping[str, str | None] | None = None
    entries: dict[str, tuple[str, Shape]] = field(init=False)
    words: set[str] = field(init=False)
    dims: set[str] = field(init=False)
    extra_functions: dict[str, str | None] = field(init=False)

    def __post_init__(self) -> None:
        if not isinstance(self.symbols, Mapping):
            raise ExpressionError(
                f"symbols must map names to shapes, got {type(self.symbols).__name__}"
            )
        if len(self.symbols) > MAX_SYMBOLS:
            raise ExpressionError(f"at most {MAX_SYMBOLS} symbols are supported")
        self.entries, self.words, self.dims = {}, set(), set()
        for key, shape in self.symbols.items():
            if not isinstance(key, str) or not key.strip() or len(key) > 200:
                raise ExpressionError(f"a symbol name must be a short non-empty str, got {key!r}")
            checked = check_shape(shape, key)
            name = canonical(key)
            if name in self.entries:
                other = self.entries[name][0]
                raise ExpressionError(f"the symbols {other!r} and {key!r} are the same name")
            self.entries[name] = (key, checked)
            parts = split_key(key)
            if parts is not None and parts[0].isalpha():
                self.words.add(parts[0])
            self.dims.update(canonical(d) for d in checked if isinstance(d, str))
        self.extra_functions = {}
        if self.functions is not None and not isinstance(self.functions, Mapping):
            raise ExpressionError(
                f"functions must map names to functions, got {type(self.functions).__name__}"
            )
        for name, target in (self.functions or {}).items():
            if not isinstance(name, str) or not name.strip() or len(name) > 200:
                raise ExpressionError(
                    f"a function name must be a short non-empty str, got {name!r}"
                )
            if target is not None and not isinstance(target, str):
                raise ExpressionError(
                    f"function {name!r} maps to {target!r}; expected the name of a function "
                    f"({', '.join(sorted(FUNCTIONS))}) or None"
                )
            if target is not None and target not in FUNCTIONS:
                raise ExpressionError(
                    f"function {name!r} maps to {target!r}; expected one of "
                    f"{', '.join(sorted(FUNCTIONS))} or None"
                )
            self.extra_functions[canonical(name)] = target

    def lookup(self, name: str) -> tuple[str, Shape] | None:
        """The caller's key and shape for a canonical name, or None."""
        return self.entries.get(name)

    def known(self) -> str:
        """The known names, for error messages."""
        names = sorted(key for key, _ in self.entries.values())
        shown = ", ".join(names[:40]) + (", ..." if len(names) > 40 else "")
        return shown or "(the symbol table is empty)"

    def split_word(self, word: str) -> list[str]:
        """Split a run of letters into names: the longest known word first, else one letter."""
        pieces: list[str] = []
        longest = max(map(len, self.words), default=1)
        i = 0
        while i < len(word):
            for j in range(min(len(word), i + longest), i, -1):
                if word[i:j] in self.words or j == i + 1:
                    pieces.append(word[i:j])
                    i = j
                    break
        return pieces

    def identifier(self, ident: str) -> tuple[str, Shape] | None:
        """Resolve a NumPy-style identifier such as ``W3``, ``delta`` or ``x_hat``.

        The identifier itself wins; otherwise exactly one of its LaTeX spellings
        (``W_3``, ``W^3``, ``W^{(3)}``, ``W^{[3]}``, ``W_{(3)}``, ``\\delta``, ``\\hat{x}``)
        must be in the table.
        """
        found = self.lookup(canonical(ident))
        if found is not None:
            return found
        candidates = [f"\\{ident}"] if ident in _GREEK else []
        m = re.fullmatch(r"([A-Za-z]+)_?(\d+)", ident)
        if m:
            b, k = m.groups()
            candidates += [f"{b}_{{{k}}}", f"{b}^{{{k}}}", f"{b}^{{({k})}}", f"{b}^{{[{k}]}}"]
            candidates += [f"{b}_{{({k})}}"]
        m = re.fullmatch(r"([A-Za-z]+)_?hat", ident)
        if m:
            candidates.append(f"\\hat{{{m.group(1)}}}")
        hits = {c for c in map(canonical, candidates) if c in self.entries}
        if len(hits) > 1:
            keys = ", ".join(sorted(self.entries[h][0] for h in hits))
            raise ExpressionError(f"{ident} is ambiguous: it could be any of {keys}")
        return self.entries[hits.pop()] if hits else None
