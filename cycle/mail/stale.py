"""Re-check before sending: withdraw the outbox messages that became stale while they waited.

A message stored long ago (the demo's invitations to the Fachtag of 18.06.2026, a sign-off task
for a Verwendungsnachweis filed since) must not go out: right before a drain claims, one query
reads every due pending message that holds a meeting mail or a task mail, with the status and
meeting instant of each of its notifications' stages; ``workflows.stale.stale_reason`` decides.
A message all of whose notifications are stale is marked ``skipped`` (the reason in
``last_error``), its notifications ``skipped`` with the reason, and each gets the audit entry
``benachrichtigung_uebersprungen`` — in one transaction. A bundle with one fresh part goes out.
"""

from __future__ import annotations

import logging
from collections import defaultdict
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import Engine, Table, and_, select, update
from sqlmodel import Session

from cycle.persistence import audit
from cycle.persistence.tables import Notification, OutboxMessage, StageState
from workflows.stale import CHECKED_KINDS, stale_reason

log = logging.getLogger(__name__)

_OUTBOX: Table = OutboxMessage.__table__  # type: ignore[attr-defined]
_NOTIFICATION: Table = Notification.__table__  # type: ignore[attr-defined]
_STAGE: Table = StageState.__table__  # type: ignore[attr-defined]


def withdraw(engine: Engine, now: datetime) -> int:
    """Withdraw the stale due messages at ``now``; returns how many were withdrawn."""
    o, n, s = _OUTBOX.c, _NOTIFICATION.c, _STAGE.c
    checked = select(n.message_id).where(n.kind.in_(sorted(CHECKED_KINDS)))
    query = (
        select(o.id, n.id, n.key, n.kind, n.level, n.pairing_id, n.year, n.stage_id)
        .add_columns(s.status, s.scheduled_at)
        .select_from(_OUTBOX)
        .join(_NOTIFICATION, n.message_id == o.id)
        .outerjoin(_STAGE, and_(s.cycle_id == n.cycle_id, s.stage_id == n.stage_id))
        .where(o.status == "pending")
        .where(o.next_attempt_at <= now)
        .where(o.id.in_(checked))
    )
    with engine.begin() as connection:
        parts: dict[int, list[tuple[Any, ...]]] = defaultdict(list)
        for row in connection.execute(query):
            message, *rest, status, scheduled_at = row
            reason = stale_reason(rest[2], rest[3], status, _aware(scheduled_at), now)
            parts[message].append((*rest, reason))
        stale = {m: rows for m, rows in parts.items() if all(r[-1] for r in rows)}
        if not stale:
            return 0
        for message, rows in list(stale.items()):
            taken = connection.execute(
                update(_OUTBOX)
                .where(o.id == message, o.status == "pending")
                .values(status="skipped", last_error=rows[0][-1])
            )
            if taken.rowcount != 1:  # another drain claimed it meanwhile
                del stale[message]
                continue
            for notification_id, *_, r in rows:
                connection.execute(
                    update(_NOTIFICATION)
                    .where(n.id == notification_id)
                    .values(status="skipped", reason=r)
                )
        with Session(bind=connection) as session:
            audit.append(session, now, "zyklus", _changes(stale))
            session.flush()
    log.info("%d veraltete Nachricht(en) nicht gesendet.", len(stale))
    return len(stale)


def _changes(stale: dict[int, list[tuple[Any, ...]]]) -> list[audit.Change]:
    return [
        audit.Change(
            "benachrichtigung_uebersprungen",
            pairing,
            year,
            stage,
            after=kind,
            payload={"key": key, "stufe": level, "nachricht": message, "grund": reason},
        )
        for message, rows in stale.items()
        for _, key, kind, level, pairing, year, stage, reason in rows
    ]


def _aware(instant: datetime | None) -> datetime | None:
    """SQLite keeps UTC without an offset (Core rows bypass SQLModel's type on some paths)."""
    if instant is None or instant.utcoffset() is not None:
        return instant
    return instant.replace(tzinfo=UTC)
