"""The dependency direction of STYLE.md, between the top packages and inside ``cycle/``.

Top level: cycle → workflows, cycle → notifications, never back; workflows and notifications
never import each other.

Inside ``cycle/`` (docs/architecture.md draws it):

    interfaces (cli, web, portal, runtime)
        → service layer (service, simulation)
            → mail pipeline (mail) → read models (views)
                → persistence, config, documents, kernel (bootstrap, clock, errors, uids)

A layer imports only layers below it; nothing imports an interface; read models never open a
write transaction; the service layer neither prints, nor parses arguments, nor reads the clock.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

from tests.conftest import ROOT

FORBIDDEN = {
    "workflows": ("cycle", "notifications"),
    "notifications": ("cycle", "workflows"),
}

INTERFACES = ("cli", "web", "portal", "runtime")
SERVICE = ("service", "simulation")
BELOW_SERVICE = ("mail", "views", "persistence", "config", "documents")
# package -> packages of cycle it must never import
INNER_FORBIDDEN: dict[str, tuple[str, ...]] = {
    "service": (*INTERFACES, "simulation"),
    "simulation": INTERFACES,
    "mail": (*INTERFACES, *SERVICE),
    "views": (*INTERFACES, *SERVICE, "mail"),
    "persistence": (*INTERFACES, *SERVICE, "mail", "views", "documents"),
    "config": (*INTERFACES, *SERVICE, "mail", "views", "persistence", "documents"),
    "documents": (*INTERFACES, *SERVICE, "mail", "views", "persistence"),
    "web": ("cli", "runtime"),
    "portal": ("cli", "runtime"),
    "runtime": ("cli", "web", "portal"),
    # cli is the program's entry point: ``zyklus web`` and ``zyklus run`` start the others.
}


def _modules(path: Path) -> set[str]:
    """Every module named by an absolute import in ``path``, dotted, at any depth."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    names: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names.add(node.module)
            names.update(f"{node.module}.{alias.name}" for alias in node.names)
    return names


def _imports(path: Path) -> set[str]:
    return {name.split(".")[0] for name in _modules(path)}


def _cycle_packages(path: Path) -> set[str]:
    return {
        name.split(".")[1]
        for name in _modules(path)
        if name.startswith("cycle.") and len(name.split(".")) > 1
    }


def _files(package: str) -> list[Path]:
    return sorted((ROOT / package).rglob("*.py"))


@pytest.mark.parametrize("package", sorted(FORBIDDEN))
def test_inner_packages_do_not_import_against_the_direction(package: str):
    offenders = {
        str(path.relative_to(ROOT)): sorted(_imports(path) & set(FORBIDDEN[package]))
        for path in _files(package)
    }
    assert {k: v for k, v in offenders.items() if v} == {}


@pytest.mark.parametrize("layer", sorted(INNER_FORBIDDEN))
def test_layers_inside_cycle_import_only_downwards(layer: str):
    offenders = {
        str(path.relative_to(ROOT)): sorted(_cycle_packages(path) & set(INNER_FORBIDDEN[layer]))
        for path in _files(f"cycle/{layer}")
    }
    assert {k: v for k, v in offenders.items() if v} == {}


def test_the_kernel_and_nothing_below_imports_an_interface():
    kernel = [ROOT / "cycle" / f"{m}.py" for m in ("bootstrap", "clock", "errors", "uids")]
    for path in kernel + _files("cycle/documents"):
        assert not _cycle_packages(path) & set(INTERFACES), path


def test_read_models_never_open_a_write_transaction():
    for path in _files("cycle/views"):
        assert "cycle.persistence.uow.transaction" not in _modules(path), path


@pytest.mark.parametrize("package", ["service", "simulation"])
def test_the_service_layer_neither_prints_nor_parses_arguments_nor_reads_the_clock(package: str):
    for path in _files(f"cycle/{package}"):
        source = path.read_text(encoding="utf-8")
        tree = ast.parse(source)
        calls = {
            node.func.id
            for node in ast.walk(tree)
            if isinstance(node, ast.Call) and isinstance(node.func, ast.Name)
        }
        assert "print" not in calls, path
        assert "argparse" not in _imports(path), path
        assert "cycle.clock.SystemClock" not in _modules(path), path
        for attribute in (".now()", "app.today()", "date.today()"):
            assert attribute not in source, (path, attribute)


def test_the_layering_check_sees_imports():
    assert "cycle" in _imports(ROOT / "cycle" / "cli" / "main.py")
    assert "workflows" in _imports(ROOT / "cycle" / "service" / "events.py")
    assert "persistence" in _cycle_packages(ROOT / "cycle" / "service" / "events.py")
