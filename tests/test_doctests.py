"""Docstring examples are runnable and right (tinygrad's habit): every module of chainrule
whose docstrings hold an example is found here and run, none listed by hand."""

from __future__ import annotations

import doctest
import importlib
from pathlib import Path

import pytest

import chainrule

PACKAGE = Path(chainrule.__file__).parent
#: Running it runs the command line.
NOT_IMPORTED = {"chainrule.__main__"}


def _modules_with_examples() -> list[str]:
    names = []
    for path in sorted(PACKAGE.rglob("*.py")):
        parts = path.relative_to(PACKAGE.parent).with_suffix("").parts
        name = ".".join(parts[:-1] if parts[-1] == "__init__" else parts)
        if name not in NOT_IMPORTED and ">>> " in path.read_text(encoding="utf-8"):
            names.append(name)
    return names


MODULES = _modules_with_examples()


def test_examples_are_found_everywhere():
    for name in ("chainrule", "chainrule.optim", "chainrule.rbm", "chainrule.expr.parse"):
        assert name in MODULES


@pytest.mark.parametrize("name", MODULES)
def test_doctests(name):
    # import_module, not attribute access: chainrule.expr.parse is also a function's name
    module = importlib.import_module(name)
    result = doctest.testmod(module, optionflags=doctest.ELLIPSIS | doctest.NORMALIZE_WHITESPACE)
    assert result.attempted > 0 and result.failed == 0
