"""One dispatch style: every interpreter has a rule for every node kind, and no cycles.

The interpreters register their rules by node class (:mod:`chainrule.expr.visit`); a node
kind that one of them forgets is found here, not by a user at run time.
"""

from __future__ import annotations

import ast
import importlib
from dataclasses import dataclass
from pathlib import Path

import pytest

import chainrule.expr
import chainrule.scalar.formula  # registers the scalar-graph rules
from chainrule.errors import ExpressionError
from chainrule.expr import tree as T
from chainrule.expr.visit import INTERPRETERS, Rules

SRC = Path(chainrule.expr.__file__).resolve().parents[1]
# The formula language's own packages; each module is imported so its rules register.
OWNED = ("expr", "scalar")


def _modules() -> list[str]:
    names = []
    for package in OWNED:
        for path in sorted((SRC / package).glob("*.py")):
            stem = path.stem
            names.append(f"chainrule.{package}" + ("" if stem == "__init__" else f".{stem}"))
    return names


for _name in _modules():
    importlib.import_module(_name)


def test_the_interpreters_are_the_known_ones() -> None:
    assert {"evaluate", "to_latex", "to_text", "scalar graph"} <= set(INTERPRETERS)


@pytest.mark.parametrize("name", sorted(INTERPRETERS))
def test_every_interpreter_has_a_rule_for_every_node_kind(name: str) -> None:
    missing = INTERPRETERS[name].missing()
    assert not missing, f"{name} has no rule for {[cls.__name__ for cls in missing]}"


def test_a_forgotten_node_kind_is_found() -> None:
    @dataclass(frozen=True)
    class Forgotten(T.Expr):
        def __post_init__(self) -> None:
            self._set_shape(())

    try:
        for rules in INTERPRETERS.values():
            assert Forgotten in rules.missing()
        with pytest.raises(ExpressionError, match="no rule for the node kind Forgotten"):
            chainrule.expr.to_latex(Forgotten())
    finally:
        T.NODE_CLASSES.remove(Forgotten)
    assert all(not rules.missing() for rules in INTERPRETERS.values())


def test_a_rule_is_registered_once() -> None:
    rules = Rules("test-twice")
    try:
        rules(T.Add)(lambda node: node)
        with pytest.raises(TypeError, match="handles Add twice"):
            rules(T.Add)(lambda node: node)
    finally:
        del INTERPRETERS["test-twice"]


def _file(module: str) -> Path | None:
    """The source file of a chainrule module, or None when ``module`` is not one."""
    path = SRC.joinpath(*module.split(".")[1:])
    if path.is_dir():
        return path / "__init__.py"
    return path.with_suffix(".py") if path.with_suffix(".py").is_file() else None


def _imports(module: str) -> set[str]:
    """Every chainrule module ``module`` imports, at the top or inside a function."""
    found = set()
    source = _file(module).read_text(encoding="utf-8")  # type: ignore[union-attr]
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Import):
            found.update(a.name for a in node.names if a.name.startswith("chainrule"))
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            if not node.module.startswith("chainrule"):
                continue
            for alias in node.names:
                sub = f"{node.module}.{alias.name}"
                found.add(sub if _file(sub) is not None else node.module)
    return found - {module}


def test_no_import_cycle_in_the_formula_packages() -> None:
    graph = {m: {d for d in _imports(m) if d in set(_modules())} for m in _modules()}
    done: set[str] = set()

    def visit(module: str, path: list[str]) -> None:
        if module in path:
            cycle = [*path[path.index(module) :], module]
            raise AssertionError("import cycle: " + " -> ".join(cycle))
        if module in done:
            return
        for dep in sorted(graph[module]):
            visit(dep, [*path, module])
        done.add(module)

    for module in graph:
        visit(module, [])


def test_handlers_refuse_what_is_not_a_tree() -> None:
    with pytest.raises(ExpressionError, match="needs an expression tree"):
        chainrule.expr.to_latex("x")  # type: ignore[arg-type]
    with pytest.raises(ExpressionError, match="needs an expression tree"):
        chainrule.expr.evaluate(3, {})  # type: ignore[arg-type]
