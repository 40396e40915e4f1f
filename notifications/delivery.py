"""The delivery loop: claim pending messages, send them over one transport, record the outcome.

The outbox itself (SQL) belongs to the application; it implements ``OutboxPort``. Contract:

- ``claim(now, limit)`` atomically takes up to ``limit`` messages that are due (status pending,
  ``next_attempt_at`` ≤ now) so no other process sends them, **counts this attempt** (so
  ``Pending.attempts`` ≥ 1 and includes the current one) and returns them.
- ``mark_sent(id, now, refused)``: delivered; ``refused`` lists recipients the server refused
  while accepting the others (address → server answer).
- ``defer(id, now, next_attempt_at, error)``: back to pending, not before ``next_attempt_at``.
- ``mark_failed(id, now, error)``: final; the application raises a ``zustellfehler``.

Rules: a temporary error defers with exponential backoff, or fails once ``attempts`` reached
``max_attempts``; a permanent error fails at once. If the server cannot be reached at all, every
claimed message is deferred (whatever its attempts: the message is fine, the server is not) and
the drain stops; nothing is lost.
"""

from __future__ import annotations

import asyncio
from collections.abc import Hashable, Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Protocol

from notifications.message import OutgoingEmail, to_mime
from notifications.transport_base import DeliveryError, Transport

MAX_BACKOFF = timedelta(hours=6)


@dataclass(frozen=True)
class Pending:
    """A claimed message; ``attempts`` includes the attempt about to be made."""

    id: Hashable
    email: OutgoingEmail
    attempts: int


class OutboxPort(Protocol):
    def claim(self, now: datetime, limit: int) -> list[Pending]: ...

    def mark_sent(self, id: Hashable, now: datetime, refused: Mapping[str, str]) -> None: ...

    def defer(self, id: Hashable, now: datetime, next_attempt_at: datetime, error: str) -> None: ...

    def mark_failed(self, id: Hashable, now: datetime, error: str) -> None: ...


@dataclass(frozen=True)
class DeliveryReport:
    sent: int = 0
    failed: int = 0
    deferred: int = 0
    failed_ids: tuple[Hashable, ...] = ()
    refused: Mapping[Hashable, Mapping[str, str]] = field(default_factory=dict)
    connection_error: str | None = None


def backoff(attempts: int, base_seconds: float, cap: timedelta = MAX_BACKOFF) -> timedelta:
    """Wait after the ``attempts``-th failed attempt: base, 2·base, 4·base, … capped at ``cap``."""
    if attempts < 1:
        raise ValueError("attempts counts from 1")
    if base_seconds <= 0:
        raise ValueError("base_seconds must be positive")
    exponent = min(attempts - 1, 40)  # avoids huge floats; the cap applies long before
    return min(timedelta(seconds=base_seconds * 2**exponent), cap)


class _Tally:
    def __init__(self) -> None:
        self.sent = self.failed = self.deferred = 0
        self.failed_ids: list[Hashable] = []
        self.refused: dict[Hashable, Mapping[str, str]] = {}
        self.connection_error: str | None = None

    def report(self) -> DeliveryReport:
        return DeliveryReport(
            self.sent,
            self.failed,
            self.deferred,
            tuple(self.failed_ids),
            dict(self.refused),
            self.connection_error,
        )


async def drain(
    outbox: OutboxPort,
    transport: Transport,
    sender: str,
    now: datetime,
    max_attempts: int = 8,
    base_seconds: float = 60,
    batch_size: int = 100,
) -> DeliveryReport:
    """Deliver every due message at ``now`` over one transport connection.

    ``sender`` is the envelope sender (bounce address). The transport is opened only if there
    is something to send and always closed afterwards.
    """
    if now.tzinfo is None or now.utcoffset() is None:
        raise ValueError("drain: naive datetime refused")
    tally, seen, opened = _Tally(), set[Hashable](), False
    try:
        while batch := [p for p in outbox.claim(now, batch_size) if p.id not in seen]:
            seen.update(p.id for p in batch)
            if not opened:
                try:
                    await transport.open()
                    opened = True
                except DeliveryError as exc:
                    _defer_all(outbox, batch, now, base_seconds, exc, tally)
                    break
            for index, pending in enumerate(batch):
                error = await _send_one(outbox, transport, sender, pending, now, tally)
                if error is None:
                    continue
                if error.connection:  # the server is gone: keep the rest for later
                    _defer_all(outbox, batch[index:], now, base_seconds, error, tally)
                    return tally.report()
                _record_error(outbox, pending, now, max_attempts, base_seconds, error, tally)
    finally:
        if opened:
            await transport.close()
    return tally.report()


async def _send_one(
    outbox: OutboxPort,
    transport: Transport,
    sender: str,
    pending: Pending,
    now: datetime,
    tally: _Tally,
) -> DeliveryError | None:
    try:
        msg = to_mime(pending.email)
        result = await transport.send(msg, sender, pending.email.recipients)
    except DeliveryError as exc:
        return exc
    except ValueError as exc:  # a message that cannot be built will never be sendable
        return DeliveryError(f"Nachricht fehlerhaft: {exc}", permanent=True)
    outbox.mark_sent(pending.id, now, result.refused)
    tally.sent += 1
    if result.refused:
        tally.refused[pending.id] = result.refused
    return None


def _record_error(
    outbox: OutboxPort,
    pending: Pending,
    now: datetime,
    max_attempts: int,
    base_seconds: float,
    error: DeliveryError,
    tally: _Tally,
) -> None:
    if error.permanent or pending.attempts >= max_attempts:
        outbox.mark_failed(pending.id, now, error.message)
        tally.failed += 1
        tally.failed_ids.append(pending.id)
    else:
        _defer(outbox, pending, now, base_seconds, error, tally)


def _defer(
    outbox: OutboxPort,
    pending: Pending,
    now: datetime,
    base_seconds: float,
    error: DeliveryError,
    tally: _Tally,
) -> None:
    wait = backoff(max(pending.attempts, 1), base_seconds)
    outbox.defer(pending.id, now, now + wait, error.message)
    tally.deferred += 1
    if error.connection:
        tally.connection_error = error.message


def _defer_all(
    outbox: OutboxPort,
    batch: list[Pending],
    now: datetime,
    base_seconds: float,
    error: DeliveryError,
    tally: _Tally,
) -> None:
    for pending in batch:
        _defer(outbox, pending, now, base_seconds, error, tally)


def drain_sync(
    outbox: OutboxPort,
    transport: Transport,
    sender: str,
    now: datetime,
    max_attempts: int = 8,
    base_seconds: float = 60,
    batch_size: int = 100,
) -> DeliveryReport:
    """``drain`` for synchronous callers (runs its own event loop)."""
    return asyncio.run(
        drain(outbox, transport, sender, now, max_attempts, base_seconds, batch_size)
    )
