"""SMTP delivery with aiosmtplib: one connection reused for a whole drain.

Security is ``"none"`` (plain, no opportunistic STARTTLS), ``"starttls"`` (usually port 587) or
``"tls"`` (implicit TLS, usually 465). A dropped connection (idle timeout, 421) is re-opened
before the next send.

Time bounds (aiosmtplib's own ``timeout`` is per socket operation only, LIBRARY_NOTES):

- ``timeout`` (t): each socket operation before DATA (the configured ``timeout_seconds``);
- ``data_timeout`` (d, default 600 s, RFC 5321 §4.5.3.2.6 "DATA Termination: 10 minutes"): the
  wait for each reply of the DATA command — the 354 and the final reply after end-of-DATA;
- ``send_timeout`` (s, default ``4 × t``): one connect with STARTTLS and login, and the envelope
  (MAIL, RCPT), each as a whole; the DATA step as a whole is bounded by ``d + t``;
- ``send()`` as a whole: ``4·s + d + t + 2 s`` (a transaction's envelope, and after an idle
  disconnect a reconnect and a second one), enforced with ``asyncio.timeout``;
- ``send_bound = 5·s + d + t + 3 s``: ``open()`` plus one ``send()``, with the wait for
  closing a failed connection in each; the delivery loop and the outbox lease derive from it
  (t = 30, d = 600: 1233 s).

Errors before a transaction began (refused connection, DNS, TLS, login, a timeout while
connecting) are ``connection=True`` and not an attempt; errors after it began count as one.
A timeout or a lost connection from the DATA command on is ``ambiguous``: the server may have
taken the message (aiosmtplib's ``send_message`` is used, with the client's ``data`` step
wrapped to call the hand-over hook and to wait ``d``). Such a send is never repeated inside
``send()``; a disconnect before DATA is retried once on a fresh connection. A timeout waiting
for the 354 is counted as ambiguous too (on the safe side: it only delays one retry).
"""

from __future__ import annotations

import asyncio
import contextlib
import ssl
from collections.abc import Sequence
from email.message import EmailMessage
from typing import Literal

import aiosmtplib
from aiosmtplib.typing import Default

from notifications.transport_base import (
    WITHDRAWN,
    ContextManaged,
    DeliveryError,
    HandOver,
    Security,
    SendResult,
)

_SECURITY = ("none", "starttls", "tls")
_CLOSE_WAIT = 1.0  # seconds ``_closed`` lets a dropped connection finish closing
DATA_TIMEOUT = 600.0  # RFC 5321 §4.5.3.2.6: wait 10 minutes for the reply to end-of-DATA


class _Withdrawn(aiosmtplib.SMTPResponseException):
    """The hand-over hook refused: raised from ``data`` before the DATA command, so aiosmtplib
    resets the envelope (RSET) as after any refused transaction and re-raises it."""

    def __init__(self) -> None:
        super().__init__(0, WITHDRAWN)


class _Client(aiosmtplib.SMTP):
    """aiosmtplib's client with a hand-over point: ``data`` first calls ``on_handover`` and
    marks ``handed_over``, then waits up to ``data_timeout`` for each of its replies. A hook
    that returns ``False`` withdraws the message: no DATA, the envelope is reset."""

    data_timeout = DATA_TIMEOUT
    handed_over = False
    on_handover: HandOver | None = None

    async def data(
        self,
        message: str | bytes,
        /,
        *,
        timeout: float | Literal[Default.token] | None = Default.token,
    ) -> aiosmtplib.SMTPResponse:
        self.handed_over = True
        if self.on_handover is not None and self.on_handover() is False:
            self.handed_over = False
            raise _Withdrawn()
        return await super().data(message, timeout=self.data_timeout)


class SmtpTransport(ContextManaged):
    """Send over SMTP; errors are classified as in ``transport_base``."""

    def __init__(
        self,
        host: str,
        port: int,
        security: Security = "starttls",
        username: str | None = None,
        password: str | None = None,
        timeout: float = 30.0,
        *,
        send_timeout: float | None = None,
        data_timeout: float = DATA_TIMEOUT,
        tls_context: ssl.SSLContext | None = None,
        local_hostname: str | None = None,
    ) -> None:
        if security not in _SECURITY:
            raise ValueError(f"security must be one of {_SECURITY}, not {security!r}")
        self.host, self.port, self.security = host, port, security
        self.username, self.password = username, password
        self.timeout = timeout
        self.send_timeout = send_timeout if send_timeout is not None else 4 * timeout
        self.data_timeout = data_timeout
        self.data_bound = data_timeout + timeout  # the DATA step as a whole
        self.send_limit = 4 * self.send_timeout + self.data_bound + 2 * _CLOSE_WAIT
        self.send_bound = self.send_timeout + _CLOSE_WAIT + self.send_limit
        self.tls_context = tls_context
        self.local_hostname = local_hostname
        self._client: _Client | None = None
        self.connections = 0  # how many connections were opened (for tests and statistics)

    def _new_client(self) -> _Client:
        client = _Client(
            hostname=self.host,
            port=self.port,
            timeout=self.timeout,
            use_tls=self.security == "tls",
            start_tls=self.security == "starttls",
            tls_context=self.tls_context,
            local_hostname=self.local_hostname,
        )
        client.data_timeout = self.data_timeout
        return client

    @property
    def is_connected(self) -> bool:
        return self._client is not None and self._client.is_connected

    async def open(self) -> None:
        """Connect and log in unless connected; raises ``DeliveryError(connection=True)``."""
        if self.is_connected:
            return
        self._client = None
        client = self._new_client()
        where = f"{self.host}:{self.port}"
        protocol = None
        try:
            # STARTTLS and login are separate steps so that a failure in them can close the
            # connection this loop opened (aiosmtplib's combined connect() drops it silently).
            async with asyncio.timeout(self.send_timeout):
                await client.connect(start_tls=False)
                protocol = client.protocol
                if self.security == "starttls":
                    await client.starttls()
                if self.username:
                    await client.login(self.username, self.password or "")
        except aiosmtplib.SMTPAuthenticationError as exc:
            await _abandon(client, protocol)
            raise DeliveryError(
                f"Anmeldung am SMTP-Server {where} fehlgeschlagen ({exc.code} {exc.message}). "
                "Bitte Benutzername und Passwort in der Konfiguration prüfen.",
                permanent=False,
                connection=True,
            ) from exc
        except (aiosmtplib.SMTPException, OSError, TimeoutError) as exc:
            await _abandon(client, protocol)
            reason = str(exc) or type(exc).__name__
            raise DeliveryError(
                f"SMTP-Server {where} nicht erreichbar: {reason}", permanent=False, connection=True
            ) from exc
        self._client = client
        self.connections += 1

    async def close(self) -> None:
        client, self._client = self._client, None
        if client is None or not client.is_connected:
            return
        protocol = client.protocol
        try:
            async with asyncio.timeout(self.timeout):
                await client.quit()
        except (aiosmtplib.SMTPException, OSError, TimeoutError):
            client.close()
        await _closed(protocol)

    async def send(
        self,
        msg: EmailMessage,
        sender: str,
        recipients: Sequence[str],
        *,
        on_handover: HandOver | None = None,
    ) -> SendResult:
        if not recipients:
            raise DeliveryError("Die Nachricht hat keine Empfänger.", permanent=True)
        phase = _Phase(on_handover)
        limit = self.send_limit
        try:
            async with asyncio.timeout(limit):
                errors = await self._guarded(msg, sender, recipients, phase, retry=True)
        except TimeoutError as exc:  # only the outer bound gets here; inner ones are classified
            await self._drop()
            raise _timeout_error(
                f"Zeitüberschreitung beim Senden an {self.host}:{self.port} "
                f"(nach {limit:g} Sekunden)",
                phase,
            ) from exc
        return SendResult({addr: f"{r.code} {r.message}" for addr, r in errors.items()})

    async def _send_once(
        self, msg: EmailMessage, sender: str, recipients: Sequence[str], phase: _Phase
    ) -> dict[str, aiosmtplib.SMTPResponse]:
        phase.in_transaction = False
        await self.open()  # re-connects when the client is no longer connected
        client = self._client
        assert client is not None
        phase.client = client
        client.handed_over, client.on_handover = False, phase.on_handover
        phase.in_transaction = True  # from here on the server may see the message
        async with asyncio.timeout(self.send_timeout + self.data_bound):
            errors, _ = await client.send_message(msg, sender=sender, recipients=list(recipients))
        return errors

    async def _guarded(
        self,
        msg: EmailMessage,
        sender: str,
        recipients: Sequence[str],
        phase: _Phase,
        *,
        retry: bool,
    ) -> dict[str, aiosmtplib.SMTPResponse]:
        try:
            return await self._send_once(msg, sender, recipients, phase)
        except aiosmtplib.SMTPServerDisconnected as exc:
            await self._drop()
            if phase.handed_over:
                message = f"Verbindung nach der Übergabe abgebrochen: {exc}"
                raise _timeout_error(message, phase) from exc
            if retry:  # a connection the server closed while idle: once more on a fresh one
                return await self._guarded(msg, sender, recipients, phase, retry=False)
            raise DeliveryError(
                f"Verbindung zum SMTP-Server unterbrochen: {exc}", permanent=False
            ) from exc
        except _Withdrawn as exc:
            raise DeliveryError(
                exc.message, permanent=False, reached=False, withdrawn=True
            ) from exc
        except aiosmtplib.SMTPRecipientsRefused as exc:
            answers = {r.recipient: f"{r.code} {r.message}" for r in exc.recipients}
            permanent = all(r.code >= 500 for r in exc.recipients)
            raise DeliveryError(
                "Alle Empfänger wurden abgelehnt: " + _describe(answers), permanent=permanent
            ) from exc
        except aiosmtplib.SMTPResponseException as exc:
            # A definite answer (also to end-of-DATA). aiosmtplib sends RSET after a refused
            # transaction; the connection stays usable.
            raise DeliveryError(
                f"Der SMTP-Server hat die Nachricht abgelehnt: {exc.code} {exc.message}",
                permanent=exc.code >= 500,
            ) from exc
        except (aiosmtplib.SMTPNotSupported, ValueError) as exc:
            raise DeliveryError(
                f"Die Nachricht kann so nicht versendet werden: {exc}", permanent=True
            ) from exc
        except (aiosmtplib.SMTPException, OSError, TimeoutError) as exc:
            await self._drop()
            reason = str(exc) or type(exc).__name__
            raise _timeout_error(
                f"Verbindung zum SMTP-Server unterbrochen: {reason}", phase
            ) from exc

    async def _drop(self) -> None:
        client, self._client = self._client, None
        if client is not None:
            protocol = client.protocol
            client.close()
            await _closed(protocol)


class _Phase:
    """Where a send is: before its transaction (not an attempt yet), inside it, or past the
    hand-over (from DATA on: the outcome of a timeout or disconnect is unknown)."""

    def __init__(self, on_handover: HandOver | None) -> None:
        self.on_handover = on_handover
        self.in_transaction = False
        self.client: _Client | None = None

    @property
    def handed_over(self) -> bool:
        return self.client is not None and self.client.handed_over


def _timeout_error(message: str, phase: _Phase) -> DeliveryError:
    """A timeout or lost connection: unknown outcome after the hand-over, else temporary."""
    if phase.handed_over:
        return DeliveryError(
            f"Zustellung ungewiss (der Server hat die Nachricht vielleicht angenommen): {message}",
            permanent=False,
            ambiguous=True,
        )
    return DeliveryError(message, permanent=False, connection=not phase.in_transaction)


async def _abandon(
    client: aiosmtplib.SMTP, protocol: aiosmtplib.protocol.SMTPProtocol | None
) -> None:
    client.close()
    await _closed(protocol)


async def _closed(
    protocol: aiosmtplib.protocol.SMTPProtocol | None, limit: float = _CLOSE_WAIT
) -> None:
    """Let a closing transport finish (TLS close_notify, connection_lost) on this event loop.

    ``close()`` only schedules the work; a drain's event loop that ends right after would leave
    the socket to the garbage collector ("unclosed transport").
    """
    if protocol is None:
        return
    with contextlib.suppress(TimeoutError):
        async with asyncio.timeout(limit):
            while protocol.transport is not None:
                await asyncio.sleep(0.005)


def _describe(answers: dict[str, str]) -> str:
    return "; ".join(f"{addr}: {answer}" for addr, answer in answers.items())
