"""Printing trees: LaTeX that parses back to the same tree, and plain text for terminals.

Parentheses are written where the grammar needs them and nowhere else, so that
``parse(to_latex(e), symbols) == e`` for any tree built from ``symbols``. The one
exception is a constant that is not a terminating decimal (1/3), printed as
``\\frac{1}{3}``, which reads back as a division.
"""

from __future__ import annotations

import re

from chainrule.errors import ExpressionError
from chainrule.expr import tree as T
from chainrule.expr.literals import constant_latex
from chainrule.expr.parse import build
from chainrule.expr.relations import RELATIONS
from chainrule.expr.symbols import SymbolTable, compose, split_key
from chainrule.expr.tree import provide
from chainrule.expr.visit import Rules

__all__ = ["name_text", "to_latex", "to_text"]

_ADD, _TERM, _SIGNED, _JUXT, _POSTFIX, _ATOM = 1, 2, 3, 4, 5, 6
_LATEX_FUNCTION = {
    "sigmoid": "\\sigma", "exp": "\\exp", "log": "\\log", "tanh": "\\tanh",
    "max": "\\max", "min": "\\min",
}  # fmt: skip


def to_latex(expr: T.Expr) -> str:
    """LaTeX for a tree, such as ``\\delta^{[2]} (A^{[1]})^T`` or ``\\frac{1}{n} X^T \\delta``.

    Parameters
    ----------
    expr : Expr
        Any tree, from :func:`chainrule.expr.parse` or built from the node classes.

    Returns
    -------
    str
        Text that :func:`chainrule.expr.parse` reads back to an equal tree (given the
        same symbol table). A tree from ``parse`` remembers its table, and where that
        table could read a script another way (``h^{2}`` when ``h^2`` is a symbol too),
        the text says which is meant (``{h}^{2}``).
    """
    if not isinstance(expr, T.Expr):
        _LATEX.handler(expr)  # the error for what is not a tree
    table = next((n._table for n in expr.walk() if hasattr(n, "_table")), None)
    return _Latex(table).render(expr, 0)


def _symbol_parts(name: str) -> tuple[str, str | None, str | None] | None:
    parts = split_key(name)
    if parts is None or not re.fullmatch(r"[A-Za-z]+|\\[A-Za-z]+(\{.*\})*", parts[0], re.S):
        return None
    return parts


_LATEX = Rules("to_latex")

#: The leaves: their text and level.
_LATEX_LEAVES = {
    T.Constant: (lambda e: constant_latex(e.value), _ATOM),
    T.Size: (lambda e: e.name, _JUXT),
    T.IndexVar: (lambda e: e.name, _JUXT),
    T.IdentityMatrix: (lambda e: f"I_{{{e.size}}}", _JUXT),
    T.Ones: (lambda e: "\\mathbf{1}_{" + " \\times ".join(map(str, e.dims)) + "}", _JUXT),
    T.Slice: (lambda e: ":", _ATOM),
}
#: The two-operand nodes: (operator, level, the right operand's context); the left
#: operand's context is the level itself, as the operators group to the left.
_LATEX_BINARY = {
    T.Add: (" + ", _ADD, _SIGNED + 1),
    T.Sub: (" - ", _ADD, _SIGNED + 1),
    T.ElementwiseProduct: (" \\odot ", _TERM, _SIGNED),
    T.Scale: (" ", _JUXT, _POSTFIX),
    T.MatMul: (" ", _JUXT, _POSTFIX),
}


class _Latex:
    def __init__(self, table: SymbolTable | None) -> None:
        self.table = table
        # Names of the table by their base (``h`` for h, h^2, h_1): a script written into a
        # symbol's name can only be misread when another name shares the symbol's base.
        self.bases: dict[str, int] = {}
        for name in table.entries if table is not None else ():
            parts = split_key(name)
            base = compose(parts[0], None, None) if parts is not None else name
            self.bases[base] = self.bases.get(base, 0) + 1

    def render(self, e: T.Expr, context: int) -> str:
        text, level = self.node(e)
        return f"({text})" if level < context else text

    def node(self, e: T.Expr) -> tuple[str, int]:
        return _LATEX.handler(e)(self, e)

    @_LATEX(T.Symbol)
    def _symbol(self, e: T.Symbol) -> tuple[str, int]:
        parts = _symbol_parts(e.name)
        if parts is None:
            return f"\\mathrm{{{e.name}}}", _ATOM
        return compose(*parts), _ATOM

    @_LATEX(*_LATEX_LEAVES)
    def _leaf(self, e: T.Expr) -> tuple[str, int]:
        text, level = _LATEX_LEAVES[type(e)]
        return text(e), level

    @_LATEX(T.Equation)
    def _equation(self, e: T.Equation) -> tuple[str, int]:
        return " = ".join(self.render(s, _ADD) for s in e.sides), 0

    @_LATEX(*_LATEX_BINARY)
    def _binary(self, e: T.Expr) -> tuple[str, int]:
        op, level, right_context = _LATEX_BINARY[type(e)]
        left, right = e.children()
        return self.render(left, level) + op + self.render(right, right_context), level

    @_LATEX(T.Neg)
    def _neg(self, e: T.Neg) -> tuple[str, int]:
        return "-" + self.render(e.operand, _SIGNED), _SIGNED

    @_LATEX(T.Div)
    def _div(self, e: T.Div) -> tuple[str, int]:
        num, den = self.render(e.numerator, 0), self.render(e.denominator, 0)
        return f"\\frac{{{num}}}{{{den}}}", _ATOM

    @_LATEX(T.Transpose)
    def _transpose(self, e: T.Transpose) -> tuple[str, int]:
        return self.scripted(e, e.operand, None, None, transpose=True), _POSTFIX

    @_LATEX(T.Power)
    def _power(self, e: T.Power) -> tuple[str, int]:
        return self.scripted(e, e.base, None, self.render(e.exponent, 0)), _POSTFIX

    @_LATEX(T.Index)
    def _index(self, e: T.Index) -> tuple[str, int]:
        items = ",".join(self.render(i, 0) for i in e.indices)
        shape = e.operand.shape
        if len(e.indices) == 1 and len(shape) == 2 and shape.count(1) == 1:
            items += ",:"  # a lone index of a column or row vector reads as its entry
        return self.scripted(e, e.operand, items, None), _POSTFIX

    @_LATEX(T.Apply)
    def _apply(self, e: T.Apply) -> tuple[str, int]:
        return self.apply(e), _ATOM

    @_LATEX(T.Indicator)
    def _indicator(self, e: T.Indicator) -> tuple[str, int]:
        rel = RELATIONS[e.relation].latex
        return f"[{self.render(e.left, _ADD)} {rel} {self.render(e.right, _ADD)}]", _ATOM

    @_LATEX(T.Sum)
    def _sum(self, e: T.Sum) -> tuple[str, int]:
        axis = "" if e.axis is None else f"_{{{e.axis}}}" if e.axis >= 0 else f"_{{-{-e.axis}}}"
        return f"\\operatorname{{sum}}{axis}({self.render(e.operand, 0)})", _ATOM

    @_LATEX(T.Norm)
    def _norm(self, e: T.Norm) -> tuple[str, int]:
        return f"\\left\\|{self.render(e.operand, 0)}\\right\\|", _ATOM

    @_LATEX(T.MatrixLiteral)
    def _matrix(self, e: T.MatrixLiteral) -> tuple[str, int]:
        rows = " \\\\ ".join(" & ".join(self.render(x, _ADD) for x in row) for row in e.rows)
        return f"\\begin{{bmatrix}} {rows} \\end{{bmatrix}}", _ATOM

    @_LATEX(T.IndexSum)
    def _index_sum(self, e: T.IndexSum) -> tuple[str, int]:
        lower, upper = self.render(e.lower, 0), self.render(e.upper, 0)
        return f"\\sum_{{{e.index}={lower}}}^{{{upper}}} " + self.render(e.body, _TERM), _ADD

    def scripted(self, node: T.Expr, operand: T.Expr, sub: str | None, sup: str | None, *,
                 transpose: bool = False) -> str:  # fmt: skip
        """A value with an index (``sub``), a power (``sup``) or a transpose (``node``).

        A symbol takes the scripts into its own name where LaTeX would (``W_{3}^{T}``,
        ``x_{i}``); when the symbol table could read that as another name (``h^{2}`` beside
        a symbol ``h^2``), the symbol is braced instead: ``{h}^{2}``.
        """
        if isinstance(operand, T.Symbol):
            pretty = self.merged(operand, sub, sup, transpose)
            if pretty is not None and self.reads_as(pretty, operand, node):
                return pretty
            inner = "{" + self.render(operand, 0) + "}"
        elif isinstance(operand, T.Constant | T.Norm | T.MatrixLiteral | T.Indicator) or (
            transpose and isinstance(operand, T.Ones)  # 1_n^T: no second script
        ):
            inner = self.node(operand)[0]
        else:
            inner = f"({self.render(operand, 0)})"
        if transpose:
            sup = "T"
        scripts = (f"_{{{sub}}}" if sub is not None else "") + (
            f"^{{{sup}}}" if sup is not None else ""
        )
        return inner + scripts

    @staticmethod
    def merged(operand: T.Symbol, sub: str | None, sup: str | None, transpose: bool) -> str | None:
        """The scripts written into the symbol's name, or None where they cannot be."""
        parts = _symbol_parts(operand.name)
        if parts is None:
            return None
        base, own_sub, own_sup = parts
        if transpose:
            return compose(base, own_sub, (own_sup or "") + "T")
        name = compose(base, None, None)
        if sub is not None and own_sub is None:
            return f"{name}_{{{sub}}}" + compose(base, None, own_sup)[len(name) :]
        if sup is not None and own_sub is None and own_sup is None:
            return f"{name}^{{{sup}}}"
        return None

    def reads_as(self, text: str, symbol: T.Symbol, node: T.Expr) -> bool:
        """Whether ``text`` parses back to ``node`` with the tree's table (if one is known)."""
        parts = _symbol_parts(symbol.name)
        if (
            self.table is None
            or parts is None
            or self.bases.get(compose(parts[0], None, None), 0) < 2
        ):
            return True
        try:
            return build(text, self.table, "latex") == node
        except ExpressionError:
            return False

    def apply(self, e: T.Apply) -> str:
        args = ", ".join(self.render(a, 0) for a in e.args)
        primes = "'" * e.order
        if e.function == "sqrt" and e.order == 0:
            return f"\\sqrt{{{args}}}"
        if e.function in _LATEX_FUNCTION:
            return f"{_LATEX_FUNCTION[e.function]}{primes}({args})"
        parts = split_key(e.function)
        if parts is not None and parts[1] is None and not e.function.isalpha():
            base, _, sup = parts
            return f"{base}{primes}^{{{sup}}}({args})" if sup else f"{base}{primes}({args})"
        return f"\\operatorname{{{e.function}}}{primes}({args})"


def to_text(expr: T.Expr) -> str:
    """A plain-text, NumPy-like form for terminals: ``(W_3.T @ delta) * (z_2 > 0)``."""
    return _text(expr, 0)


def name_text(name: str) -> str:
    """A LaTeX name in plain text: ``\\frac{\\partial L}{\\partial W_{l+1}}`` ->
    ``dL/dW_(l+1)``, ``\\hat{y}`` -> ``y_hat``, braces and backslashes dropped."""
    name = _fractions(re.sub(r"\\[lc]?dots\b", "...", name))
    name = re.sub(r"\\(hat|vec|bar|tilde|mathbf|mathcal)\{(.*?)\}", r"\2_\1", name)
    # a script of more than one token keeps its grouping: W_{l+1} -> W_(l+1), not W_l+1
    name = re.sub(r"([_^])\{([^{}]*)\}", _script, name)
    return name.replace("\\", "").replace("{", "").replace("}", "")


def _fractions(text: str) -> str:
    """Every ``\\frac{a}{b}`` as ``a/b`` (``d a/d b`` for partial derivatives), with the
    braces of each part matched (``W^{3}_{1,1}`` stays whole)."""
    out, i = [], 0
    while (j := text.find("\\frac{", i)) >= 0:
        num, k = _braced(text, j + 5)
        den, end = _braced(text, k)
        if num is None or den is None:
            break
        out += [text[i:j], _ratio(_fractions(num), _fractions(den))]
        i = end
    return "".join([*out, text[i:]])


def _grouped(text: str) -> str:
    return f"({text})" if " " in text.strip() else text


def _braced(text: str, start: int) -> tuple[str | None, int]:
    """The contents of the brace group opening at ``start`` and the index after it."""
    if start >= len(text) or text[start] != "{":
        return None, start
    depth = 0
    for k in range(start, len(text)):
        depth += {"{": 1, "}": -1}.get(text[k], 0)
        if depth == 0:
            return text[start + 1 : k], k + 1
    return None, start


def _ratio(num: str, den: str) -> str:
    part = r"\\partial\s*"
    if re.match(part, num) and re.match(part, den):
        top, bottom = (name_text(re.sub(part, "", x, count=1)) for x in (num, den))
        return f"d{_grouped(top)}/d{_grouped(bottom)}"
    wrap = [f"({x})" if re.search(r"[\s+\-*/]", x.strip()) else x for x in (num, den)]
    return "/".join(wrap)


def _script(m: re.Match[str]) -> str:
    mark, body = m.group(1), m.group(2)
    if re.fullmatch(r"\\?\w+|\(.*\)|\[.*\]", body):
        return mark + body
    return f"{mark}({body})"


_TEXT = Rules("to_text")


def _text(e: T.Expr, context: int) -> str:
    text, level = _TEXT.handler(e)(e)
    return f"({text})" if level < context else text


#: The nodes printed as atoms (level 9): their text.
_TEXT_ATOMS = {
    T.Symbol: lambda e: name_text(e.name),
    T.Size: lambda e: e.name,
    T.IndexVar: lambda e: e.name,
    T.IdentityMatrix: lambda e: f"I[{e.size}]",
    T.Ones: lambda e: f"ones({', '.join(map(str, e.dims))})",
    T.Slice: lambda e: ":",
    T.Equation: lambda e: " = ".join(_text(s, 1) for s in e.sides),
    T.Transpose: lambda e: f"{_text(e.operand, 5)}.T",
    T.Index: lambda e: f"{_text(e.operand, 5)}[{', '.join(_text(i, 0) for i in e.indices)}]",
    T.Apply: lambda e: (
        name_text(e.function) + "'" * e.order + f"({', '.join(_text(a, 0) for a in e.args)})"
    ),
    T.Indicator: lambda e: f"[{_text(e.left, 1)} {e.relation} {_text(e.right, 1)}]",
    T.Sum: lambda e: (
        f"sum({_text(e.operand, 0)}" + ("" if e.axis is None else f", axis={e.axis}") + ")"
    ),
    T.Norm: lambda e: f"||{_text(e.operand, 0)}||",
    T.MatrixLiteral: lambda e: (
        "[" + "; ".join(", ".join(_text(x, 0) for x in row) for row in e.rows) + "]"
    ),
}


@_TEXT(*_TEXT_ATOMS)
def _t_atom(e: T.Expr) -> tuple[str, int]:
    text = _TEXT_ATOMS[type(e)](e)
    if isinstance(e, T.Symbol) and "/" in text:
        return text, 2  # dl/dz^2 binds as a division: (dl/dz^2).T, A @ (dl/dz)
    return text, 9


@_TEXT(T.Constant)
def _t_constant(e: T.Constant) -> tuple[str, int]:
    v = e.value
    return (str(v.numerator), 9) if v.denominator == 1 else (f"{v}", 2)


#: The two-operand nodes: (operator, level); the right operand binds one level tighter.
_BINARY = {
    T.Add: ("+", 1),
    T.Sub: ("-", 1),
    T.MatMul: ("@", 2),
    T.ElementwiseProduct: ("*", 2),
    T.Scale: ("*", 2),
    T.Div: ("/", 2),
}


@_TEXT(*_BINARY)
def _t_binary(e: T.Expr) -> tuple[str, int]:
    op, level = _BINARY[type(e)]
    left, right = e.children()
    return f"{_text(left, level)} {op} {_text(right, level + 1)}", level


@_TEXT(T.Neg)
def _t_neg(e: T.Neg) -> tuple[str, int]:
    return f"-{_text(e.operand, 3)}", 3


@_TEXT(T.Power)
def _t_power(e: T.Power) -> tuple[str, int]:
    return f"{_text(e.base, 5)}**{_text(e.exponent, 4)}", 4


@_TEXT(T.IndexSum)
def _t_index_sum(e: T.IndexSum) -> tuple[str, int]:
    body = _text(e.body, 2)
    return f"sum_{{{e.index}={_text(e.lower, 0)}..{_text(e.upper, 0)}}} {body}", 1


provide("to_latex", to_latex)
provide("to_text", to_text)
