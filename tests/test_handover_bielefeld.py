"""A hand-over in June, Bielefeld style (issue 10): the running dialogue of the cycle begun in
November moves to the successor; the Verwendungsnachweis stays owed by the predecessor."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from tests.conftest import Run

DATA = Path(__file__).parent / "data" / "config"
EXTRA = """
[[stadtteil]]
id = "baumheide"
name = "Baumheide"

[[pairing]]
id = "stadtteilkoordination-baumheide"
traeger = "diakonie-brackwede"
stadtteil = "baumheide"
handlungsfeld = "Quartiersarbeit"
angebot = "Stadtteilkoordination"
start = 2020-01-01
end = 2026-06-14
contacts = [
  { name = "Stadtteilkoordination Baumheide", email = "baumheide@diakonie-brackwede.example.org" },
]

[[pairing]]
id = "insek-baumheide"
traeger = "gfs"
stadtteil = "baumheide"
handlungsfeld = "Quartiersarbeit"
angebot = "INSEK-Stadtteilmanagement"
start = 2026-06-15
contacts = [
  { name = "Stadtteilmanagement Baumheide", email = "insek-baumheide@gfs-bielefeld.example.org" },
]
"""
OLD, NEW = "stadtteilkoordination-baumheide", "insek-baumheide"


@pytest.fixture
def bielefeld(zyklus: Run, workspace: Path) -> Run:
    shutil.copy(DATA / "leitfaden-dialog.md", workspace / "leitfaden-dialog.md")
    text = (DATA / "bielefeld.toml").read_text(encoding="utf-8")
    (workspace / "config.toml").write_text(text + EXTRA, encoding="utf-8")
    assert zyklus("init", now="2025-11-03T09:00").code == 0
    scheduled = zyklus(
        "schedule", OLD, "2025", "dialog", "--at", "2026-06-20T10:00", now="2026-06-01T09:00"
    )
    assert scheduled.code == 0, scheduled.err
    return zyklus


def _stages(zyklus: Run, pairing: str, year: int) -> dict[str, dict[str, object]]:
    result = zyklus("status", "--year", str(year), "--format", "json", now="2026-06-14T12:00")
    assert result.code == 0, result.err
    [cycle] = [c for c in json.loads(result.out)["cycles"] if c["pairing"] == pairing]
    stages: dict[str, dict[str, object]] = cycle["stages"]
    return stages


def test_the_running_dialogue_moves_to_the_successor_and_the_proof_stays(bielefeld: Run):
    ended = bielefeld(
        "end",
        OLD,
        "--on",
        "2026-06-14",
        "--reason",
        "INSEK-Stadtteilmanagement",
        "--successor",
        NEW,
        now="2026-06-14T12:00",
    )
    assert ended.code == 0, ended.err
    assert f"{NEW} 2025: übernimmt 1 Stufen von {OLD}" in ended.out
    successor = _stages(bielefeld, NEW, 2025)
    assert successor["dialog"]["status"] == "terminiert"
    assert successor["verwendungsnachweis"]["status"] == "entfallen"  # a year it did not run
    predecessor = _stages(bielefeld, OLD, 2025)
    assert predecessor["dialog"]["status"] == "entfallen"
    assert predecessor["verwendungsnachweis"]["status"] == "offen"  # still owed
    outbox = bielefeld("outbox", "--format", "json", now="2026-06-14T12:01")
    assert outbox.code == 0, outbox.err
    messages = json.loads(outbox.out)["messages"]
    absagen = [m for m in messages if m["kind"] == "absage"]
    einladungen = [m for m in messages if m["kind"] == "einladung"]
    assert len(absagen) == 1 and "baumheide@diakonie-brackwede.example.org" in absagen[0]["to"]
    assert len(einladungen) == 2  # the predecessor's original one and the successor's
    assert "insek-baumheide@gfs-bielefeld.example.org" in einladungen[-1]["to"]
    record = bielefeld("report", "abschluss", NEW, "2025", now="2026-06-15T09:00").out
    assert f"Übernommen von {OLD} am 14.06.2026" in record
