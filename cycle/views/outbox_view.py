"""``zyklus outbox``: the outbox listing (retry is a command: ``service.maintenance``).

Returns text or cells; ``cycle.cli.listings`` prints them or writes the file.
"""

from __future__ import annotations

from collections import defaultdict
from datetime import datetime, tzinfo
from typing import Any

from sqlmodel import Session, col, select

from cycle import german
from cycle.persistence.tables import Notification, OutboxMessage
from cycle.persistence.uow import reading
from cycle.views.context import ViewContext
from cycle.views.exports import Cell, Sheet, local
from cycle.views.formats import german_date, table, to_json
from cycle.views.labels import OUTBOX_LABELS, kind_label, stage_names
from cycle.views.wording import anzahl

# The states a message in the outbox can have (the listing's filter), labelled from the table.
STATUS_LABELS = {s: OUTBOX_LABELS[s] for s in ("pending", "ungewiss", "sent", "failed", "skipped")}
HEADERS = ["Nr.", "Art", "An", "Betreff", "Status", "Versuche", "nächster Versuch", "Fehler"]
WIDTHS = [None, 16, 36, 48, 14, None, 17, 36]
SKIPPED_HEADERS = [
    *("Nr.", "Art", "Ebene", "Partnerschaft", "Jahr", "Stufe", "Frist", "fällig am", "Grund")
]
CATCH_UP = "beim Nachholen"  # the reason of a point skipped by the catch-up rule


def _iso(value: datetime | None) -> str | None:
    return value.isoformat() if value is not None else None


EXPORT_HEADERS = [
    "Nr.",
    "Art",
    "An",
    "Betreff",
    "Status",
    "Versuche",
    "erstellt",
    "gesendet",
    "nächster Versuch",
    "Fehler",
]


def listing(ctx: ViewContext, status: str | None, fmt: str) -> str | Sheet:
    """Outbox messages (all, or one status) or, for ``skipped``, the skipped notifications:
    JSON or a table as text, or cells for CSV/XLSX."""
    if status == "skipped":
        return _skipped(ctx, fmt)
    query = select(OutboxMessage).order_by(col(OutboxMessage.id))
    if status:
        query = query.where(col(OutboxMessage.status) == status)
    with reading(ctx.engine) as session:
        rows = list(session.exec(query))
        keys = _keys(session, [r.id for r in rows if r.id is not None])
    if fmt == "json":
        return to_json({"status": status, "messages": [_json(r, keys[r.id]) for r in rows]})
    tz = ctx.tz
    if fmt in ("csv", "xlsx"):
        body = [_export_row(r, tz) for r in rows]
        return Sheet(EXPORT_HEADERS, body, f"postausgang-{status or 'alle'}")

    def when(row: OutboxMessage) -> str:
        if row.status not in ("pending", "ungewiss"):
            return ""
        return german.zeit_kurz(row.next_attempt_at, tz)

    shown = table(
        HEADERS,
        [
            [
                r.id,
                kind_label(r.kind),
                r.to,
                r.subject,
                STATUS_LABELS.get(r.status, r.status),
                r.attempts,
                when(r),
                r.last_error or "",
            ]
            for r in rows
        ],
        WIDTHS,
    )
    counts = {s: sum(1 for r in rows if r.status == s) for s in STATUS_LABELS}
    summary = ", ".join(f"{n} {STATUS_LABELS[s]}" for s, n in counts.items() if n)
    return f"{shown}\n{len(rows)} Nachrichten" + (f" ({summary})." if summary else ".")


def _export_row(row: OutboxMessage, tz: tzinfo) -> list[Cell]:
    pending = row.status in ("pending", "ungewiss")
    return [
        row.id,
        kind_label(row.kind),
        row.to,
        row.subject,
        STATUS_LABELS.get(row.status, row.status),
        row.attempts,
        local(row.created_at, tz) if row.created_at else None,
        local(row.sent_at, tz) if row.sent_at else None,
        local(row.next_attempt_at, tz) if pending and row.next_attempt_at else None,
        row.last_error,
    ]


def _keys(session: Session, ids: list[int]) -> defaultdict[int | None, list[str]]:
    found: defaultdict[int | None, list[str]] = defaultdict(list)
    if ids:
        query = (
            select(col(Notification.message_id), col(Notification.key))
            .where(col(Notification.message_id).in_(ids))
            .order_by(col(Notification.id))
        )
        for message_row, key in session.exec(query):
            found[message_row].append(key)
    return found


def _json(row: OutboxMessage, keys: list[str]) -> dict[str, Any]:
    return {
        "id": row.id,
        "message_id": row.message_id,
        "kind": row.kind,
        "to": row.to,
        "subject": row.subject,
        "status": row.status,
        "attempts": row.attempts,
        "next_attempt_at": _iso(row.next_attempt_at),
        "last_error": row.last_error,
        "refused": row.refused,
        "created_at": _iso(row.created_at),
        "sent_at": _iso(row.sent_at),
        "keys": keys,
    }


def _skipped(ctx: ViewContext, fmt: str) -> str | Sheet:
    query = (
        select(Notification)
        .where(col(Notification.status) == "skipped")
        .order_by(col(Notification.id))
    )
    with reading(ctx.engine) as session:
        rows = list(session.exec(query))
    if fmt == "json":
        return to_json(
            {
                "status": "skipped",
                "notifications": [
                    {
                        "id": n.id,
                        "key": n.key,
                        "kind": n.kind,
                        "level": n.level,
                        "pairing": n.pairing_id,
                        "year": n.year,
                        "stage": n.stage_id,
                        "anchor": n.anchor.isoformat() if n.anchor else None,
                        "point_on": n.point_on.isoformat() if n.point_on else None,
                        "to": n.recipients.get("to", []),
                        "cc": n.recipients.get("cc", []),
                        "reason": n.reason or CATCH_UP,
                    }
                    for n in rows
                ],
            }
        )
    names = stage_names(ctx)
    if fmt in ("csv", "xlsx"):
        body: list[list[Cell]] = [
            [n.id, kind_label(n.kind), n.level, n.pairing_id, n.year,
             names.get(n.stage_id or "", n.stage_id), n.anchor, n.point_on,
             n.reason or CATCH_UP]
            for n in rows
        ]  # fmt: skip
        return Sheet(SKIPPED_HEADERS, body, "postausgang-uebersprungen")
    shown = table(
        SKIPPED_HEADERS,
        [
            [
                n.id,
                kind_label(n.kind),
                n.level,
                n.pairing_id or "",
                n.year or "",
                names.get(n.stage_id or "", n.stage_id or ""),
                german_date(n.anchor),
                german_date(n.point_on),
                n.reason or CATCH_UP,
            ]
            for n in rows
        ],
    )
    return (
        f"{shown}\n"
        + anzahl(len(rows), "übersprungene Benachrichtigung", "übersprungene Benachrichtigungen")
        + " (nicht gesendet)."
    )
