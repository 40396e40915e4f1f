"""The SQL outbox: ``notifications.delivery.OutboxPort`` on the ``outbox`` table.

A message is claimed by a conditional UPDATE that sets a lease; exactly one row must change,
otherwise another process got there first. A process killed mid-drain leaves leases that expire,
so the message is sent again later, with the same Message-ID. Each outcome commits at once.
"""

from __future__ import annotations

from collections.abc import Callable, Hashable, Mapping
from datetime import datetime, timedelta

from sqlalchemy import Engine, or_, select, update
from sqlmodel import Session, col

from cycle.persistence import audit
from cycle.persistence.tables import Notification, OutboxMessage
from cycle.persistence.uow import transaction
from notifications.delivery import Pending
from notifications.message import from_payload

LEASE = timedelta(minutes=5)

# Called inside the failing message's transaction, e.g. to enqueue a ``zustellfehler``.
# Arguments: the session, the message row, now, the addresses concerned and the error text.
FailedHook = Callable[[Session, OutboxMessage, datetime, str, str], None]


class SqlOutbox:
    def __init__(self, engine: Engine, owner: str, on_failed: FailedHook | None = None) -> None:
        self.engine, self.owner, self.on_failed = engine, owner, on_failed

    def claim(self, now: datetime, limit: int) -> list[Pending]:
        claimable = (
            (col(OutboxMessage.status) == "pending")
            & (col(OutboxMessage.next_attempt_at) <= now)
            & or_(col(OutboxMessage.lease_until).is_(None), col(OutboxMessage.lease_until) < now)
        )
        claimed: list[Pending] = []
        with transaction(self.engine) as session:
            candidates = (
                session.execute(
                    select(col(OutboxMessage.id))
                    .where(claimable)
                    .order_by(col(OutboxMessage.id))
                    .limit(limit)
                    .with_for_update(skip_locked=True)
                )
                .scalars()
                .all()
            )
            for message_id in candidates:
                changed = session.execute(
                    update(OutboxMessage)
                    .where(col(OutboxMessage.id) == message_id)
                    .where(claimable)
                    .values(
                        lease_until=now + LEASE,
                        lease_owner=self.owner,
                        attempts=OutboxMessage.attempts + 1,
                    )
                ).rowcount  # type: ignore[attr-defined]
                if changed != 1:
                    continue  # another process got there first
                row = session.get_one(OutboxMessage, message_id)
                claimed.append(Pending(message_id, from_payload(row.payload), row.attempts))
        return claimed

    def mark_sent(self, id: Hashable, now: datetime, refused: Mapping[str, str]) -> None:
        with transaction(self.engine) as session:
            row = session.get_one(OutboxMessage, id)
            row.status, row.sent_at, row.refused = "sent", now, dict(refused)
            row.lease_until = row.lease_owner = None
            session.add(row)
            audit.record(
                session,
                now,
                "zyklus",
                audit.Change(
                    "nachricht_gesendet",
                    after="sent",
                    payload={
                        "message_id": row.message_id,
                        "keys": _keys(session, row.id),
                        "abgelehnt": dict(refused),
                    },
                ),
            )
            if refused and self.on_failed is not None and row.kind != "zustellfehler":
                # Delivered to the others; the refused recipients are a delivery failure too.
                answers = "; ".join(f"{addr}: {answer}" for addr, answer in refused.items())
                self.on_failed(session, row, now, ", ".join(refused), answers)

    def defer(self, id: Hashable, now: datetime, next_attempt_at: datetime, error: str) -> None:
        with transaction(self.engine) as session:
            row = session.get_one(OutboxMessage, id)
            row.next_attempt_at, row.last_error = next_attempt_at, error
            row.lease_until = row.lease_owner = None
            session.add(row)

    def mark_failed(self, id: Hashable, now: datetime, error: str) -> None:
        with transaction(self.engine) as session:
            row = session.get_one(OutboxMessage, id)
            row.status, row.last_error = "failed", error
            row.lease_until = row.lease_owner = None
            session.add(row)
            audit.record(
                session,
                now,
                "zyklus",
                audit.Change(
                    "nachricht_fehlgeschlagen",
                    after="failed",
                    payload={
                        "message_id": row.message_id,
                        "fehler": error,
                        "versuche": row.attempts,
                        "keys": _keys(session, row.id),
                    },
                ),
            )
            if self.on_failed is not None and row.kind != "zustellfehler":
                self.on_failed(session, row, now, row.to, error)


def _keys(session: Session, message_row: int | None) -> list[str]:
    return list(
        session.execute(
            select(col(Notification.key)).where(col(Notification.message_id) == message_row)
        ).scalars()
    )
