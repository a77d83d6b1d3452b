"""The attack on the formula language, kept: 20,000 generated inputs and the known ones.

Every input goes through parse, the to_latex round trip, exact and float evaluation and
scalar.build (``tests/expr/hostile.py``); only a ChainruleError may come out, no value may
be silently wrong, each stage stays within its CPU bound (the budgets of
:mod:`chainrule.expr.budget` and :mod:`chainrule.scalar.compile` keep it there), and the
whole run within a bound on memory. ``benchmarks/hostile_formulas.py`` prints the counts.
"""

from __future__ import annotations

import resource

import pytest

import chainrule as cr

from .hostile import check, corpus

SIZE = 20_000
CHUNKS = 8
# Guards against a blow-up (quadratic braces took seconds), with room for a loaded machine:
# tests assert no timing figure. The 100 ms per parse is measured by
# benchmarks/formula_parse_speed.py (worst input at the length limit: 89 ms CPU).
PARSE_LIMIT_S = 1.0  # CPU seconds of one parse
STAGE_LIMIT_S = 5.0  # CPU seconds of one evaluation or build (the budgets: about a second)
MEMORY_LIMIT_KIB = 1_500_000  # growth of the peak resident set over the whole corpus

# Building a grammar's parse tables happens once per process; load both before timing.
cr.expr.parse("x", {"x": ()}, syntax="latex")
cr.expr.parse("x", {"x": ()}, syntax="numpy")
CASES = list(corpus(SIZE))
START_RSS = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss


def test_the_corpus_is_large_and_varied() -> None:
    families = {case.family for case in CASES}
    assert len(CASES) >= SIZE
    assert families == {"known", "token soup", "characters", "seed formulas", "written"}


@pytest.mark.parametrize("chunk", range(CHUNKS))
def test_only_clear_errors_no_silent_wrong_values_bounded_time(chunk: int) -> None:
    bad, slow, verdicts = [], [], set()
    for case in CASES[chunk::CHUNKS]:
        outcome = check(case)
        verdicts.add(outcome.verdict)
        if outcome.verdict in ("crash", "silent"):
            bad.append(f"{outcome.verdict}: {case.text!r}: {outcome.detail}")
        parse = outcome.seconds.get("parse", 0.0)
        later = max((t for k, t in outcome.seconds.items() if k != "parse"), default=0.0)
        if parse > PARSE_LIMIT_S or later > STAGE_LIMIT_S:
            slow.append((case.text[:80], outcome.seconds))
    assert not bad, "\n".join(bad[:10])
    assert not slow, slow[:5]
    assert {"ok", "clear"} <= verdicts  # the chunk reached the later stages, and refusals
    grown = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - START_RSS
    assert grown < MEMORY_LIMIT_KIB, f"peak memory grew by {grown} KiB"
