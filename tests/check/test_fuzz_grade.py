"""The expression fuzz corpus through ``grade``: only results come out, never an exception.

The strings come from the expression fuzz test's own generators (token soups, random
characters, mutated seed formulas), plus mutations of the bank's fixtures, graded
against problems in four notations.
"""

from __future__ import annotations

import random
import zlib

import pytest

import chainrule as cr
from chainrule.check.result import CODES, Result

from ..expr.test_fuzz import ALPHABET, SEEDS, mutate, soup

pytest.importorskip("chainrule.derivation", reason="the bank's references come from derive")

PROBLEMS = ["seed001-q1.11", "seed002-dW1", "seed004-mlp-dW1", "seed003-rbm-dc", "seed001-q1.10"]
PER_PROBLEM = 2000


def corpus(seed: int, count: int) -> list[str]:
    rng = random.Random(seed)
    fixtures = [f["answer"] for pid in cr.check.problems() for f in cr.check.problem(pid).fixtures]
    out = []
    for k in range(count):
        kind = k % 4
        if kind == 0:
            out.append(soup(rng))
        elif kind == 1:
            out.append("".join(rng.choice(ALPHABET) for _ in range(rng.randint(0, 60))))
        elif kind == 2:
            out.append(mutate(rng.choice(SEEDS), rng))
        else:
            out.append(mutate(rng.choice(fixtures), rng))
    return out


@pytest.mark.parametrize("pid", PROBLEMS)
def test_fuzz_corpus_gives_only_results(pid: str) -> None:
    p = cr.check.problem(pid)
    codes = set()
    for text in corpus(zlib.crc32(pid.encode()), PER_PROBLEM):
        r = p.grade(text)
        assert isinstance(r, Result) and r.code in CODES and r.message
        codes.add(r.code)
    assert "parse_error" in codes
