"""The hypotheses as mutations of the reference tree, generated from the network.

Each :class:`Mutation` is one named mistake: an activation's derivative dropped (per layer),
the function used for its derivative or the derivative taken at the activation instead of
the pre-activation, the factors of one product swapped, a batch sum dropped, the L2 term
dropped or with its factor halved or doubled. A rule sees a node of the original tree and
returns its replacement (rebuilding kept sub-trees with every rule), so any two mutations
compose into one tree (:func:`candidates` pairs them).

The transposed, scaled and sign hypotheses need no mutation: they compare the answer with
the reference itself (see :mod:`chainrule.check.match`).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from fractions import Fraction
from itertools import combinations
from typing import Any

from chainrule.check.reference import Activation, Reference
from chainrule.check.result import MUTATION_CODES
from chainrule.check.trees import rebuild
from chainrule.errors import ExpressionError
from chainrule.expr import tree as T
from chainrule.expr.glyphs import plain_text
from chainrule.expr.render import to_latex

__all__ = ["CODE_ORDER", "Candidate", "Mutation", "candidates", "mutations"]

#: The order in which mutation codes are tried (first match wins).
CODE_ORDER = MUTATION_CODES
MAX_CANDIDATES = 240

Recurse = Callable[[T.Expr], T.Expr]
Rule = Callable[[T.Expr, Recurse], "T.Expr | None"]


@dataclass(frozen=True)
class Mutation:
    """One named mistake: its code, the facts for the message, and its rewrite rule."""

    code: str
    details: dict[str, Any]
    target: T.Expr = field(compare=False)
    rule: Rule = field(compare=False)


@dataclass
class Candidate:
    """A mutated reference: the codes it stands for (main first) and its tree."""

    codes: tuple[str, ...]
    details: dict[str, Any]
    tree: T.Expr


def apply(base: T.Expr, chosen: tuple[Mutation, ...]) -> T.Expr:
    """``base`` with every rule of ``chosen`` applied in one rebuild."""

    def change(node: T.Expr) -> T.Expr | None:
        for m in chosen:
            if node is m.target:
                return m.rule(node, lambda sub: rebuild(sub, change))
        return None

    return rebuild(base, change)


def mutations(ref: Reference) -> list[Mutation]:
    """Every single mutation of ``ref.base`` the network names, in :data:`CODE_ORDER`."""
    found = [
        *_mask_mutations(ref),
        *_apply_mutations(ref),
        *_swap_mutations(ref.base),
        *_batch_sum_mutations(ref),
        *_l2_mutations(ref),
    ]
    return sorted(found, key=lambda m: CODE_ORDER.index(m.code))


def candidates(ref: Reference) -> list[Candidate]:
    """Trees for every single mutation, then for pairs of mutations on different nodes.

    Mutations that no longer fit (shapes) are left out; so are duplicates of a tree
    already listed and of the reference itself.
    """
    singles = mutations(ref)
    seen = {ref.base}
    out: list[Candidate] = []
    groups: list[tuple[Mutation, ...]] = [(m,) for m in singles]
    groups += [pair for pair in combinations(singles, 2) if pair[0].target is not pair[1].target]
    for group in groups:
        if len(out) >= MAX_CANDIDATES:
            break
        try:
            tree = apply(ref.base, group)
        except ExpressionError:
            continue
        if tree in seen:
            continue
        seen.add(tree)
        codes = tuple(dict.fromkeys(m.code for m in group))
        details: dict[str, Any] = {}
        for m in reversed(group):
            details.update(m.details)
        if len(group) > 1:
            details["mistakes"] = [dict(m.details, code=m.code) for m in group]
        out.append(Candidate(codes, details, tree))
    return out


# ---------------------------------------------------------------- activation derivatives


def _activation_of(factor: T.Expr, ref: Reference) -> Activation | None:
    """The activation whose derivative ``factor`` is, or None."""
    by_pre = {a.pre: a for a in ref.activations}
    by_out = {a.output: a for a in ref.activations}
    if isinstance(factor, T.Transpose):
        return _activation_of(factor.operand, ref)
    if isinstance(factor, T.Apply) and factor.order >= 1 and len(factor.args) == 1:
        arg = factor.args[0]
        if isinstance(arg, T.Transpose):
            arg = arg.operand
        if isinstance(arg, T.Symbol) and arg.name in by_pre:
            return by_pre[arg.name]
    if isinstance(factor, T.Indicator) and factor.relation in (">", ">="):
        left = factor.left.operand if isinstance(factor.left, T.Transpose) else factor.left
        if isinstance(left, T.Symbol):
            act = by_pre.get(left.name) or by_out.get(left.name)
            if act is not None and act.function == "relu":
                return act
    if isinstance(factor, T.ElementwiseProduct):
        a, b = factor.left, factor.right
        for s, rest in ((a, b), (b, a)):
            if isinstance(s, T.Symbol) and isinstance(rest, T.Sub) and rest.right == s:
                act = by_out.get(s.name)
                if act is not None and act.function == "sigmoid":
                    return act
    if isinstance(factor, T.Sub) and isinstance(factor.right, T.Power):
        s = factor.right.base
        if isinstance(s, T.Symbol) and by_out.get(s.name) is not None:
            act = by_out[s.name]
            return act if act.function == "tanh" else None
    return None


def _output_symbol(factor: T.Expr, act: Activation, ref: Reference) -> T.Expr | None:
    """The activation's output as a Symbol with the shape the factor has, if known
    (``f(z)`` itself where the output has no name)."""
    if not act.output:
        for node in factor.walk():
            if isinstance(node, T.Symbol) and node.name == act.pre:
                return T.Apply(act.function, (node,))
        return None
    shape = ref.symbols.get(act.output)
    for node in factor.walk():
        if isinstance(node, T.Symbol) and node.name in (act.pre, act.output):
            shape = node.shape
            break
    if shape is None:
        return None
    symbol = T.Symbol(act.output, shape)
    return symbol if symbol.shape == factor.shape else None


def _mask_mutations(ref: Reference) -> Iterator[Mutation]:
    for node in ref.base.walk():
        if not isinstance(node, T.ElementwiseProduct):
            continue
        for kept, factor in ((node.left, node.right), (node.right, node.left)):
            act = _activation_of(factor, ref)
            if act is not None:
                yield from _mask_rules(node, kept, factor, act, ref)
        left, right = node.left, node.right
        # (x ⊙ A) ⊙ (1 - A): the sigmoid's derivative spread over two products.
        if (
            isinstance(left, T.ElementwiseProduct)
            and isinstance(right, T.Sub)
            and isinstance(left.right, T.Symbol)
            and right.right == left.right
        ):
            factor = T.ElementwiseProduct(left.right, right)
            act = _activation_of(factor, ref)
            if act is not None:
                yield from _mask_rules(node, left.left, factor, act, ref)


def _mask_rules(node, kept, factor, act: Activation, ref: Reference) -> Iterator[Mutation]:
    facts = {"layer": act.layer, "function": act.function, **_shown("subformula", factor)}
    yield Mutation("missing_mask", facts, node, lambda _n, rec, k=kept: rec(k))
    output = _output_symbol(factor, act, ref)
    if output is None:
        return
    at_output = T.Apply(act.function, (output,), 1)
    for kind, new in (("function", output), ("argument", at_output)):
        # relu'(h) = [h > 0] = [z > 0]: the argument does not matter for a ReLU
        if new == factor or (kind == "argument" and act.function == "relu"):
            continue
        yield Mutation(
            "wrong_derivative",
            dict(facts, kind=kind, **_shown("written", new)),
            node,
            lambda _n, rec, k=kept, new=new: T.ElementwiseProduct(rec(k), new),
        )


def _apply_mutations(ref: Reference) -> Iterator[Mutation]:
    """``f'(u)`` written as ``f(u)``, for derivatives that are not a layer's mask."""
    masks = {id(m.target) for m in _mask_mutations(ref)}
    if masks:
        return
    for node in ref.base.walk():
        if isinstance(node, T.Apply) and node.order >= 1:
            new = T.Apply(node.function, node.args, node.order - 1)
            yield Mutation(
                "wrong_derivative",
                {"kind": "function", **_shown("written", new), **_shown("subformula", node)},
                node,
                lambda _n, _rec, new=new: new,
            )


# ---------------------------------------------------------------- products, sums, L2


def _swap_mutations(base: T.Expr) -> Iterator[Mutation]:
    for node in base.walk():
        # an inner product u^T v of two vectors commutes: not a mistake
        if isinstance(node, T.MatMul) and node.shape != ():
            yield Mutation(
                "swapped_order",
                _shown("subformula", node),
                node,
                lambda n, rec: T.MatMul(rec(n.right), rec(n.left)),
            )


def _is_ones(node: T.Expr, ones: set[str]) -> bool:
    if isinstance(node, T.Transpose):
        node = node.operand
    return isinstance(node, T.Ones) or (isinstance(node, T.Symbol) and node.name in ones)


def _batch_sum_mutations(ref: Reference) -> Iterator[Mutation]:
    ones = set(ref.ones)
    for node in ref.base.walk():
        if isinstance(node, T.Sum) and all(d == 1 for d in node.operand.shape):
            continue
        if isinstance(node, T.Sum):
            kept = node.operand
        elif isinstance(node, T.MatMul) and _is_ones(node.right, ones):
            kept = node.left
        elif isinstance(node, T.MatMul) and _is_ones(node.left, ones):
            kept = node.right
        else:
            continue
        yield Mutation(
            "missing_batch_sum",
            _shown("subformula", node),
            node,
            lambda _n, rec, k=kept: rec(k),
        )


def _shown(key: str, node: T.Expr) -> dict[str, str]:
    """A sub-formula for the details: ``key`` as LaTeX (for graders and reports), and
    ``key_text`` as the plain text the messages show."""
    return {key: to_latex(node), f"{key}_text": plain_text(node)}


def _mentions(node: T.Expr, name: str) -> bool:
    return any(isinstance(n, T.Symbol) and n.name == name for n in node.walk())


def _l2_mutations(ref: Reference) -> Iterator[Mutation]:
    if ref.l2 is None:
        return
    for node in ref.base.walk():
        if not isinstance(node, T.Add | T.Sub):
            continue
        for term, other in ((node.right, node.left), (node.left, node.right)):
            if _mentions(term, ref.l2) and not _mentions(other, ref.l2):
                facts = _shown("term", term)
                yield Mutation(
                    "missing_regularization", facts, node, lambda _n, rec, k=other: rec(k)
                )
                for factor in (Fraction(1, 2), Fraction(2)):
                    yield Mutation(
                        "regularization_factor",
                        dict(facts, factor=factor),
                        term,
                        lambda n, _rec, f=factor: T.Scale(T.Constant(f), n),
                    )
                break
