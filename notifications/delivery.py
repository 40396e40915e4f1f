"""The delivery loop: claim one due message, send it within a hard time bound, record the outcome.

The outbox itself (SQL) belongs to the application; it implements ``OutboxPort``. Contract:

- ``claim(now, limit)`` atomically takes up to ``limit`` due messages (status pending,
  ``next_attempt_at`` ≤ now, no live lease) under a lease for this drain and returns them. It does
  **not** count an attempt: ``Pending.attempts`` is the number of earlier attempts that reached
  the server.
- ``mark_sent(id, now, refused)``: delivered, the attempt counts; ``refused`` lists recipients the
  server refused while accepting the others (address → server answer).
- ``defer(id, now, next_attempt_at, error, attempted=…)``: back to pending, not before
  ``next_attempt_at``; counts an attempt only if ``attempted``.
- ``mark_failed(id, now, error, attempted=…)``: final; the application raises a ``zustellfehler``.
- Optionally (``UngewissPort``): ``hand_over(id, now, retry_at, retry=…)`` records, right before
  the content goes to the server, that a copy may arrive from now on (status ``ungewiss``, not
  due before ``retry_at``), and ``mark_ungewiss(id, now, retry_at, error)`` records an unknown
  outcome (the attempt counts). ``Pending.ungewiss`` says a claimed message is on its one retry,
  ``Pending.interrupted`` that this retry's hand-over was cut off by a crash.
- Every mark applies only while this drain still owns the message's lease and returns whether it
  did; ``False`` means another process took the message over: nothing was changed. ``hand_over``
  returning ``False`` withdraws the send (the transport hands nothing over).
- Optionally (``BatchPort``): ``batch_size`` messages are claimed at a time, the marks may be
  written later — with the next ``claim`` or ``hand_over`` or at ``flush(now)``, which the drain
  calls when it ends and which returns the ids whose outcome could not be written (another
  process had taken them over). A message claimed but not handed over is released by ``flush``.

Guarantees of ``drain``:

- **Bounded sends.** Each ``open`` + ``send`` runs under ``asyncio.timeout(send_deadline(t))`` =
  ``t.send_bound + SEND_GRACE``. The outbox lease is longer than that deadline plus the database
  waits of the claim and the mark (``cycle.mail.outbox``), so a message whose send may still be in
  flight is never claimed by another drain.
- **Claims.** Messages are claimed one at a time with a fresh instant from ``clock`` (or, with a
  ``BatchPort``, ``batch_size`` at a time: then the hand-over starts the lease of the send), so a
  lease starts when its send starts, not when the drain started.
- **Honest attempts.** Only attempts that reached the server count (``DeliveryError.reached``).
  A refused connection, a DNS or login failure, a crash before or during the send: none uses up
  a retry.
- **Unknown outcome** (``DeliveryError.ambiguous``: a timeout or lost connection after the
  hand-over, or the loop's own deadline after it): the message becomes ``ungewiss`` and is
  retried once, after ``ungewiss_wait``, with the same Message-ID. If that retry fails in any way
  that reached the server, or is itself cut off, the message is ``failed`` and the notice says it
  may have arrived; an outage defers it without using up the retry. A crash after a hand-over
  leaves the message ``ungewiss`` (``hand_over`` wrote it first): it is retried after
  ``ungewiss_wait``, and a crash during that retry's hand-over makes it ``failed`` without a third
  send. So a message reaches the server at most twice, whatever crashes.
- **Backoff.** A temporary error after reaching the server defers by ``backoff`` (base, 2·base,
  … capped at six hours) or fails once ``max_attempts`` attempts reached the server; a permanent
  one fails at once. If the server cannot be reached, the message and every other due message are
  deferred by ``outage_backoff`` (grows with the time the message has waited, capped at
  ``OUTAGE_CAP``) without counting an attempt, and the drain stops. Both are overflow-safe.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Hashable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Protocol, runtime_checkable

from notifications.message import OutgoingEmail, to_mime
from notifications.transport_base import DeliveryError, SendResult, Transport

MAX_BACKOFF = timedelta(hours=6)
OUTAGE_CAP = timedelta(minutes=15)
UNGEWISS_WAIT = timedelta(minutes=60)
MAYBE_ARRIVED = "die Nachricht ist möglicherweise trotzdem angekommen"
SEND_GRACE = 1.0  # seconds beyond a transport's own bound before the loop cuts a send off


@dataclass(frozen=True)
class Pending:
    """A claimed message; ``attempts`` counts earlier attempts that reached the server.

    ``queued_at`` (when the message was stored) lets the outage backoff grow with the wait;
    ``ungewiss``: this is the one retry after an unknown outcome; ``interrupted``: that retry's
    hand-over was cut off by a crash (it must not be sent a third time).
    """

    id: Hashable
    email: OutgoingEmail
    attempts: int
    queued_at: datetime | None = None
    ungewiss: bool = False
    interrupted: bool = False


class OutboxPort(Protocol):
    def claim(self, now: datetime, limit: int) -> list[Pending]: ...

    def mark_sent(self, id: Hashable, now: datetime, refused: Mapping[str, str]) -> bool: ...

    def defer(
        self, id: Hashable, now: datetime, next_attempt_at: datetime, error: str, *, attempted: bool
    ) -> bool: ...

    def mark_failed(self, id: Hashable, now: datetime, error: str, *, attempted: bool) -> bool: ...


@runtime_checkable
class UngewissPort(OutboxPort, Protocol):
    """An outbox that records hand-overs and unknown outcomes (see the module docstring)."""

    def hand_over(
        self, id: Hashable, now: datetime, retry_at: datetime, *, retry: bool
    ) -> bool: ...

    def mark_ungewiss(
        self, id: Hashable, now: datetime, retry_at: datetime, error: str
    ) -> bool: ...

    def defer_ungewiss(
        self, id: Hashable, now: datetime, next_attempt_at: datetime, error: str
    ) -> bool: ...


@runtime_checkable
class BatchPort(OutboxPort, Protocol):
    """An outbox that claims ``batch_size`` messages at a time and may write marks later."""

    @property
    def batch_size(self) -> int: ...

    def flush(self, now: datetime) -> list[Hashable]: ...


@dataclass(frozen=True)
class DeliveryReport:
    """``superseded``: outcomes not recorded because another process had taken the message over."""

    sent: int = 0
    failed: int = 0
    deferred: int = 0
    failed_ids: tuple[Hashable, ...] = ()
    refused: Mapping[Hashable, Mapping[str, str]] = field(default_factory=dict)
    connection_error: str | None = None
    superseded: int = 0
    ungewiss: int = 0


def send_deadline(transport: Transport) -> timedelta:
    """The hard bound of one ``open`` + ``send`` in ``drain``; the outbox lease must exceed it."""
    return timedelta(seconds=transport.send_bound + SEND_GRACE)


def backoff(attempts: int, base_seconds: float, cap: timedelta = MAX_BACKOFF) -> timedelta:
    """Wait after the ``attempts``-th failed attempt: base, 2·base, 4·base, … capped at ``cap``."""
    if attempts < 1:
        raise ValueError("attempts counts from 1")
    if base_seconds <= 0:
        raise ValueError("base_seconds must be positive")
    limit = cap.total_seconds()
    if base_seconds >= limit:  # also keeps a huge base (10**21) away from float and timedelta
        return cap
    exponent = min(attempts - 1, 64)  # 2**64 · base ≥ cap for any base ≥ 1e-15 s
    return timedelta(seconds=min(float(base_seconds) * 2.0**exponent, limit))


def outage_backoff(
    waited: timedelta, base_seconds: float, cap: timedelta = OUTAGE_CAP
) -> timedelta:
    """Wait while the server cannot be reached: half the time waited so far, at least the base,
    at most ``cap`` (so a message is retried within ``cap`` of the server's return)."""
    if base_seconds <= 0:
        raise ValueError("base_seconds must be positive")
    limit = cap.total_seconds()
    seconds = max(float(min(base_seconds, limit)), waited.total_seconds() / 2)
    return timedelta(seconds=min(seconds, limit))


def later(now: datetime, wait: timedelta) -> datetime:
    """``now + wait``, or the last representable instant instead of an ``OverflowError``."""
    try:
        return now + wait
    except OverflowError:
        return datetime.max.replace(tzinfo=UTC)


class _Tally:
    def __init__(self) -> None:
        self.sent = self.failed = self.deferred = self.superseded = self.ungewiss = 0
        self.failed_ids: list[Hashable] = []
        self.refused: dict[Hashable, Mapping[str, str]] = {}
        self.connection_error: str | None = None
        self.counted: dict[Hashable, str] = {}  # id → the counter its outcome went to
        self.opened = False  # a send was tried: the transport is to be closed

    def add(self, counter: str, id: Hashable) -> None:
        setattr(self, counter, getattr(self, counter) + 1)
        self.counted[id] = counter
        if counter == "failed":
            self.failed_ids.append(id)

    def superseded_after_all(self, ids: list[Hashable]) -> None:
        """Outcomes a ``BatchPort`` could not write: another process had taken the messages."""
        for id in ids:
            counter = self.counted.pop(id, None)
            if counter is not None:
                setattr(self, counter, getattr(self, counter) - 1)
            if counter == "failed":
                self.failed_ids.remove(id)
            self.refused.pop(id, None)
            self.superseded += 1

    def report(self) -> DeliveryReport:
        return DeliveryReport(
            self.sent,
            self.failed,
            self.deferred,
            tuple(self.failed_ids),
            dict(self.refused),
            self.connection_error,
            self.superseded,
            self.ungewiss,
        )


@dataclass(frozen=True)
class _Run:
    outbox: OutboxPort
    max_attempts: int
    base_seconds: float
    clock: Callable[[], datetime]
    ungewiss_wait: timedelta = UNGEWISS_WAIT
    tally: _Tally = field(default_factory=_Tally)

    @property
    def ports(self) -> UngewissPort | None:
        return self.outbox if isinstance(self.outbox, UngewissPort) else None


async def drain(
    outbox: OutboxPort,
    transport: Transport,
    sender: str,
    now: datetime,
    max_attempts: int = 8,
    base_seconds: float = 60,
    batch_size: int = 100,
    clock: Callable[[], datetime] | None = None,
    ungewiss_wait: timedelta = UNGEWISS_WAIT,
) -> DeliveryReport:
    """Deliver every message due at ``now`` over one transport connection.

    ``sender`` is the envelope sender (bounce address). ``clock`` gives the instant of each claim
    and mark (default: ``now`` throughout; never earlier than ``now``). ``batch_size`` is how many
    messages are claimed at a time to be deferred when the server cannot be reached (a
    ``BatchPort`` claims its own ``batch_size`` at a time for sending too). The transport is
    opened only if there is something to send and always closed afterwards.
    ``ungewiss_wait``: how long a message with an unknown outcome waits for its one retry.
    """
    if now.tzinfo is None or now.utcoffset() is None:
        raise ValueError("drain: naive datetime refused")
    run = _Run(outbox, max_attempts, base_seconds, _not_before(now, clock), ungewiss_wait)
    batched = outbox if isinstance(outbox, BatchPort) else None
    per_claim = batched.batch_size if batched is not None else 1
    seen = set[Hashable]()
    try:
        while claimed := outbox.claim(run.clock(), per_claim):
            if not await _deliver_claimed(run, transport, sender, claimed, seen, batch_size):
                break
    finally:
        try:
            if run.tally.opened:
                await transport.close()
        finally:
            if batched is not None:  # write what is still held back, release the rest
                run.tally.superseded_after_all(batched.flush(run.clock()))
    return run.tally.report()


async def _deliver_claimed(
    run: _Run,
    transport: Transport,
    sender: str,
    claimed: list[Pending],
    seen: set[Hashable],
    batch_size: int,
) -> bool:
    """Send the claimed messages in order; ``False`` when the drain is to stop."""
    for index, pending in enumerate(claimed):
        if pending.id in seen:
            # Deferred earlier in this drain and due again (a long drain on a real clock):
            # it waits for the next drain; its lease runs out on its own (or ``flush`` frees it).
            return False
        seen.add(pending.id)
        if pending.interrupted:  # its retry was cut off after the hand-over: no third send
            _fail(run, pending, "Zweiter Zustellversuch nach der Übergabe abgebrochen", True)
            continue
        run.tally.opened = True  # from here on ``close`` is due, also after a failed open
        error = await _send_one(run, transport, sender, pending)
        if error is None:
            continue
        if error.withdrawn:  # another drain took it over before the hand-over: not ours
            run.tally.superseded += 1
            continue
        if error.connection:  # the server is gone: keep everything for later
            _defer_outage(run, pending, error)
            for other in claimed[index + 1 :]:
                if other.id not in seen:
                    seen.add(other.id)
                    _defer_outage(run, other, error)
            _defer_the_rest(run, error, batch_size)
            return False
        _record_error(run, pending, error)
    return True


def _not_before(now: datetime, clock: Callable[[], datetime] | None) -> Callable[[], datetime]:
    if clock is None:
        return lambda: now
    return lambda: max(now, clock())


async def _send_one(
    run: _Run, transport: Transport, sender: str, pending: Pending
) -> DeliveryError | None:
    try:
        msg = to_mime(pending.email)
    except ValueError as exc:  # a message that cannot be built will never be sendable
        return DeliveryError(f"Nachricht fehlerhaft: {exc}", permanent=True, reached=False)
    limit = send_deadline(transport).total_seconds()
    handed_over = False

    def on_handover() -> bool:
        nonlocal handed_over
        ports = run.ports
        if ports is not None:
            now = run.clock()
            retry_at = later(now, run.ungewiss_wait)
            if not ports.hand_over(pending.id, now, retry_at, retry=pending.ungewiss):
                return False  # another drain holds it now: the transport withdraws the send
        handed_over = True
        return True

    try:
        async with asyncio.timeout(limit):
            await transport.open()
            result: SendResult = await transport.send(
                msg, sender, pending.email.recipients, on_handover=on_handover
            )
    except DeliveryError as exc:
        return exc
    except TimeoutError:  # the transport overran its own bound: it may have reached the server
        return DeliveryError(
            f"Zeitüberschreitung: keine Antwort nach {limit:g} Sekunden",
            permanent=False,
            ambiguous=handed_over,
        )
    tally = run.tally
    if not run.outbox.mark_sent(pending.id, run.clock(), result.refused):
        tally.superseded += 1
        return None
    tally.add("sent", pending.id)
    if result.refused:
        tally.refused[pending.id] = result.refused
    return None


def _record_error(run: _Run, pending: Pending, error: DeliveryError) -> None:
    attempts = pending.attempts + (1 if error.reached else 0)
    now, tally, ports = run.clock(), run.tally, run.ports
    if ports is not None and (error.ambiguous or pending.ungewiss):
        if pending.ungewiss or error.permanent:  # the one retry is used up, or no retry helps
            _fail(run, pending, error.message, error.reached or error.ambiguous)
        elif ports.mark_ungewiss(pending.id, now, later(now, run.ungewiss_wait), error.message):
            tally.add("ungewiss", pending.id)
        else:
            tally.superseded += 1
        return
    if error.permanent or attempts >= run.max_attempts:
        _fail(run, pending, error.message, error.reached)
        return
    wait = backoff(max(attempts, 1), run.base_seconds)
    if run.outbox.defer(pending.id, now, later(now, wait), error.message, attempted=error.reached):
        tally.add("deferred", pending.id)
    else:
        tally.superseded += 1


def _fail(run: _Run, pending: Pending, message: str, attempted: bool) -> None:
    """Mark ``pending`` failed; after an unknown outcome the error says it may have arrived."""
    if pending.ungewiss:
        message = f"{message}; {MAYBE_ARRIVED}"
    if run.outbox.mark_failed(pending.id, run.clock(), message, attempted=attempted):
        run.tally.add("failed", pending.id)
    else:
        run.tally.superseded += 1


def _defer_outage(run: _Run, pending: Pending, error: DeliveryError) -> None:
    now = run.clock()
    waited = now - pending.queued_at if pending.queued_at is not None else timedelta(0)
    wait = outage_backoff(waited, run.base_seconds)
    ports = run.ports
    if pending.ungewiss and ports is not None:  # keeps its status and its one retry
        done = ports.defer_ungewiss(pending.id, now, later(now, wait), error.message)
    else:
        done = run.outbox.defer(pending.id, now, later(now, wait), error.message, attempted=False)
    if done:
        run.tally.add("deferred", pending.id)
        run.tally.connection_error = error.message
    else:
        run.tally.superseded += 1


def _defer_the_rest(run: _Run, error: DeliveryError, batch_size: int) -> None:
    """Defer every other due message too, so each one shows the outage in the outbox listing."""
    seen = set[Hashable]()
    while batch := [p for p in run.outbox.claim(run.clock(), batch_size) if p.id not in seen]:
        seen.update(p.id for p in batch)
        for pending in batch:
            _defer_outage(run, pending, error)
