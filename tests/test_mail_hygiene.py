"""Mail and export hygiene (issue 13, item 6): no header injection through encoded words, no
control characters in iCalendar text."""

from __future__ import annotations

from datetime import UTC, date, datetime
from email import message_from_bytes, policy

import icalendar
import pytest

from notifications.ics import CalendarEntry, export, invitation, text
from notifications.message import OutgoingEmail, parse_address, to_mime

INJECTIONS = [
    "=?utf-8?q?Evil=0D=0ABcc=3A_x=40evil=2Eorg?= <a@example.org>",
    "=?utf-8?b?RXZpbA0KQmNjOiB4QGV2aWwub3Jn?= <a@example.org>",
    # an encoded word that decodes to another encoded word
    "=?utf-8?b?PT91dGYtOD9xP0E9MEQ9MEFCY2M9M0FfeEBldmlsLm9yZz89?= <a@example.org>",
    '"=?utf-8?q?Evil=0ABcc=3A_x=40evil=2Eorg?=" <a@example.org>',
    "=?x-unbekannt?q?Evil=0ABcc=3A_x=40evil=2Eorg?= <a@example.org>",
]


@pytest.mark.parametrize("address", INJECTIONS)
def test_an_encoded_display_name_never_becomes_a_line_break_in_a_header(address: str) -> None:
    email = OutgoingEmail(
        sender="Koordinierungsstelle <ks@example.org>",
        to=(address,),
        cc=(),
        subject="Erinnerung",
        text="Hallo",
        html=None,
        message_id="<1@example.org>",
        date=datetime(2026, 3, 2, 8, tzinfo=UTC),
    )
    wire = to_mime(email).as_bytes()
    parsed = message_from_bytes(wire, policy=policy.default)
    assert parsed["Bcc"] is None
    assert [a.addr_spec for a in parsed["To"].addresses] == ["a@example.org"]
    name = parsed["To"].addresses[0].display_name
    assert "\r" not in name and "\n" not in name and "=?" not in name


def test_a_plain_or_encoded_umlaut_name_is_kept() -> None:
    assert parse_address("=?utf-8?q?J=C3=BCrgen_M=C3=BCller?= <j@example.org>").display_name == (
        "Jürgen Müller"
    )
    assert parse_address("Jürgen Müller <j@example.org>").display_name == "Jürgen Müller"


def test_icalendar_text_loses_control_characters_but_keeps_description_lines() -> None:
    assert text("Frist\x00 Jahres\x1b[31mbericht\r\nX-EVIL:1\u2028\u202e") == (
        "Frist Jahres [31mbericht X-EVIL:1"
    )
    assert text("Zeile 1\r\nZeile 2\x07\rZeile 3", lines=True) == "Zeile 1\nZeile 2\nZeile 3"


def test_exports_and_invitations_carry_no_control_characters() -> None:
    now = datetime(2026, 1, 5, 8, tzinfo=UTC)
    files = [
        export(
            [
                CalendarEntry(
                    "u\x001", "Frist\x00\r\nX-EVIL:1", date(2026, 3, 31), None, "A\x0cB\nC", "O\x1b"
                )
            ],
            "Kalender\x07",
            now=now,
        ),
        invitation(
            uid="u2",
            sequence=0,
            start=datetime(2026, 3, 10, 9, tzinfo=UTC),
            end=datetime(2026, 3, 10, 11, tzinfo=UTC),
            summary="Auftakt\x00gespräch",
            location="Saal\r\nX-EVIL:2",
            description="Bitte\x1b mitbringen:\nJahresplan",
            organizer=("KS\x07", "ks@example.org"),
            attendees=[("Lena\x00 Hoffmann", "l@example.org")],
            now=now,
        ),
    ]
    for data in files:
        body = data.decode("utf-8")
        assert not any(ord(c) < 32 and c not in "\r\n" for c in body)
        assert "\nX-EVIL" not in body.replace("\r\n ", "")
        event = icalendar.Calendar.from_ical(data).walk("VEVENT")[0]
        assert "\x00" not in str(event["SUMMARY"])
    described = icalendar.Calendar.from_ical(files[1]).walk("VEVENT")[0]
    assert str(described["DESCRIPTION"]) == "Bitte mitbringen:\nJahresplan"
