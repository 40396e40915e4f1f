"""Drain the outbox over the configured transport (SMTP or Maildir).

Each drain claims under its own lease owner (host, process, a random part: two drains of one
process are two owners) ``[mail] zustellstapel`` messages at a time, with a lease derived from
the transport's send bound (``cycle.mail.outbox``), and reads the instant of each claim and mark
from the app's clock.
After the drain, every message that finally failed in it (or whose notice a crashed drain left
due) is reported to the Koordinierungsstelle in one Zustellfehler, stored in the outbox under
``zustellfehler/<outbox ids>`` (``/2``, … if the same set fails again) and sent right away.
"""

from __future__ import annotations

import asyncio
import hashlib
import os
import secrets
import socket
from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import datetime, timedelta

from sqlalchemy import Engine, func, select
from sqlmodel import Session, col

from cycle import progress
from cycle.mail import compose, links, recipients, stale
from cycle.mail.context import MailContext
from cycle.mail.outbox import FailedHook, SqlOutbox
from cycle.persistence.tables import Notification, OutboxMessage
from notifications.delivery import MAYBE_ARRIVED, DeliveryReport, drain, send_deadline
from notifications.message import parse_address
from notifications.transport_base import Transport


@dataclass(frozen=True)
class Delivery:
    """What a drain needs, injected by the composition root: the engine (each claim and mark is
    its own transaction), the mail context, the clock (claims and marks read the instant), a
    transport factory (SMTP or Maildir, its password from the environment) and the anchor
    publisher (the marks write audit entries)."""

    engine: Engine
    mail: MailContext
    clock: Callable[[], datetime]
    transport: Callable[[], Transport]
    publish_anchor: Callable[[datetime], None]


def _failure_notice(ctx: MailContext) -> FailedHook:
    def on_failed(session: Session, rows: list[OutboxMessage], now: datetime) -> None:
        k = ctx.settings.koordinierungsstelle
        failures = [_failure(row) for row in rows]
        rendered = ctx.renderer.render(
            "zustellfehler",
            {
                "failed": failures[0],
                "failures": failures,
                "koordinierungsstelle": {"name": k.name, "email": k.email},
            },
        )
        compose.store(
            session,
            [
                compose.Draft(
                    key=_failure_key(session, [row.id for row in rows]),
                    kind="zustellfehler",
                    level=0,
                    send_at=now,
                    to=recipients.koordinierungsstelle(ctx.settings),
                    rendered=rendered,
                    bundle=False,
                )
            ],
            ctx.settings,
            ctx.renderer,
            now,
        )

    return on_failed


def _failure(row: OutboxMessage) -> dict[str, object]:
    """One line of the notice: a failed message, or the refused recipients of a sent one."""
    if row.status == "sent":
        refused = row.refused or {}
        to: str = ", ".join(refused)
        error = "; ".join(f"{addr}: {answer}" for addr, answer in refused.items())
    else:
        to, error = row.to, row.last_error or ""
    return {
        "subject": row.subject,
        "to": to,
        "error": error,
        "attempts": row.attempts,
        "ungewiss": MAYBE_ARRIVED in error,
    }


def _failure_key(session: Session, ids: list[int | None]) -> str:
    """``zustellfehler/<ids>`` (a digest when long); the same set failing again gets ``/2``, …"""
    joined = ",".join(str(i) for i in ids)
    if len(joined) > 60:
        digest = hashlib.sha256(joined.encode()).hexdigest()[:16]
        joined = f"{ids[0]}-{ids[-1]}-{len(ids)}-{digest}"
    base = f"zustellfehler/{joined}"
    earlier = session.execute(
        select(func.count()).where(
            (col(Notification.key) == base)
            | col(Notification.key).startswith(base + "/", autoescape=True)
        )
    ).scalar_one()
    return base if earlier == 0 else f"{base}/{earlier + 1}"


def _due_count(engine: Engine, now: datetime) -> int:
    with engine.connect() as connection:
        query = (
            select(func.count())
            .select_from(OutboxMessage)
            .where(col(OutboxMessage.status).in_(("pending", "ungewiss")))
            .where(col(OutboxMessage.next_attempt_at) <= now)
        )
        return int(connection.execute(query).scalar_one())


def owner() -> str:
    """A lease owner unique per drain: ``host:pid:random``."""
    return f"{socket.gethostname()}:{os.getpid()}:{secrets.token_hex(4)}"


def deliver(d: Delivery, now: datetime, transport: Transport | None = None) -> DeliveryReport:
    """Drain the outbox at ``now`` over ``transport`` (default: a new one from the factory)."""
    transport = transport or d.transport()
    settings = d.mail.settings
    stale.withdraw(d.engine, now)  # re-check before sending: nothing stale goes out
    outbox = SqlOutbox(
        d.engine,
        owner(),
        _failure_notice(d.mail),
        send_deadline(transport),
        finish=links.Minter(settings),
        batch_size=settings.mail.zustellstapel,
    )
    envelope = parse_address(settings.mail.sender).addr_spec
    mail = settings.mail
    if progress.active():  # count what is due only when somebody shows a bar
        outbox.expected = _due_count(d.engine, now)

    async def run() -> DeliveryReport:
        report = await drain(
            outbox,
            transport,
            envelope,
            now,
            mail.max_attempts,
            mail.retry_base_seconds,
            clock=d.clock,
            ungewiss_wait=timedelta(minutes=mail.ungewiss_wartezeit_minuten),
        )
        if outbox.report_failures(max(now, d.clock())) == 0:
            return report
        # the notice goes out in this drain too (it cannot fail into a further notice)
        notice = await drain(outbox, transport, envelope, now, clock=d.clock)
        return replace(
            report,
            sent=report.sent + notice.sent,
            failed=report.failed + notice.failed,
            deferred=report.deferred + notice.deferred,
        )

    report = asyncio.run(run())
    # the marks wrote audit entries in their own transactions: publish the head (SPEC §9)
    d.publish_anchor(now)
    return report
