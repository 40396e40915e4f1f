"""A real SMTP server for tests: aiosmtpd on 127.0.0.1 that keeps what it receives.

Use the ``smtp_sink`` fixture (import it into a test module or a conftest), or ``running_sink``
as a context manager for special set-ups (STARTTLS, implicit TLS, AUTH). The handler can be told
to answer given recipients with a 4xx/5xx reply, or to refuse the next N transactions.

aiosmtpd notes: ``port=0`` is broken (issue #388), so a free port is picked first; the default
host is ``::1``, so 127.0.0.1 is bound explicitly; the controller always stops in ``finally``.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import ipaddress
import logging
import socket
import ssl
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from email import policy
from email.message import EmailMessage
from email.parser import BytesParser
from pathlib import Path
from typing import Any

import pytest
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult, LoginPassword

HOST = "127.0.0.1"


def free_port() -> int:
    """A TCP port on 127.0.0.1 that was free a moment ago (also used to simulate "SMTP down")."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind((HOST, 0))
        port: int = sock.getsockname()[1]
        return port


@dataclass
class Received:
    mail_from: str
    rcpt_tos: list[str]
    message: EmailMessage
    raw: bytes
    peer: Any  # (host, port) of the client connection: equal peers = one reused connection


@dataclass
class SinkHandler:
    """aiosmtpd handler that stores messages and can refuse on request (thread-safe)."""

    messages: list[Received] = field(default_factory=list)
    recipient_replies: dict[str, str] = field(default_factory=dict)
    refuse_reply: str = "451 4.3.2 Bitte später erneut versuchen"
    refuse_remaining: int = 0
    data_delay: float = 0.0  # seconds to stall before keeping and answering DATA
    data_started: int = 0  # DATA transactions received in full (answered or still stalling)
    # Per DATA in turn: keep the message at once, answer 250 only after this many seconds (the
    # case of a server that took the data while the client times out or dies).
    stalls: list[float] = field(default_factory=list)
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def refuse_recipient(self, address: str, reply: str) -> None:
        """Answer RCPT TO for ``address`` with ``reply`` (e.g. ``"550 5.1.1 Unbekannt"``)."""
        with self._lock:
            self.recipient_replies[address.lower()] = reply

    def refuse_next(
        self, count: int, reply: str = "451 4.3.2 Bitte später erneut versuchen"
    ) -> None:
        """Refuse the next ``count`` transactions at MAIL FROM with ``reply``."""
        with self._lock:
            self.refuse_remaining, self.refuse_reply = count, reply

    async def handle_MAIL(
        self, server: Any, session: Any, envelope: Any, address: str, mail_options: list[str]
    ) -> str:
        with self._lock:
            if self.refuse_remaining > 0:
                self.refuse_remaining -= 1
                return self.refuse_reply
        envelope.mail_from = address
        envelope.mail_options.extend(mail_options)
        return "250 OK"

    async def handle_RCPT(
        self, server: Any, session: Any, envelope: Any, address: str, rcpt_options: list[str]
    ) -> str:
        with self._lock:
            reply = self.recipient_replies.get(address.lower())
        if reply is not None:
            return reply
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        with self._lock:
            self.data_started += 1
            stall = self.stalls.pop(0) if self.stalls else 0.0
        if self.data_delay:
            await asyncio.sleep(self.data_delay)
        raw = envelope.original_content or envelope.content
        raw = raw if isinstance(raw, bytes) else raw.encode("utf-8")
        message = BytesParser(policy=policy.default).parsebytes(raw)
        assert isinstance(message, EmailMessage)
        received = Received(envelope.mail_from, list(envelope.rcpt_tos), message, raw, session.peer)
        with self._lock:
            self.messages.append(received)
        if stall:  # kept (as a real server commits it), but the 250 comes late
            await asyncio.sleep(stall)
        return "250 2.0.0 Nachricht angenommen"


class _Authenticator:
    def __init__(self, username: str, password: str) -> None:
        self.expected = LoginPassword(username.encode(), password.encode())

    def __call__(
        self, server: Any, session: Any, envelope: Any, mechanism: str, auth_data: Any
    ) -> AuthResult:
        ok = isinstance(auth_data, LoginPassword) and auth_data == self.expected
        return AuthResult(success=ok, handled=False)


@dataclass
class SmtpSink:
    host: str
    port: int
    handler: SinkHandler

    @property
    def messages(self) -> list[Received]:
        return self.handler.messages


@contextmanager
def running_sink(
    *,
    starttls: ssl.SSLContext | None = None,
    implicit_tls: ssl.SSLContext | None = None,
    credentials: tuple[str, str] | None = None,
    port: int | None = None,
    handler: SinkHandler | None = None,
) -> Iterator[SmtpSink]:
    """Run a sink for the ``with`` block. ``starttls``/``implicit_tls`` take a server context;
    pass ``port`` and ``handler`` of an earlier sink to simulate a server restart."""
    handler = handler if handler is not None else SinkHandler()
    params: dict[str, Any] = {"enable_SMTPUTF8": True}
    if starttls is not None:
        params.update(tls_context=starttls, require_starttls=True)
    if credentials is not None:
        logging.getLogger("mail.log").setLevel(logging.ERROR)  # silence a deprecation log line
        params.update(authenticator=_Authenticator(*credentials), auth_require_tls=False)
    port = port if port is not None else free_port()
    controller = Controller(
        handler, hostname=HOST, port=port, ssl_context=implicit_tls, ready_timeout=5.0, **params
    )
    controller.start()
    try:
        yield SmtpSink(HOST, port, handler)
    finally:
        controller.stop()


@pytest.fixture
def smtp_sink() -> Iterator[SmtpSink]:
    """A plain SMTP sink on 127.0.0.1 (SMTPUTF8 on, no TLS, no AUTH)."""
    with running_sink() as sink:
        yield sink


@dataclass(frozen=True)
class TlsPair:
    server: ssl.SSLContext
    client: ssl.SSLContext  # trusts exactly the self-signed certificate


def self_signed_tls(folder: Path, hostname: str = HOST) -> TlsPair:
    """A fresh self-signed certificate for ``hostname`` and matching server/client contexts."""
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID

    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, hostname)])
    start = dt.datetime(2020, 1, 1, tzinfo=dt.UTC)  # fixed validity window, no clock read
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(start)
        .not_valid_after(start + dt.timedelta(days=365 * 30))
        .add_extension(
            x509.SubjectAlternativeName([x509.IPAddress(ipaddress.ip_address(hostname))]),
            critical=False,
        )
        .sign(key, hashes.SHA256())
    )
    cert_file, key_file = folder / "cert.pem", folder / "key.pem"
    cert_file.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    key_file.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    server = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    server.load_cert_chain(cert_file, key_file)
    client = ssl.create_default_context(cafile=str(cert_file))
    return TlsPair(server, client)
