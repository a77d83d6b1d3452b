r"""The element-wise index form of a step: one entry of a matrix formula, with ``\sum`` over
the batch index and over units wherever a product contracts them.

``entry(tree, (i, j))`` writes entry ``(i, j)`` of ``tree`` as a scalar tree: a matrix
product becomes :math:`\sum_k A_{i,k} B_{k,j}` (no sum over a size of 1), a transpose swaps
the indices, element-wise operations act entry by entry (a broadcast axis takes index 1), a
scalar stays. Seed 001's ``dl/dW^2_{i,j} = \delta W^3_{1,i} [z^2_{1,i} > 0] h^1_{1,j}`` is
the entry of its matrix answer.
"""

from __future__ import annotations

from collections.abc import Iterator

from chainrule.derivation.step import Step
from chainrule.errors import ExpressionError
from chainrule.expr import tree as T
from chainrule.expr.maps import substitute
from chainrule.expr.render import to_latex, to_text

__all__ = ["ElementForm", "element_forms", "entry"]

OUTPUT_INDICES = ("i", "j")
SUM_INDICES = ("k", "q", "r", "s", "p", "m", "t", "v", "w", "a", "c", "e")


class _Fresh:
    def __init__(self, taken: set[str]) -> None:
        self.names: Iterator[str] = iter([n for n in SUM_INDICES if n not in taken])

    def __call__(self) -> str:
        try:
            return next(self.names)
        except StopIteration:
            raise ExpressionError("the element form needs more summation indices") from None


def _size(dim) -> T.Expr:
    return T.Size(dim) if isinstance(dim, str) else T.Constant(dim)


def _times(a: T.Expr, b: T.Expr) -> T.Expr:
    if isinstance(a, T.Constant) and a.value == 1:
        return b
    if isinstance(b, T.Constant) and b.value == 1:
        return a
    return T.Scale(a, b)


def _at(e: T.Expr, idx: tuple[T.Expr, ...]) -> tuple[T.Expr, ...]:
    """The indices of ``e`` given those of a value it is broadcast into (from the right)."""
    own = idx[len(idx) - len(e.shape) :] if e.shape else ()
    return tuple(T.Constant(1) if d == 1 else i for d, i in zip(e.shape, own, strict=True))


def entry(e: T.Expr, idx: tuple[T.Expr, ...], fresh: _Fresh | None = None) -> T.Expr:
    """Entry ``idx`` (index trees, from 1) of ``e`` as a scalar tree."""
    fresh = fresh or _Fresh({i.name for i in idx if isinstance(i, T.IndexVar)})
    if not e.shape:
        return e
    if isinstance(e, T.Symbol):
        return T.Index(e, idx)
    if isinstance(e, T.Ones):
        return T.Constant(1)
    if isinstance(e, T.Transpose):
        return entry(e.operand, tuple(reversed(idx)), fresh)
    if isinstance(e, T.MatMul):
        return _matmul(e, idx, fresh)
    if isinstance(e, T.Add | T.Sub):
        return type(e)(
            entry(e.left, _at(e.left, idx), fresh), entry(e.right, _at(e.right, idx), fresh)
        )
    if isinstance(e, T.ElementwiseProduct):
        return _times(
            entry(e.left, _at(e.left, idx), fresh), entry(e.right, _at(e.right, idx), fresh)
        )
    if isinstance(e, T.Div):
        num = entry(e.numerator, _at(e.numerator, idx), fresh)
        return T.Div(num, entry(e.denominator, _at(e.denominator, idx), fresh))
    if isinstance(e, T.Scale):
        return _times(e.factor, entry(e.operand, idx, fresh))
    if isinstance(e, T.Neg):
        return T.Neg(entry(e.operand, idx, fresh))
    if isinstance(e, T.Power):
        return T.Power(entry(e.base, idx, fresh), e.exponent)
    if isinstance(e, T.Indicator):
        return T.Indicator(entry(e.left, _at(e.left, idx), fresh), e.relation,
                           entry(e.right, _at(e.right, idx), fresh))  # fmt: skip
    if isinstance(e, T.Apply) and e.function != "softmax":
        return T.Apply(e.function, tuple(entry(a, _at(a, idx), fresh) for a in e.args), e.order)
    return T.Index(e, idx)  # a row-wise function (softmax): its entry as written


def _matmul(e: T.MatMul, idx: tuple[T.Expr, ...], fresh: _Fresh) -> T.Expr:
    left, right = e.left, e.right
    inner = left.shape[-1]
    rows = idx[:1] if len(left.shape) == 2 else ()
    cols = idx[len(rows) :] if len(right.shape) == 2 else ()
    if inner == 1:
        k: T.Expr = T.Constant(1)
        return _times(entry(left, (*rows, k), fresh), entry(right, (k, *cols), fresh))
    name = fresh()
    k = T.IndexVar(name)
    body = _times(entry(left, (*rows, k), fresh), entry(right, (k, *cols), fresh))
    return T.IndexSum(name, T.Constant(1), _size(inner), body)


class ElementForm:
    """The index form of one step: ``lhs`` (LaTeX), ``tree`` (scalar, free indices ``i``,
    ``j``), ``indices`` (the free index names for the step's axes)."""

    def __init__(self, step: Step, lhs: str, tree: T.Expr, indices: tuple[str, ...]) -> None:
        self.step, self.lhs, self.tree, self.indices = step, lhs, tree, indices

    @property
    def latex(self) -> str:
        return f"{self.lhs} = {to_latex(self.tree)}"

    @property
    def text(self) -> str:
        idx = ",".join(self.indices)
        return f"{to_text(self.step.quantity)}[{idx}] = {to_text(self.tree)}"


def element_forms(d) -> dict[str, ElementForm]:
    """The index form of each backward step of ``d`` (by step name), written from the
    formula with every earlier gradient expanded except the one at the output (seed 000's
    "fully expanded except dL/df")."""
    plan, nt = d.plan, d.notation
    out_key = f"d{plan.output}"
    keep = {s.quantity.name for s in d.steps if s.name == out_key}
    mapping: dict[str, T.Expr] = {}
    forms: dict[str, ElementForm] = {}
    for s in d.steps:
        if s.kind in ("forward", "loss"):
            continue
        tree = substitute(s.expr, mapping)
        if s.quantity.name not in keep:
            mapping[s.quantity.name] = tree
        if s.kind == "output":
            continue
        indices = OUTPUT_INDICES[: len(s.shape)]
        idx = tuple(T.IndexVar(i) for i in indices)
        wrt = plan.q[s.name[1:]].name if s.name[1:] in plan.q else s.quantity.name
        lhs = nt.grad(f"{{{wrt}}}_{{{','.join(indices)}}}")
        forms[s.name] = ElementForm(s, lhs, entry(tree, idx), indices)
    return forms
