"""The transport port: what every transport returns or raises, and how long it may take.

Error contract: ``send`` returns a ``SendResult`` (partially refused recipients included, not
raised) or raises ``DeliveryError``. ``permanent=True`` means retrying cannot help (5xx, every
recipient refused with 5xx); ``permanent=False`` means try again later (4xx, network, timeouts,
authentication). ``connection=True`` marks errors where the server could not be reached at all
(refused connection, DNS, connect/TLS/login failure), so the caller can defer the rest of its
batch without trying each message. ``reached`` says whether the message was handed to the server
(an SMTP transaction began); only such attempts count against ``max_attempts``. It defaults to
``not connection``. ``ambiguous=True`` means the outcome is unknown: a timeout or a lost connection
after the message content was handed over (from the DATA command on), so the server may have
accepted it; the caller must not simply retry (``notifications.delivery``: status ``ungewiss``).
``withdrawn=True``: the hand-over hook refused (another drain owns the message now); nothing of
the content went out and the caller records nothing.

Hand-over hook: ``send(..., on_handover=f)`` calls ``f()`` right before the content is handed over
(SMTP: before DATA; Maildir: before the file is written), so the caller can record that from now
on a copy may arrive. If ``f()`` returns ``False`` the content is not handed over: the transport
abandons the transaction (SMTP: RSET, the connection stays usable) and raises
``DeliveryError(withdrawn=True)``. ``None`` or ``True`` let the send go on.

Time contract: ``send_bound`` (seconds) bounds ``open()`` followed by one ``send()``. The delivery
loop enforces it with ``asyncio.timeout`` and derives the outbox lease from it, so a transport must
finish (or raise) within it on its own where it can tell what happened.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from email.message import EmailMessage
from types import TracebackType
from typing import Literal, Protocol, Self

Security = Literal["none", "starttls", "tls"]


@dataclass(frozen=True)
class SendResult:
    """``refused`` maps each refused recipient to the server's answer (``"550 …"``)."""

    refused: dict[str, str] = field(default_factory=dict)


class DeliveryError(Exception):
    """Delivery failed; ``permanent`` says whether a retry could ever succeed."""

    def __init__(
        self,
        message: str,
        *,
        permanent: bool,
        connection: bool = False,
        reached: bool | None = None,
        ambiguous: bool = False,
        withdrawn: bool = False,
    ) -> None:
        super().__init__(message)
        self.message = message
        self.permanent = permanent
        self.connection = connection
        self.reached = (not connection) if reached is None else reached
        self.ambiguous = ambiguous
        self.withdrawn = withdrawn


HandOver = Callable[[], bool | None]  # the hand-over hook; ``False`` withdraws the send
WITHDRAWN = "Nachricht von einem anderen Zustelllauf übernommen; nicht übergeben"


class Transport(Protocol):
    """Open once, send many, close once (also usable as ``async with``)."""

    @property
    def send_bound(self) -> float:
        """Seconds within which ``open()`` and one ``send()`` return or raise."""
        ...

    async def open(self) -> None: ...

    async def close(self) -> None: ...

    async def send(
        self,
        msg: EmailMessage,
        sender: str,
        recipients: Sequence[str],
        *,
        on_handover: HandOver | None = None,
    ) -> SendResult: ...


class ContextManaged:
    """Default ``open``/``close`` and ``async with`` support for transports."""

    async def open(self) -> None:
        return None

    async def close(self) -> None:
        return None

    async def __aenter__(self) -> Self:
        await self.open()
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.close()
