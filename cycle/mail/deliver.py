"""Drain the outbox over the configured transport (SMTP or Maildir).

Each drain claims under its own lease owner (host, process, a random part: two drains of one
process are two owners) with a lease derived from the transport's send bound
(``cycle.mail.outbox``), and reads the instant of each claim and mark from the app's clock.
"""

from __future__ import annotations

import asyncio
import os
import secrets
import socket
from datetime import datetime

from sqlalchemy import func, select
from sqlmodel import Session, col

from cycle.bootstrap import App
from cycle.mail import compose, recipients
from cycle.mail.outbox import FailedHook, SqlOutbox
from cycle.persistence.tables import Notification, OutboxMessage
from notifications.delivery import DeliveryReport, drain, send_deadline
from notifications.message import parse_address
from notifications.render import Renderer
from notifications.transport_base import Transport


def make_transport(app: App) -> Transport:
    mail = app.settings.mail
    if mail.transport == "maildir":
        from notifications.transports import MaildirTransport

        return MaildirTransport(mail.maildir)
    from notifications.smtp import SmtpTransport

    smtp = mail.smtp
    password = app.environ.get(smtp.password_env) if smtp.password_env else None
    return SmtpTransport(
        smtp.host,
        smtp.port,
        smtp.security,  # type: ignore[arg-type]
        smtp.username,
        password,
        smtp.timeout_seconds,
    )


def _failure_notice(app: App, renderer: Renderer) -> FailedHook:
    def on_failed(session: Session, row: OutboxMessage, now: datetime, to: str, error: str) -> None:
        k = app.settings.koordinierungsstelle
        rendered = renderer.render(
            "zustellfehler",
            {
                "failed": {
                    "subject": row.subject,
                    "to": to,
                    "error": error,
                    "attempts": row.attempts,
                },
                "koordinierungsstelle": {"name": k.name, "email": k.email},
            },
        )
        compose.store(
            session,
            [
                compose.Draft(
                    key=_failure_key(session, row.message_id),
                    kind="zustellfehler",
                    level=0,
                    send_at=now,
                    to=recipients.koordinierungsstelle(app.settings),
                    rendered=rendered,
                    bundle=False,
                )
            ],
            app.settings,
            renderer,
            now,
        )

    return on_failed


def _failure_key(session: Session, message_id: str) -> str:
    """``zustellfehler/<id>``; a message that fails again after ``outbox retry`` gets ``/2``, …"""
    base = f"zustellfehler/{message_id}"
    earlier = session.execute(
        select(func.count()).where(col(Notification.key).startswith(base, autoescape=True))
    ).scalar_one()
    return base if earlier == 0 else f"{base}/{earlier + 1}"


def owner() -> str:
    """A lease owner unique per drain: ``host:pid:random``."""
    return f"{socket.gethostname()}:{os.getpid()}:{secrets.token_hex(4)}"


def deliver(
    app: App, renderer: Renderer, now: datetime, transport: Transport | None = None
) -> DeliveryReport:
    transport = transport or make_transport(app)
    outbox = SqlOutbox(
        app.engine, owner(), _failure_notice(app, renderer), send_deadline(transport)
    )
    envelope = parse_address(app.settings.mail.sender).addr_spec
    return asyncio.run(
        drain(
            outbox,
            transport,
            envelope,
            now,
            app.settings.mail.max_attempts,
            app.settings.mail.retry_base_seconds,
            clock=app.now,
        )
    )
