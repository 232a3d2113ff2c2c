"""Textual stays inside labtui/ui/: every other module imports without it."""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parent.parent / "labtui"


def domain_modules() -> list[str]:
    mods = []
    for path in sorted(PACKAGE.rglob("*.py")):
        rel = path.relative_to(PACKAGE.parent).with_suffix("")
        parts = rel.parts
        if "ui" in parts[:2] or parts[-1] == "__main__":
            continue
        mods.append(".".join(p for p in parts if p != "__init__"))
    return mods


def test_there_are_domain_modules() -> None:
    assert "labtui.engine.session" in domain_modules()
    assert "labtui.cli" in domain_modules()


@pytest.mark.parametrize("module", domain_modules())
def test_module_does_not_import_textual(module: str) -> None:
    code = f"import sys, {module}; bad = [m for m in sys.modules if m == 'textual' or m.startswith('textual.')]; print(bad); sys.exit(1 if bad else 0)"
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    assert proc.returncode == 0, f"{module} imports textual: {proc.stdout}{proc.stderr}"


def module_name(path: Path) -> str:
    rel = path.relative_to(PACKAGE.parent).with_suffix("")
    return ".".join(p for p in rel.parts if p != "__init__")


def imports_of(path: Path, at_import_only: bool) -> set[str]:
    """labtui modules ``path`` imports; ``at_import_only`` skips imports inside functions.

    Imports under ``if TYPE_CHECKING:`` never run and are skipped.
    """
    tree = ast.parse(path.read_text(), str(path))
    package = (
        module_name(path) if path.name == "__init__.py" else module_name(path).rpartition(".")[0]
    )
    found: set[str] = set()

    def visit(node: ast.AST, in_function: bool) -> None:
        if isinstance(node, ast.If) and "TYPE_CHECKING" in ast.unparse(node.test):
            for child in node.orelse:
                visit(child, in_function)
            return
        runs = not (at_import_only and in_function)
        if isinstance(node, ast.Import) and runs:
            found.update(a.name for a in node.names)
        elif isinstance(node, ast.ImportFrom) and runs:
            base = node.module or ""
            if node.level:
                parent = package.split(".")[: len(package.split(".")) - node.level + 1]
                base = ".".join([*parent, *([base] if base else [])])
            found.add(base)
            found.update(f"{base}.{a.name}" for a in node.names)
        inner = in_function or isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef)
        for child in ast.iter_child_nodes(node):
            visit(child, inner)

    visit(tree, False)
    return {m for m in found if m == "labtui" or m.startswith("labtui.")}


def import_graph(at_import_only: bool) -> dict[str, set[str]]:
    files = {module_name(p): p for p in PACKAGE.rglob("*.py")}
    return {m: imports_of(p, at_import_only) & files.keys() - {m} for m, p in files.items()}


def cycles(graph: dict[str, set[str]], among: set[str]) -> list[list[str]]:
    """Each import cycle through the modules ``among`` (one path per cycle found)."""
    found: list[list[str]] = []
    done: set[str] = set()

    def walk(node: str, path: list[str]) -> None:
        for nxt in sorted(graph.get(node, set()) & among):
            if nxt in path:
                found.append([*path[path.index(nxt) :], nxt])
            elif nxt not in done:
                walk(nxt, [*path, nxt])
        done.add(node)

    for start in sorted(among):
        if start not in done:
            walk(start, [start])
    return found


def test_check_kinds_import_without_cycles() -> None:
    """No module of labtui/checks imports, even lazily, one that imports it back."""
    graph = import_graph(at_import_only=False)
    checks = {m for m in graph if m == "labtui.checks" or m.startswith("labtui.checks.")}
    assert cycles(graph, checks) == []


def test_checks_do_not_import_the_engine() -> None:
    """The engine runs checks; a check knows its lab through its context, not the engine."""
    graph = import_graph(at_import_only=False)
    engine = sorted(
        f"{m} -> {dep}"
        for m, deps in graph.items()
        if m.startswith("labtui.checks")
        for dep in deps
        if dep.startswith("labtui.engine")
    )
    assert engine == []


def test_the_app_and_its_screens_import_without_cycles() -> None:
    """Screens may name the app for typing, and the app opens screens lazily; at import time no cycle."""
    graph = import_graph(at_import_only=True)
    ui = {m for m in graph if m.startswith("labtui.ui")}
    assert cycles(graph, ui) == []


def test_the_cycle_finder_finds_a_cycle() -> None:
    graph = {"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}
    assert cycles(graph, {"a", "b", "c", "d"}) == [["a", "b", "c", "a"]]
