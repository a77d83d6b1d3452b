"""The mutation test: every mistake the hypotheses name, made on every built-in problem's
reference, gets its own code. The share is printed (goal 100%, at least 95%)."""

from __future__ import annotations

from fractions import Fraction

import numpy as np
import pytest

import chainrule as cr
from chainrule.check.mutations import apply, mutations
from chainrule.expr import tree as T

pytest.importorskip("chainrule.derivation", reason="the bank's references come from derive")


def named_mutations(p) -> list[tuple[str, str, T.Expr]]:
    """(code, description, tree of the quantity) for each mistake the hypotheses name."""
    ref = p.reference
    quantity = ref.tree()
    out = [("sign", "sign", T.Neg(quantity))]
    factors = [Fraction(2), Fraction(1, 2)]
    out += [("scaled", f"times {f}", T.Scale(T.Constant(f), quantity)) for f in factors]
    out += [("scaled", f"times {n}", T.Scale(T.Size(n), quantity)) for n in ref.sizes]
    value = np.asarray(p.grader.ref_values[0])
    shape = quantity.shape
    if not ref.free and len(shape) == 2 and value.size > 1 and not _symmetric(value):
        out.append(("transposed", "transposed", T.Transpose(quantity)))
    for m in mutations(ref):
        try:
            tree = ref.wrap(apply(ref.base, (m,)))
        except cr.ExpressionError:
            continue
        out.append((m.code, f"{m.code} {m.details}", tree))
    return out


def _symmetric(value: np.ndarray) -> bool:
    return value.shape[0] == value.shape[1] and np.allclose(
        value.astype(float), value.astype(float).T
    )


def test_every_named_mutation_gets_its_code() -> None:
    total, misses, same = 0, [], []
    for pid in cr.check.problems():
        p = cr.check.problem(pid)
        for code, what, tree in named_mutations(p):
            if p.grader.grade_tree(tree).correct:
                same.append(f"{pid}: {what}")  # the same numbers: not a mistake here
                continue
            if p.reference.exact and code not in ("sign", "scaled"):
                continue  # one number cannot tell a dropped mask from a scaling
            total += 1
            r = p.grader.grade_tree(tree)
            if r.code != code:
                misses.append(f"{pid}: {what} -> {r.code}")
    share = 1 - len(misses) / total
    print(f"\nmutation test: {total - len(misses)}/{total} = {share:.1%}; misses:")
    print("\n".join(misses) or "(none)")
    print(f"equal to the reference on every instance (skipped): {len(same)}")
    print("\n".join(same))
    assert total >= 200
    assert share >= 0.95, misses
