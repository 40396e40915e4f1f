"""Issue 22 item 8: output does not depend on the engine. The same year — ticks with their
reminders, escalations, bundles and deliveries, meetings, a hand-over, submissions and the
sign-off chain — played on SQLite and on PostgreSQL gives the same audit entries in the same
order and the same mails. The hashes are not compared: each personal datum in the hashed
payload is a pseudonym with a random salt (``cycle/persistence/personal.py``), so two
installations never share a chain; each chain verifies.
"""

from __future__ import annotations

import json
import shutil
from collections import Counter
from pathlib import Path

import pytest

from tests.conftest import ROOT, Run

VN = ROOT / "vorlagen" / "verwendungsnachweis-vorlage.toml"
REPORT = ROOT / "demo" / "jahresbericht-kaltenmoor-2026.md"

YEAR: list[tuple[str, tuple[str, ...]]] = [
    ("2026-01-05T09:00", ("init",)),
    ("2026-02-02T10:00", ("schedule", "kaltenmoor", "2026", "auftaktgespraech", "--at",
                          "2026-03-10T10:00", "--location", "Stadtteilhaus")),
    ("2026-02-02T10:05", ("tick",)),
    ("2026-02-10T08:05", ("tick",)),  # the weekly overview
    ("2026-03-03T08:05", ("tick",)),  # every pairing's first reminder, bundled per person
    ("2026-03-09T08:05", ("tick",)),  # the meeting reminder
    ("2026-03-10T12:00", ("complete", "kaltenmoor", "2026", "auftaktgespraech",
                          "--participants", "3")),
    ("2026-03-20T10:00", ("extend", "innenstadt", "2026", "auftaktgespraech", "--until",
                          "2026-05-15", "--reason", "Personalwechsel")),
    ("2026-03-30T08:05", ("tick",)),  # the second reminders
    ("2026-04-02T08:05", ("tick",)),  # escalations, level 1
    ("2026-04-15T10:00", ("schedule", "alle", "2026", "fachtag", "--at", "2026-06-18T09:30",
                          "--location", "Glockenhaus")),
    ("2026-04-21T08:05", ("tick",)),  # escalations, level 2
    ("2026-04-21T10:00", ("complete", "kreideberg,hanseviertel,ebensberg", "2026",
                          "auftaktgespraech", "--participants", "5")),
    ("2026-05-04T08:05", ("tick",)),
    ("2026-06-15T08:05", ("tick",)),
    ("2026-06-18T16:00", ("complete", "kaltenmoor,kreideberg,hanseviertel,ebensberg", "2026",
                          "fachtag", "--participants", "14")),
    ("2026-06-30T10:00", ("end", "bockelsberg", "--on", "2026-06-30", "--reason", "INSEK")),
    ("2026-09-01T08:05", ("tick",)),
    ("2026-11-20T12:00", ("complete", "kaltenmoor", "2026", "auswertungsgespraech")),
    ("2026-12-18T10:00", ("submit", "kaltenmoor", "2026", "jahresbericht", str(REPORT))),
    ("2026-12-22T10:00", ("accept", "kaltenmoor", "2026", "jahresbericht")),
    ("2027-01-04T08:05", ("tick",)),
    ("2027-05-20T10:00", ("submit", "kaltenmoor", "2026", "verwendungsnachweis", str(VN))),
    ("2027-05-25T10:00", ("check", "kaltenmoor", "2026", "verwendungsnachweis", "--by", "A. Beck")),
    ("2027-06-01T10:00", ("acknowledge", "kaltenmoor", "2026", "verwendungsnachweis", "--by",
                          "H. Albers")),
    ("2027-06-14T08:05", ("tick",)),
    ("2027-07-01T08:05", ("tick",)),
]  # fmt: skip


Played = tuple[list[dict[str, object]], list[object]]


def _play(zyklus: Run, config: Path) -> Played:
    for now, args in YEAR:
        done = zyklus(*args, now=now, config=config)
        assert done.code == 0, (args, done.out, done.err)
    last = YEAR[-1][0]
    audit = zyklus("audit", "--format", "json", now=last, config=config)
    outbox = zyklus("outbox", "--format", "json", now=last, config=config)
    assert audit.code == 0 and outbox.code == 0, (audit.err, outbox.err)
    assert zyklus("audit", "verify", now=last, config=config).code == 0
    entries: list[dict[str, object]] = json.loads(audit.out)
    for entry in entries:
        entry.pop("hash", None)  # salted pseudonyms of personal data: see the module's doc
    messages = json.loads(outbox.out)["messages"]
    return entries, [(m["message_id"], m["subject"], m["to"], m["status"]) for m in messages]


def _site(folder: Path) -> Path:
    folder.mkdir()
    shutil.copy(ROOT / "config.toml", folder / "config.toml")
    shutil.copytree(ROOT / "vorlagen", folder / "vorlagen")
    return folder / "config.toml"


def test_the_same_year_gives_the_same_audit_log_on_sqlite_and_postgresql(
    zyklus: Run, pg_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
):
    entries_pg, mails_pg = _play(zyklus, _site(tmp_path / "postgresql"))
    monkeypatch.delenv("ZYKLUS_DATABASE_URL")
    entries, mails = _play(zyklus, _site(tmp_path / "sqlite"))
    # a real year: bundled reminders and escalations, deliveries, meetings, the sign-off chain
    actions = Counter(str(e["action"]) for e in entries)
    assert actions["nachricht_gesendet"] > 50 and actions["acknowledge"] == 1, actions
    assert any(
        len(e["payload"].get("keys", [])) > 1 for e in entries if isinstance(e["payload"], dict)
    )
    for on_sqlite, on_postgres in zip(entries, entries_pg, strict=True):
        assert on_sqlite == on_postgres
    assert mails == mails_pg
