"""``zyklus outbox`` (listing) and ``zyklus outbox retry`` (re-queue failed messages).

``retry`` puts a failed message back to ``pending``, due at once, and **resets its attempts to
0**: a manual retry is a fresh decision (the address was fixed, the server is back), so the
message gets the full ``max_attempts`` again instead of failing after one more temporary error.
The last error stays visible until the next attempt; the audit log keeps the old state.
"""

from __future__ import annotations

from collections import defaultdict
from datetime import datetime
from typing import Any

from sqlmodel import Session, col, select

from cycle.bootstrap import App
from cycle.errors import Refused
from cycle.persistence import audit
from cycle.persistence.tables import Notification, OutboxMessage
from cycle.persistence.uow import reading, transaction
from cycle.views.formats import german_date, table, to_json

STATUS_LABELS = {"pending": "ausstehend", "sent": "gesendet", "failed": "fehlgeschlagen"}
HEADERS = ["Nr.", "Art", "An", "Betreff", "Status", "Versuche", "nächster Versuch", "Fehler"]
WIDTHS = [None, 16, 36, 48, 14, None, 17, 36]
SKIPPED_HEADERS = ["Nr.", "Art", "Ebene", "Partnerschaft", "Jahr", "Stufe", "Frist", "fällig am"]


def _iso(value: datetime | None) -> str | None:
    return value.isoformat() if value is not None else None


def listing(app: App, status: str | None, fmt: str) -> int:
    """Print outbox messages (all, or one status) or, for ``skipped``, skipped notifications."""
    if status == "skipped":
        return _skipped(app, fmt)
    query = select(OutboxMessage).order_by(col(OutboxMessage.id))
    if status:
        query = query.where(col(OutboxMessage.status) == status)
    with reading(app.engine) as session:
        rows = list(session.exec(query))
        keys = _keys(session, [r.id for r in rows if r.id is not None])
    if fmt == "json":
        print(to_json({"status": status, "messages": [_json(r, keys[r.id]) for r in rows]}))
        return 0
    tz = app.calendar.timezone

    def when(row: OutboxMessage) -> str:
        if row.status != "pending":
            return ""
        return f"{row.next_attempt_at.astimezone(tz):%d.%m.%Y %H:%M}"

    print(
        table(
            HEADERS,
            [
                [
                    r.id,
                    r.kind,
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
    )
    counts = {s: sum(1 for r in rows if r.status == s) for s in STATUS_LABELS}
    summary = ", ".join(f"{n} {STATUS_LABELS[s]}" for s, n in counts.items() if n)
    print(f"{len(rows)} Nachrichten" + (f" ({summary})." if summary else "."))
    return 0


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


def _skipped(app: App, fmt: str) -> int:
    query = (
        select(Notification)
        .where(col(Notification.status) == "skipped")
        .order_by(col(Notification.id))
    )
    with reading(app.engine) as session:
        rows = list(session.exec(query))
    if fmt == "json":
        print(
            to_json(
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
                        }
                        for n in rows
                    ],
                }
            )
        )
        return 0
    print(
        table(
            SKIPPED_HEADERS,
            [
                [
                    n.id,
                    n.kind,
                    n.level,
                    n.pairing_id or "",
                    n.year or "",
                    n.stage_id or "",
                    german_date(n.anchor),
                    german_date(n.point_on),
                ]
                for n in rows
            ],
        )
    )
    print(f"{len(rows)} übersprungene Benachrichtigungen (beim Nachholen nicht gesendet).")
    return 0


def retry(app: App, id: int | None, failed: bool) -> int:
    """Re-queue message ``id`` (must be failed) or, with ``failed``, every failed message."""
    now, actor = app.now(), app.actor(None)
    with transaction(app.engine) as session:
        if id is not None:
            row = session.get(OutboxMessage, id)
            if row is None:
                raise Refused(f"Nachricht {id} gibt es im Postausgang nicht.")
            if row.status != "failed":
                raise Refused(
                    f"Nachricht {id} ist nicht fehlgeschlagen "
                    f"(Status: {STATUS_LABELS.get(row.status, row.status)}); "
                    "erneut eingereiht werden nur fehlgeschlagene Nachrichten."
                )
            rows = [row]
        else:
            query = (
                select(OutboxMessage)
                .where(col(OutboxMessage.status) == "failed")
                .order_by(col(OutboxMessage.id))
            )
            rows = list(session.exec(query))
        for row in rows:
            _requeue(session, row, now, actor)
    if not rows:
        print("Keine fehlgeschlagenen Nachrichten im Postausgang.")
        return 0
    for row in rows:
        print(f"Nachricht {row.id} erneut eingereiht: {row.subject} → {row.to}")
    print(
        f"{len(rows)} Nachricht{'en' if len(rows) != 1 else ''} wieder ausstehend; "
        "Zustellung beim nächsten Durchlauf (zyklus tick oder der laufende Dienst)."
    )
    return 0


def _requeue(session: Session, row: OutboxMessage, now: datetime, actor: str) -> None:
    audit.record(
        session,
        now,
        actor,
        audit.Change(
            "nachricht_erneut_eingereiht",
            before="failed",
            after="pending",
            payload={
                "message_id": row.message_id,
                "fehler": row.last_error,
                "versuche": row.attempts,
            },
        ),
    )
    row.status, row.attempts, row.next_attempt_at = "pending", 0, now
    row.lease_until = row.lease_owner = None
    session.add(row)
