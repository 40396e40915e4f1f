"""Retention and erasure as a data-protection officer would try them (SPEC §18, issue 21).

A pairing ends in 2026 with its contact; past the retention period ``loeschen --probelauf``
lists the contact and changes nothing; ``loeschen`` removes the address from every table (a
dump of the SQLite file has no trace of it), while ``audit verify --anchor`` still succeeds and
the Prüfakte of the retained year still checks with ``sha256sum -c``.
"""

from __future__ import annotations

import subprocess
import zipfile
from pathlib import Path

import pytest

from tests.conftest import Run

KEY = "ein-schluessel-fuer-das-protokoll-0123456789"
ADDRESS = "s.lange@paritaetischer.example.org"  # the only contact of pairing ebensberg
OTHER = "m.yildiz@caritas-lueneburg.example.org"  # bockelsberg's contact: must stay


def dump(workspace: Path) -> str:
    done = subprocess.run(
        ["sqlite3", str(workspace / "var" / "zyklus.db"), ".dump"],
        capture_output=True,
        text=True,
        check=True,
    )
    return done.stdout


@pytest.fixture
def ended(zyklus: Run, workspace: Path, monkeypatch: pytest.MonkeyPatch) -> Run:
    """2026: ebensberg holds its Auftaktgespräch (evidence, participants), mails go out to its
    contact, a note names her; the pairing ends on 30.06.2026."""
    monkeypatch.setenv("ZYKLUS_AUDIT_KEY", KEY)
    assert zyklus("init", now="2026-01-05T08:00").code == 0
    evidence = workspace / "protokoll.pdf"
    evidence.write_bytes(b"%PDF-1.4 Protokoll Auftaktgespraech")
    done = zyklus(
        "complete", "ebensberg", "2026", "auftaktgespraech", "--on", "2026-03-10",
        "--participants", "Sophie Lange, Kim Koordination", "--evidence", str(evidence),
        now="2026-03-10T15:00",
    )  # fmt: skip
    assert done.code == 0, done.err
    note = f"Telefonat mit Frau Lange ({ADDRESS}) zum Fachtag"
    assert zyklus("note", "ebensberg", "2026", note, now="2026-03-11T09:00").code == 0
    for day in ("2026-05-20T08:00", "2026-06-10T08:00"):
        assert zyklus("tick", now=day).code == 0
    done = zyklus(
        "end", "ebensberg", "--on", "2026-06-30", "--reason", "Trägerwechsel",
        now="2026-06-30T12:00",
    )  # fmt: skip
    assert done.code == 0, done.err
    assert ADDRESS in dump(workspace)  # mails, recipients, master data, portal links
    return zyklus


def test_a_dry_run_lists_the_contact_and_changes_nothing(ended: Run, workspace: Path):
    before = dump(workspace)
    early = ended("loeschen", "--probelauf", now="2027-03-01T09:00")
    assert early.code == 0, early.err
    assert "Kontakte beendeter Partnerschaften" not in early.out  # a year has not passed
    result = ended("loeschen", "--probelauf", now="2027-09-01T09:00")
    assert result.code == 0, result.err
    assert "Probelauf – nichts wurde gelöscht" in result.out
    assert (
        "Kontakte beendeter Partnerschaften: 1 (Partnerschaft beendet vor mehr als 365 Tagen)"
        in result.out
    )
    assert "E-Mails im Postausgang" in result.out
    assert "Aufbewahrung bis 31.12.2036" in result.out  # the 2026 documents are kept
    assert dump(workspace) == before


def test_deletion_leaves_no_trace_of_the_address_and_the_proof_intact(ended: Run, workspace: Path):
    result = ended("loeschen", now="2027-09-01T09:00")
    assert result.code == 0, result.err
    assert "Kontakte beendeter Partnerschaften: 1" in result.out
    text = dump(workspace)
    assert text.lower().count(ADDRESS) == 0
    assert OTHER in text  # other contacts are untouched
    verify = ended("audit", "verify", "--anchor", str(workspace / "var" / "audit-anker.txt"),
                   now="2027-09-01T09:05")  # fmt: skip
    assert verify.code == 0, verify.out + verify.err
    # the retained year: evidence and Prüfakte still there and checkable
    assert any((workspace / "var" / "evidence").rglob("*"))
    akte = workspace / "akte.zip"
    done = ended("report", "pruefakte", "ebensberg", "2026", "--output", str(akte),
                 now="2027-09-01T09:10")  # fmt: skip
    assert done.code == 0, done.err
    folder = workspace / "akte"
    with zipfile.ZipFile(akte) as archive:
        archive.extractall(folder)
    check = subprocess.run(
        ["sha256sum", "-c", "manifest.sha256"], cwd=folder, capture_output=True, text=True
    )
    assert check.returncode == 0, check.stdout + check.stderr
    assert ADDRESS not in "".join(
        p.read_text(errors="replace") for p in folder.rglob("*") if p.suffix in (".json", ".csv")
    )
    # the log shows [gelöscht] where the note named her, and the deletion as counts
    listing = ended("audit", "--pairing", "ebensberg", "--format", "json", now="2027-09-01T09:15")
    assert "[gelöscht]" in listing.out
    log = ended("audit", "--format", "json", now="2027-09-01T09:15").out
    assert "aufbewahrung_geloescht" in log and ADDRESS not in log
    # a second run finds nothing more of her
    again = ended("loeschen", "--probelauf", now="2027-09-02T09:00")
    assert "Kontakte beendeter Partnerschaften" not in again.out


def test_erasure_on_request_is_refused_while_a_cycle_needs_the_contact(ended: Run, workspace: Path):
    before = dump(workspace)
    result = ended("loeschen", "--person", OTHER, now="2026-07-01T09:00")
    assert result.code == 0, result.err
    assert "Aufbewahrt:" in result.out and "bockelsberg" in result.out
    assert dump(workspace) == before


def test_erasure_on_request_removes_an_ended_contact(ended: Run, workspace: Path):
    result = ended("loeschen", "--person", ADDRESS.upper(), now="2026-07-01T09:00")
    assert result.code == 0, result.err
    assert "Gelöscht:" in result.out
    assert ADDRESS not in dump(workspace).lower()
    verify = ended("audit", "verify", now="2026-07-01T09:05")
    assert verify.code == 0, verify.out + verify.err


def test_deletion_needs_a_converted_log(ended: Run, workspace: Path):
    """A chain with clear values (written before pseudonyms) is converted first."""
    import sqlite3

    db = sqlite3.connect(workspace / "var" / "zyklus.db")
    try:
        count = db.execute("SELECT count(*) FROM audit").fetchone()[0]
    finally:
        db.close()
    assert count > 0
    assert ended("audit", "umstellen", now="2026-07-01T09:00").out.startswith(
        "Das Protokoll ist bereits umgestellt"
    )
