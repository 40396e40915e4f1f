"""Converting a chain written before pseudonyms (SPEC §9, §18; docs/operations.md).

Entries written before ``audit_klartext`` existed hold personal values in their hashed payload.
``convert`` rewrites every entry in the caller's transaction: each personal value (and the
actor) becomes a pseudonym with its clear value beside the chain, every hash is computed anew
(with the key when one is configured), the head row moves to the new last hash and its
published mark is cleared (the caller starts a fresh anchor file and publishes the new head).
The caller verifies before and after and appends the entry that names the old head, so the
new chain carries the proof of the old one.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import TYPE_CHECKING

from sqlalchemy import insert, select, update

from cycle.persistence.audit import GENESIS, Change, canonical, digest, fields_of, key_of
from cycle.persistence.personal import Splitter, is_pseudonym

if TYPE_CHECKING:
    from sqlmodel import Session


@dataclass(frozen=True)
class Converted:
    entries: int  # entries rewritten
    values: int  # clear values moved beside the chain
    old_head: str  # the hash of the last entry before the conversion
    new_head: str


def needs_conversion(session: Session) -> bool:
    """Some entry still has a clear actor (every new entry's actor is a pseudonym)."""
    from cycle.persistence.tables import AuditEntry

    table = AuditEntry.__table__  # type: ignore[attr-defined]
    query = select(table.c.id).where(~table.c.actor.startswith("pseudonym:")).limit(1)
    return session.connection().execute(query).first() is not None


def convert(session: Session) -> Converted:
    """Rewrite the whole chain with pseudonyms (see the module's docstring)."""
    from cycle.persistence.tables import AuditEntry, AuditHead, AuditKlartext

    entries = AuditEntry.__table__  # type: ignore[attr-defined]
    head = AuditHead.__table__  # type: ignore[attr-defined]
    connection = session.connection()
    secret = key_of(session).secret
    split = Splitter(secret)
    prev = old_head = GENESIS
    count = 0
    rows = connection.execute(select(entries).order_by(entries.c.id)).mappings().all()
    for row in rows:
        old_head = row["hash"]
        pairing, year = row["pairing_id"], row["year"]
        actor = row["actor"]
        if not is_pseudonym(actor):
            actor = split.value(actor, row["id"], pairing, year)
        payload = canonical(split.payload(json.loads(row["payload"]), row["id"], pairing, year))
        change = Change(row["action"], pairing, year, row["stage_id"], row["before"], row["after"])
        fields = fields_of(row["id"], row["at"], actor, change, payload)
        new_hash = digest(prev, fields, secret)
        connection.execute(
            update(entries)
            .where(entries.c.id == row["id"])
            .values(actor=actor, payload=payload, prev_hash=prev, hash=new_hash)
        )
        prev, count = new_hash, count + 1
    if split.rows:
        connection.execute(insert(AuditKlartext.__table__), split.rows)  # type: ignore[attr-defined]
    connection.execute(
        update(head)
        .where(head.c.id == 1)
        .values(hash=prev, published_count=None, published_hash=None, published_seal=None)
    )
    return Converted(count, len(split.rows), old_head, prev)
