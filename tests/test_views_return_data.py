"""Read models return data; only the CLI prints, writes files and picks exit codes (issue 17).

A view reads from a ``ViewContext`` (engine, settings, calendar, ``now``) that an entry point
builds, never from the composition root and never from the clock.
"""

from __future__ import annotations

import ast
import dataclasses
import io
import json
import os
import zipfile
from collections.abc import Iterator
from datetime import datetime
from pathlib import Path

import icalendar
import pytest

from cycle.bootstrap import bootstrap
from cycle.clock import BERLIN
from cycle.views import audit_view, calendar_export, outbox_view, pruefakte, reports
from cycle.views.context import ViewContext
from cycle.views.exports import Sheet
from tests.conftest import ROOT, Run

CLOCK = "2026-04-02T08:00"
LATER = datetime(2027, 1, 20, 9, 30, tzinfo=BERLIN)  # the context's instant, not the clock's


def _calls(tree: ast.AST) -> set[str]:
    """``print``, ``open`` … and ``x.now``, ``x.write_bytes`` … called anywhere in ``tree``."""
    names: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Call):
            if isinstance(node.func, ast.Name):
                names.add(node.func.id)
            elif isinstance(node.func, ast.Attribute):
                names.add(f".{node.func.attr}")
    return names


def _imports(tree: ast.AST) -> set[str]:
    """Every module an import names, at any depth (also inside functions and TYPE_CHECKING)."""
    found: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module:
            found.add(node.module)
            found.update(f"{node.module}.{alias.name}" for alias in node.names)
    return found


def _streams(tree: ast.AST) -> set[str]:
    return {
        f"sys.{node.attr}"
        for node in ast.walk(tree)
        if isinstance(node, ast.Attribute)
        and isinstance(node.value, ast.Name)
        and node.value.id == "sys"
        and node.attr in ("stdout", "stderr", "exit")
    }


def _tree(path: Path) -> ast.AST:
    return ast.parse(path.read_text(encoding="utf-8"))


VIEWS = sorted((ROOT / "cycle" / "views").glob("*.py"))
NOT_IN_A_VIEW = {"print", "input", "open", ".now", ".today", ".write_bytes", ".write_text"}


def test_the_checks_see_what_they_look_for():
    cli = _tree(ROOT / "cycle" / "cli" / "output.py")
    assert {"print", ".write_bytes"} <= _calls(cli) and "sys.stdout" in _streams(cli)
    assert "cycle.bootstrap" in _imports(_tree(ROOT / "cycle" / "cli" / "dispatch.py"))
    assert ".now" in _calls(_tree(ROOT / "cycle" / "bootstrap.py"))
    assert len(VIEWS) > 10


@pytest.mark.parametrize("path", VIEWS, ids=lambda p: p.name)
def test_a_view_neither_prints_nor_writes_nor_reads_the_clock_nor_sees_the_app(path: Path):
    tree = _tree(path)
    assert not {m for m in _imports(tree) if m.startswith("cycle.bootstrap")}
    assert "cycle.clock.SystemClock" not in _imports(tree)
    assert not _calls(tree) & NOT_IN_A_VIEW
    assert not _streams(tree)


def test_outside_the_cli_only_the_web_servers_start_up_line_prints():
    printing = {
        str(path.relative_to(ROOT))
        for path in (ROOT / "cycle").rglob("*.py")
        if "print" in _calls(_tree(path)) and path.parent.name != "cli"
    }
    assert printing == {"cycle/server/server.py"}
    server = (ROOT / "cycle" / "server" / "server.py").read_text(encoding="utf-8")
    assert server.count("    print(") == 1 and 'print(f"zyklus web: http://' in server


def test_the_context_refuses_a_naive_instant(workspace: Path, zyklus: Run):
    assert zyklus("init", now=CLOCK).code == 0
    app = bootstrap(str(workspace / "config.toml"), CLOCK, dict(os.environ))
    try:
        ctx = app.view_context()
        assert ctx.now == datetime(2026, 4, 2, 8, 0, tzinfo=BERLIN)
        assert ctx.today.isoformat() == "2026-04-02" and ctx.var_dir == app.settings.var_dir
        with pytest.raises(ValueError, match="timezone-aware"):
            dataclasses.replace(ctx, now=datetime(2026, 4, 2, 8, 0))
    finally:
        app.close()


@pytest.fixture
def later(workspace: Path, zyklus: Run) -> Iterator[ViewContext]:
    """A context whose ``now`` is ten months after the app's fixed clock."""
    assert zyklus("init", now="2026-01-05T09:00").code == 0
    done = ("complete", "kaltenmoor", "2026", "auftaktgespraech", "--on", "2026-03-10")
    assert zyklus(*done, now="2026-03-10T12:00").code == 0
    assert zyklus("tick", "--no-deliver", now=CLOCK).code == 0
    app = bootstrap(str(workspace / "config.toml"), CLOCK, dict(os.environ))
    ctx = dataclasses.replace(app.view_context(), now=LATER)
    yield ctx
    app.close()


def test_documents_carry_the_contexts_instant_and_nothing_is_printed(
    later: ViewContext, capsys: pytest.CaptureFixture[str]
):
    capsys.readouterr()
    text = audit_view.abschluss(later, "kaltenmoor", 2026, "text")
    assert text.splitlines()[0] == "Abschlussnachweis Qualitätszyklus 2026"
    assert text.endswith("Protokolleinträge · erstellt 20.01.2027 09:30")
    assert json.loads(audit_view.abschluss(later, "kaltenmoor", 2026, "json"))["year"] == 2026

    data, count = calendar_export.calendar(later, "kaltenmoor", None)
    events = icalendar.Calendar.from_ical(data).walk("VEVENT")
    assert count == len(events) > 0
    assert {e["DTSTAMP"].dt for e in events} == {LATER}

    archive, files = pruefakte.archive(later, "kaltenmoor", 2026)
    with zipfile.ZipFile(io.BytesIO(archive)) as z:
        assert len(z.infolist()) == files
        assert {i.date_time for i in z.infolist()} == {(2027, 1, 20, 9, 30, 0)}
        checked = json.loads(z.read("protokoll/pruefung.json"))
        assert checked["geprueft_am"] == LATER.isoformat() and checked["intakt"] is True
        assert "erstellt am 20.01.2027 09:30" in z.read("LIESMICH.txt").decode()

    skeleton = reports.jahresbericht(later, "kaltenmoor", 2026, "md")
    assert isinstance(skeleton, str) and "Kaltenmoor" in skeleton
    assert isinstance(reports.jahresbericht(later, "kaltenmoor", 2026, "docx"), bytes)
    assert capsys.readouterr() == ("", "")


def test_listings_and_the_chain_check_are_returned_not_printed(
    later: ViewContext, capsys: pytest.CaptureFixture[str]
):
    capsys.readouterr()
    table = audit_view.listing(later, "kaltenmoor", 2026, "text")
    assert isinstance(table, str) and table.endswith("Einträge.")
    sheet = audit_view.listing(later, None, None, "xlsx")
    assert isinstance(sheet, Sheet) and sheet.stem == "protokoll"
    assert sheet.head[0] == "Nr." and len(sheet.body) >= 3
    outbox = outbox_view.listing(later, None, "csv")
    assert isinstance(outbox, Sheet) and outbox.stem == "postausgang-alle" and outbox.body
    listed = json.loads(str(outbox_view.listing(later, "pending", "json")))
    pending = [row for row in outbox.body if row[4] == "ausstehend"]
    assert listed["status"] == "pending" and len(listed["messages"]) == len(pending) > 0
    skipped = outbox_view.listing(later, "skipped", "text")
    assert isinstance(skipped, str) and skipped.endswith("(nicht gesendet).")
    check = audit_view.verify(later)
    assert check.intact and check.missing_key is None
    assert check.lines[0].startswith("Protokoll unverändert: ")
    assert capsys.readouterr() == ("", "")
