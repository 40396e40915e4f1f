"""iCalendar files: meeting invitations (METHOD:REQUEST) and calendar exports.

Timed events are written in Europe/Berlin (``DTSTART;TZID=Europe/Berlin:…``) with a matching
VTIMEZONE; deadlines are all-day events. ``DTSTAMP`` comes from the ``now`` the caller passes, so
the output is deterministic. The UID must be stable per cycle and stage; re-scheduling raises
``sequence``, which lets calendar clients replace the earlier entry.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import icalendar

BERLIN = ZoneInfo("Europe/Berlin")
PRODID = "-//zyklus//Qualitätszyklus Stadtteilarbeit//DE"


@dataclass(frozen=True)
class CalendarEntry:
    """One event of an export: a ``date`` start is an all-day deadline, a datetime a meeting.

    ``end`` None means one day (all-day) or one hour (timed)."""

    uid: str
    summary: str
    start: date | datetime
    end: date | datetime | None = None
    description: str | None = None
    location: str | None = None
    sequence: int = 0  # raised with every re-scheduling, like the invitation's SEQUENCE


def text(value: str, *, lines: bool = False) -> str:
    """iCalendar text without control characters (NUL, ESC, CR, DEL, U+2028 …).

    icalendar escapes ``,;\\`` and line breaks, but passes other control characters through,
    and some clients stop reading or mis-parse at them. With ``lines`` a description keeps its
    line breaks (``\\n``); everything else becomes one line.
    """
    keep = "\n" if lines else ""
    normal = value.replace("\r\n", "\n").replace("\r", "\n")
    chars = (
        c if c in keep or unicodedata.category(c) not in ("Cc", "Cf", "Zl", "Zp") else " "
        for c in normal
    )
    cleaned = "".join(chars)
    if lines:
        return "\n".join(" ".join(line.split()) for line in cleaned.split("\n")).strip()
    return " ".join(cleaned.split())


def _aware(value: datetime, what: str) -> datetime:
    if value.tzinfo is None or value.utcoffset() is None:
        raise ValueError(f"{what}: naive datetime refused")
    return value.astimezone(BERLIN)


def _calendar(method: str | None) -> icalendar.Calendar:
    cal = icalendar.Calendar()
    cal.add("prodid", PRODID)
    cal.add("version", "2.0")
    cal.add("calscale", "GREGORIAN")
    if method:
        cal.add("method", method)
    return cal


def _berlin_timezone() -> icalendar.Timezone:
    """A compact, rule-based VTIMEZONE for Europe/Berlin (EU rules since 1996, no end year)."""
    tz = icalendar.Timezone()
    tz.add("tzid", "Europe/Berlin")
    tz.add("x-lic-location", "Europe/Berlin")
    for kind, name, offsets, start, month in (
        (icalendar.TimezoneDaylight, "CEST", (1, 2), datetime(1970, 3, 29, 2), 3),
        (icalendar.TimezoneStandard, "CET", (2, 1), datetime(1970, 10, 25, 3), 10),
    ):
        part = kind()
        part.add("tzname", name)
        part.add("tzoffsetfrom", timedelta(hours=offsets[0]))
        part.add("tzoffsetto", timedelta(hours=offsets[1]))
        part.add("dtstart", start)
        part.add("rrule", {"freq": "yearly", "bymonth": month, "byday": "-1su"})
        tz.add_component(part)
    return tz


def _address(name: str, email: str, **params: str) -> icalendar.vCalAddress:
    address = icalendar.vCalAddress(f"mailto:{email}")
    address.params["CN"] = text(name)
    for key, value in params.items():
        address.params[key] = value
    return address


def invitation(
    *,
    uid: str,
    sequence: int,
    start: datetime,
    end: datetime,
    summary: str,
    location: str | None,
    description: str | None,
    organizer: tuple[str, str],
    attendees: Sequence[tuple[str, str]],
    now: datetime,
    method: str = "REQUEST",
) -> bytes:
    """One VEVENT invitation (``method`` REQUEST or CANCEL) as iCalendar bytes."""
    begin, finish = _aware(start, "start"), _aware(end, "end")
    if finish <= begin:
        raise ValueError("end must be after start")
    cal = _calendar(method)
    event = icalendar.Event()
    event.add("uid", text(uid))
    event.add("sequence", sequence)
    event.add("dtstamp", _aware(now, "now").astimezone(UTC))
    event.add("dtstart", begin)
    event.add("dtend", finish)
    event.add("summary", text(summary))
    if location:
        event.add("location", text(location))
    if description:
        event.add("description", text(description, lines=True))
    event.add("status", "CANCELLED" if method == "CANCEL" else "CONFIRMED")
    event.add("transp", "OPAQUE")
    event.add("organizer", _address(*organizer))
    for name, email in attendees:
        attendee = _address(
            name, email, ROLE="REQ-PARTICIPANT", PARTSTAT="NEEDS-ACTION", RSVP="TRUE"
        )
        event.add("attendee", attendee)
    cal.add_component(_berlin_timezone())
    cal.add_component(event)
    return bytes(cal.to_ical())


def export(entries: Iterable[CalendarEntry], name: str, *, now: datetime) -> bytes:
    """A calendar file (no METHOD) with every entry; deadlines all-day, meetings timed."""
    cal = _calendar(None)
    cal.add("x-wr-calname", text(name))
    cal.add("x-wr-timezone", "Europe/Berlin")
    stamp = _aware(now, "now").astimezone(UTC)
    cal.add_component(_berlin_timezone())
    for entry in entries:
        event = icalendar.Event()
        event.add("uid", text(entry.uid))
        event.add("sequence", entry.sequence)
        event.add("dtstamp", stamp)
        start, end = _span(entry)
        event.add("dtstart", start)
        event.add("dtend", end)
        event.add("summary", text(entry.summary))
        if entry.location:
            event.add("location", text(entry.location))
        if entry.description:
            event.add("description", text(entry.description, lines=True))
        if isinstance(start, date) and not isinstance(start, datetime):
            event.add("transp", "TRANSPARENT")  # a deadline does not block the day
        cal.add_component(event)
    return bytes(cal.to_ical())


def _span(entry: CalendarEntry) -> tuple[date | datetime, date | datetime]:
    if isinstance(entry.start, datetime):
        start = _aware(entry.start, entry.uid)
        if entry.end is None:
            return start, start + timedelta(hours=1)
        if not isinstance(entry.end, datetime):
            raise ValueError(f"{entry.uid}: a timed entry needs a datetime end")
        return start, _aware(entry.end, entry.uid)
    if entry.end is None:
        return entry.start, entry.start + timedelta(days=1)
    if isinstance(entry.end, datetime):
        raise ValueError(f"{entry.uid}: an all-day entry needs a date end")
    return entry.start, entry.end
