"""Personal data outside the hashed audit payload (SPEC §9, §18).

An audit entry hashes a *pseudonym* in place of each personal value: its actor and every payload
value under a key of ``PERSONAL_KEYS`` (at any depth; the whole value under the key). The
pseudonym is a keyed digest — HMAC-SHA-256 with the audit key (plain SHA-256 without one) over
a random salt and the canonical JSON of the value — and the clear value with its salt lives in
``audit_klartext``, one row per pseudonym. Deleting that row (retention, erasure on request)
leaves the chain verifiable and the pseudonym meaningless: without the salt not even the key's
holder can test a guess. While a row exists, ``audit verify`` checks it against its pseudonym,
so a clear value cannot be changed unnoticed either.

This module is the ONE place that decides which payload keys are personal. Readers get
entries with clear values through ``resolved`` (``DELETED`` where a value was deleted).
"""

from __future__ import annotations

import hashlib
import hmac
import json
import secrets
from collections.abc import Iterable, Mapping
from typing import TYPE_CHECKING, Any

from sqlalchemy import select

from cycle.persistence.canonical import canonical

if TYPE_CHECKING:
    from sqlmodel import Session

    from cycle.persistence.tables import AuditEntry

# Names, addresses, free text that may name people, participants, signatures, mail errors.
PERSONAL_KEYS = frozenset(
    {
        "name",
        "email",
        "login",
        "leitung",
        "leitung_email",
        "telefon",
        "anschrift",
        "vertretungsberechtigt",
        "contacts",
        "kontakte",
        "teilnehmende",
        "notiz",
        "grund",
        "entfallen_grund",
        "erlaeuterung",
        "unterschrift",
        "an",
        "cc",
        "to",
        "fehler",
        "durch",
    }
)
SYSTEM_ACTOR = "zyklus"  # the scheduler's own passes: the software's name, no person's
PREFIX = "pseudonym:"
DELETED = "[gelöscht]"
ACTOR = "actor"  # the field name of a pseudonymised actor in ``audit_klartext``


_EMPTY: tuple[object, ...] = ("", [], {}, ())


def is_pseudonym(value: object) -> bool:
    return isinstance(value, str) and value.startswith(PREFIX)


def _clear_json(value: object) -> str:
    return canonical({"v": value})


def pseudonym_of(salt: str, clear_json: str, secret: bytes | None) -> str:
    data = f"{salt}|{clear_json}".encode()
    if secret is None:
        return PREFIX + hashlib.sha256(data).hexdigest()
    return PREFIX + "hmac:" + hmac.new(secret, data, hashlib.sha256).hexdigest()


class Splitter:
    """Pseudonymises the personal values of a batch of entries; ``rows`` for ``audit_klartext``.

    One pseudonym per distinct value and cycle within the batch. The software's own name
    (``SYSTEM_ACTOR``) is no person's: it gets one pseudonym per year and batch, not one per
    cycle (an everything-due tick would otherwise store thousands of rows saying "zyklus"),
    and no cycle's retention deletes it. An empty value (``""``, ``[]``, ``{}``: a mail
    without cc) names nobody and stays as it is.
    """

    def __init__(self, secret: bytes | None) -> None:
        self.secret = secret
        self.rows: list[dict[str, Any]] = []
        self._seen: dict[tuple[str, str | None, int | None], str] = {}

    def value(self, value: object, entry_id: int, pairing: str | None, year: int | None) -> str:
        if is_pseudonym(value):
            return str(value)  # already pseudonymised (a converted chain)
        if value == SYSTEM_ACTOR:
            pairing = None
        clear = _clear_json(value)
        known = self._seen.get((clear, pairing, year))
        if known is not None:
            return known
        salt = secrets.token_hex(16)
        name = pseudonym_of(salt, clear, self.secret)
        self.rows.append(
            {
                "pseudonym": name,
                "entry_id": entry_id,
                "pairing_id": pairing,
                "year": year,
                "salt": salt,
                "value": clear,
            }
        )
        self._seen[(clear, pairing, year)] = name
        return name

    def payload(self, payload: object, entry_id: int, pairing: str | None, year: int | None) -> Any:
        if isinstance(payload, Mapping):
            return {
                k: self.value(v, entry_id, pairing, year)
                if k in PERSONAL_KEYS and v is not None and v not in _EMPTY
                else self.payload(v, entry_id, pairing, year)
                for k, v in payload.items()
            }
        if isinstance(payload, list | tuple):
            return [self.payload(v, entry_id, pairing, year) for v in payload]
        return payload


def clear_values(session: Session, names: Iterable[str]) -> dict[str, Any]:
    """The clear value of each pseudonym still stored (deleted ones are missing)."""
    from cycle.persistence.tables import AuditKlartext

    wanted = sorted(set(names))
    found: dict[str, Any] = {}
    table = AuditKlartext.__table__  # type: ignore[attr-defined]
    for start in range(0, len(wanted), 500):
        chunk = wanted[start : start + 500]
        query = select(table.c.pseudonym, table.c.value).where(table.c.pseudonym.in_(chunk))
        for name, value in session.connection().execute(query):
            found[name] = json.loads(value)["v"]
    return found


def _names(value: object, into: set[str]) -> None:
    if is_pseudonym(value):
        into.add(str(value))
    elif isinstance(value, Mapping):
        for v in value.values():
            _names(v, into)
    elif isinstance(value, list):
        for v in value:
            _names(v, into)


def _resolve(value: object, clear: Mapping[str, Any]) -> Any:
    if is_pseudonym(value):
        return clear.get(str(value), DELETED)
    if isinstance(value, Mapping):
        return {k: _resolve(v, clear) for k, v in value.items()}
    if isinstance(value, list):
        return [_resolve(v, clear) for v in value]
    return value


def resolved(session: Session, entries: Iterable[AuditEntry]) -> list[AuditEntry]:
    """Copies of ``entries`` (not in the session) with clear actor and payload for reading;
    ``DELETED`` where a value was deleted. ``hash`` and ``prev_hash`` stay as stored."""
    from cycle.persistence.tables import AuditEntry

    listed = list(entries)
    names: set[str] = set()
    payloads = []
    for e in listed:
        payload = json.loads(e.payload)
        payloads.append(payload)
        _names(payload, names)
        _names(e.actor, names)
    clear = clear_values(session, names)
    out = []
    for e, payload in zip(listed, payloads, strict=True):
        actor = _resolve(e.actor, clear)
        out.append(
            AuditEntry(
                id=e.id,
                at=e.at,
                actor=actor if isinstance(actor, str) else json.dumps(actor),
                action=e.action,
                pairing_id=e.pairing_id,
                year=e.year,
                stage_id=e.stage_id,
                before=e.before,
                after=e.after,
                payload=canonical(_resolve(payload, clear)),
                prev_hash=e.prev_hash,
                hash=e.hash,
            )
        )
    return out


def resolve_text(value: str, clear: Mapping[str, Any]) -> str:
    found = _resolve(value, clear)
    return found if isinstance(found, str) else json.dumps(found, ensure_ascii=False)


def resolve_json(payload: str, clear: Mapping[str, Any]) -> str:
    """A stored payload (canonical JSON) with clear values."""
    return canonical(_resolve(json.loads(payload), clear))


def pseudonyms_of(session: Session, value: object) -> list[str]:
    """The pseudonyms whose clear value is ``value`` (e.g. every entry of one actor)."""
    from cycle.persistence.tables import AuditKlartext

    table = AuditKlartext.__table__  # type: ignore[attr-defined]
    query = select(table.c.pseudonym).where(table.c.value == _clear_json(value))
    return list(session.connection().execute(query).scalars())


def all_clear(session: Session) -> dict[str, Any]:
    """Every stored clear value by pseudonym (the replay of the whole log needs them all)."""
    from cycle.persistence.tables import AuditKlartext

    table = AuditKlartext.__table__  # type: ignore[attr-defined]
    query = select(table.c.pseudonym, table.c.value)
    return {n: json.loads(v)["v"] for n, v in session.connection().execute(query)}


def tampered(session: Session, secret: bytes | None) -> str | None:
    """The first stored clear value that no longer matches its pseudonym (German), or ``None``."""
    from cycle.persistence.tables import AuditKlartext

    table = AuditKlartext.__table__  # type: ignore[attr-defined]
    query = select(table.c.pseudonym, table.c.entry_id, table.c.salt, table.c.value).order_by(
        table.c.entry_id
    )
    for name, entry_id, salt, value in session.connection().execute(query):
        keyed = name.startswith(PREFIX + "hmac:")
        if keyed and secret is None:
            continue  # the chain check reports the missing key
        if pseudonym_of(salt, value, secret if keyed else None) != name:
            return (
                f"Eintrag {entry_id}: ein personenbezogener Wert (Klartext neben dem Protokoll) "
                "wurde verändert."
            )
    return None
