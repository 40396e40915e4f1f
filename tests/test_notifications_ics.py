"""iCalendar invitations and exports, checked with the icalendar parser and line by line."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import icalendar
import pytest

from notifications.ics import CalendarEntry, export, invitation

BERLIN = ZoneInfo("Europe/Berlin")
NOW = datetime(2026, 3, 1, 8, 0, tzinfo=BERLIN)


def make_invitation(**changes: object) -> bytes:
    values: dict[str, object] = {
        "uid": "2026-kaltenmoor-auftaktgespraech@example.org",
        "sequence": 0,
        "start": datetime(2026, 3, 10, 10, 0, tzinfo=BERLIN),
        "end": datetime(2026, 3, 10, 12, 0, tzinfo=BERLIN),
        "summary": "Auftaktgespräch Kaltenmoor",
        "location": "Stadtteilhaus Kaltenmoor, Raum 1",
        "description": "Den Leitfaden finden Sie im Anhang.",
        "organizer": ("Koordinierungsstelle Stadtteilarbeit", "stadtteilarbeit@example.org"),
        "attendees": [("Jürgen Müller", "j.mueller@example.org"), ("Özlem Şahin", "o@example.org")],
        "now": NOW,
    }
    values.update(changes)
    return invitation(**values)  # type: ignore[arg-type]


def unfolded_lines(data: bytes) -> list[str]:
    text = data.decode("utf-8").replace("\r\n ", "")
    return text.split("\r\n")


def test_an_invitation_parses_back_with_uid_sequence_times_and_people() -> None:
    cal = icalendar.Calendar.from_ical(make_invitation(sequence=2))
    assert str(cal["METHOD"]) == "REQUEST"
    (event,) = cal.walk("VEVENT")
    assert str(event["UID"]) == "2026-kaltenmoor-auftaktgespraech@example.org"
    assert int(event["SEQUENCE"]) == 2
    assert event.decoded("DTSTART") == datetime(2026, 3, 10, 10, 0, tzinfo=BERLIN)
    assert event.decoded("DTEND") == datetime(2026, 3, 10, 12, 0, tzinfo=BERLIN)
    assert event.decoded("DTSTAMP") == datetime(2026, 3, 1, 7, 0, tzinfo=UTC)
    assert str(event["SUMMARY"]) == "Auftaktgespräch Kaltenmoor"
    assert str(event["LOCATION"]) == "Stadtteilhaus Kaltenmoor, Raum 1"
    assert str(event["ORGANIZER"]) == "mailto:stadtteilarbeit@example.org"
    attendees = event["ATTENDEE"]
    assert [str(a) for a in attendees] == ["mailto:j.mueller@example.org", "mailto:o@example.org"]
    assert [a.params["CN"] for a in attendees] == ["Jürgen Müller", "Özlem Şahin"]


def test_an_invitation_is_written_in_berlin_time_with_a_vtimezone() -> None:
    data = make_invitation(
        start=datetime(2026, 7, 1, 8, 0, tzinfo=UTC), end=datetime(2026, 7, 1, 9, 30, tzinfo=UTC)
    )
    lines = unfolded_lines(data)
    assert lines[0] == "BEGIN:VCALENDAR" and "END:VCALENDAR" in lines
    assert "METHOD:REQUEST" in lines
    assert "BEGIN:VEVENT" in lines and "UID:2026-kaltenmoor-auftaktgespraech@example.org" in lines
    assert "DTSTART;TZID=Europe/Berlin:20260701T100000" in lines
    assert "DTEND;TZID=Europe/Berlin:20260701T113000" in lines
    assert "DTSTAMP:20260301T070000Z" in lines
    assert "BEGIN:VTIMEZONE" in lines and "TZID:Europe/Berlin" in lines
    assert "RRULE:FREQ=YEARLY;BYDAY=-1SU;BYMONTH=3" in lines
    assert all(len(line.encode()) <= 75 for line in data.decode().split("\r\n"))
    timezone = icalendar.Calendar.from_ical(data).walk("VTIMEZONE")[0].to_tz()
    assert timezone.utcoffset(datetime(2026, 7, 1, 10, 0)) == timedelta(hours=2)
    assert timezone.utcoffset(datetime(2026, 12, 1, 10, 0)) == timedelta(hours=1)


def test_the_same_input_gives_the_same_bytes_and_rescheduling_raises_the_sequence() -> None:
    assert make_invitation() == make_invitation()
    moved = make_invitation(
        sequence=1,
        start=datetime(2026, 3, 12, 10, 0, tzinfo=BERLIN),
        end=datetime(2026, 3, 12, 12, 0, tzinfo=BERLIN),
    )
    assert "SEQUENCE:1" in unfolded_lines(moved)
    assert "UID:2026-kaltenmoor-auftaktgespraech@example.org" in unfolded_lines(moved)


def test_a_cancellation_is_marked_cancelled() -> None:
    lines = unfolded_lines(make_invitation(method="CANCEL", sequence=3))
    assert "METHOD:CANCEL" in lines and "STATUS:CANCELLED" in lines


@pytest.mark.parametrize(
    "changes",
    [
        {"start": datetime(2026, 3, 10, 10, 0)},
        {"now": datetime(2026, 3, 1, 8, 0)},
        {"end": datetime(2026, 3, 10, 9, 0, tzinfo=BERLIN)},
    ],
)
def test_naive_times_and_an_end_before_the_start_are_refused(changes: dict[str, object]) -> None:
    with pytest.raises(ValueError):
        make_invitation(**changes)


def test_an_export_has_all_day_deadlines_and_timed_meetings() -> None:
    entries = [
        CalendarEntry(
            "frist-jb@example.org",
            "Frist: Jahresbericht Kaltenmoor",
            date(2026, 12, 31),
            description="Bitte an die Koordinierungsstelle senden.",
        ),
        CalendarEntry(
            "auftakt@example.org",
            "Auftaktgespräch Kaltenmoor",
            datetime(2026, 3, 10, 10, 0, tzinfo=BERLIN),
            location="Stadtteilhaus",
        ),
        CalendarEntry(
            "fachtag@example.org",
            "Fachtag",
            datetime(2026, 6, 9, 9, 0, tzinfo=BERLIN),
            datetime(2026, 6, 9, 16, 0, tzinfo=BERLIN),
        ),
    ]
    data = export(entries, "Qualitätszyklus 2026", now=NOW)
    lines = unfolded_lines(data)
    assert "X-WR-CALNAME:Qualitätszyklus 2026" in lines
    assert not any(line.startswith("METHOD:") for line in lines)
    assert lines.count("BEGIN:VEVENT") == 3
    assert "DTSTART;VALUE=DATE:20261231" in lines and "DTEND;VALUE=DATE:20270101" in lines
    assert "DTSTART;TZID=Europe/Berlin:20260310T100000" in lines
    assert "DTEND;TZID=Europe/Berlin:20260310T110000" in lines
    assert "DTEND;TZID=Europe/Berlin:20260609T160000" in lines
    events = {str(e["UID"]): e for e in icalendar.Calendar.from_ical(data).walk("VEVENT")}
    assert events["frist-jb@example.org"].decoded("DTSTART") == date(2026, 12, 31)
    assert events["auftakt@example.org"].decoded("DTSTART") == datetime(
        2026, 3, 10, 10, 0, tzinfo=BERLIN
    )
    assert str(events["auftakt@example.org"]["LOCATION"]) == "Stadtteilhaus"
    assert all(
        e.decoded("DTSTAMP") == datetime(2026, 3, 1, 7, 0, tzinfo=UTC) for e in events.values()
    )


def test_an_export_refuses_mixed_date_kinds_in_one_entry() -> None:
    with pytest.raises(ValueError):
        export(
            [CalendarEntry("x", "x", date(2026, 1, 1), datetime(2026, 1, 2, tzinfo=BERLIN))],
            "x",
            now=NOW,
        )
    with pytest.raises(ValueError):
        export([CalendarEntry("x", "x", datetime(2026, 1, 1, 10), None)], "x", now=NOW)
