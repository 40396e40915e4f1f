"""Nothing writes outside the bus: no module of ``cycle/web``, ``cycle/portal``, ``cycle/webbase``
or ``cycle/server`` opens a unit of work or a write transaction of its own, at module level or
inside a function.

The unit of work is ``cycle.service.uow`` (the import contract in ``pyproject.toml`` forbids it
too); of ``cycle.persistence.uow`` the adapters may use ``reading`` only, never
``transaction``. Every write is a command given to ``app.bus.handle``.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

from tests.conftest import ROOT

UNIT_OF_WORK = "cycle.service.uow"
SESSIONS = "cycle.persistence.uow"  # ``reading`` and ``transaction``
READ_ONLY = {"reading"}
ADAPTERS = ("web", "portal", "webbase", "server")


def _forbidden_import(node: ast.Import | ast.ImportFrom) -> bool:
    if isinstance(node, ast.Import):
        return any(
            a.name in (UNIT_OF_WORK, SESSIONS)
            or a.name.startswith((f"{UNIT_OF_WORK}.", f"{SESSIONS}."))
            for a in node.names
        )
    module = node.module or ""
    if node.level:  # relative: ``from ..service import uow``, ``from ..persistence.uow import …``
        module = "cycle." + module
    names = {a.name for a in node.names}
    if module == UNIT_OF_WORK:
        return True
    if module == SESSIONS:
        return not names <= READ_ONLY
    return module in ("cycle.service", "cycle.persistence") and "uow" in names


def forbidden_lines(source: str) -> list[int]:
    """The lines of ``source`` that import the unit of work or a write transaction."""
    return [
        node.lineno
        for node in ast.walk(ast.parse(source))
        if isinstance(node, ast.Import | ast.ImportFrom) and _forbidden_import(node)
    ]


def _adapter_files() -> list[Path]:
    return sorted(p for package in ADAPTERS for p in (ROOT / "cycle" / package).rglob("*.py"))


@pytest.mark.parametrize(
    "source",
    [
        "from cycle.service.uow import UnitOfWork",
        "import cycle.service.uow",
        "import cycle.service.uow as u",
        "from cycle.service import uow",
        "from cycle.service import bus, uow",
        "from cycle.persistence.uow import transaction",
        "from cycle.persistence.uow import reading, transaction",
        "from cycle.persistence import uow",
        "import cycle.persistence.uow",
        "def f():\n    from cycle.service.uow import UnitOfWork\n",
        "if True:\n    from ..service import uow\n",
        "if True:\n    from ..persistence.uow import transaction\n",
    ],
)
def test_the_check_sees_every_way_of_importing_a_unit_of_work(source: str):
    assert forbidden_lines(source)


def test_the_check_lets_reads_and_the_bus_through():
    assert not forbidden_lines("from cycle.persistence.uow import reading")
    assert not forbidden_lines("from cycle.persistence import audit, portal_store")
    assert not forbidden_lines("from cycle.service import bus, permissions")
    assert not forbidden_lines("import cycle.service.uowx")


def test_no_adapter_module_opens_a_unit_of_work_or_a_write_transaction():
    files = _adapter_files()
    assert len(files) > 20  # the check looks at the real packages
    offenders = {
        str(path.relative_to(ROOT)): lines
        for path in files
        if (lines := forbidden_lines(path.read_text(encoding="utf-8")))
    }
    assert offenders == {}
