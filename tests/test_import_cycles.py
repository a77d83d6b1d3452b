"""No import cycle among chainrule's own modules, imports inside functions included.

Every ``import`` and ``from ... import`` in every module under ``src/chainrule`` is read
with ``ast`` (those under ``if TYPE_CHECKING:`` aside: they never run), as are the two
imports made by name at run time: the lazy attributes of ``chainrule/__init__.py`` and the
subcommand modules the dispatcher ``chainrule.cli`` loads.
"""

from __future__ import annotations

import ast
from pathlib import Path

import chainrule
import chainrule.cli

PACKAGE = Path(chainrule.__file__).parent


def _modules() -> dict[str, Path]:
    found = {}
    for path in PACKAGE.rglob("*.py"):
        parts = path.relative_to(PACKAGE.parent).with_suffix("").parts
        if parts[-1] == "__init__":
            parts = parts[:-1]
        found[".".join(parts)] = path
    return found


MODULES = _modules()


def _is_type_checking(node: ast.If) -> bool:
    test = node.test
    return (isinstance(test, ast.Name) and test.id == "TYPE_CHECKING") or (
        isinstance(test, ast.Attribute) and test.attr == "TYPE_CHECKING"
    )


def _own(name: str) -> str | None:
    """The longest chainrule module ``name`` starts with (``import a.b.c`` loads a.b.c)."""
    while name:
        if name in MODULES:
            return name
        name = name.rpartition(".")[0]
    return None


def _imports(name: str, path: Path) -> set[str]:
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]
    found: set[str] = set()

    def visit(node: ast.AST) -> None:
        if isinstance(node, ast.If) and _is_type_checking(node):
            for child in node.orelse:
                visit(child)
            return
        if isinstance(node, ast.Import):
            found.update(filter(None, (_own(alias.name) for alias in node.names)))
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                anchor = package.rsplit(".", node.level - 1)[0] if node.level > 1 else package
                base = f"{anchor}.{base}" if base else anchor
            for alias in node.names:
                target = _own(f"{base}.{alias.name}") if f"{base}.{alias.name}" in MODULES else None
                found.add(target or _own(base) or "")
        for child in ast.iter_child_nodes(node):
            visit(child)

    visit(ast.parse(path.read_text(encoding="utf-8")))
    found.discard("")
    found.discard(name)
    return found


def _graph() -> dict[str, set[str]]:
    graph = {name: _imports(name, path) for name, path in MODULES.items()}
    graph["chainrule"] |= set(chainrule._LAZY_ATTRS.values())
    graph["chainrule"] |= {f"chainrule.{m}" for m in chainrule._LAZY_MODULES}
    graph["chainrule.cli"] |= {f"chainrule.commands.{c}" for c in chainrule.cli.COMMANDS}
    return graph


def _cycle(graph: dict[str, set[str]]) -> list[str] | None:
    """One cycle of ``graph`` as a list of modules, or None (iterative depth-first search)."""
    state: dict[str, int] = {}  # 1 on the current path, 2 done
    for root in sorted(graph):
        if state.get(root):
            continue
        path, stack = [root], [iter(sorted(graph[root]))]
        state[root] = 1
        while stack:
            nxt = next(stack[-1], None)
            if nxt is None:
                state[path.pop()] = 2
                stack.pop()
            elif state.get(nxt) == 1:
                return [*path[path.index(nxt) :], nxt]
            elif not state.get(nxt):
                state[nxt] = 1
                path.append(nxt)
                stack.append(iter(sorted(graph.get(nxt, ()))))
    return None


def test_the_reader_sees_local_imports_and_the_dynamic_ones():
    graph = _graph()
    assert "chainrule.commands.train" in graph["chainrule.cli"]
    assert "chainrule.train" in graph["chainrule"]  # cr.fit, loaded on first use
    # a function-local import: commands/train/running.py imports chainrule.data in run()
    assert "chainrule.data" in graph["chainrule.commands.train.running"]
    assert _cycle({"a": {"b"}, "b": {"c"}, "c": {"a"}}) == ["a", "b", "c", "a"]
    assert _cycle({"a": {"b"}, "b": set()}) is None


def test_no_import_cycle_among_chainrule_modules():
    cycle = _cycle(_graph())
    assert cycle is None, "import cycle: " + " -> ".join(cycle or [])
