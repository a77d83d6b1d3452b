"""The docstring examples of chainrule.scalar run and are right."""

from __future__ import annotations

import doctest
import importlib

import pytest

MODULES = [
    "chainrule.scalar",
    "chainrule.scalar.value",
    "chainrule.scalar.formula",
    "chainrule.scalar.table",
]


@pytest.mark.parametrize("name", MODULES)
def test_doctests(name):
    module = importlib.import_module(name)
    result = doctest.testmod(module, optionflags=doctest.ELLIPSIS | doctest.NORMALIZE_WHITESPACE)
    assert result.attempted > 0 and result.failed == 0
