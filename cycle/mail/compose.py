"""Turn due points and events into stored notifications and outbox messages.

Every notification is stored under its idempotency key before anything is sent. Notifications
for the same recipients composed in one pass are bundled into one message; the message's
Message-ID is derived from the keys it carries, so a resend after a crash is identical.

A draft may carry its content unrendered (``deferred``): ``store`` renders it chunk by chunk and
inserts each chunk with Core ``executemany``, so a pass over 100,000 points never holds every
rendered mail at once.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from functools import lru_cache
from pathlib import Path
from typing import Any, TypeVar

from sqlalchemy import Connection, func, insert, select
from sqlmodel import Session

from cycle import progress
from cycle.config.settings import Settings, StageSpec
from cycle.documents import leitfaden_pdf
from cycle.mail import links, password_links
from cycle.persistence import audit
from cycle.persistence.tables import Notification, OutboxMessage
from cycle.text import strip_bidi
from notifications.message import (
    Attachment,
    OutgoingEmail,
    domain_of,
    message_id_for,
    parse_address,
    to_payload,
)
from notifications.render import Rendered, Renderer
from workflows.deadlines import ERINNERUNG, ESKALATION
from workflows.stages import StageType

T = TypeVar("T")
DEADLINE_KINDS = frozenset({ERINNERUNG, ESKALATION})
PORTAL_LINK = "portal-link"  # a requested portal link: the link is its body, no footer
CHUNK = 1_000  # messages (and drafts) rendered and inserted per statement


@dataclass(frozen=True, slots=True)
class Draft:
    """One logical notification, rendered or to be rendered (unless it is only recorded as
    skipped): ``rendered`` holds the content, or ``deferred`` renders it when it is stored."""

    key: str
    kind: str
    level: int
    send_at: datetime
    to: tuple[str, ...]
    cc: tuple[str, ...] = ()
    rendered: Rendered | None = None
    attachments: tuple[Attachment, ...] = ()
    cycle_id: int | None = None
    pairing_id: str | None = None
    year: int | None = None
    stage_id: str | None = None
    anchor: date | None = None
    point_on: date | None = None
    stadtteil: str | None = None
    bundle: bool = True  # False: always its own message (invitations, receipts)
    deferred: Callable[[], Rendered] | None = None
    # Attachments built when stored, chunk by chunk (the prefilled skeleton of a reminder)
    deferred_attachments: Callable[[], tuple[Attachment, ...]] | None = None
    # Payload keys for the delivery (``password_links.MARK``: whose link to mint)
    marks: tuple[tuple[str, str], ...] = ()
    reason: str | None = None  # why it is only recorded as skipped (beyond catch-up)

    @property
    def queued(self) -> bool:
        """To be sent (``False``: only recorded as skipped)."""
        return self.rendered is not None or self.deferred is not None

    def content(self) -> Rendered:
        if self.rendered is not None:
            return self.rendered
        if self.deferred is None:
            raise ValueError(f"{self.key}: a skipped notification has no content")
        return self.deferred()


def point_key(
    pairing_id: str, year: int, stage_id: str, anchor: date, kind: str, level: int
) -> str:
    return f"{pairing_id}/{year}/{stage_id}/{anchor.isoformat()}/{kind}/{level}"


def stage_context(
    settings: Settings, pairing_id: str, year: int, stage: StageSpec, due: date, today: date
) -> dict[str, Any]:
    pairing = settings.pairings[pairing_id]
    traeger = settings.traeger[pairing.traeger]
    k = settings.koordinierungsstelle
    return {
        "stage": {"id": stage.id, "name": stage.name, "type": str(stage.type)},
        "pairing": {
            "id": pairing.id,
            "angebot": pairing.angebot,
            "handlungsfeld": pairing.handlungsfeld,
        },
        "traeger": {"name": traeger.name, "leitung": traeger.leitung},
        "stadtteil": {"name": settings.stadtteile[pairing.stadtteil].name},
        "year": year,
        "due": due,
        "days": (due - today).days,
        "meeting": None,
        "koordinierungsstelle": {"name": k.name, "email": k.email},
        "attachments": [],
        "recipients_role": "kontakte",
        "ebenfalls_an": (),
    }


_CONTENT_TYPES = {
    ".md": "text/markdown; charset=utf-8",
    ".toml": "application/toml",
    ".pdf": "application/pdf",
    ".docx": "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
}


def file_attachment(path: Path | None) -> tuple[Attachment, ...]:
    """The guide or form at ``path`` as an attachment; read once per version of the file."""
    if path is None or not path.is_file():
        return ()
    stat = path.stat()
    return (_attachment(path, stat.st_mtime_ns, stat.st_size),)


@lru_cache(maxsize=32)
def _attachment(path: Path, _mtime_ns: int, _size: int) -> Attachment:
    # A tick attaches the same file to every reminder of a stage: read it once, not per mail.
    if path.suffix.lower() == ".md":
        # Guides and hints are written in Markdown, which many Träger cannot open: they get a
        # PDF rendered by the documents pipeline (the same bytes for the same text).
        pdf = leitfaden_pdf(path.read_text(encoding="utf-8"))
        return Attachment(f"{path.stem}.pdf", "application/pdf", pdf)
    content_type = _CONTENT_TYPES.get(path.suffix.lower(), "application/octet-stream")
    return Attachment(path.name, content_type, path.read_bytes())


def store(
    session: Session,
    drafts: Sequence[Draft],
    settings: Settings,
    renderer: Renderer,
    now: datetime,
    actor: str = "zyklus",
) -> list[Draft]:
    """Insert the messages, then the notifications (skipped ones too); returns those queued.

    Set-wise and in chunks of ``CHUNK``: each chunk of messages is rendered, inserted with one
    ``executemany`` and dropped before the next; the notifications carry their message id from
    the start; the audit entries follow in the order of ``drafts``.
    """
    if not drafts:
        return []
    queued = [d for d in drafts if d.queued]
    groups: dict[tuple[Any, ...], list[Draft]] = {}
    for draft in queued:
        group = (draft.to, draft.cc) if draft.bundle else (draft.key,)
        groups.setdefault(group, []).append(draft)
    members = list(groups.values())
    connection = session.connection()
    message_of: dict[str, int] = {}
    subject_of: dict[str, str] = {}
    if members:
        domain = domain_of(parse_address(settings.mail.sender).addr_spec)
        stored = 0
        for chunk in _chunks(members):
            if len(members) > CHUNK:  # a tick with many mails: a bar on a terminal
                progress.report("Nachrichten einreihen", stored, len(members))
                stored += len(chunk)
            rows = [_message(group, settings, renderer, now, domain, subject_of) for group in chunk]
            ids = _insert_messages(connection, rows)
            message_of.update(
                (d.key, i) for group, i in zip(chunk, ids, strict=True) for d in group
            )
    for part in _chunks(drafts):
        connection.execute(
            insert(Notification.__table__),  # type: ignore[attr-defined]
            [_notification(d, message_of, subject_of, now) for d in part],
        )
        audit.append(session, now, actor, (_change(d) for d in part))
    return queued


def _chunks(items: Sequence[T]) -> Iterator[Sequence[T]]:
    for start in range(0, len(items), CHUNK):
        yield items[start : start + CHUNK]


def _insert_messages(connection: Connection, rows: list[dict[str, Any]]) -> list[int]:
    """Insert ``rows`` into the outbox; their ids in order.

    SQLite turns ``INSERT … RETURNING`` with ``sort_by_parameter_order`` into one statement per
    row. There the ids are allocated up front instead: the transaction holds the write lock
    (``BEGIN IMMEDIATE``) and the table has no AUTOINCREMENT, so SQLite would assign exactly
    ``max(id) + 1, …`` itself. Elsewhere (PostgreSQL, ids from a sequence) RETURNING is batched.
    """
    table = OutboxMessage.__table__  # type: ignore[attr-defined]
    if connection.dialect.name == "sqlite":
        first = (connection.execute(select(func.max(table.c.id))).scalar() or 0) + 1
        ids = list(range(first, first + len(rows)))
        connection.execute(
            insert(table), [{**row, "id": i} for row, i in zip(rows, ids, strict=True)]
        )
        return ids
    statement = insert(table).returning(table.c.id, sort_by_parameter_order=True)
    return list(connection.execute(statement, rows).scalars().all())


def _change(draft: Draft) -> audit.Change:
    return audit.Change(
        "benachrichtigung_" + ("eingereiht" if draft.queued else "uebersprungen"),
        draft.pairing_id,
        draft.year,
        draft.stage_id,
        after=draft.kind,
        payload={
            "key": draft.key,
            "stufe": draft.level,
            "an": list(draft.to),
            "cc": list(draft.cc),
            **({"grund": draft.reason} if draft.reason and not draft.queued else {}),
        },
    )


def _notification(
    draft: Draft, message_of: dict[str, int], subject_of: dict[str, str], now: datetime
) -> dict[str, Any]:
    message = message_of.get(draft.key)
    return {
        "key": draft.key,
        "kind": draft.kind,
        "level": draft.level,
        "cycle_id": draft.cycle_id,
        "pairing_id": draft.pairing_id,
        "year": draft.year,
        "stage_id": draft.stage_id,
        "anchor": draft.anchor,
        "point_on": draft.point_on,
        "send_at": draft.send_at,
        "status": "bundled" if draft.queued else "skipped",
        "reason": None if draft.queued else draft.reason,
        "message_id": message,
        "recipients": {"to": list(draft.to), "cc": list(draft.cc)},
        "subject": subject_of.get(draft.key, ""),
        "created_at": now,
    }


def _portal_target(settings: Settings, members: Sequence[Draft]) -> str | None:
    """The portal form a message is about: a reminder or escalation of one pairing's
    Verwendungsnachweis leads to its form (``verwendungsnachweis/PAIRING/YEAR``), else None."""
    about = {(m.pairing_id, m.year, m.stage_id) for m in members}
    if len(about) != 1 or any(m.kind not in DEADLINE_KINDS for m in members):
        return None
    pairing, year, stage_id = next(iter(about))
    spec = settings.stage(stage_id) if stage_id else None
    if pairing is None or year is None or spec is None:
        return None
    return (
        f"verwendungsnachweis/{pairing}/{year}" if spec.type is StageType.PROOF_OF_FUNDS else None
    )


def _message(
    members: list[Draft],
    settings: Settings,
    renderer: Renderer,
    now: datetime,
    domain: str,
    subject_of: dict[str, str],
) -> dict[str, Any]:
    parts = [m.content() for m in members]
    subject_of.update((m.key, part.subject) for m, part in zip(members, parts, strict=True))
    stadtteile = list(dict.fromkeys(m.stadtteil for m in members if m.stadtteil))
    k = settings.koordinierungsstelle
    rendered = renderer.bundle(
        parts,
        {"stadtteile": stadtteile, "koordinierungsstelle": {"name": k.name, "email": k.email}},
    )
    attachments: dict[tuple[str, bytes], Attachment] = {}
    for member in members:
        later = member.deferred_attachments() if member.deferred_attachments else ()
        for attachment in (*member.attachments, *later):
            attachments.setdefault((attachment.filename, attachment.data), attachment)
    # Every mail that reaches a pairing's contact says how to get into the portal; a personal
    # link only as a placeholder, minted at delivery (SPEC §14, ``cycle.mail.links``).
    first = members[0]
    own_link = first.kind in (PORTAL_LINK, password_links.KIND)
    footer = (
        ("", "")
        if own_link
        else links.footer(settings, first.to, first.cc, _portal_target(settings, members))
    )
    email = OutgoingEmail(
        sender=settings.mail.sender,
        to=members[0].to,
        cc=members[0].cc,
        # no bidi controls in a mail, also from texts stored before they were removed at input
        subject=strip_bidi(rendered.subject),
        text=strip_bidi(rendered.text + footer[0]),
        html=strip_bidi(rendered.html.replace("</body>", f"{footer[1]}</body>", 1)),
        message_id=message_id_for([m.key for m in members], domain),
        date=now,
        attachments=tuple(attachments.values()),
    )
    kind = members[0].kind if len({m.kind for m in members}) == 1 else "sammelnachricht"
    return {
        "message_id": email.message_id,
        "kind": kind,
        "to": ", ".join([*email.to, *email.cc]),
        "subject": email.subject,
        "payload": links.mark(to_payload(email), settings) | dict(first.marks),
        "status": "pending",
        "next_attempt_at": min(m.send_at for m in members),
        "created_at": now,
        "refused": {},
    }
