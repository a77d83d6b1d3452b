"""Golden outputs: every seed network derived in its own seed's notation, as committed.

The seed 003 trace is compared to the last digit (its numbers are exact fractions). Set
CHAINRULE_UPDATE_GOLDEN=1 to rewrite the files after an intended change, then review the diff.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest

import chainrule as cr

GOLDEN = Path(__file__).parent / "golden"
UPDATE = os.environ.get("CHAINRULE_UPDATE_GOLDEN") == "1"


def _outputs(name: str) -> dict[str, str]:
    d = cr.derive(name)
    out = {"tex": d.to_latex(verify=True), "txt": d.to_text(verify=True)}
    if name.startswith("seed003"):
        t = d.trace()
        out["tex"] += t.to_latex()
        out["txt"] += "\n" + t.to_text()
    return out


@pytest.mark.parametrize("name", cr.zoo.names())
def test_seed_network_in_its_own_notation_matches_the_golden_file(name):
    for ext, text in _outputs(name).items():
        path = GOLDEN / f"{name}.{ext}"
        if UPDATE:
            path.write_text(text, encoding="utf-8")
        assert path.exists(), f"{path} is missing: run with CHAINRULE_UPDATE_GOLDEN=1"
        assert text == path.read_text(encoding="utf-8"), f"{path.name} differs"


def test_seed003_trace_ends_in_minus_one_sixteenth_exactly():
    from fractions import Fraction

    t = cr.derive("seed003-relu-sigmoid-2-2-1").trace()
    assert t.entry("dW1", 1, 2) == Fraction(-1, 16)
    assert t.value("L").item() == Fraction(1, 8)
    assert t.entry("h2", 1, 1) == Fraction(1, 2)  # sigma(0) = 1/2 exactly
    assert t.ok
    text = (GOLDEN / "seed003-relu-sigmoid-2-2-1.txt").read_text(encoding="utf-8")
    assert "= [-1/8, -1/16; 0, 0]" in text


@pytest.mark.parametrize("name", cr.zoo.names())
def test_the_trace_writes_each_formula_as_the_derivation_does(name):
    d = cr.derive(name)
    derivation = d.to_text()
    for row in d.trace().to_text().splitlines()[1:]:
        if " = " in row and not row.startswith("      note:"):
            formula = row.strip().rsplit(" = ", 1)[0]
            assert formula in derivation, f"{formula!r} is written otherwise in the derivation"
