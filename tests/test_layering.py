"""The dependency direction of STYLE.md: cycle → workflows, cycle → notifications, never back."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

from tests.conftest import ROOT

FORBIDDEN = {
    "workflows": ("cycle", "notifications"),
    "notifications": ("cycle", "workflows"),
}


def _imports(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    names: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names.update(alias.name.split(".")[0] for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names.add(node.module.split(".")[0])
    return names


@pytest.mark.parametrize("package", sorted(FORBIDDEN))
def test_inner_packages_do_not_import_against_the_direction(package: str):
    offenders = {
        str(path.relative_to(ROOT)): sorted(_imports(path) & set(FORBIDDEN[package]))
        for path in (ROOT / package).rglob("*.py")
    }
    assert {k: v for k, v in offenders.items() if v} == {}


def test_the_layering_check_sees_imports():
    assert "cycle" in _imports(ROOT / "cycle" / "cli.py")
    assert "workflows" in _imports(ROOT / "cycle" / "events.py")
