"""No stale mail: a meeting mail after the meeting has begun, a task mail after the task is done.

(A meeting waived before its invitation went out keeps the invitation: its cancellation
follows with the same UID, and calendars that saw neither stay consistent.)

Pure: the facts of the notification (kind, level) and of its stage (status, meeting instant)
and ``now`` decide. Asked when a mail is enqueued (``cycle/mail/notify.py``) and again right
before delivery (``cycle/mail/stale.py``: the outbox may hold messages stored long ago).
"""

from __future__ import annotations

from datetime import datetime

from workflows.deadlines import TERMINERINNERUNG
from workflows.recipients import AUFGABE, EINLADUNG
from workflows.stages import STATUS_LABELS

MEETING_MAILS = frozenset({EINLADUNG, TERMINERINNERUNG})
# A sign-off task (odd level) and its reminder (even level) wait for this status of the stage.
TASK_WAITS_FOR = {
    1: "geprueft",
    2: "geprueft",
    3: "zur_kenntnis_genommen",
    4: "zur_kenntnis_genommen",
}
CHECKED_KINDS = MEETING_MAILS | {AUFGABE}


def stale_reason(
    kind: str, level: int, status: str | None, scheduled_at: datetime | None, now: datetime
) -> str | None:
    """Why a mail of ``kind``/``level`` about a stage must not go out at ``now`` (or None)."""
    if status is None:
        return None  # not about a stage (or the stage is gone): not ours to judge
    if kind in MEETING_MAILS:
        if scheduled_at is not None and scheduled_at <= now:
            return "Der Termin hat bereits begonnen."
        if status == "durchgefuehrt":
            return "Der Termin hat bereits stattgefunden."
    if kind == AUFGABE and level in TASK_WAITS_FOR and status != TASK_WAITS_FOR[level]:
        return f"Die Aufgabe ist bereits erledigt (Stand: {STATUS_LABELS.get(status, status)})."
    return None
