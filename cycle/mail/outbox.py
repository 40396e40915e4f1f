"""The SQL outbox: ``notifications.delivery.OutboxPort`` on the ``outbox`` table.

**Claim.** A message is claimed by a conditional UPDATE (pending, due, no live lease) that sets
``lease_owner`` (unique per drain, see ``cycle.mail.deliver.owner``) and ``lease_until``; exactly
one row must change, otherwise another process got there first. PostgreSQL selects the candidates
with ``FOR UPDATE SKIP LOCKED``; SQLite serialises writers (``BEGIN IMMEDIATE``) and ignores it.

**Lease.** A message whose send may still be in flight is never claimed again, because ::

    lease = send deadline + LOCK_WAIT (the claim's BEGIN) + MARK_TRIES × LOCK_WAIT (the mark)
            + MARGIN (clock skew between hosts, scheduling)

where the send deadline is ``notifications.delivery.send_deadline(transport)`` — the transport's
``send_bound`` plus a grace, enforced with ``asyncio.timeout`` around each send — and
``LOCK_WAIT`` is SQLite's busy timeout (``cycle.persistence.db``). With the shipped SMTP settings
(``timeout_seconds = 30``: send bound 3 × 4 × 30 s + 2 s = 362 s, deadline 363 s) the lease is
543 s, about nine minutes; with ``timeout_seconds = 5`` it is 243 s.
The drain claims one message per send with a fresh instant, so the lease starts with the send.

**Marks.** ``mark_sent``, ``defer`` and ``mark_failed`` are UPDATEs conditional on (id, lease
owner, pending) with RETURNING — no extra SELECT. If no row changed, another process took the
message over after our lease ran out: the outcome is logged and dropped, never written over the
other's. Each mark is its own transaction (row, audit entry and a possible Zustellfehler
together); "database is locked" is retried ``MARK_TRIES`` times, so a message the server accepted
is marked sent even beside a long write.

**Attempts.** The claim counts nothing. ``mark_sent`` counts the attempt; ``defer`` and
``mark_failed`` count it only when ``attempted`` (the attempt reached the server). A refused
connection or a crash between claim and mark uses up no retry: the lease runs out and the message
is sent later with the same Message-ID. The one case that can deliver a second copy is a process
killed after the server took the data but before the mark committed; the copy comes only after
the lease, never while the first send may still be running.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Hashable, Mapping
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import Engine, or_, select, update
from sqlalchemy.exc import OperationalError
from sqlmodel import Session, col

from cycle.persistence import audit
from cycle.persistence.tables import Notification, OutboxMessage
from cycle.persistence.uow import transaction
from notifications.delivery import Pending, later
from notifications.message import from_payload

log = logging.getLogger("zyklus.zustellung")

LOCK_WAIT = timedelta(seconds=30)  # PRAGMA busy_timeout in cycle.persistence.db
MARK_TRIES = 3
MARGIN = timedelta(seconds=60)
DEFAULT_SEND_DEADLINE = timedelta(seconds=363)  # SmtpTransport with timeout 30 s, see above

# Called inside the failing message's transaction, e.g. to enqueue a ``zustellfehler``.
# Arguments: the session, the message row, now, the addresses concerned and the error text.
FailedHook = Callable[[Session, OutboxMessage, datetime, str, str], None]


def lease_for(send_deadline: timedelta) -> timedelta:
    """The lease that outlasts a send bounded by ``send_deadline`` and its claim and mark."""
    return send_deadline + LOCK_WAIT + MARK_TRIES * LOCK_WAIT + MARGIN


class SqlOutbox:
    def __init__(
        self,
        engine: Engine,
        owner: str,
        on_failed: FailedHook | None = None,
        send_deadline: timedelta = DEFAULT_SEND_DEADLINE,
    ) -> None:
        self.engine, self.owner, self.on_failed = engine, owner, on_failed
        self.lease = lease_for(send_deadline)

    def claim(self, now: datetime, limit: int) -> list[Pending]:
        claimable = (
            (col(OutboxMessage.status) == "pending")
            & (col(OutboxMessage.next_attempt_at) <= now)
            & or_(col(OutboxMessage.lease_until).is_(None), col(OutboxMessage.lease_until) < now)
        )
        claimed: list[Pending] = []
        try:
            with transaction(self.engine) as session:
                candidates = session.execute(
                    select(col(OutboxMessage.id))
                    .where(claimable)
                    .order_by(col(OutboxMessage.id))
                    .limit(limit)
                    .with_for_update(skip_locked=True)
                ).scalars()
                for message_id in list(candidates):
                    row = session.execute(
                        update(OutboxMessage)
                        .where(col(OutboxMessage.id) == message_id)
                        .where(claimable)
                        .values(lease_until=later(now, self.lease), lease_owner=self.owner)
                        .returning(
                            col(OutboxMessage.payload),
                            col(OutboxMessage.attempts),
                            col(OutboxMessage.created_at),
                        )
                        .execution_options(synchronize_session=False)
                    ).first()
                    if row is None:
                        continue  # another process got there first
                    payload, attempts, created_at = row
                    claimed.append(Pending(message_id, from_payload(payload), attempts, created_at))
        except OperationalError as exc:
            if not _locked(exc):
                raise
            # Nothing was claimed (the transaction rolled back); the next drain tries again.
            log.warning("Ausgang gesperrt, Zustellung später: %s", exc.orig)
            return []
        return claimed

    def mark_sent(self, id: Hashable, now: datetime, refused: Mapping[str, str]) -> bool:
        def apply(session: Session) -> bool:
            row = self._mark(
                session, id, status="sent", sent_at=now, refused=dict(refused), attempted=True
            )
            if row is None:
                return False
            keys = _keys(session, row.id)
            change = audit.Change(
                "nachricht_gesendet",
                after="sent",
                payload={"message_id": row.message_id, "keys": keys, "abgelehnt": dict(refused)},
            )
            audit.record(session, now, "zyklus", change)
            if refused and self.on_failed is not None and row.kind != "zustellfehler":
                # Delivered to the others; the refused recipients are a delivery failure too.
                answers = "; ".join(f"{addr}: {answer}" for addr, answer in refused.items())
                self.on_failed(session, row, now, ", ".join(refused), answers)
            return True

        return self._write(id, "gesendet", apply)

    def defer(
        self, id: Hashable, now: datetime, next_attempt_at: datetime, error: str, *, attempted: bool
    ) -> bool:
        def apply(session: Session) -> bool:
            row = self._mark(
                session, id, next_attempt_at=next_attempt_at, last_error=error, attempted=attempted
            )
            return row is not None

        return self._write(id, "zurückgestellt", apply)

    def mark_failed(self, id: Hashable, now: datetime, error: str, *, attempted: bool) -> bool:
        def apply(session: Session) -> bool:
            row = self._mark(session, id, status="failed", last_error=error, attempted=attempted)
            if row is None:
                return False
            change = audit.Change(
                "nachricht_fehlgeschlagen",
                after="failed",
                payload={
                    "message_id": row.message_id,
                    "fehler": error,
                    "versuche": row.attempts,
                    "keys": _keys(session, row.id),
                },
            )
            audit.record(session, now, "zyklus", change)
            if self.on_failed is not None and row.kind != "zustellfehler":
                self.on_failed(session, row, now, row.to, error)
            return True

        return self._write(id, "fehlgeschlagen", apply)

    def _mark(
        self, session: Session, id: Hashable, *, attempted: bool, **values: Any
    ) -> OutboxMessage | None:
        """The conditional UPDATE of every mark: only the lease owner's pending row changes."""
        statement = (
            update(OutboxMessage)
            .where(col(OutboxMessage.id) == id)
            .where(col(OutboxMessage.lease_owner) == self.owner)
            .where(col(OutboxMessage.status) == "pending")
            .values(
                lease_until=None,
                lease_owner=None,
                attempts=OutboxMessage.attempts + (1 if attempted else 0),
                **values,
            )
            .returning(OutboxMessage)
            .execution_options(synchronize_session=False)
        )
        row: OutboxMessage | None = session.execute(statement).scalars().first()
        return row

    def _write(self, id: Hashable, outcome: str, apply: Callable[[Session], bool]) -> bool:
        for attempt in range(1, MARK_TRIES + 1):
            try:
                with transaction(self.engine) as session:
                    done = apply(session)
            except OperationalError as exc:
                if not _locked(exc) or attempt == MARK_TRIES:
                    raise
                log.warning("Nachricht %s: Datenbank gesperrt, versuche es erneut.", id)
                continue
            if not done:
                log.warning(
                    "Nachricht %s: von einem anderen Prozess übernommen; "
                    "Ergebnis „%s“ nicht gespeichert.",
                    id,
                    outcome,
                )
            return done
        raise AssertionError("unreachable")  # the loop returns or raises


def _locked(exc: OperationalError) -> bool:
    return "locked" in str(exc.orig).lower()


def _keys(session: Session, message_row: int | None) -> list[str]:
    return list(
        session.execute(
            select(col(Notification.key)).where(col(Notification.message_id) == message_row)
        ).scalars()
    )
