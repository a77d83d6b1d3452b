"""Printing trees: LaTeX that parses back to the same tree, and plain text for terminals.

Parentheses are written where the grammar needs them and nowhere else, so that
``parse(to_latex(e), symbols) == e`` for any tree built from ``symbols``. The one
exception is a constant that is not a terminating decimal (1/3), printed as
``\\frac{1}{3}``, which reads back as a division.
"""

from __future__ import annotations

import re
from fractions import Fraction

from chainrule.expr import tree as T
from chainrule.expr.relations import RELATIONS
from chainrule.expr.symbols import compose, split_key
from chainrule.expr.tree import provide
from chainrule.expr.visit import Rules

__all__ = ["to_latex", "to_text"]

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
        same symbol table).
    """
    return _Latex().render(expr, 0)


def constant_latex(value: Fraction) -> str:
    if value.denominator == 1:
        return str(value.numerator)
    den, twos, fives = value.denominator, 0, 0
    while den % 2 == 0:
        den, twos = den // 2, twos + 1
    while den % 5 == 0:
        den, fives = den // 5, fives + 1
    if den != 1:
        return f"\\frac{{{value.numerator}}}{{{value.denominator}}}"
    places = max(twos, fives)
    digits = str(value.numerator * 10**places // value.denominator).rjust(places + 1, "0")
    return f"{digits[:-places]}.{digits[-places:]}"


def _symbol_parts(name: str) -> tuple[str, str | None, str | None] | None:
    parts = split_key(name)
    if parts is None or not re.fullmatch(r"[A-Za-z]+|\\[A-Za-z]+(\{.*\})*", parts[0], re.S):
        return None
    return parts


_LATEX = Rules("to_latex")


class _Latex:
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

    @_LATEX(T.Constant)
    def _constant(self, e: T.Constant) -> tuple[str, int]:
        return constant_latex(e.value), _ATOM

    @_LATEX(T.Size, T.IndexVar)
    def _size(self, e: T.Size | T.IndexVar) -> tuple[str, int]:
        return e.name, _JUXT

    @_LATEX(T.IdentityMatrix)
    def _identity(self, e: T.IdentityMatrix) -> tuple[str, int]:
        return f"I_{{{e.size}}}", _JUXT

    @_LATEX(T.Ones)
    def _ones(self, e: T.Ones) -> tuple[str, int]:
        return "\\mathbf{1}_{" + " \\times ".join(map(str, e.dims)) + "}", _JUXT

    @_LATEX(T.Slice)
    def _slice(self, e: T.Slice) -> tuple[str, int]:
        return ":", _ATOM

    @_LATEX(T.Equation)
    def _equation(self, e: T.Equation) -> tuple[str, int]:
        return " = ".join(self.render(s, _ADD) for s in e.sides), 0

    @_LATEX(T.Add, T.Sub)
    def _add(self, e: T.Add | T.Sub) -> tuple[str, int]:
        op = " + " if isinstance(e, T.Add) else " - "
        return self.render(e.left, _ADD) + op + self.render(e.right, _SIGNED + 1), _ADD

    @_LATEX(T.Neg)
    def _neg(self, e: T.Neg) -> tuple[str, int]:
        return "-" + self.render(e.operand, _SIGNED), _SIGNED

    @_LATEX(T.ElementwiseProduct)
    def _hadamard(self, e: T.ElementwiseProduct) -> tuple[str, int]:
        return self.render(e.left, _TERM) + " \\odot " + self.render(e.right, _SIGNED), _TERM

    @_LATEX(T.Scale)
    def _scale(self, e: T.Scale) -> tuple[str, int]:
        return self.render(e.factor, _JUXT) + " " + self.render(e.operand, _POSTFIX), _JUXT

    @_LATEX(T.MatMul)
    def _matmul(self, e: T.MatMul) -> tuple[str, int]:
        return self.render(e.left, _JUXT) + " " + self.render(e.right, _POSTFIX), _JUXT

    @_LATEX(T.Div)
    def _div(self, e: T.Div) -> tuple[str, int]:
        num, den = self.render(e.numerator, 0), self.render(e.denominator, 0)
        return f"\\frac{{{num}}}{{{den}}}", _ATOM

    @_LATEX(T.Transpose)
    def _transpose(self, e: T.Transpose) -> tuple[str, int]:
        return self.scripted(e.operand, None, None, transpose=True), _POSTFIX

    @_LATEX(T.Power)
    def _power(self, e: T.Power) -> tuple[str, int]:
        return self.scripted(e.base, None, self.render(e.exponent, 0)), _POSTFIX

    @_LATEX(T.Index)
    def _index(self, e: T.Index) -> tuple[str, int]:
        items = ",".join(self.render(i, 0) for i in e.indices)
        return self.scripted(e.operand, items, None), _POSTFIX

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

    def scripted(self, operand: T.Expr, sub: str | None, sup: str | None, *,
                 transpose: bool = False) -> str:  # fmt: skip
        """A value with an index (``sub``), a power (``sup``) or a transpose."""
        parts = _symbol_parts(operand.name) if isinstance(operand, T.Symbol) else None
        if parts is not None:
            base, own_sub, own_sup = parts
            if transpose:
                return compose(base, own_sub, (own_sup or "") + "T")
            if sub is not None and own_sub is None:
                return compose(base, sub, own_sup)
            if sup is not None and own_sub is None and own_sup is None:
                return compose(base, None, sup)
        safe = isinstance(operand, T.Constant | T.Norm | T.MatrixLiteral | T.Indicator)
        safe = safe or (transpose and isinstance(operand, T.Ones))  # 1_n^T: no second script
        inner = self.node(operand)[0] if safe else f"({self.render(operand, 0)})"
        if transpose:
            sup = "T"
        scripts = (f"_{{{sub}}}" if sub is not None else "") + (
            f"^{{{sup}}}" if sup is not None else ""
        )
        return inner + scripts

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


def _name(name: str) -> str:
    m = re.fullmatch(r"\\frac\{\\partial (.*)\}\{\\partial (.*)\}", name)
    if m:
        return f"d{_name(m.group(1))}/d{_name(m.group(2))}"
    name = re.sub(r"\\(hat|vec|bar|tilde|mathbf|mathcal)\{(.*?)\}", r"\2_\1", name)
    return name.replace("\\", "").replace("{", "").replace("}", "")


_TEXT = Rules("to_text")


def _text(e: T.Expr, context: int) -> str:
    text, level = _TEXT.handler(e)(e)
    return f"({text})" if level < context else text


def _atom(text: str) -> tuple[str, int]:
    return text, 9


@_TEXT(T.Symbol)
def _t_symbol(e: T.Symbol) -> tuple[str, int]:
    return _atom(_name(e.name))


@_TEXT(T.Constant)
def _t_constant(e: T.Constant) -> tuple[str, int]:
    v = e.value
    return (str(v.numerator), 9) if v.denominator == 1 else (f"{v}", 2)


@_TEXT(T.Size, T.IndexVar)
def _t_size(e: T.Size | T.IndexVar) -> tuple[str, int]:
    return _atom(e.name)


@_TEXT(T.IdentityMatrix)
def _t_identity(e: T.IdentityMatrix) -> tuple[str, int]:
    return _atom(f"I[{e.size}]")


@_TEXT(T.Ones)
def _t_ones(e: T.Ones) -> tuple[str, int]:
    return _atom(f"ones{tuple(e.dims)}")


@_TEXT(T.Slice)
def _t_slice(e: T.Slice) -> tuple[str, int]:
    return _atom(":")


@_TEXT(T.Equation)
def _t_equation(e: T.Equation) -> tuple[str, int]:
    return _atom(" = ".join(_text(s, 1) for s in e.sides))


_BINARY = {T.Add: ("+", 1), T.Sub: ("-", 1), T.MatMul: ("@", 2), T.ElementwiseProduct: ("*", 2)}


@_TEXT(*_BINARY)
def _t_binary(e: T.Add | T.Sub | T.MatMul | T.ElementwiseProduct) -> tuple[str, int]:
    op, level = _BINARY[type(e)]
    return f"{_text(e.left, level)} {op} {_text(e.right, level + 1)}", level


@_TEXT(T.Scale)
def _t_scale(e: T.Scale) -> tuple[str, int]:
    return f"{_text(e.factor, 2)} * {_text(e.operand, 3)}", 2


@_TEXT(T.Div)
def _t_div(e: T.Div) -> tuple[str, int]:
    return f"{_text(e.numerator, 2)} / {_text(e.denominator, 3)}", 2


@_TEXT(T.Neg)
def _t_neg(e: T.Neg) -> tuple[str, int]:
    return f"-{_text(e.operand, 3)}", 3


@_TEXT(T.Power)
def _t_power(e: T.Power) -> tuple[str, int]:
    return f"{_text(e.base, 5)}**{_text(e.exponent, 4)}", 4


@_TEXT(T.Transpose)
def _t_transpose(e: T.Transpose) -> tuple[str, int]:
    return _atom(f"{_text(e.operand, 5)}.T")


@_TEXT(T.Index)
def _t_index(e: T.Index) -> tuple[str, int]:
    return _atom(f"{_text(e.operand, 5)}[{', '.join(_text(i, 0) for i in e.indices)}]")


@_TEXT(T.Apply)
def _t_apply(e: T.Apply) -> tuple[str, int]:
    primes = "'" * e.order
    return _atom(f"{e.function}{primes}({', '.join(_text(a, 0) for a in e.args)})")


@_TEXT(T.Indicator)
def _t_indicator(e: T.Indicator) -> tuple[str, int]:
    return _atom(f"[{_text(e.left, 1)} {e.relation} {_text(e.right, 1)}]")


@_TEXT(T.Sum)
def _t_sum(e: T.Sum) -> tuple[str, int]:
    axis = "" if e.axis is None else f", axis={e.axis}"
    return _atom(f"sum({_text(e.operand, 0)}{axis})")


@_TEXT(T.Norm)
def _t_norm(e: T.Norm) -> tuple[str, int]:
    return _atom(f"||{_text(e.operand, 0)}||")


@_TEXT(T.MatrixLiteral)
def _t_matrix(e: T.MatrixLiteral) -> tuple[str, int]:
    return _atom("[" + "; ".join(", ".join(_text(x, 0) for x in row) for row in e.rows) + "]")


@_TEXT(T.IndexSum)
def _t_index_sum(e: T.IndexSum) -> tuple[str, int]:
    body = _text(e.body, 2)
    return f"sum_{{{e.index}={_text(e.lower, 0)}..{_text(e.upper, 0)}}} {body}", 1


provide("to_latex", to_latex)
provide("to_text", to_text)
