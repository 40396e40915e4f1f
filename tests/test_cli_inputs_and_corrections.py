"""Uploads named on the command line, free notes and corrections — end to end through ``zyklus``."""

from __future__ import annotations

import json
import os
import stat
from pathlib import Path

import pytest

from tests.conftest import Run

NOW = "2026-03-10T12:00"


@pytest.fixture
def ready(zyklus: Run) -> Run:
    assert zyklus("init", now="2026-01-05T09:00").code == 0
    return zyklus


def _audit(zyklus: Run) -> list[dict[str, object]]:
    listing = zyklus("audit", "--pairing", "kaltenmoor", "--format", "json", now=NOW)
    assert listing.code == 0, listing.err
    entries: list[dict[str, object]] = json.loads(listing.out)
    return entries


def _complete(zyklus: Run, evidence: Path | str) -> object:
    return zyklus(
        "complete", "kaltenmoor", "2026", "auftaktgespraech", "--evidence", str(evidence), now=NOW
    )


def test_evidence_is_stored_readable_by_the_owner_only(ready: Run, workspace: Path):
    protocol = workspace / "protokoll.txt"
    protocol.write_text("Protokoll", encoding="utf-8")
    protocol.chmod(0o644)
    result = _complete(ready, protocol)
    assert result.code == 0, result.err
    [stored] = [p for p in (workspace / "var" / "evidence").rglob("*") if p.is_file()]
    assert stat.S_IMODE(stored.stat().st_mode) == 0o600


@pytest.mark.parametrize(
    ("make", "message"),
    [
        (lambda d: d, "ist ein Verzeichnis, keine Datei"),
        (lambda d: (os.mkfifo(d / "fifo"), d / "fifo")[1], "ist keine gewöhnliche Datei"),
        (lambda _d: Path("/dev/zero"), "ist keine gewöhnliche Datei"),
        (lambda d: d / "fehlt.pdf", "Datei nicht gefunden"),
    ],
)
def test_a_directory_fifo_device_or_missing_file_is_refused_in_german(
    ready: Run, tmp_path: Path, make, message: str
):
    before = _audit(ready)
    result = _complete(ready, make(tmp_path))
    assert result.code == 2
    assert result.err.startswith("Fehler: --evidence: ")
    assert message in result.err
    assert _audit(ready) == before


def test_a_file_over_the_upload_limit_is_refused_before_it_is_read(ready: Run, tmp_path: Path):
    big = tmp_path / "riesig.pdf"
    with big.open("wb") as handle:
        handle.truncate(26 * 1024 * 1024)  # sparse: nothing is written, the size is 26 MB
    result = ready("submit", "kaltenmoor", "2026", "jahresbericht", str(big), now=NOW)
    assert result.code == 2
    assert "Fehler: FILE: " in result.err and "größer als 25 MB" in result.err


def test_a_note_is_audited_with_its_actor(ready: Run):
    result = ready("note", "kaltenmoor", "2026", "fachtag", "Thema", "Beteiligung", now=NOW)
    assert result.code == 0, result.err
    assert result.out == "kaltenmoor 2026: Notiz erfasst.\n"
    [entry] = [e for e in _audit(ready) if e["action"] == "notiz"]
    assert entry["stage"] == "fachtag"
    assert entry["actor"] == "test"
    assert entry["payload"] == {"notiz": "Thema Beteiligung"}
    plain = ready("note", "kaltenmoor", "2026", "ohne Stufe", now=NOW)
    assert plain.code == 0, plain.err
    assert ready("note", "alle", "2026", "x", now=NOW).code == 2


def test_a_mistaken_completion_is_reopened_and_a_wrong_day_fixed_through_the_log(ready: Run):
    assert (
        ready(
            "complete", "kaltenmoor", "2026", "auftaktgespraech", "--on", "2026-03-09", now=NOW
        ).code
        == 0
    )
    fixed = ready(
        "correct",
        "kaltenmoor",
        "2026",
        "auftaktgespraech",
        "--on",
        "2026-03-06",
        "--reason",
        "Tippfehler",
        now=NOW,
    )
    assert fixed.code == 0, fixed.err
    assert "durchgeführt (korrigiert: Tippfehler)" in fixed.out
    reopened = ready(
        "correct",
        "kaltenmoor",
        "2026",
        "auftaktgespraech",
        "--reopen",
        "--reason",
        "falsche Partnerschaft",
        now=NOW,
    )
    assert reopened.code == 0, reopened.err
    assert "durchgeführt → offen" in reopened.out
    steps = [
        (e["action"], e["before"], e["after"])
        for e in _audit(ready)
        if e["stage"] == "auftaktgespraech"
    ]
    assert steps[-3:] == [
        ("complete", "offen", "durchgefuehrt"),
        ("datum_korrigieren", "durchgefuehrt", "durchgefuehrt"),
        ("korrigieren", "durchgefuehrt", "offen"),
    ]
    again = ready(
        "correct", "kaltenmoor", "2026", "auftaktgespraech", "--reopen", "--reason", "x", now=NOW
    )
    assert again.code == 1
    assert "„korrigieren“ ist im Status „offen“ nicht möglich" in again.err
    status = json.loads(ready("status", "--format", "json", now=NOW).out)
    [cycle] = [c for c in status["cycles"] if c["pairing"] == "kaltenmoor"]
    assert cycle["stages"]["auftaktgespraech"]["status"] == "offen"
    assert cycle["stages"]["auftaktgespraech"]["done_on"] is None
