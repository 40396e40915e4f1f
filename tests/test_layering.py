"""What the import contracts cannot say: the clock rule, and no printing below the interfaces.

The layers themselves are import-linter contracts in ``pyproject.toml`` (``make lint`` runs
``lint-imports``; docs/architecture.md draws them).
"""

from __future__ import annotations

import ast
from collections.abc import Iterator
from pathlib import Path

import grimp
import pytest

from tests.conftest import ROOT

CLOCK_READS = {("datetime", "now"), ("datetime", "utcnow"), ("datetime", "today")}
CLOCK_READS |= {("date", "today"), ("time", "time"), ("time", "time_ns")}


def _files(*packages: str) -> Iterator[Path]:
    for package in packages:
        yield from sorted((ROOT / package).rglob("*.py"))


def _clock_reads(tree: ast.AST) -> list[int]:
    """Lines that call ``datetime.now()``, ``date.today()``, ``time.time()`` and the like,
    also as ``datetime.datetime.now()``."""
    lines = []
    for node in ast.walk(tree):
        if not (isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute)):
            continue
        owner = node.func.value
        name = owner.id if isinstance(owner, ast.Name) else getattr(owner, "attr", None)
        if (name, node.func.attr) in CLOCK_READS:
            lines.append(node.lineno)
    return lines


def test_nothing_reads_the_wall_clock_but_the_clock_adapter():
    offenders = {}
    for path in _files("cycle", "workflows", "notifications"):
        if path == ROOT / "cycle" / "clock.py":
            continue
        if found := _clock_reads(ast.parse(path.read_text(encoding="utf-8"))):
            offenders[str(path.relative_to(ROOT))] = found
    assert offenders == {}


def test_the_clock_rule_sees_a_clock_read():
    source = "import datetime, time\nx = datetime.datetime.now()\ny = time.time()\n"
    assert _clock_reads(ast.parse(source)) == [2, 3]


@pytest.mark.parametrize("package", ["service", "mail", "views", "persistence", "documents"])
def test_below_the_interfaces_nothing_prints_or_parses_arguments(package: str):
    for path in _files(f"cycle/{package}"):
        tree = ast.parse(path.read_text(encoding="utf-8"))
        calls = {
            node.func.id
            for node in ast.walk(tree)
            if isinstance(node, ast.Call) and isinstance(node.func, ast.Name)
        }
        imported = {
            alias.name
            for node in ast.walk(tree)
            if isinstance(node, ast.Import)
            for alias in node.names
        }
        assert "argparse" not in imported, path
        if package != "views":  # the read models' printing moves to cycle/cli (issue 17)
            assert "print" not in calls, path


def test_no_import_cycle_inside_cycle():
    """Module- and function-level imports (``TYPE_CHECKING`` blocks excluded), as grimp reads
    them: every strongly connected part of the graph is a single module."""
    graph = grimp.build_graph("cycle", exclude_type_checking_imports=True)
    assert _cycles(graph) == []


def test_the_cycle_check_finds_a_cycle():
    graph = grimp.ImportGraph()
    for module in ("p", "p.a", "p.b", "p.c"):
        graph.add_module(module)
    graph.add_import(importer="p.a", imported="p.b")
    graph.add_import(importer="p.b", imported="p.a")
    graph.add_import(importer="p.b", imported="p.c")
    assert _cycles(graph) == [["p.a", "p.b"]]


def _cycles(graph: grimp.ImportGraph) -> list[list[str]]:
    """Tarjan's strongly connected components of more than one module."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    found: list[list[str]] = []

    def visit(module: str) -> None:
        index[module] = low[module] = len(index)
        stack.append(module)
        for imported in sorted(graph.find_modules_directly_imported_by(module)):
            if imported not in index:
                visit(imported)
                low[module] = min(low[module], low[imported])
            elif imported in stack:
                low[module] = min(low[module], index[imported])
        if low[module] == index[module]:
            part = []
            while True:
                top = stack.pop()
                part.append(top)
                if top == module:
                    break
            if len(part) > 1:
                found.append(sorted(part))

    for module in sorted(graph.modules):
        if module not in index:
            visit(module)
    return found
