"""Cancellations (SPEC §6, issue 10): a waived or ended meeting leaves everyone's calendar.

Read back from the Maildir as a mail program would: the ``absage`` carries an iCalendar
``METHOD:CANCEL`` with the invitation's UID and a higher SEQUENCE; a successor that takes a
scheduled meeting over gets the invitation.
"""

from __future__ import annotations

import mailbox
from email import policy
from email.message import EmailMessage
from email.parser import BytesParser
from pathlib import Path

import icalendar
import pytest

from tests.conftest import Run

AT = "2026-03-20T10:00"


@pytest.fixture
def scheduled(zyklus: Run) -> Run:
    assert zyklus("init", now="2026-01-05T09:00").code == 0
    for pairing in ("kaltenmoor", "bockelsberg"):
        result = zyklus(
            "schedule", pairing, "2026", "auftaktgespraech", "--at", AT, now="2026-03-02T09:00"
        )
        assert result.code == 0, result.err
    return zyklus


def _mails(workspace: Path) -> list[EmailMessage]:
    box = mailbox.Maildir(workspace / "var" / "mail", create=False)
    parser = BytesParser(policy=policy.default)
    parsed = [parser.parsebytes(box.get_bytes(key)) for key in box.iterkeys()]
    return [m for m in parsed if isinstance(m, EmailMessage)]


def _calendar(mail: EmailMessage, name: str) -> icalendar.Calendar:
    [part] = [p for p in mail.iter_attachments() if p.get_filename() == name]
    return icalendar.Calendar.from_ical(part.get_content())


def _event(cal: icalendar.Calendar) -> icalendar.Event:
    [event] = [c for c in cal.walk("VEVENT")]
    return event


def _deliver(zyklus: Run, now: str) -> None:
    result = zyklus("tick", now=now)
    assert result.code == 0, result.err


def test_waiving_a_scheduled_meeting_sends_a_cancel_with_the_same_uid(
    scheduled: Run, workspace: Path
):
    waived = scheduled(
        "waive",
        "kaltenmoor",
        "2026",
        "auftaktgespraech",
        "--reason",
        "Krankheit",
        now="2026-03-05T09:00",
    )
    assert waived.code == 0, waived.err
    _deliver(scheduled, "2026-03-05T09:01")
    mails = _mails(workspace)
    [invitation] = [
        m for m in mails if m["Subject"].startswith("Einladung: Auftaktgespräch Kaltenmoor")
    ]
    [absage] = [m for m in mails if m["Subject"].startswith("Abgesagt: Auftaktgespräch Kaltenmoor")]
    invited = _event(_calendar(invitation, "einladung.ics"))
    cancel_cal = _calendar(absage, "absage.ics")
    cancelled = _event(cancel_cal)
    assert str(cancel_cal["METHOD"]) == "CANCEL"
    assert str(cancelled["UID"]) == str(invited["UID"])
    assert int(cancelled["SEQUENCE"]) > int(invited["SEQUENCE"])
    assert str(cancelled["STATUS"]) == "CANCELLED"
    body = absage.get_body(("plain",))
    assert body is not None and "Grund: Krankheit" in body.get_content()
    assert str(absage["To"]) == str(invitation["To"])
    # the other pairing's meeting stays
    assert not [
        m for m in mails if m["Subject"].startswith("Abgesagt: Auftaktgespräch Bockelsberg")
    ]


def test_a_hand_over_cancels_for_the_predecessor_and_invites_the_successor(
    scheduled: Run, workspace: Path
):
    ended = scheduled(
        "end",
        "bockelsberg",
        "--on",
        "2026-03-05",
        "--reason",
        "Trägerwechsel",
        "--successor",
        "ebensberg",
        now="2026-03-05T09:00",
    )
    assert ended.code == 0, ended.err
    _deliver(scheduled, "2026-03-05T09:01")
    mails = _mails(workspace)
    [absage] = [
        m for m in mails if m["Subject"].startswith("Abgesagt: Auftaktgespräch Bockelsberg")
    ]
    assert "Die Partnerschaft bockelsberg endet am 05.03.2026; ebensberg übernimmt." in (
        absage.get_body(("plain",)).get_content()  # type: ignore[union-attr]
    )
    invitations = [
        m for m in mails if m["Subject"].startswith("Einladung: Auftaktgespräch Ebensberg")
    ]
    assert len(invitations) == 1
    event = _event(_calendar(invitations[0], "einladung.ics"))
    assert event.decoded("DTSTART").strftime("%d.%m.%Y %H:%M") == "20.03.2026 10:00"


def test_the_calendar_exports_no_waived_deadline(scheduled: Run, workspace: Path):
    waived = scheduled(
        "waive", "kaltenmoor", "2026", "fachtag", "--reason", "Elternzeit", now="2026-03-05T09:00"
    )
    assert waived.code == 0, waived.err
    out = workspace / "fristen.ics"
    assert (
        scheduled("calendar", "kaltenmoor", "--output", str(out), now="2026-03-05T09:00").code == 0
    )
    summaries = [
        str(e["SUMMARY"]) for e in icalendar.Calendar.from_ical(out.read_bytes()).walk("VEVENT")
    ]
    assert "Frist Auftaktgespräch 2026 – Kaltenmoor" in summaries
    assert not [s for s in summaries if "Fachtag" in s]


def test_a_jahresbericht_reminder_carries_the_prefilled_skeleton_and_the_hints_as_pdf(
    zyklus: Run, workspace: Path
):
    import io

    from docx import Document

    assert zyklus("init", now="2026-01-05T09:00").code == 0
    assert zyklus("tick", now="2026-12-03T08:05").code == 0
    [mail] = [
        m for m in _mails(workspace) if "l.hoffmann@awo-lueneburg.example.org" in str(m["To"])
    ]
    parts = {p.get_filename(): p for p in mail.iter_attachments()}
    assert "jahresbericht-hinweise.pdf" in parts
    assert parts["jahresbericht-hinweise.pdf"].get_content().startswith(b"%PDF")
    skeleton = Document(io.BytesIO(parts["jahresbericht-kaltenmoor-2026.docx"].get_content()))
    text = "\n".join(p.text for p in skeleton.paragraphs)
    assert "Kaltenmoor" in text and "2026" in text
