"""The outgoing e-mail value object and its MIME form.

``OutgoingEmail`` is what the outbox stores (see ``to_payload``/``from_payload`` for a JSON-safe
form) and what ``delivery.drain`` sends. Headers are made safe here: every header value passes
through ``clean_header``, so CR/LF and other control characters never reach the wire.
The Message-ID is derived from the notification's idempotency key(s) (``message_id_for``), so a
resend after a crash carries the same Message-ID.
"""

from __future__ import annotations

import base64
import functools
import hashlib
import re
import unicodedata
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from email import policy
from email.errors import HeaderParseError
from email.header import decode_header, make_header
from email.headerregistry import Address
from email.message import EmailMessage, Message
from email.utils import format_datetime

from notifications import mime

_ADDRESS = re.compile(r"^(?P<name>.*)<(?P<addr>[^<>]+)>\s*$")
_DOMAIN = re.compile(r"^[A-Za-z0-9.-]+$")
_MESSAGE_ID = re.compile(r"^<[!-;=?-~]+>$")  # one <…> of printable ASCII, no "<" or ">" inside


@dataclass(frozen=True)
class Attachment:
    """A file attached to a message; ``content_type`` may carry parameters (``method=REQUEST``)."""

    filename: str
    content_type: str
    data: bytes


@dataclass(frozen=True)
class OutgoingEmail:
    """One message as the outbox keeps it. Addresses are ``"Name <addr>"`` or bare ``addr``."""

    sender: str
    to: tuple[str, ...]
    cc: tuple[str, ...]
    subject: str
    text: str
    html: str | None
    message_id: str
    date: datetime
    attachments: tuple[Attachment, ...] = field(default=())

    def __post_init__(self) -> None:
        if self.date.tzinfo is None or self.date.utcoffset() is None:
            raise ValueError("OutgoingEmail.date must be timezone-aware")
        if not self.to and not self.cc:
            raise ValueError("OutgoingEmail needs at least one recipient")

    @property
    def recipients(self) -> tuple[str, ...]:
        """Envelope recipients (bare addresses of To and Cc, without duplicates, in order)."""
        seen: dict[str, None] = {}
        for value in (*self.to, *self.cc):
            seen.setdefault(parse_address(value).addr_spec, None)
        return tuple(seen)


def clean_header(value: str) -> str:
    """One safe header line: control characters (CR, LF, TAB, NUL, U+2028, …) become spaces,
    runs of whitespace collapse to one space, and the ends are stripped."""
    if value.isprintable():  # no control or separator characters but the plain space
        return " ".join(value.split())
    chars = (" " if unicodedata.category(c) in ("Cc", "Zl", "Zp") else c for c in value)
    return " ".join("".join(chars).split())


def plain_display_name(name: str) -> str:
    """A display name with RFC 2047 encoded words decoded and cleaned, so none survives.

    A literal ``=?utf-8?q?A=0D=0ABcc=3A_x@y?=`` would otherwise be written as it is and decoded
    by the receiving parser into a line break and a new header. Decoding here (repeatedly, for
    nested words) and cleaning the result leaves plain text that the policy encodes itself.
    """
    for _ in range(3):
        if "=?" not in name:
            return name
        try:
            name = clean_header(str(make_header(decode_header(name))))
        except (HeaderParseError, LookupError, UnicodeError, ValueError):
            break
    return clean_header(name.replace("=?", "= ?").replace("?=", "? ="))


def split_address(value: str) -> tuple[str, str]:
    """(display name, address) of ``"Name <mail>"`` or ``"mail"``, unchecked: for addresses
    validated before (the config's). Much cheaper than building an ``Address``."""
    cleaned = clean_header(value)
    match = _ADDRESS.match(cleaned)
    if match is None:
        return "", cleaned
    return plain_display_name(match["name"].strip().strip('"').strip()), match["addr"].strip()


def display_name(address: str) -> str:
    """The name of ``"Name <mail>"``, or the address itself when it has none."""
    name, addr = split_address(address)
    return name or addr


def parse_address(value: str) -> Address:
    """``"Jürgen Müller <j.mueller@example.org>"`` or ``"j@example.org"`` as a checked Address.

    Commas and quotes in the display name are fine. Raises ``ValueError`` for a bad address.
    """
    name, addr = split_address(value)
    if not addr or "@" not in addr or " " in addr:
        raise ValueError(f"Ungültige E-Mail-Adresse: {clean_header(value)!r}")
    try:
        return Address(display_name=name, addr_spec=addr)
    except (ValueError, IndexError) as exc:
        raise ValueError(f"Ungültige E-Mail-Adresse: {clean_header(value)!r}") from exc


def message_id_for(keys: Sequence[str], domain: str) -> str:
    """A deterministic Message-ID over the sorted idempotency keys: ``<hex32@domain>``."""
    if not keys:
        raise ValueError("message_id_for needs at least one key")
    domain = clean_header(domain).strip("<>@ ")
    if not _DOMAIN.match(domain):
        raise ValueError(f"Ungültige Domain für die Message-ID: {domain!r}")
    digest = hashlib.sha256("\x1e".join(sorted(keys)).encode("utf-8")).hexdigest()[:32]
    return f"<{digest}@{domain}>"


def domain_of(address: str) -> str:
    """The domain part of an address (e.g. of the sender, for ``message_id_for``)."""
    return parse_address(address).domain


def to_mime(email: OutgoingEmail) -> EmailMessage:
    """The MIME message: text/plain (+ text/html alternative) and attachments, UTF-8 throughout.

    The headers are folded once, here, into the text that is sent (``notifications.mime``);
    what cannot be folded that way goes through the email package's header registry.
    """
    msg = EmailMessage(policy=policy.default)
    _addresses(msg, "From", (email.sender,))
    if email.to:
        _addresses(msg, "To", email.to)
    if email.cc:
        _addresses(msg, "Cc", email.cc)
    # a lone surrogate (not text) becomes "?"; an over-long word goes to the email package
    subject = clean_header(email.subject).encode("utf-8", "replace").decode("utf-8")
    _put(msg, "Subject", mime.fold("Subject", mime.unstructured(subject)), subject)
    msg.set_raw("Date", format_datetime(email.date))
    message_id = clean_header(email.message_id)
    simple = _MESSAGE_ID.match(message_id) is not None
    _put(msg, "Message-ID", mime.fold("Message-ID", [message_id]) if simple else None, message_id)
    msg.set_raw("Auto-Submitted", "auto-generated")
    msg.set_raw("MIME-Version", "1.0")
    if email.html is None:
        mime.text_part(msg, "plain", email.text)
    else:
        parts = [
            mime.text_part(EmailMessage(policy=policy.default), "plain", email.text),
            mime.text_part(EmailMessage(policy=policy.default), "html", email.html),
        ]
        mime.alternative(msg, parts)
    for attachment in email.attachments:
        _attach(msg, attachment)
    return msg


def _addresses(msg: EmailMessage, name: str, values: Sequence[str]) -> None:
    """An address header; raises ``ValueError`` for a bad address (``parse_address``)."""
    try:
        folded = mime.fold(name, mime.address_list([_mailbox(value) for value in values]))
    except UnicodeEncodeError:  # a lone surrogate in a name
        folded = None
    if folded is None:  # e.g. a non-ASCII address: the email package writes it
        msg[name] = tuple(parse_address(value) for value in values)
    else:
        msg.set_raw(name, folded)


@functools.lru_cache(maxsize=4096)
def _mailbox(value: str) -> tuple[str, ...]:
    """The header tokens of one checked address; the same addresses recur in every drain."""
    address = parse_address(value)
    return mime.mailbox(address.display_name, address.addr_spec)


def _put(msg: EmailMessage, name: str, folded: str | None, value: str) -> None:
    """The folded text as it is, or ``value`` through the email package's header registry."""
    if folded is None:
        msg[name] = value
    else:
        msg.set_raw(name, folded)


def _attach(msg: EmailMessage, attachment: Attachment) -> None:
    probe = Message()
    probe["Content-Type"] = clean_header(attachment.content_type)
    maintype, subtype = probe.get_content_maintype(), probe.get_content_subtype()
    params = {k: v for k, v in (probe.get_params() or [])[1:] if isinstance(v, str)}
    msg.add_attachment(
        attachment.data,
        maintype=maintype,
        subtype=subtype,
        filename=clean_header(attachment.filename),
        params=params,
    )


def to_payload(email: OutgoingEmail) -> dict[str, object]:
    """A JSON-safe dict (attachments base64) for storing the message in the outbox."""
    return {
        "sender": email.sender,
        "to": list(email.to),
        "cc": list(email.cc),
        "subject": email.subject,
        "text": email.text,
        "html": email.html,
        "message_id": email.message_id,
        "date": email.date.isoformat(),
        "attachments": [
            {
                "filename": a.filename,
                "content_type": a.content_type,
                "data": base64.b64encode(a.data).decode("ascii"),
            }
            for a in email.attachments
        ],
    }


def from_payload(payload: Mapping[str, object]) -> OutgoingEmail:
    """The inverse of ``to_payload``."""

    def text(key: str) -> str:
        value = payload[key]
        if not isinstance(value, str):
            raise ValueError(f"payload field {key!r} must be a string")
        return value

    def strings(key: str) -> tuple[str, ...]:
        value = payload.get(key) or []
        if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
            raise ValueError(f"payload field {key!r} must be a list of strings")
        return tuple(value)

    html = payload.get("html")
    raw_attachments = payload.get("attachments") or []
    if not isinstance(raw_attachments, list):
        raise ValueError("payload field 'attachments' must be a list")
    attachments = tuple(
        Attachment(str(a["filename"]), str(a["content_type"]), base64.b64decode(str(a["data"])))
        for a in raw_attachments
    )
    return OutgoingEmail(
        sender=text("sender"),
        to=strings("to"),
        cc=strings("cc"),
        subject=text("subject"),
        text=text("text"),
        html=html if isinstance(html, str) else None,
        message_id=text("message_id"),
        date=datetime.fromisoformat(text("date")),
        attachments=attachments,
    )
