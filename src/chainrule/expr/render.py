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
from chainrule.expr.symbols import compose, split_key

__all__ = ["to_latex", "to_text"]

_ADD, _TERM, _SIGNED, _JUXT, _POSTFIX, _ATOM = 1, 2, 3, 4, 5, 6
_LATEX_FUNCTION = {
    "sigmoid": "\\sigma", "exp": "\\exp", "log": "\\log", "tanh": "\\tanh",
    "max": "\\max", "min": "\\min",
}  # fmt: skip
_LATEX_RELATION = {">=": "\\geq", "<=": "\\leq", "==": "=", "!=": "\\neq", ">": ">", "<": "<"}


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


class _Latex:
    def render(self, e: T.Expr, context: int) -> str:
        text, level = self.node(e)
        return f"({text})" if level < context else text

    def node(self, e: T.Expr) -> tuple[str, int]:
        r = self.render
        if isinstance(e, T.Symbol):
            parts = _symbol_parts(e.name)
            if parts is None:
                return f"\\mathrm{{{e.name}}}", _ATOM
            return compose(*parts), _ATOM
        if isinstance(e, T.Constant):
            return constant_latex(e.value), _ATOM
        if isinstance(e, T.Size | T.IndexVar):
            return e.name, _JUXT
        if isinstance(e, T.Identity):
            return f"I_{{{e.size}}}", _JUXT
        if isinstance(e, T.Ones):
            return "\\mathbf{1}_{" + " \\times ".join(map(str, e.dims)) + "}", _JUXT
        if isinstance(e, T.Equation):
            return " = ".join(r(s, _ADD) for s in e.sides), 0
        if isinstance(e, T.Add | T.Sub):
            op = " + " if isinstance(e, T.Add) else " - "
            return r(e.left, _ADD) + op + r(e.right, _SIGNED + 1), _ADD
        if isinstance(e, T.Neg):
            return "-" + r(e.operand, _SIGNED), _SIGNED
        if isinstance(e, T.ElementwiseProduct):
            return r(e.left, _TERM) + " \\odot " + r(e.right, _SIGNED), _TERM
        if isinstance(e, T.Scale):
            return r(e.factor, _JUXT) + " " + r(e.operand, _POSTFIX), _JUXT
        if isinstance(e, T.MatMul):
            return r(e.left, _JUXT) + " " + r(e.right, _POSTFIX), _JUXT
        if isinstance(e, T.Div):
            return f"\\frac{{{r(e.numerator, 0)}}}{{{r(e.denominator, 0)}}}", _ATOM
        if isinstance(e, T.Transpose):
            return self.scripted(e.operand, None, None, transpose=True), _POSTFIX
        if isinstance(e, T.Power):
            return self.scripted(e.base, None, r(e.exponent, 0)), _POSTFIX
        if isinstance(e, T.Index):
            items = ",".join(":" if isinstance(i, T.Slice) else r(i, 0) for i in e.indices)
            return self.scripted(e.operand, items, None), _POSTFIX
        if isinstance(e, T.Apply):
            return self.apply(e), _ATOM
        if isinstance(e, T.Indicator):
            rel = _LATEX_RELATION[e.relation]
            return f"[{r(e.left, _ADD)} {rel} {r(e.right, _ADD)}]", _ATOM
        if isinstance(e, T.Sum):
            axis = "" if e.axis is None else f"_{{{e.axis}}}" if e.axis >= 0 else f"_{{-{-e.axis}}}"
            return f"\\operatorname{{sum}}{axis}({r(e.operand, 0)})", _ATOM
        if isinstance(e, T.Norm):
            return f"\\left\\|{r(e.operand, 0)}\\right\\|", _ATOM
        if isinstance(e, T.MatrixLiteral):
            rows = " \\\\ ".join(" & ".join(r(x, _ADD) for x in row) for row in e.rows)
            return f"\\begin{{bmatrix}} {rows} \\end{{bmatrix}}", _ATOM
        if isinstance(e, T.IndexSum):
            limits = f"\\sum_{{{e.index}={r(e.lower, 0)}}}^{{{r(e.upper, 0)}}} "
            return limits + r(e.body, _TERM), _ADD
        raise TypeError(f"cannot print {type(e).__name__}")  # pragma: no cover

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
        safe = isinstance(operand, T.Constant | T.Norm | T.MatrixLiteral | T.Indicator | T.Ones)
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


def _text(e: T.Expr, context: int) -> str:
    def wrap(text: str, level: int) -> str:
        return f"({text})" if level < context else text

    if isinstance(e, T.Symbol):
        return _name(e.name)
    if isinstance(e, T.Constant):
        v = e.value
        return str(v.numerator) if v.denominator == 1 else wrap(f"{v}", 2)
    if isinstance(e, T.Size | T.IndexVar):
        return e.name
    if isinstance(e, T.Identity):
        return f"I[{e.size}]"
    if isinstance(e, T.Ones):
        return f"ones{tuple(e.dims)}"
    if isinstance(e, T.Slice):
        return ":"
    if isinstance(e, T.Equation):
        return " = ".join(_text(s, 1) for s in e.sides)
    binary = {T.Add: ("+", 1), T.Sub: ("-", 1), T.MatMul: ("@", 2)}
    binary.update({T.ElementwiseProduct: ("*", 2)})
    if type(e) in binary:
        op, level = binary[type(e)]
        return wrap(f"{_text(e.left, level)} {op} {_text(e.right, level + 1)}", level)
    if isinstance(e, T.Scale):
        return wrap(f"{_text(e.factor, 2)} * {_text(e.operand, 3)}", 2)
    if isinstance(e, T.Div):
        return wrap(f"{_text(e.numerator, 2)} / {_text(e.denominator, 3)}", 2)
    if isinstance(e, T.Neg):
        return wrap(f"-{_text(e.operand, 3)}", 3)
    if isinstance(e, T.Power):
        return wrap(f"{_text(e.base, 5)}**{_text(e.exponent, 4)}", 4)
    if isinstance(e, T.Transpose):
        return f"{_text(e.operand, 5)}.T"
    if isinstance(e, T.Index):
        return f"{_text(e.operand, 5)}[{', '.join(_text(i, 0) for i in e.indices)}]"
    if isinstance(e, T.Apply):
        primes = "'" * e.order
        return f"{e.function}{primes}({', '.join(_text(a, 0) for a in e.args)})"
    if isinstance(e, T.Indicator):
        return f"[{_text(e.left, 1)} {e.relation} {_text(e.right, 1)}]"
    if isinstance(e, T.Sum):
        axis = "" if e.axis is None else f", axis={e.axis}"
        return f"sum({_text(e.operand, 0)}{axis})"
    if isinstance(e, T.Norm):
        return f"||{_text(e.operand, 0)}||"
    if isinstance(e, T.MatrixLiteral):
        return "[" + "; ".join(", ".join(_text(x, 0) for x in row) for row in e.rows) + "]"
    if isinstance(e, T.IndexSum):
        body = _text(e.body, 2)
        return wrap(f"sum_{{{e.index}={_text(e.lower, 0)}..{_text(e.upper, 0)}}} {body}", 1)
    raise TypeError(f"cannot print {type(e).__name__}")  # pragma: no cover
