"""Transports: Maildir (the embedded default), SMTP (``notifications.smtp``) and a recording fake.

This module is the one import place for transports; see ``transport_base`` for the error contract.
"""

from __future__ import annotations

import asyncio
import mailbox
from collections.abc import Sequence
from dataclasses import dataclass
from email.message import EmailMessage
from pathlib import Path

from notifications.smtp import SmtpTransport
from notifications.transport_base import (
    WITHDRAWN,
    ContextManaged,
    DeliveryError,
    HandOver,
    Security,
    SendResult,
    Transport,
)

__all__ = [
    "DeliveryError",
    "MaildirTransport",
    "RecordingTransport",
    "Security",
    "SendResult",
    "Sent",
    "SmtpTransport",
    "Transport",
]


class MaildirTransport(ContextManaged):
    """Deliver into a Maildir (the embedded default); folders are created as needed.

    ``send_bound``: a local file write; a hung file system is cut off after it. The hand-over
    hook is called right before the write (``transport_base``): a crash after the write leaves
    the message ``ungewiss``, not due again before the long wait.
    """

    def __init__(self, path: Path, send_bound: float = 60.0) -> None:
        self.path = Path(path)
        self.send_bound = send_bound
        self._box: mailbox.Maildir | None = None

    async def open(self) -> None:
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            self._box = mailbox.Maildir(self.path, create=True)
        except OSError as exc:
            raise DeliveryError(
                f"Maildir {self.path} kann nicht angelegt werden: {exc}",
                permanent=False,
                connection=True,
            ) from exc

    async def send(
        self,
        msg: EmailMessage,
        sender: str,
        recipients: Sequence[str],
        *,
        on_handover: HandOver | None = None,
    ) -> SendResult:
        if self._box is None:
            await self.open()
        box = self._box
        assert box is not None
        if on_handover is not None and on_handover() is False:
            raise DeliveryError(WITHDRAWN, permanent=False, reached=False, withdrawn=True)
        try:
            await asyncio.to_thread(box.add, msg)
        except OSError as exc:
            raise DeliveryError(
                f"Nachricht konnte nicht in {self.path} abgelegt werden: {exc}", permanent=False
            ) from exc
        return SendResult()


@dataclass(frozen=True)
class Sent:
    msg: EmailMessage
    sender: str
    recipients: tuple[str, ...]


class RecordingTransport(ContextManaged):
    """Test double: records what was sent; can refuse recipients or raise queued errors.

    ``delay`` makes each send take that long (to exceed ``send_bound`` on purpose).
    """

    def __init__(
        self,
        *,
        refuse: dict[str, str] | None = None,
        errors: Sequence[DeliveryError] = (),
        open_error: DeliveryError | None = None,
        send_bound: float = 5.0,
        delay: float = 0.0,
    ) -> None:
        self.send_bound, self.delay = send_bound, delay
        self.sent: list[Sent] = []
        self.refuse = dict(refuse or {})
        self.errors = list(errors)
        self.open_error = open_error
        self.opened = 0
        self.closed = 0

    async def open(self) -> None:
        self.opened += 1
        if self.open_error is not None:
            raise self.open_error

    async def close(self) -> None:
        self.closed += 1

    async def send(
        self,
        msg: EmailMessage,
        sender: str,
        recipients: Sequence[str],
        *,
        on_handover: HandOver | None = None,
    ) -> SendResult:
        if self.delay:
            await asyncio.sleep(self.delay)
        if self.errors:
            raise self.errors.pop(0)
        refused = {r: self.refuse[r] for r in recipients if r in self.refuse}
        if refused and len(refused) == len(recipients):
            raise DeliveryError(f"Alle Empfänger abgelehnt: {refused}", permanent=True)
        self.sent.append(Sent(msg, sender, tuple(recipients)))
        return SendResult(refused)
