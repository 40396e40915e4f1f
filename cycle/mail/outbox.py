"""The SQL outbox: ``notifications.delivery.OutboxPort`` on the ``outbox`` table.

**Claim.** A message is claimed by a conditional UPDATE (pending or ungewiss, due, no live lease)
that sets
``lease_owner`` (unique per drain, see ``cycle.mail.deliver.owner``) and ``lease_until``; exactly
one row must change, otherwise another process got there first. PostgreSQL selects the candidates
with ``FOR UPDATE SKIP LOCKED``; SQLite serialises writers (``BEGIN IMMEDIATE``) and ignores it.
The longest-due message is claimed first (``next_attempt_at``, then id: the order of the index
``ix_outbox_due``, so a claim reads a few index entries, not every due row).

**Lease.** A message whose send may still be in flight is never claimed again, because ::

    lease = send deadline + LOCK_WAIT (the claim's BEGIN) + MARK_TRIES × LOCK_WAIT (the mark)
            + MARGIN (clock skew between hosts, scheduling)

where the send deadline is ``notifications.delivery.send_deadline(transport)`` — the transport's
``send_bound`` plus a grace, enforced with ``asyncio.timeout`` around each send — and
``LOCK_WAIT`` is SQLite's busy timeout (``cycle.persistence.db``). With the shipped SMTP settings
(``timeout_seconds = 30``, ``data_timeout_seconds = 600`` as RFC 5321 suggests for the reply to
end-of-DATA: send bound 5 × 120 s + 600 s + 30 s + 3 s = 1233 s, deadline 1234 s) the lease is
1414 s, about 24 minutes; with ``timeout_seconds = 5`` it is 889 s. A lease must outlast the
longest send: raising ``data_timeout_seconds`` raises the lease with it (``lease_for``).
The hand-over (below) sets the lease again from its own instant, so the lease starts with the send.

**Batches** (``batch_size`` > 1, ``[mail] zustellstapel``, what ``cycle.mail.deliver`` uses).
One transaction claims up to ``batch_size`` messages, but only *reserves* them: ``lease_until`` =
now + ``RESERVATION`` (30 s), renewed in a hand-over once half of it has passed, released by
``flush`` at the end of the drain. A reservation is no promise: once it has run out (the drain
died, or one send took longer) another drain may claim the message. What keeps two drains from
sending one message is the hand-over: it is conditional on the lease owner, so after a
take-over it changes no row, returns ``False``, and the transport withdraws the send (SMTP:
RSET before DATA; Maildir: no file) — nothing of it went out. The marks of a batch are held back
in memory and written, in order, in the next transaction this drain makes — normally the next
message's hand-over, for the last ones the next claim or ``flush`` — together with their audit
entries in one append. So a batch costs one commit per message (the hand-over) plus a few per
drain, where one message at a time cost three (claim, hand-over, mark). A crash loses only
held-back marks, and every such message was handed over first: it is ``ungewiss`` (below), never
sent again before the long wait, and never more than once more; a message not handed over is
``pending`` and due again once the reservation has run out. A held-back mark that finds the row
taken over is dropped as below; ``flush`` returns those ids so the drain counts them as
superseded. With ``batch_size`` = 1 everything is written at once as described here, and the
claim leases for the whole send.

**Marks.** ``mark_sent``, ``defer`` and ``mark_failed`` are UPDATEs conditional on (id, lease
owner, pending) with RETURNING — no extra SELECT (the notification keys for the audit entry come
back from a subquery in the RETURNING). If no row changed, another process took the
message over after our lease ran out: the outcome is logged and dropped, never written over the
other's. Each mark commits its row and audit entry together (alone, or in a batch with the
transaction that carries it); "database is locked" is retried ``MARK_TRIES`` times, so a message
the server accepted is marked sent even beside a long write.

**Ungewiss.** Right before the content goes to the server (SMTP DATA, the Maildir write)
``hand_over`` commits status ``ungewiss``, ``next_attempt_at`` = now + the long wait and the
lease of the send, so a crash from then on leaves a message that is retried once, after the
wait, not right after the lease. ``mark_ungewiss``
records an unknown outcome (timeout or lost connection after the hand-over). The one retry's
hand-over also sets ``sent_at`` (when the second copy may have gone out); a claim that finds an
``ungewiss`` row with ``sent_at`` and a stale lease owner knows that retry was cut off by a crash
(``Pending.interrupted``): it is failed, never sent a third time. Any outcome but ``sent`` or an
outage after the retry is ``failed``.

**Zustellfehler, one per drain.** ``mark_failed`` (and ``mark_sent`` with refused recipients) leave
``lease_owner = REPORT_DUE`` on the row, in the same transaction as the mark; ``report_failures``
takes every row so marked (conditional UPDATE, so two drains never report one twice) and stores
one notice for all of them in the same transaction. A crash in between leaves the marks; the
next drain reports them. The status is never pending then, so the marker is never a lease.

**Attempts.** The claim counts nothing. ``mark_sent`` counts the attempt; ``defer`` and
``mark_failed`` count it only when ``attempted`` (the attempt reached the server). A refused
connection or a crash between claim and hand-over uses up no retry: the lease runs out and the
message is sent later with the same Message-ID. The one case that can deliver a second copy is a
process killed after the server took the data but before the mark committed; the copy comes only
with the one retry of the ``ungewiss`` message, never while the first send may still be running.
"""

from __future__ import annotations

import functools
import logging
from collections.abc import Callable, Hashable, Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, TypeVar

from sqlalchemy import (
    JSON,
    BindParameter,
    ColumnElement,
    Connection,
    Engine,
    Integer,
    Row,
    ScalarSelect,
    Select,
    Table,
    Update,
    bindparam,
    func,
    literal_column,
    or_,
    select,
    update,
)
from sqlalchemy.exc import OperationalError
from sqlmodel import Session, col

from cycle import progress
from cycle.persistence import audit
from cycle.persistence.tables import Notification, OutboxMessage
from cycle.persistence.uow import transaction
from notifications.delivery import Pending, later
from notifications.message import OutgoingEmail, from_payload

log = logging.getLogger("zyklus.zustellung")

LOCK_WAIT = timedelta(seconds=30)  # PRAGMA busy_timeout in cycle.persistence.db
MARK_TRIES = 3
MARGIN = timedelta(seconds=60)
# How long a message claimed in a batch is reserved before its hand-over; renewed while the
# drain goes on. Only an optimisation: the hand-over, not this, keeps two drains apart.
RESERVATION = timedelta(seconds=30)
DEFAULT_SEND_DEADLINE = timedelta(seconds=1234)  # SmtpTransport t = 30 s, d = 600 s, see above

REPORT_DUE = "zustellfehler:offen"  # lease_owner of a final row whose notice is still due
ACTIVE = ("pending", "ungewiss")

# Called inside ``report_failures``' transaction to store one ``zustellfehler`` notice.
# Arguments: the session, the rows that finally failed (or had refused recipients), now.
FailedHook = Callable[[Session, list[OutboxMessage], datetime], None]
# Called inside the claim's transaction for each claimed message: the message as it goes to the
# transport (``cycle.mail.links.Minter``: the personal portal link minted and filled in).
# Arguments: the connection, the outbox id, the stored payload, the stored message, now.
Finisher = Callable[[Connection, int, Mapping[str, Any], OutgoingEmail, datetime], OutgoingEmail]


def lease_for(send_deadline: timedelta) -> timedelta:
    """The lease that outlasts a send bounded by ``send_deadline`` and its claim and mark."""
    return send_deadline + LOCK_WAIT + MARK_TRIES * LOCK_WAIT + MARGIN


Audits = list[tuple[datetime, audit.Change]]  # the audit entries of one transaction
T = TypeVar("T")


@dataclass(frozen=True)
class _Mark:
    """One outcome to write: ``apply`` runs the conditional UPDATE (and adds its audit entry)
    on the connection and says whether the row changed; ``outcome`` names it in the log."""

    id: Hashable
    outcome: str
    apply: Callable[[Connection, Audits], bool]


class SqlOutbox:
    def __init__(
        self,
        engine: Engine,
        owner: str,
        on_failed: FailedHook | None = None,
        send_deadline: timedelta = DEFAULT_SEND_DEADLINE,
        finish: Finisher | None = None,
        batch_size: int = 1,
    ) -> None:
        self.engine, self.owner, self.on_failed = engine, owner, on_failed
        self.finish = finish
        # messages due when the drain began (set only when a progress bar is shown) and how
        # many of them have an outcome: "Nachrichten zustellen" done/total
        self.expected, self.handled = 0, 0
        self.lease = lease_for(send_deadline)
        self._postgres = engine.dialect.name == "postgresql"
        # Batches (``batch_size`` > 1, see the module docstring): marks held back until the
        # next transaction, claimed messages not yet handed over (reserved), outcomes that
        # could not be written, and when the reservations are renewed next.
        self._batch_size = max(1, batch_size)
        self._held: list[_Mark] = []
        self._reserved: set[Hashable] = set()
        self._dropped: list[Hashable] = []
        self._renew_at: datetime | None = None

    @property
    def batch_size(self) -> int:
        return self._batch_size

    @property
    def batched(self) -> bool:
        return self._batch_size > 1

    def claim(self, now: datetime, limit: int) -> list[Pending]:
        try:
            return self._transaction(lambda c, _audits: self._claim(c, now, limit), tries=1)
        except OperationalError as exc:
            if not _locked(exc):
                raise
            # Nothing was claimed (the transaction rolled back); the next drain tries again.
            log.warning("Ausgang gesperrt, Zustellung später: %s", exc.orig)
            return []

    def _claim(self, connection: Connection, now: datetime, limit: int) -> list[Pending]:
        claimed: list[Pending] = []
        candidates = connection.execute(_candidates(), {"now": now, "limit": limit})
        # a lease owner left behind: that drain died (its lease ran out)
        stale = {id_: owner is not None for id_, owner in candidates}
        # a batch is only reserved: the hand-over starts the lease of the send
        until = later(now, RESERVATION if self.batched else self.lease)
        lease = {"now": now, "v_lease_until": until, "v_owner": self.owner}
        for message_id in stale:
            row = connection.execute(_take(), {"b_id": message_id, **lease}).first()
            if row is None:
                continue  # another process got there first
            payload, attempts, created_at, status, handed = row
            ungewiss = status == "ungewiss"
            email = from_payload(payload)
            if self.finish is not None:
                email = self.finish(connection, message_id, payload, email, now)
            pending = Pending(
                message_id,
                email,
                attempts,
                created_at,
                ungewiss=ungewiss,
                interrupted=ungewiss and handed is not None and stale[message_id],
            )
            claimed.append(pending)
        if self.batched and claimed:
            self._reserved.update(p.id for p in claimed)
            self._renew_at = later(now, RESERVATION / 2)
        return claimed

    def flush(self, now: datetime) -> list[Hashable]:
        """Write the held-back marks and release the reserved messages that were not handed
        over; returns the ids whose outcome was not written (another process had them)."""

        def release(connection: Connection, _audits: Audits) -> None:
            if self._reserved:
                connection.execute(
                    _release(), {"b_ids": list(self._reserved), "b_owner": self.owner}
                )

        if self._held or self._reserved:
            self._transaction(release)
        self._reserved.clear()
        dropped, self._dropped = self._dropped, []
        return dropped

    def mark_sent(self, id: Hashable, now: datetime, refused: Mapping[str, str]) -> bool:
        def apply(connection: Connection, audits: Audits) -> bool:
            report = bool(refused) and self.on_failed is not None
            row = self._mark(
                connection,
                id,
                status="sent",
                sent_at=now,
                refused=dict(refused),
                attempted=True,
                owner=REPORT_DUE if report else None,
            )
            if row is None:
                return False
            change = audit.Change(
                "nachricht_gesendet",
                after="sent",
                payload={
                    "message_id": row.message_id,
                    "keys": _sorted_keys(row),
                    "abgelehnt": dict(refused),
                },
            )
            audits.append((now, change))
            # Refused recipients (the others got it) are reported by ``report_failures``.
            return True

        return self._write(_Mark(id, "gesendet", apply))

    def defer(
        self, id: Hashable, now: datetime, next_attempt_at: datetime, error: str, *, attempted: bool
    ) -> bool:
        """Back to ``pending`` (also after a hand-over that got a definite answer)."""

        def apply(connection: Connection, _audits: Audits) -> bool:
            row = self._mark(
                connection,
                id,
                status="pending",
                next_attempt_at=next_attempt_at,
                last_error=error,
                attempted=attempted,
            )
            return row is not None

        return self._write(_Mark(id, "zurückgestellt", apply))

    def defer_ungewiss(
        self, id: Hashable, now: datetime, next_attempt_at: datetime, error: str
    ) -> bool:
        """An ``ungewiss`` message met an outage: it stays ``ungewiss`` with its one retry."""

        def apply(connection: Connection, _audits: Audits) -> bool:
            values: dict[str, Any] = {"next_attempt_at": next_attempt_at, "last_error": error}
            row = self._mark(connection, id, status="ungewiss", attempted=False, **values)
            return row is not None

        return self._write(_Mark(id, "zurückgestellt", apply))

    def hand_over(self, id: Hashable, now: datetime, retry_at: datetime, *, retry: bool) -> bool:
        """Commit, before the content goes out, that a copy may arrive from now on, and start
        the lease of the send; ``False``: another process holds the message (do not send it).

        In the same transaction: the marks held back since the last one and, when due, the
        renewal of the batch's reservations — the one commit per message a batch needs.
        """
        params: dict[str, Any] = {
            "b_id": id,
            "b_owner": self.owner,
            "v_next_attempt_at": retry_at,
            "v_lease_until": later(now, self.lease),
        }
        if retry:
            params["v_sent_at"] = now  # the retry's copy may have gone out from here on
        self._reserved.discard(id)

        def apply(connection: Connection, _audits: Audits) -> bool:
            done = bool(connection.execute(_hand_over(retry), params).rowcount)
            if self._renew_at is not None and now >= self._renew_at and self._reserved:
                renewal = {"b_ids": list(self._reserved), "b_owner": self.owner}
                connection.execute(_renew(), {**renewal, "v_lease_until": later(now, RESERVATION)})
                self._renew_at = later(now, RESERVATION / 2)
            return done

        done = self._transaction(apply)
        if not done:
            log.warning("Nachricht %s: von einem anderen Prozess übernommen; nicht übergeben.", id)
        return done

    def mark_ungewiss(self, id: Hashable, now: datetime, retry_at: datetime, error: str) -> bool:
        """Unknown outcome after the hand-over: one retry after ``retry_at``; the attempt counts."""

        def apply(connection: Connection, audits: Audits) -> bool:
            row = self._mark(
                connection,
                id,
                status="ungewiss",
                next_attempt_at=retry_at,
                last_error=error,
                attempted=True,
            )
            if row is None:
                return False
            audits.append(_outcome(row, now, "nachricht_ungewiss", "ungewiss", error))
            return True

        return self._write(_Mark(id, "ungewiss", apply))

    def mark_failed(self, id: Hashable, now: datetime, error: str, *, attempted: bool) -> bool:
        def apply(connection: Connection, audits: Audits) -> bool:
            report = self.on_failed is not None
            row = self._mark(
                connection,
                id,
                status="failed",
                last_error=error,
                attempted=attempted,
                owner=REPORT_DUE if report else None,
            )
            if row is None:
                return False
            audits.append(_outcome(row, now, "nachricht_fehlgeschlagen", "failed", error))
            return True

        return self._write(_Mark(id, "fehlgeschlagen", apply))

    def report_failures(self, now: datetime) -> int:
        """Store one Zustellfehler for every row whose notice is due; returns how many rows."""
        hook = self.on_failed
        if hook is None:
            return 0

        def apply(session: Session) -> int:
            rows = list(
                session.execute(
                    update(OutboxMessage)
                    .where(col(OutboxMessage.lease_owner) == REPORT_DUE)
                    .where(col(OutboxMessage.status).in_(("sent", "failed")))
                    .values(lease_owner=None)
                    .returning(OutboxMessage)
                    .execution_options(synchronize_session=False)
                ).scalars()
            )
            # a failing notice raises no notice about itself (no loop)
            rows = sorted((r for r in rows if r.kind != "zustellfehler"), key=lambda r: r.id or 0)
            if rows:
                hook(session, rows, now)
            return len(rows)

        for attempt in range(1, MARK_TRIES + 1):
            try:
                with transaction(self.engine) as session:
                    return apply(session)
            except OperationalError as exc:
                if not _locked(exc) or attempt == MARK_TRIES:
                    raise
                log.warning("Zustellfehler: Datenbank gesperrt, versuche es erneut.")
        raise AssertionError("unreachable")

    def _mark(
        self,
        connection: Connection,
        id: Hashable,
        *,
        attempted: bool,
        owner: str | None = None,
        **values: Any,
    ) -> Row[Any] | None:
        """The conditional UPDATE of every mark: only the lease owner's active row changes.

        Returns the changed row's ``id``, ``message_id``, ``attempts`` and ``keys`` (of its
        notifications, for the audit entry), or ``None``.
        """
        statement = _mark_statement(tuple(sorted(values)), self._postgres)
        params = {f"v_{name}": value for name, value in values.items()}
        params.update(b_id=id, b_owner=self.owner, v_lease_owner=owner, v_counted=int(attempted))
        return connection.execute(statement, params).first()

    def _write(self, mark: _Mark) -> bool:
        """Write ``mark`` now in its own transaction, or — in a batch — hold it back for the
        next transaction (optimistically ``True``; ``flush`` reports it if it did not apply)."""
        self._reserved.discard(mark.id)
        if self.batched:
            self._held.append(mark)
            return True
        done = self._transaction(lambda connection, audits: mark.apply(connection, audits))
        self._settled(mark, done)
        return done

    def _transaction(self, body: Callable[[Connection, Audits], T], tries: int = MARK_TRIES) -> T:
        """One transaction: the held-back marks, then ``body``, then every audit entry they
        made (one append); "database is locked" is retried up to ``tries`` times."""
        for attempt in range(1, tries + 1):
            try:
                with self.engine.begin() as connection:
                    audits: Audits = []
                    settled = [(mark, mark.apply(connection, audits)) for mark in self._held]
                    result = body(connection, audits)
                    if audits:
                        _record(connection, audits)
            except OperationalError as exc:
                if not _locked(exc) or attempt == tries:
                    raise
                log.warning("Ausgang: Datenbank gesperrt, versuche es erneut.")
                continue
            del self._held[: len(settled)]
            for mark, done in settled:
                self._settled(mark, done)
                if not done:
                    self._dropped.append(mark.id)
            return result
        raise AssertionError("unreachable")  # the loop returns or raises

    def _settled(self, mark: _Mark, done: bool) -> None:
        if self.expected:
            self.handled += 1
            progress.report("Nachrichten zustellen", self.handled, self.expected)
        if not done:
            log.warning(
                "Nachricht %s: von einem anderen Prozess übernommen; "
                "Ergebnis „%s“ nicht gespeichert.",
                mark.id,
                mark.outcome,
            )


def _locked(exc: OperationalError) -> bool:
    return "locked" in str(exc.orig).lower()


def _record(connection: Connection, audits: Audits) -> None:
    """The audit entries, in the marks' transaction (the audit log works on a session)."""
    with Session(bind=connection) as session:
        audit.append_each(session, "zyklus", audits)
        session.flush()


def _sorted_keys(row: Row[Any]) -> list[str]:
    """The message's idempotency keys in key order: the aggregate in the RETURNING has no order
    on either engine (SQLite before 3.44 cannot order one), so the audit entry sorts them."""
    return sorted(row.keys or [])


def _outcome(
    row: Row[Any], now: datetime, action: str, after: str, error: str
) -> tuple[datetime, audit.Change]:
    """The audit entry of a message that failed or whose outcome is unknown."""
    payload = {
        "message_id": row.message_id,
        "fehler": error,
        "versuche": row.attempts,
        "keys": _sorted_keys(row),
    }
    return now, audit.Change(action, after=after, payload=payload)


# --- the statements, built once per process ---------------------------------------------------
# Core statements with bound parameters, executed on a connection: no ORM load and no statement
# construction per message. The status test is two equalities, not ``IN``, which would be
# expanded anew on every execution.

_OUTBOX: Table = OutboxMessage.__table__  # type: ignore[attr-defined]
_NOTIFICATION: Table = Notification.__table__  # type: ignore[attr-defined]


def _active() -> ColumnElement[bool]:
    status = _OUTBOX.c.status
    return or_(*(status == value for value in ACTIVE))


def _owned() -> ColumnElement[bool]:
    """The row ``b_id`` while lease owner ``b_owner`` holds it and it is still active."""
    c = _OUTBOX.c
    return (c.id == bindparam("b_id")) & (c.lease_owner == bindparam("b_owner")) & _active()


def _claimable() -> ColumnElement[bool]:
    c = _OUTBOX.c
    now = bindparam("now", type_=c.next_attempt_at.type)
    return (
        _active() & (c.next_attempt_at <= now) & or_(c.lease_until.is_(None), c.lease_until < now)
    )


@functools.cache
def _candidates() -> Select[Any]:
    """The claimable rows, longest due first (``ix_outbox_due`` order, then id).

    Ordered like the index (status, next_attempt_at), the database reads only the first rows of
    each status; ordered by id alone, SQLite read and sorted every due row on every claim (1 ms
    per claim with 1,200 due messages, growing with the backlog).
    """
    c = _OUTBOX.c
    return (
        select(c.id, c.lease_owner)
        .where(_claimable())
        .order_by(c.next_attempt_at, c.id)
        .limit(bindparam("limit", type_=Integer))
        .with_for_update(skip_locked=True)
    )


@functools.cache
def _take() -> Update:
    c = _OUTBOX.c
    return (
        update(_OUTBOX)
        .where(c.id == bindparam("b_id"), _claimable())
        .values(
            lease_until=bindparam("v_lease_until", type_=c.lease_until.type),
            lease_owner=bindparam("v_owner", type_=c.lease_owner.type),
        )
        .returning(c.payload, c.attempts, c.created_at, c.status, c.sent_at)
    )


@functools.cache
def _hand_over(retry: bool) -> Update:
    c = _OUTBOX.c
    values: dict[str, Any] = {
        "status": "ungewiss",
        "next_attempt_at": bindparam("v_next_attempt_at", type_=c.next_attempt_at.type),
        "lease_until": bindparam("v_lease_until", type_=c.lease_until.type),
    }
    if retry:
        values["sent_at"] = bindparam("v_sent_at", type_=c.sent_at.type)
    return update(_OUTBOX).where(_owned()).values(**values)


def _reserved_by_owner() -> ColumnElement[bool]:
    """The rows ``b_ids`` that lease owner ``b_owner`` still holds, active."""
    c = _OUTBOX.c
    ids: BindParameter[Any] = bindparam("b_ids", expanding=True)
    return c.id.in_(ids) & (c.lease_owner == bindparam("b_owner")) & _active()


@functools.cache
def _renew() -> Update:
    c = _OUTBOX.c
    until = bindparam("v_lease_until", type_=c.lease_until.type)
    return update(_OUTBOX).where(_reserved_by_owner()).values(lease_until=until)


@functools.cache
def _release() -> Update:
    return update(_OUTBOX).where(_reserved_by_owner()).values(lease_owner=None, lease_until=None)


@functools.cache
def _mark_statement(columns: tuple[str, ...], postgres: bool) -> Update:
    c = _OUTBOX.c
    return (
        update(_OUTBOX)
        .where(_owned())
        .values(
            lease_until=None,
            lease_owner=bindparam("v_lease_owner", type_=c.lease_owner.type),
            attempts=c.attempts + bindparam("v_counted", type_=Integer),
            **{name: bindparam(f"v_{name}", type_=c[name].type) for name in columns},
        )
        .returning(c.id, c.message_id, c.attempts, _keys(postgres).label("keys"))
    )


def _keys(postgres: bool) -> ScalarSelect[Any]:
    """The idempotency keys of the outbox row, as a JSON list (unordered: ``_sorted_keys``),
    for its audit entry.

    A subquery in the mark's RETURNING, so a mark needs no extra SELECT. The outer column is
    written out as ``outbox.id``: SQLite's RETURNING renders columns unqualified, and a bare
    ``id`` inside the subquery would mean ``notification.id``.
    """
    n = _NOTIFICATION.c
    aggregate = func.json_agg if postgres else func.json_group_array
    outer_id = literal_column(f"{_OUTBOX.name}.id", Integer)
    return select(aggregate(n.key, type_=JSON)).where(n.message_id == outer_id).scalar_subquery()
