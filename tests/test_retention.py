"""Retention and erasure as a data-protection officer would try them (SPEC §18, issue 21).

A pairing ends in 2026 with its contact; past the retention period ``loeschen --probelauf``
lists the contact and changes nothing; ``loeschen`` removes the address from every table (a
dump of the SQLite file has no trace of it), while ``audit verify --anchor`` still succeeds and
the Prüfakte of the retained year still checks with ``sha256sum -c``.
"""

from __future__ import annotations

import json
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


def test_a_log_written_with_pseudonyms_is_not_converted_again(ended: Run, workspace: Path):
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


def _as_an_older_version_left_it(workspace: Path) -> str:
    """Rewrite the log as it was before pseudonyms: clear values in the hashed entries, no
    ``audit_klartext``, hashes over the clear entries (the hashing itself did not change);
    the anchor file names the old head. Returns the old head hash."""
    from sqlmodel import Session, col, select

    from cycle.bootstrap import bootstrap
    from cycle.persistence import anchors, audit, personal
    from cycle.persistence.tables import AuditEntry, AuditHead, AuditKlartext

    app = bootstrap(str(workspace / "config.toml"), "2026-07-01T08:00", {"ZYKLUS_AUDIT_KEY": KEY})
    try:
        with Session(app.engine) as session, session.begin():
            stored = list(session.exec(select(AuditEntry).order_by(col(AuditEntry.id))))
            clear = personal.resolved(session, stored)
            prev = audit.GENESIS
            for row, entry in zip(stored, clear, strict=True):
                change = audit.Change(
                    entry.action, entry.pairing_id, entry.year, entry.stage_id,
                    entry.before, entry.after,
                )  # fmt: skip
                fields = audit.fields_of(
                    entry.id or 0, entry.at, entry.actor, change, entry.payload
                )
                row.actor, row.payload, row.prev_hash = entry.actor, entry.payload, prev
                row.hash = prev = audit.digest(prev, fields, KEY.encode())
                session.add(row)
            for value in session.exec(select(AuditKlartext)):
                session.delete(value)
            head = session.get(AuditHead, 1)
            assert head is not None
            head.hash, head.published_count = prev, None
            head.published_hash = head.published_seal = None
            session.add(head)
        (workspace / "var" / "audit-anker.txt").unlink()
        anchors.publish_head(app.engine, workspace / "var" / "audit-anker.txt", app.now())
    finally:
        app.close()
    return prev


def test_an_older_chain_is_converted_verified_and_anchored(ended: Run, workspace: Path):
    old_head = _as_an_older_version_left_it(workspace)
    assert ADDRESS in dump(workspace).split("INSERT INTO audit ", 1)[1]  # clear in the chain
    assert ended("audit", "verify", now="2026-07-01T08:05").code == 0
    refused = ended("loeschen", "--person", ADDRESS, now="2026-07-01T08:06")
    assert refused.code == 1 and "zyklus audit umstellen" in refused.err
    done = ended("audit", "umstellen", now="2026-07-01T08:10")
    assert done.code == 0, done.out + done.err
    assert "Protokoll umgestellt" in done.out and old_head in done.out
    assert "Protokoll unverändert" in done.out  # verified after the conversion
    archived = list((workspace / "var").glob("audit-anker.txt.vor-umstellung-*"))
    assert len(archived) == 1 and old_head in archived[0].read_text()
    anchor = workspace / "var" / "audit-anker.txt"
    assert ended("audit", "verify", "--anchor", str(anchor), now="2026-07-01T08:11").code == 0
    log = json.loads(ended("audit", "--format", "json", now="2026-07-01T08:12").out)
    assert log[-1]["action"] == "protokoll_umgestellt"
    assert log[-1]["payload"]["alter_kopf"] == old_head
    assert any(ADDRESS in json.dumps(e["payload"]) for e in log)  # clear values still readable
    # now the address can go, and the converted chain stays verifiable
    assert ended("loeschen", "--person", ADDRESS, now="2026-07-01T08:20").code == 0
    assert ADDRESS not in dump(workspace).lower()
    assert ended("audit", "verify", "--anchor", str(anchor), now="2026-07-01T08:21").code == 0


def test_auskunft_lists_exactly_the_records_of_one_address(ended: Run, workspace: Path):
    target = workspace / "auskunft.zip"
    done = ended("auskunft", OTHER, "--output", str(target), now="2026-07-01T09:00")
    assert done.code == 0, done.err
    assert f"Auskunft zu {OTHER}" in done.out
    folder = workspace / "auskunft"
    with zipfile.ZipFile(target) as archive:
        archive.extractall(folder)
    check = subprocess.run(
        ["sha256sum", "-c", "manifest.sha256"], cwd=folder, capture_output=True, text=True
    )
    assert check.returncode == 0, check.stdout + check.stderr
    found = json.loads((folder / "auskunft.json").read_text(encoding="utf-8"))
    assert [p["partnerschaft"] for p in found["partnerschaften"]] == ["bockelsberg"]
    outbox = json.loads(ended("outbox", "--format", "json", now="2026-07-01T09:00").out)
    to_him = {m["subject"] for m in outbox["messages"] if OTHER in m["to"]}
    assert {m["betreff"] for m in found["emails"]} >= to_him
    assert found["protokoll"]  # at least the import of his pairing names him
    assert all(OTHER in m["an"] + m["text"] for m in found["emails"])
    everything = json.dumps(found, ensure_ascii=False)
    assert ADDRESS not in everything and "ebensberg" not in everything  # nobody else's data
    summary = subprocess.run(
        ["pdftotext", "-layout", str(folder / "zusammenfassung.pdf"), "-"],
        capture_output=True, text=True, check=True,
    ).stdout  # fmt: skip
    assert "Auskunft nach Art. 15 DSGVO" in summary and OTHER in summary
    assert "E-Mails im Postausgang" in summary
    # the request is recorded, the address only as a pseudonym in the chain
    log = json.loads(ended("audit", "--format", "json", now="2026-07-01T09:01").out)
    assert log[-1]["action"] == "auskunft_erteilt" and log[-1]["payload"] == {"email": OTHER}


def test_auskunft_refuses_what_is_not_an_address(ended: Run, workspace: Path):
    done = ended(
        "auskunft", "niemand", "--output", str(workspace / "a.zip"), now="2026-07-01T09:00"
    )
    assert done.code == 2 and "keine E-Mail-Adresse" in done.err
    assert not (workspace / "a.zip").exists()


def test_past_the_vn_retention_a_cycle_keeps_its_proof_but_loses_its_personal_data(
    ended: Run, workspace: Path
):
    """31.12.2036 is the last day for the 2026 documents: on 05.01.2037 the evidence file, the
    participants and the note go; status and dates stay, and the log still verifies."""
    kept = ended("loeschen", "--probelauf", now="2036-12-31T09:00")
    assert "Unterlagen abgeschlossener Zyklen" not in kept.out
    done = ended("loeschen", now="2037-01-05T09:00")
    assert done.code == 0, done.err
    assert "Nachweisdateien: 1" in done.out
    assert not [p for p in (workspace / "var" / "evidence").rglob("*") if p.is_file()]
    text = dump(workspace)
    assert "Kim Koordination" not in text and "Telefonat mit Frau Lange" not in text
    verify = ended("audit", "verify", "--anchor", str(workspace / "var" / "audit-anker.txt"),
                   now="2037-01-05T09:05")  # fmt: skip
    assert verify.code == 0, verify.out + verify.err
    status = json.loads(ended("status", "--year", "2026", "--format", "json",
                              now="2037-01-05T09:06").out)  # fmt: skip
    assert status, "the stage states of 2026 are still there"
