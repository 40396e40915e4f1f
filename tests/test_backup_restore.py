"""``zyklus backup`` and ``zyklus restore`` (SPEC §19): a backup taken while other processes
write, ``var/`` deleted, restored, ``audit verify --anchor`` passes, and every cycle, stored
mail and evidence file is back. Refusals change nothing.
"""

from __future__ import annotations

import hashlib
import os
import shutil
import sqlite3
import subprocess
import sys
import threading
from pathlib import Path

import pytest

from tests.conftest import ROOT, Run

KEY = "sicherungs-schluessel-0123456789"


@pytest.fixture
def keyed(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ZYKLUS_AUDIT_KEY", KEY)


def rows(database: Path) -> dict[str, list[tuple[object, ...]]]:
    """What must survive: cycles, stages, stored mail, evidence rows, the audit chain."""
    queries = {
        "cycle": "SELECT * FROM cycle ORDER BY id",
        "stage_state": "SELECT * FROM stage_state ORDER BY id",
        "outbox": "SELECT * FROM outbox ORDER BY id",
        "evidence": "SELECT * FROM evidence ORDER BY 1",
        "audit": "SELECT * FROM audit ORDER BY id",
    }
    with sqlite3.connect(f"file:{database}?mode=ro", uri=True) as db:
        return {name: db.execute(sql).fetchall() for name, sql in queries.items()}


def notes_until(stop: threading.Event, workspace: Path, written: list[int]) -> None:
    """Audited writes from other processes (each publishes to the anchor file) until stopped."""
    env = {**os.environ, "ZYKLUS_AUDIT_KEY": KEY, "ZYKLUS_USER": "nebenan"}
    config = str(workspace / "config.toml")
    i = 0
    while not stop.is_set():
        i += 1
        args = ["--config", config, "--now", "2026-03-04T09:00", "note", "kaltenmoor", "2026"]
        done = subprocess.run(
            [sys.executable, "-m", "cycle", *args, f"Vermerk {i}"],
            env=env,
            cwd=ROOT,
            capture_output=True,
            check=False,
        )
        assert done.returncode == 0, done.stderr.decode()
        written.append(i)


def test_backup_under_load_then_restore_into_an_empty_var_brings_everything_back(
    zyklus: Run, workspace: Path, keyed: None, tmp_path: Path
) -> None:
    assert zyklus("init", now="2026-01-05T09:00").code == 0
    for pairing in ("kaltenmoor", "hanseviertel"):
        evidence = tmp_path / f"{pairing}.txt"
        evidence.write_text(f"Protokoll {pairing}\n", encoding="utf-8")
        args = ["complete", pairing, "2026", "auftaktgespraech", "--on", "2026-02-10"]
        args += ["--participants", "A. Muster, B. Beispiel", "--evidence", str(evidence)]
        result = zyklus(*args, now="2026-02-11T09:00")
        assert result.code == 0, result.err
    assert zyklus("tick", now="2026-03-03T08:05").code == 0  # mail stored and delivered
    var = workspace / "var"
    before = rows(var / "zyklus.db")
    assert before["outbox"] and before["evidence"] and before["cycle"]

    stop, written = threading.Event(), []
    writer = threading.Thread(target=notes_until, args=(stop, workspace, written))
    writer.start()
    try:
        while not written:  # the other process is writing when the backup starts
            stop.wait(0.05)
        target = tmp_path / "sicherung"
        result = zyklus("backup", str(target))
        progress = len(written)
        while len(written) == progress and writer.is_alive():  # and keeps writing after it
            stop.wait(0.05)
    finally:
        stop.set()
        writer.join(timeout=120)
    assert result.code == 0, result.err
    assert "manifest.sha256" in result.out
    listed = (target / "manifest.sha256").read_text().splitlines()
    assert {line.split("  ")[1] for line in listed} >= {"zyklus.db", "audit-anker.txt"}
    saved = rows(target / "zyklus.db")

    shutil.rmtree(var)
    result = zyklus("restore", str(target))
    assert result.code == 0, (result.out, result.err)
    assert "Protokoll unverändert" in result.out
    restored = rows(var / "zyklus.db")
    assert restored == saved
    for table in ("cycle", "outbox", "evidence"):
        assert set(before[table]) <= set(restored[table])
    assert len(restored["audit"]) > len(before["audit"])  # the notes before the backup too
    for row in restored["evidence"]:
        sha = str(row[0])  # the primary key
        data = (var / "evidence" / sha[:2] / sha).read_bytes()
        assert hashlib.sha256(data).hexdigest() == sha
    assert zyklus("audit", "verify", "--anchor", str(var / "audit-anker.txt")).code == 0


def test_restore_refuses_a_database_with_data_and_a_damaged_backup_and_changes_nothing(
    zyklus: Run, workspace: Path, keyed: None, tmp_path: Path
) -> None:
    assert zyklus("init", now="2026-01-05T09:00").code == 0
    target = tmp_path / "sicherung"
    assert zyklus("backup", str(target)).code == 0
    again = zyklus("backup", str(target))  # never over an earlier backup
    assert again.code == 2 and "neuer oder leerer Ordner" in again.err
    assert zyklus("note", "kaltenmoor", "2026", "danach", now="2026-01-06T09:00").code == 0
    database = workspace / "var" / "zyklus.db"
    current = rows(database)

    refused = zyklus("restore", str(target))
    assert refused.code == 2 and "--ueberschreiben" in refused.err
    assert rows(database) == current

    (target / "audit-anker.txt").write_text("verändert\n")
    damaged = zyklus("restore", str(target), "--ueberschreiben")
    assert damaged.code == 2 and "audit-anker.txt: Prüfsumme stimmt nicht" in damaged.err
    assert rows(database) == current
    (target / "manifest.sha256").unlink()
    assert zyklus("restore", str(target), "--ueberschreiben").code == 2
    assert rows(database) == current
