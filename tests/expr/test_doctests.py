"""The examples in the docstrings of chainrule.expr run as written."""

from __future__ import annotations

import doctest
import importlib

import pytest


@pytest.mark.parametrize("name", ["chainrule.expr", "chainrule.expr.parse"])
def test_docstring_examples(name: str) -> None:
    # chainrule.expr.parse is also the name of the function, so fetch the module itself.
    module = importlib.import_module(name)
    result = doctest.testmod(module, optionflags=doctest.ELLIPSIS)
    assert result.attempted > 0
    assert result.failed == 0
