"""``zyklus calendar``: deadlines and meetings as iCalendar, read back with vobject (issue 4).

vobject is an independent parser: the export is written with ``icalendar``.
"""

from __future__ import annotations

import base64
import json
import sqlite3
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
import vobject

from tests.conftest import Run

DOMAIN = "stadt-lueneburg.example.org"
DUE_2026 = {
    "auftaktgespraech": date(2026, 3, 31),
    "fachtag": date(2026, 9, 30),
    "auswertungsgespraech": date(2026, 12, 15),
    "jahresbericht": date(2026, 12, 31),
    "verwendungsnachweis": date(2027, 6, 30),
}
NOW = "2026-05-02T09:00"


def _events(text: str) -> dict[str, Any]:
    calendar = vobject.readOne(text)
    events = calendar.contents.get("vevent", [])
    uids = [event.uid.value for event in events]
    assert len(uids) == len(set(uids)), "every UID once"
    return {event.uid.value: event for event in events}


def _export(zyklus: Run, *args: str, now: str = NOW) -> dict[str, Any]:
    result = zyklus("calendar", *args, now=now)
    assert result.code == 0, result.err
    return _events(result.out)


@pytest.fixture
def planned(zyklus: Run) -> Run:
    """2026 opened; an Auftaktgespräch for kaltenmoor and the Fachtag for two pairings scheduled."""
    assert zyklus("init", now="2026-01-05T09:00").code == 0
    meeting = ("schedule", "kaltenmoor", "2026", "auftaktgespraech", "--at", "2026-03-10T10:00")
    assert zyklus(*meeting, "--location", "Stadtteilhaus", now="2026-02-01T09:00").code == 0
    fachtag = ("schedule", "kaltenmoor,bockelsberg", "2026", "fachtag", "--at", "2026-06-15T09:30")
    assert zyklus(*fachtag, "--location", "Rathaus", now="2026-05-01T09:00").code == 0
    return zyklus


def test_one_pairing_has_its_five_deadlines_all_day_and_its_two_meetings_timed(planned: Run):
    events = _export(planned, "kaltenmoor", "--year", "2026")
    assert len(events) == 7
    for stage, due in DUE_2026.items():
        deadline = events[f"kaltenmoor-2026-{stage}-frist@{DOMAIN}"]
        assert deadline.dtstart.value == due and not isinstance(deadline.dtstart.value, datetime)
        assert (deadline.dtend.value - due).days == 1
    meeting = events[f"kaltenmoor-2026-auftaktgespraech@{DOMAIN}"]
    start = meeting.dtstart.value
    assert start.astimezone(UTC) == datetime(2026, 3, 10, 9, 0, tzinfo=UTC)  # 10:00 CET
    assert (start.hour, start.utcoffset()) == (10, timedelta(hours=1))  # local Berlin time
    assert (meeting.dtend.value - start).total_seconds() == 2 * 3600
    assert meeting.location.value == "Stadtteilhaus"
    fachtag = events[f"fachtag-2026@{DOMAIN}"]
    assert fachtag.dtstart.value.astimezone(UTC) == datetime(2026, 6, 15, 7, 30, tzinfo=UTC)


def test_all_pairings_have_every_deadline_and_the_joint_fachtag_once(planned: Run):
    events = _export(planned, "--all")
    assert len(events) == 8 * 5 + 2
    deadlines = [uid for uid in events if uid.endswith(f"-frist@{DOMAIN}")]
    assert len(deadlines) == 40
    assert {uid.split("-2026-")[0] for uid in deadlines} >= {"kaltenmoor", "schuetzenplatz"}
    proof = events[f"luene-moorfeld-2026-verwendungsnachweis-frist@{DOMAIN}"]
    assert proof.dtstart.value == date(2027, 6, 30)


def test_uids_stay_the_same_across_exports_and_a_rescheduled_meeting_keeps_its_uid(planned: Run):
    first = _export(planned, "--all", now="2026-05-02T09:00")
    again = _export(planned, "--all", now="2026-05-03T12:00")
    assert set(first) == set(again)
    moved = ("schedule", "kaltenmoor", "2026", "auftaktgespraech", "--at", "2026-03-12T14:00")
    assert planned(*moved, now="2026-03-01T09:00").code == 0
    after = _export(planned, "--all", now="2026-03-01T09:00")
    assert set(after) == set(first)
    meeting = after[f"kaltenmoor-2026-auftaktgespraech@{DOMAIN}"]
    assert meeting.dtstart.value.astimezone(UTC) == datetime(2026, 3, 12, 13, 0, tzinfo=UTC)
    before = first[f"kaltenmoor-2026-auftaktgespraech@{DOMAIN}"]
    assert (int(before.sequence.value), int(meeting.sequence.value)) == (0, 1)


def test_the_meeting_uid_is_the_uid_of_the_invitation_sent(planned: Run, workspace: Path):
    with sqlite3.connect(workspace / "var" / "zyklus.db") as db:
        payloads = [json.loads(row[0]) for row in db.execute("SELECT payload FROM outbox")]
    invited = set()
    for payload in payloads:
        for attachment in payload["attachments"]:
            if attachment["filename"].endswith(".ics"):
                text = base64.b64decode(attachment["data"]).decode("utf-8")
                invited |= set(_events(text))
    assert invited == {f"kaltenmoor-2026-auftaktgespraech@{DOMAIN}", f"fachtag-2026@{DOMAIN}"}
    assert invited <= set(_export(planned, "kaltenmoor"))


def test_an_extension_moves_the_deadline_and_an_ended_cycle_drops_later_entries(planned: Run):
    extend = ("extend", "kaltenmoor", "2026", "jahresbericht", "--until", "2027-01-29")
    assert planned(*extend, "--reason", "Elternzeit", now="2026-05-02T09:00").code == 0
    events = _export(planned, "kaltenmoor")
    report = events[f"kaltenmoor-2026-jahresbericht-frist@{DOMAIN}"]
    assert report.dtstart.value == date(2027, 1, 29)
    assert "verlängert bis 29.01.2027" in report.description.value
    end = ("end", "bockelsberg", "--on", "2026-05-01", "--reason", "Trägerwechsel")
    assert planned(*end, now="2026-05-02T09:00").code == 0
    ended = _export(planned, "bockelsberg", "--year", "2026")
    assert set(ended) == {f"bockelsberg-2026-auftaktgespraech-frist@{DOMAIN}"}


def test_the_export_goes_to_a_file_and_bad_choices_are_usage_errors(planned: Run, tmp_path: Path):
    target = tmp_path / "zyklus.ics"
    written = planned("calendar", "kaltenmoor", "--output", str(target), now=NOW)
    assert written.code == 0 and "7 Einträge" in written.out
    assert len(_events(target.read_text(encoding="utf-8"))) == 7
    assert planned("calendar", "nirgendwo", now=NOW).code == 2
    neither = planned("calendar", now=NOW)
    assert neither.code == 2 and "--all" in neither.err
    nothing = _export(planned, "kaltenmoor", "--year", "2030")
    assert nothing == {}
