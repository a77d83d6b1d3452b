"""The public functions ``cr.gradcheck`` and ``cr.derive`` stay functions.

Importing a submodule binds its name on the parent package, so a package named like a
public function would replace that function once anything imported it (the doctest run,
a command). Their code lives in ``chainrule.gradient_check`` and ``chainrule.derivation``.
"""

from __future__ import annotations

import importlib
import pkgutil

import chainrule
from tests.helpers import run_python


def test_no_submodule_is_named_like_a_public_function():
    names = {info.name for info in pkgutil.iter_modules(chainrule.__path__)}
    functions = {"gradcheck", "derive", "fit", "train_step", "save", "load"}
    assert not names & functions


def test_the_functions_survive_importing_every_module():
    code = (
        "import importlib, pkgutil, chainrule as cr\n"
        "for m in pkgutil.walk_packages(cr.__path__, 'chainrule.'):\n"
        "    if not m.name.endswith('__main__') and '.explore' not in m.name: importlib.import_module(m.name)\n"
        "print(callable(cr.gradcheck), callable(cr.derive), callable(cr.fit))\n"
    )
    out = run_python(code)
    assert out.split() == ["True", "True", "True"]


def test_the_old_module_path_is_gone():
    try:
        importlib.import_module("chainrule.gradcheck")
    except ModuleNotFoundError:
        return
    raise AssertionError("chainrule.gradcheck is importable and would shadow cr.gradcheck")
