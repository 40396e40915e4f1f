"""A year's own Leitfaden (``leitfaden_jahre``) reaches the invitations and the Bündelung.

Through the CLI on a copy of the shipped config, with its commented example switched on.
"""

from __future__ import annotations

import base64
import json
import mailbox
import sqlite3
from email import message_from_bytes
from email.message import EmailMessage
from email.policy import default
from pathlib import Path

from cycle.documents import leitfaden_pdf
from tests.conftest import Run

EXAMPLE = '# leitfaden_jahre = { 2027 = "vorlagen/leitfaden-schwerpunkt-beteiligung.md" }\n'
FOCUS = "leitfaden-schwerpunkt-beteiligung.pdf"  # the Markdown guide, sent as PDF
NORMAL = "leitfaden-auftaktgespraech.pdf"


def focus_on(workspace: Path, year: int) -> None:
    """Switch on the shipped example, with the focus guide for ``year``."""
    config = workspace / "config.toml"
    text = config.read_text(encoding="utf-8")
    assert text.count(EXAMPLE) == 1
    switched = EXAMPLE.removeprefix("# ").replace("2027", str(year))
    config.write_text(text.replace(EXAMPLE, switched), encoding="utf-8")


def schedule_kaltenmoor_2027(zyklus: Run) -> None:
    init = zyklus("init", now="2027-01-05T09:00")
    assert init.code == 0, init.err
    scheduled = zyklus(
        *("schedule", "kaltenmoor", "2027", "auftaktgespraech"),
        *("--at", "2027-02-10T10:00", "--location", "Stadtteilhaus Kaltenmoor"),
        now="2027-01-20T09:00",
    )
    assert scheduled.code == 0, scheduled.err


def invitation_attachments(workspace: Path) -> dict[str, bytes]:
    """File name → content of the attachments of the one invitation in the outbox."""
    with sqlite3.connect(workspace / "var" / "zyklus.db") as db:
        rows = db.execute("SELECT payload FROM outbox WHERE kind = 'einladung'").fetchall()
    assert len(rows) == 1
    attachments = json.loads(rows[0][0])["attachments"]
    return {a["filename"]: base64.b64decode(a["data"]) for a in attachments}


def delivered(workspace: Path) -> list[EmailMessage]:
    box = mailbox.Maildir(workspace / "var" / "mail", create=False)
    parsed = [message_from_bytes(box.get_bytes(key), policy=default) for key in box.iterkeys()]
    return [m for m in parsed if isinstance(m, EmailMessage)]


def test_the_invitation_of_the_focus_year_carries_the_focus_guide(zyklus: Run, workspace: Path):
    focus_on(workspace, 2027)
    schedule_kaltenmoor_2027(zyklus)
    attachments = invitation_attachments(workspace)
    assert set(attachments) == {"einladung.ics", FOCUS}
    source = (workspace / "vorlagen" / FOCUS.replace(".pdf", ".md")).read_text(encoding="utf-8")
    assert attachments[FOCUS] == leitfaden_pdf(source)
    assert attachments[FOCUS].startswith(b"%PDF")


def test_the_focus_guide_arrives_in_the_delivered_mail_and_is_named_in_its_text(
    zyklus: Run, workspace: Path
):
    focus_on(workspace, 2027)
    schedule_kaltenmoor_2027(zyklus)
    tick = zyklus("tick", now="2027-01-20T09:01")
    assert tick.code == 0, tick.err
    invitations = [m for m in delivered(workspace) if str(m["Subject"]).startswith("Einladung")]
    assert len(invitations) == 1
    mail = invitations[0]
    assert [p.get_filename() for p in mail.iter_attachments()] == ["einladung.ics", FOCUS]
    body = mail.get_body(("plain",))
    assert body is not None and f"- {FOCUS}" in body.get_content()


def test_other_years_keep_the_normal_guide(zyklus: Run, workspace: Path):
    focus_on(workspace, 2028)
    schedule_kaltenmoor_2027(zyklus)
    attachments = invitation_attachments(workspace)
    assert set(attachments) == {"einladung.ics", NORMAL}
    source = (workspace / "vorlagen" / NORMAL.replace(".pdf", ".md")).read_text(encoding="utf-8")
    assert attachments[NORMAL] == leitfaden_pdf(source)


def test_the_buendelung_names_the_focus_guide_as_the_dialogues_schwerpunkt(
    zyklus: Run, workspace: Path
):
    focus_on(workspace, 2027)
    schedule_kaltenmoor_2027(zyklus)
    held = zyklus(
        *("complete", "kaltenmoor", "2027", "auftaktgespraech", "--on", "2027-02-10"),
        *("--participants", "A. Muster, B. Beispiel"),
        now="2027-02-11T09:00",
    )
    assert held.code == 0, held.err
    report = zyklus("report", "buendelung", "2027", now="2027-02-12T09:00")
    assert report.code == 0, report.err
    assert (
        "- Auftaktgespräch: Leitfaden „Schwerpunkt Beteiligung: "
        "Wie gelingt Mitwirkung im Stadtteil?“" in report.out
    )
    assert "Auftaktgespräch (1. Wirksamkeitsdialog)" not in report.out
