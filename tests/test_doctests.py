"""Docstring examples are runnable and right (tinygrad's habit)."""

from __future__ import annotations

import doctest
import importlib

import pytest

MODULES = [
    "chainrule",
    "chainrule.model",
    "chainrule.zoo",
    "chainrule.derivation",
    "chainrule.formulas",
    "chainrule.expr.maps",
]


@pytest.mark.parametrize("name", MODULES)
def test_doctests(name):
    module = importlib.import_module(name)
    result = doctest.testmod(module, optionflags=doctest.ELLIPSIS | doctest.NORMALIZE_WHITESPACE)
    assert result.attempted > 0 and result.failed == 0
