"""Verifying the audit log (SPEC §9): chain, head row, hashing scheme, published anchors.

Reads the log in one pass and reports the *first* problem in German, naming the entry. What a
check cannot detect is said as a warning: without a key, someone with write access can re-hash
an edited chain; without anchors, a deleted tail with a rewritten head row goes unnoticed.
"""

from __future__ import annotations

from contextlib import closing

from sqlmodel import Session, col, select

from cycle.persistence.audit import (
    GENESIS,
    Anchor,
    ChainKey,
    Change,
    Verification,
    digest,
    fields_of,
    head_of,
    is_keyed,
)
from cycle.persistence.tables import AuditEntry

NO_KEY = (
    "${name} ist nicht gesetzt: die Hash-Kette ist nur mit SHA-256 gebildet und erkennt "
    "versehentliche Änderungen, keine absichtlichen (siehe docs/operations.md)."
)


def verify_chain(session: Session, key: ChainKey, anchors: tuple[Anchor, ...]) -> Verification:
    prev, count, keyed_from = GENESIS, 0, 0
    wanted = {a.count for a in anchors if a.count is not None}
    bare = {a.hash for a in anchors if a.count is None}
    at_count: dict[int, str] = {}
    seen: set[str] = set()
    query = select(AuditEntry).order_by(col(AuditEntry.id)).execution_options(yield_per=2000)
    with closing(session.exec(query)) as entries:  # an early return closes the cursor
        for entry in entries:
            expected = count + 1
            if entry.id != expected:
                return Verification(
                    False, count, f"Eintrag {expected} fehlt (gefunden: Eintrag {entry.id})."
                )
            if entry.prev_hash != prev:
                return Verification(
                    False, count, f"Eintrag {entry.id}: Verkettung zum Vorgänger ist gebrochen."
                )
            keyed = is_keyed(entry.hash)
            if keyed and key.secret is None:
                return Verification(
                    False,
                    count,
                    f"Eintrag {entry.id} ist mit einem Schlüssel gesichert, aber "
                    f"${key.env_name} ist nicht gesetzt: ohne den Schlüssel kann das "
                    "Protokoll nicht geprüft werden.",
                    needs_key=True,
                )
            if not keyed and keyed_from:
                return Verification(
                    False,
                    count,
                    f"Eintrag {entry.id} ({entry.action}) ist ohne Schlüssel gehasht, obwohl ab "
                    f"Eintrag {keyed_from} mit Schlüssel gesichert wird: das Protokoll wurde "
                    "nachträglich neu berechnet.",
                )
            change = Change(
                entry.action,
                entry.pairing_id,
                entry.year,
                entry.stage_id,
                entry.before,
                entry.after,
            )
            fields = fields_of(entry.id, entry.at, entry.actor, change, entry.payload)
            if digest(prev, fields, key.secret if keyed else None) != entry.hash:
                return Verification(
                    False, count, f"Eintrag {entry.id} ({entry.action}) wurde verändert."
                )
            if keyed and not keyed_from:
                keyed_from = entry.id
            if entry.id in wanted:
                at_count[entry.id] = entry.hash
            if bare:
                seen.add(entry.hash)
            prev, count = entry.hash, expected
    problem = _head_problem(session, count, prev) or _anchor_problem(anchors, count, at_count, seen)
    if problem:
        return Verification(False, count, problem)
    return Verification(True, count, warnings=_warnings(key, count, keyed_from, anchors))


def _head_problem(session: Session, count: int, last: str) -> str | None:
    head = head_of(session)
    if head is None:
        if count == 0:
            return None
        return (
            f"Die Kopfzeile des Protokolls (audit_head) fehlt, obwohl es {count} Einträge gibt: "
            "sie wurde gelöscht."
        )
    if head.count > count:
        return f"Eintrag {count + 1} bis {head.count} fehlen (Ende des Protokolls wurde gelöscht)."
    if head.count != count or head.hash != last:
        return (
            f"Die Kopfzeile des Protokolls nennt Eintrag {head.count} ({_short(head.hash)}), "
            f"der letzte Eintrag ist Nr. {count} ({_short(last)}): Kopfzeile oder Ende des "
            "Protokolls wurden verändert."
        )
    return None


def _anchor_problem(
    anchors: tuple[Anchor, ...], count: int, at_count: dict[int, str], seen: set[str]
) -> str | None:
    for anchor in anchors:
        where = f" ({anchor.label})" if anchor.label else ""
        if anchor.count is None:
            if anchor.hash not in seen:
                return (
                    f"Der veröffentlichte Anker {_short(anchor.hash)}{where} kommt im Protokoll "
                    "nicht mehr vor: es wurde gekürzt oder umgeschrieben."
                )
        elif anchor.count > count:
            return (
                f"Veröffentlichter Anker{where}: Eintrag {anchor.count} fehlt, das Protokoll endet "
                f"bei Eintrag {count}: Einträge wurden gelöscht."
            )
        elif anchor.count and at_count.get(anchor.count) != anchor.hash:
            return (
                f"Eintrag {anchor.count} hat nicht mehr den veröffentlichten Hash "
                f"{_short(anchor.hash)}{where}: das Protokoll wurde umgeschrieben."
            )
    return None


def _warnings(
    key: ChainKey, count: int, keyed_from: int, anchors: tuple[Anchor, ...]
) -> tuple[str, ...]:
    notes = []
    if key.secret is None:
        notes.append(NO_KEY.replace("{name}", key.env_name))
    elif count and keyed_from != 1:
        last_plain = count if not keyed_from else keyed_from - 1
        notes.append(
            f"Einträge 1 bis {last_plain} stammen aus der Zeit vor dem Schlüssel "
            "(nur SHA-256); ihr Schutz gegen Umschreiben sind die veröffentlichten Anker."
        )
    if not anchors:
        notes.append(
            "Ohne --anchor wird nicht geprüft, ob das Ende des Protokolls gelöscht oder "
            "umgeschrieben wurde."
        )
    return tuple(notes)


def _short(value: str) -> str:
    return value[:21] + "…" if len(value) > 24 else value
