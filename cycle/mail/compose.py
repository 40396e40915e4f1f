"""Turn due points and events into stored notifications and outbox messages.

Every notification is stored under its idempotency key before anything is sent. Notifications
for the same recipients composed in one pass are bundled into one message; the message's
Message-ID is derived from the keys it carries, so a resend after a crash is identical.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime
from functools import lru_cache
from pathlib import Path
from typing import Any

from sqlalchemy import insert
from sqlmodel import Session, col

from cycle.config.settings import Settings, StageSpec
from cycle.persistence import audit
from cycle.persistence.tables import Notification, OutboxMessage
from notifications.message import (
    Attachment,
    OutgoingEmail,
    domain_of,
    message_id_for,
    parse_address,
    to_payload,
)
from notifications.render import Rendered, Renderer


@dataclass(frozen=True)
class Draft:
    """One logical notification, rendered (unless it is only recorded as skipped)."""

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

    Set-wise: one multi-row INSERT for the messages (ids back in parameter order) and one for
    the notifications, which carry their message id from the start.
    """
    if not drafts:
        return []
    queued = [d for d in drafts if d.rendered is not None]
    groups: dict[tuple[Any, ...], list[Draft]] = {}
    for draft in queued:
        group = (draft.to, draft.cc) if draft.bundle else (draft.key,)
        groups.setdefault(group, []).append(draft)
    members = list(groups.values())
    message_of: dict[str, int] = {}
    if members:
        domain = domain_of(parse_address(settings.mail.sender).addr_spec)
        rows = [_message(group, settings, renderer, now, domain) for group in members]
        ids = (
            session.execute(
                insert(OutboxMessage).returning(
                    col(OutboxMessage.id), sort_by_parameter_order=True
                ),
                rows,
            )
            .scalars()
            .all()
        )
        message_of = {d.key: i for group, i in zip(members, ids, strict=True) for d in group}
    session.execute(insert(Notification), [_notification(d, message_of, now) for d in drafts])
    audit.append(
        session,
        now,
        actor,
        (
            audit.Change(
                "benachrichtigung_" + ("eingereiht" if d.rendered else "uebersprungen"),
                d.pairing_id,
                d.year,
                d.stage_id,
                after=d.kind,
                payload={"key": d.key, "stufe": d.level, "an": list(d.to), "cc": list(d.cc)},
            )
            for d in drafts
        ),
    )
    return queued


def _notification(draft: Draft, message_of: dict[str, int], now: datetime) -> dict[str, Any]:
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
        "status": "skipped" if draft.rendered is None else "bundled",
        "message_id": message,
        "recipients": {"to": list(draft.to), "cc": list(draft.cc)},
        "subject": draft.rendered.subject if draft.rendered else "",
        "created_at": now,
    }


def _message(
    members: list[Draft], settings: Settings, renderer: Renderer, now: datetime, domain: str
) -> dict[str, Any]:
    parts = [m.rendered for m in members if m.rendered is not None]
    stadtteile = list(dict.fromkeys(m.stadtteil for m in members if m.stadtteil))
    k = settings.koordinierungsstelle
    rendered = renderer.bundle(
        parts,
        {"stadtteile": stadtteile, "koordinierungsstelle": {"name": k.name, "email": k.email}},
    )
    attachments: dict[tuple[str, bytes], Attachment] = {}
    for member in members:
        for attachment in member.attachments:
            attachments.setdefault((attachment.filename, attachment.data), attachment)
    email = OutgoingEmail(
        sender=settings.mail.sender,
        to=members[0].to,
        cc=members[0].cc,
        subject=rendered.subject,
        text=rendered.text,
        html=rendered.html,
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
        "payload": to_payload(email),
        "status": "pending",
        "next_attempt_at": min(m.send_at for m in members),
        "created_at": now,
        "refused": {},
    }
