"""A command on a database that is not there creates none (issue 23 item 15).

``zyklus status`` in the repository after ``make demo`` used to create an empty
``var/zyklus.db`` and then ask for ``zyklus init``; it now leaves nothing behind and points to
the demo's configuration.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from tests.conftest import ROOT, Run


def test_status_next_to_the_demo_creates_no_database_and_names_the_demo_config(
    zyklus: Run, workspace: Path, monkeypatch: pytest.MonkeyPatch
):
    (workspace / "var" / "demo").mkdir(parents=True)
    shutil.copy(ROOT / "config.toml", workspace / "var" / "demo" / "config.toml")
    monkeypatch.chdir(workspace)
    result = zyklus("status", config=Path("config.toml"))
    assert result.code == 2
    assert "zyklus --config var/demo/config.toml status" in result.err
    assert "„zyklus init“" in result.err
    assert "Traceback" not in result.err
    assert not (workspace / "var" / "zyklus.db").exists()
    assert sorted(p.name for p in (workspace / "var").iterdir()) == ["demo"]


def test_without_a_demo_the_message_asks_for_init_only(
    zyklus: Run, workspace: Path, monkeypatch: pytest.MonkeyPatch
):
    monkeypatch.chdir(workspace)
    result = zyklus("outbox")
    assert result.code == 2
    assert "„zyklus init“" in result.err and "var/demo" not in result.err
    assert not (workspace / "var" / "zyklus.db").exists()


def test_after_init_status_runs(zyklus: Run, workspace: Path):
    assert zyklus("init", now="2026-01-05T09:00").code == 0
    assert zyklus("status", now="2026-01-05T09:00").code == 0
