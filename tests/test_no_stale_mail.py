"""No stale mail (issue 23 item 2): decided when a mail is stored and again right before it is sent.

The demo's story: the Fachtag of 18.06.2026 is scheduled on 15.04.2026; the
Verwendungsnachweis is submitted, checked, acknowledged and filed — all recorded with the CLI,
which does not deliver. The first ``zyklus tick`` a year later must not send the invitations to
the past Fachtag nor the sign-off task mails of the filed Verwendungsnachweis: each is recorded
as skipped with its reason (message and notifications), in the audit log too.
"""

from __future__ import annotations

import json
import mailbox
from datetime import UTC, datetime, timedelta
from email import policy
from email.parser import BytesParser
from pathlib import Path

from tests.conftest import Run
from workflows.stale import stale_reason

VN = Path(__file__).parent / "data" / "documents" / "verwendungsnachweis-2026.toml"
P = ("kaltenmoor", "2026", "verwendungsnachweis")


def _subjects(workspace: Path) -> list[str]:
    box = mailbox.Maildir(workspace / "var" / "mail", factory=None, create=False)
    parse = BytesParser(policy=policy.default)
    return [str(parse.parsebytes(m.as_bytes())["Subject"]) for m in box]


def _ok(zyklus: Run, *args: str, now: str) -> str:
    result = zyklus(*args, now=now)
    assert result.code == 0, (args, result.err)
    assert "Traceback" not in result.err
    return result.out


def test_the_first_tick_a_year_later_sends_no_invitation_and_no_task_for_a_filed_vn(
    zyklus: Run, workspace: Path
) -> None:
    _ok(zyklus, "init", now="2026-01-05T09:00")
    _ok(zyklus, "schedule", "alle", "2026", "fachtag", "--at", "2026-06-18T09:30",
        "--location", "Glockenhaus Lüneburg", now="2026-04-15T10:00")  # fmt: skip
    for stage in ("auftaktgespraech", "fachtag", "auswertungsgespraech", "jahresbericht"):
        _ok(
            zyklus, "waive", "kaltenmoor", "2026", stage, "--reason", "Test", now="2027-05-20T09:00"
        )
    _ok(zyklus, "submit", *P, str(VN), now="2027-05-20T10:00")
    _ok(zyklus, "check", *P, "--by", "K. Koordinator", now="2027-05-25T10:00")
    _ok(zyklus, "acknowledge", *P, now="2027-06-01T10:00")
    _ok(zyklus, "file", *P, "--by", "51.12", now="2027-06-08T10:00")
    stored = json.loads(_ok(zyklus, "outbox", "--format", "json", now="2027-06-08T11:00"))
    kinds = {m["kind"] for m in stored["messages"] if m["status"] == "pending"}
    assert {"einladung", "aufgabe"} <= kinds  # the old mails really wait in the outbox

    _ok(zyklus, "tick", now="2027-06-08T12:00")

    subjects = _subjects(workspace)
    assert subjects  # the tick did deliver (the receipt of the submission, reminders …)
    assert not [s for s in subjects if s.startswith("Einladung")]
    assert not [s for s in subjects if s.startswith(("Zur Kenntnisnahme", "Zum Vorgang"))]
    listing = json.loads(_ok(zyklus, "outbox", "--format", "json", now="2027-06-08T12:01"))
    withdrawn = [m for m in listing["messages"] if m["kind"] in ("einladung", "aufgabe")]
    assert withdrawn and all(m["status"] == "skipped" for m in withdrawn)
    skipped = json.loads(
        _ok(zyklus, "outbox", "--status", "skipped", "--format", "json", now="2027-06-08T12:01")
    )["notifications"]
    reasons = {n["kind"]: n["reason"] for n in skipped if n["kind"] in ("einladung", "aufgabe")}
    assert reasons == {
        "einladung": "Der Termin hat bereits begonnen.",
        "aufgabe": "Die Aufgabe ist bereits erledigt (Stand: abgelegt).",
    }
    audit = _ok(zyklus, "audit", "--format", "json", now="2027-06-08T12:02")
    assert "Der Termin hat bereits begonnen." in audit
    assert _ok(zyklus, "audit", "verify", now="2027-06-08T12:02")


def test_the_rule_meeting_begun_and_task_done() -> None:
    at = datetime(2026, 3, 10, 9, 0, tzinfo=UTC)
    assert stale_reason("einladung", 0, "terminiert", at, at) == "Der Termin hat bereits begonnen."
    assert stale_reason("terminerinnerung", 1, "terminiert", at, at - timedelta(seconds=1)) is None
    assert stale_reason("einladung", 0, "durchgefuehrt", None, at) is not None
    assert stale_reason("absage", 0, "entfallen", at, at) is None  # a cancellation still goes
    assert stale_reason("aufgabe", 1, "geprueft", None, at) is None
    assert stale_reason("aufgabe", 2, "zur_kenntnis_genommen", None, at) is not None
    assert stale_reason("aufgabe", 3, "zur_kenntnis_genommen", None, at) is None
    assert stale_reason("aufgabe", 4, "abgelegt", None, at) is not None
    assert stale_reason("erinnerung", 1, "angenommen", None, at) is None  # not judged here


def test_an_invitation_to_a_meeting_still_ahead_is_sent(zyklus: Run, workspace: Path) -> None:
    _ok(zyklus, "init", now="2026-01-05T09:00")
    _ok(zyklus, "schedule", "kaltenmoor", "2026", "auftaktgespraech", "--at", "2026-03-10T10:00",
        "--location", "Stadtteilhaus", now="2026-02-02T10:00")  # fmt: skip
    _ok(zyklus, "tick", now="2026-03-10T09:59")
    assert [s for s in _subjects(workspace) if s.startswith("Einladung: Auftaktgespräch")]
