"""Nothing writes outside the bus: no module of ``cycle/web`` or ``cycle/portal`` imports the
unit of work (``cycle.persistence.uow``), at module level or inside a function.

Pages read through ``cycle.persistence.reads.reading``; every write is a command given to
``app.bus.handle``. (An import-linter contract is to replace this check.)
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

from tests.conftest import ROOT

UOW = "cycle.persistence.uow"
ADAPTERS = ("web", "portal")


def imports_uow(source: str) -> list[int]:
    """The lines of ``source`` that import the unit-of-work module or a name from it."""
    found = []
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Import):
            hit = any(a.name == UOW or a.name.startswith(f"{UOW}.") for a in node.names)
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            hit = node.module == UOW or (
                node.module == "cycle.persistence" and any(a.name == "uow" for a in node.names)
            )
        elif isinstance(node, ast.ImportFrom):  # relative: from ..persistence import uow
            hit = (node.module or "").endswith("persistence.uow") or (
                (node.module or "").endswith("persistence")
                and any(a.name == "uow" for a in node.names)
            )
        else:
            continue
        if hit:
            found.append(node.lineno)
    return found


def _adapter_files() -> list[Path]:
    return sorted(p for package in ADAPTERS for p in (ROOT / "cycle" / package).rglob("*.py"))


@pytest.mark.parametrize(
    "source",
    [
        "from cycle.persistence.uow import UnitOfWork",
        "from cycle.persistence.uow import reading",
        "import cycle.persistence.uow",
        "import cycle.persistence.uow as u",
        "from cycle.persistence import uow",
        "from cycle.persistence import audit, uow",
        "def f():\n    from cycle.persistence.uow import UnitOfWork\n",
        "if True:\n    from ..persistence import uow\n",
    ],
)
def test_the_check_sees_every_way_of_importing_the_unit_of_work(source: str):
    assert imports_uow(source)


def test_the_check_lets_reads_and_other_persistence_modules_through():
    assert not imports_uow("from cycle.persistence.reads import reading")
    assert not imports_uow("from cycle.persistence import audit, portal_store")
    assert not imports_uow("import cycle.persistence.uowx")


def test_no_adapter_module_imports_the_unit_of_work():
    files = _adapter_files()
    assert len(files) > 20  # the check looks at the real packages
    offenders = {
        str(path.relative_to(ROOT)): lines
        for path in files
        if (lines := imports_uow(path.read_text(encoding="utf-8")))
    }
    assert offenders == {}
