"""The append-only, hash-chained audit log (SPEC §9).

Each entry's hash is SHA-256 over the previous hash and a canonical JSON of the entry (including
its sequence number), so any edit, insertion or deletion breaks the chain. ``AuditHead`` holds the
count and hash of the newest entry: it detects a deleted tail and, locked for update, serialises
appends on PostgreSQL (SQLite serialises by ``BEGIN IMMEDIATE``).
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time
from decimal import Decimal
from typing import Any

from sqlmodel import Session, col, select

from cycle.persistence.tables import AuditEntry, AuditHead

GENESIS = "0" * 64


def _default(value: object) -> str:
    if isinstance(value, datetime):
        return value.astimezone(UTC).isoformat()
    if isinstance(value, date | time):
        return value.isoformat()
    if isinstance(value, Decimal):
        return str(value)
    raise TypeError(f"not JSON-serialisable: {type(value).__name__}")


def canonical(payload: Mapping[str, Any]) -> str:
    return json.dumps(
        payload, sort_keys=True, ensure_ascii=False, separators=(",", ":"), default=_default
    )


@dataclass(frozen=True)
class Change:
    """What to log; ``append`` adds time, actor, sequence and the chain."""

    action: str
    pairing_id: str | None = None
    year: int | None = None
    stage_id: str | None = None
    before: str | None = None
    after: str | None = None
    payload: Mapping[str, Any] = field(default_factory=dict)


def _fields(
    entry_id: int, at: datetime, actor: str, change: Change, payload_json: str
) -> dict[str, Any]:
    """The hashed columns of one entry (everything but ``prev_hash`` and ``hash``)."""
    return {
        "id": entry_id,
        "at": at,
        "actor": actor,
        "action": change.action,
        "pairing_id": change.pairing_id,
        "year": change.year,
        "stage_id": change.stage_id,
        "before": change.before,
        "after": change.after,
        "payload": payload_json,
    }


def _digest(prev_hash: str, fields: dict[str, Any]) -> str:
    return hashlib.sha256((prev_hash + canonical(fields)).encode()).hexdigest()


def _head(session: Session) -> AuditHead:
    head = session.exec(select(AuditHead).where(AuditHead.id == 1).with_for_update()).first()
    if head is None:
        head = AuditHead(id=1, count=0, hash=GENESIS)
        session.add(head)
        session.flush()
    return head


def append(session: Session, now: datetime, actor: str, changes: Iterable[Change]) -> int:
    """Append entries in the caller's transaction; returns how many were written."""
    if now.tzinfo is None:
        raise ValueError("audit needs an aware datetime")
    at = now.astimezone(UTC)
    head = _head(session)
    rows: list[dict[str, Any]] = []
    for change in changes:
        entry_id = head.count + 1
        fields = _fields(entry_id, at, actor, change, canonical(change.payload))
        digest = _digest(head.hash, fields)
        rows.append({**fields, "prev_hash": head.hash, "hash": digest})
        head.count, head.hash = entry_id, digest
    if rows:
        session.bulk_insert_mappings(AuditEntry, rows)
        session.add(head)
    return len(rows)


def record(session: Session, now: datetime, actor: str, change: Change) -> None:
    append(session, now, actor, [change])


@dataclass(frozen=True)
class Verification:
    ok: bool
    entries: int
    problem: str | None = None  # German, names the first broken entry


def verify(session: Session) -> Verification:
    prev, expected_id = GENESIS, 1
    for entry in session.exec(select(AuditEntry).order_by(col(AuditEntry.id))):
        if entry.id != expected_id:
            return Verification(
                False,
                expected_id - 1,
                f"Eintrag {expected_id} fehlt (gefunden: Eintrag {entry.id}).",
            )
        change = Change(
            entry.action, entry.pairing_id, entry.year, entry.stage_id, entry.before, entry.after
        )
        fields = _fields(entry.id, entry.at, entry.actor, change, entry.payload)
        if entry.prev_hash != prev:
            return Verification(
                False,
                expected_id - 1,
                f"Eintrag {entry.id}: Verkettung zum Vorgänger ist gebrochen.",
            )
        if _digest(prev, fields) != entry.hash:
            return Verification(
                False, expected_id - 1, f"Eintrag {entry.id} ({entry.action}) wurde verändert."
            )
        prev, expected_id = entry.hash, expected_id + 1
    head = session.get(AuditHead, 1)
    count = expected_id - 1
    if head is not None and (head.count != count or head.hash != prev):
        return Verification(
            False,
            count,
            f"Eintrag {count + 1} bis {head.count} fehlen (Ende des Protokolls wurde gelöscht).",
        )
    return Verification(True, count)
