"""The append-only, hash-chained audit log (SPEC §9).

Each entry's hash covers the previous hash and a canonical JSON of the entry (including its
sequence number), so any edit, insertion or deletion breaks the chain. ``AuditHead`` holds the
count and hash of the newest entry: it detects a deleted tail and, locked for update, serialises
appends on PostgreSQL (SQLite serialises by ``BEGIN IMMEDIATE``).

Two hashing schemes, recorded per entry in the hash itself (no schema change, old databases keep
verifying): plain SHA-256 (64 hex digits, every entry written before a key was configured) and
HMAC-SHA-256 with the key from ``[audit] key_env`` (``hmac:`` + 64 hex digits). Without the key
anyone with write access can re-hash an edited chain; with it they cannot. The scheme may change
only from plain to keyed, never back: a plain entry after a keyed one is reported as tampering
(an attacker without the key would have to re-hash in plain), and a process without the key
refuses to append to a keyed chain. The key travels with the engine: the composition root makes
the engine with the execution option ``AUDIT_KEY`` (``engine_options``), so every session on
that engine signs and verifies with it — no registry of engines or keys.
"""

from __future__ import annotations

import hashlib
import hmac
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from sqlalchemy import Engine, insert

from cycle.errors import Problem, UsageError
from cycle.persistence.canonical import canonical as canonical  # re-exported: part of the API

if TYPE_CHECKING:
    from sqlmodel import Session

    from cycle.persistence.tables import AuditHead

# SQLModel and the tables are imported where they are used: a read-only ``zyklus status`` needs
# neither.

GENESIS = "0" * 64
KEYED = "hmac:"


@dataclass(frozen=True)
class ChainKey:
    """The HMAC key of the log (``None``: plain SHA-256) and the variable it comes from."""

    env_name: str
    secret: bytes | None


AUDIT_KEY = "zyklus_audit_key"  # the engine's execution option that carries the ``ChainKey``
NO_KEY = ChainKey("ZYKLUS_AUDIT_KEY", None)


def engine_options(key: ChainKey) -> dict[str, object]:
    """The execution options that bind ``key`` to an engine (composition root only)."""
    return {AUDIT_KEY: key}


def key_of(session: Session) -> ChainKey:
    bind = session.get_bind()
    engine = bind if isinstance(bind, Engine) else bind.engine
    key = engine.get_execution_options().get(AUDIT_KEY, NO_KEY)
    assert isinstance(key, ChainKey)
    return key


def is_keyed(digest: str) -> bool:
    return digest.startswith(KEYED)


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


def fields_of(
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


def digest(prev_hash: str, fields: dict[str, Any], secret: bytes | None) -> str:
    """The entry hash: keyed when ``secret`` is given, plain SHA-256 otherwise."""
    data = (prev_hash + canonical(fields)).encode()
    if secret is None:
        return hashlib.sha256(data).hexdigest()
    return KEYED + hmac.new(secret, data, hashlib.sha256).hexdigest()


def seal(count: int, head_hash: str, secret: bytes | None) -> str:
    """The seal of a published head (``audit_head.published_*``): keyed like the entries.

    Its own domain (``veroeffentlicht|…``), so no entry hash and no line of the anchor file
    can stand in for it.
    """
    data = f"veroeffentlicht|{count}|{head_hash}".encode()
    if secret is None:
        return hashlib.sha256(data).hexdigest()
    return KEYED + hmac.new(secret, data, hashlib.sha256).hexdigest()


APPENDED = "zyklus.audit_appended"  # ``session.info`` flag: this transaction wrote entries


def append(session: Session, now: datetime, actor: str, changes: Iterable[Change]) -> int:
    """Append entries in the caller's transaction; returns how many were written.

    See ``_append``.
    """
    return _append(session, actor, [(now, change) for change in changes])[0]


def append_each(session: Session, actor: str, entries: Iterable[tuple[datetime, Change]]) -> int:
    """Append entries, each at its own instant, in the caller's transaction (one head update:
    the outbox writes the marks of a batch together, ``cycle.mail.outbox``)."""
    return _append(session, actor, entries)[0]


def _append(
    session: Session, actor: str, entries: Iterable[tuple[datetime, Change]]
) -> tuple[int, int]:
    """Append entries; returns how many were written and the number (id) of the last entry.

    Core statements on the session's connection: the head row read for update (created at the
    first entry), the entries in one ``executemany``, the head written back. An ``AuditHead``
    the session has loaded is expired, so it reads the new head.
    """
    from sqlalchemy import select, update

    from cycle.persistence.personal import Splitter
    from cycle.persistence.tables import AuditEntry, AuditHead, AuditKlartext

    timed = list(entries)
    if any(now.tzinfo is None for now, _change in timed):
        raise ValueError("audit needs an aware datetime")
    head_table = AuditHead.__table__  # type: ignore[attr-defined]
    connection = session.connection()
    found = connection.execute(
        select(head_table.c.count, head_table.c.hash).where(head_table.c.id == 1).with_for_update()
    ).first()
    if found is None:
        connection.execute(insert(head_table).values(id=1, count=0, hash=GENESIS))
        count, last = 0, GENESIS
    else:
        count, last = found
    key = key_of(session)
    rows: list[dict[str, Any]] = []
    split = Splitter(key.secret)
    for now, change in timed:
        at = now.astimezone(UTC)
        if key.secret is None and is_keyed(last):
            raise UsageError(
                Problem(
                    None,
                    "protokollschluessel_fehlt",
                    f"Das Prüfprotokoll ist mit einem Schlüssel gesichert, aber ${key.env_name} "
                    "ist nicht gesetzt: ohne den Schlüssel wird nichts eingetragen.",
                )
            )
        count += 1
        pairing, year = change.pairing_id, change.year
        hidden = split.payload(change.payload, count, pairing, year)
        fields = fields_of(
            count, at, split.value(actor, count, pairing, year), change, canonical(hidden)
        )
        entry_hash = digest(last, fields, key.secret)
        rows.append({**fields, "prev_hash": last, "hash": entry_hash})
        last = entry_hash
    if rows:
        connection.execute(insert(AuditEntry.__table__), rows)  # type: ignore[attr-defined]
        if split.rows:
            connection.execute(insert(AuditKlartext.__table__), split.rows)  # type: ignore[attr-defined]
        connection.execute(
            update(head_table).where(head_table.c.id == 1).values(count=count, hash=last)
        )
        loaded = session.identity_map.get(session.identity_key(AuditHead, 1))
        if loaded is not None:
            session.expire(loaded)
        session.info[APPENDED] = True  # the unit of work publishes the head after its commit
    return len(rows), count


def record(session: Session, now: datetime, actor: str, change: Change) -> int:
    """Append one entry; returns its number (``AuditEntry.id``), e.g. for idempotency keys."""
    return _append(session, actor, [(now, change)])[1]


@dataclass(frozen=True)
class Anchor:
    """A published head: ``count`` entries ending in ``hash`` (``count`` unknown: a bare hash)."""

    hash: str
    count: int | None = None
    label: str = ""  # where it was published, for messages ("Anker vom 02.03.2026 08:00")


@dataclass(frozen=True)
class Verification:
    ok: bool
    entries: int
    problem: str | None = None  # German, names the first broken entry
    warnings: tuple[str, ...] = ()  # German: what the check cannot detect
    needs_key: bool = False  # keyed entries, but no key to check them (a config problem)


def head_of(session: Session) -> AuditHead | None:
    """The head row as stored (read-only; ``None`` before the first entry or when deleted)."""
    from cycle.persistence.tables import AuditHead

    return session.get(AuditHead, 1)
