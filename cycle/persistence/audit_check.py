"""Verifying the audit log (SPEC §9): chain, head row, hashing scheme, published anchors.

Reads the log in one pass and reports the *first* problem in German, naming the entry. With the
configured anchor file (``zyklus audit verify``) it also checks the head row's sealed mark of the
last published anchor and the file itself (``cycle.persistence.audit_marks``). What a check
cannot detect is said as a warning: without a key, someone with write access can re-hash an
edited chain; without a copy of the anchors elsewhere (``--anchor``), someone who can write the
database and the anchor file and kept an old head row can roll both back together.
"""

from __future__ import annotations

from collections.abc import Iterable
from contextlib import closing

from sqlmodel import Session, col, select

from cycle.persistence import personal
from cycle.persistence.anchors import AnchorFile
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
    key_of,
)
from cycle.persistence.audit_marks import Finding, Scan, published_problem, short
from cycle.persistence.tables import AuditEntry, AuditHead

NO_KEY = (
    "${name} ist nicht gesetzt: die Hash-Kette ist nur mit SHA-256 gebildet und erkennt "
    "versehentliche Änderungen, keine absichtlichen (siehe docs/operations.md)."
)


def verify(
    session: Session, anchors: Iterable[Anchor] = (), anchor_file: AnchorFile | None = None
) -> Verification:
    """The chain, the head row, the scheme order and the published ``anchors`` (first problem);
    with ``anchor_file`` (the configured one) also the sealed mark of the last published anchor
    and the file itself."""
    return verify_chain(session, key_of(session), tuple(anchors), anchor_file)


def verify_chain(
    session: Session,
    key: ChainKey,
    anchors: tuple[Anchor, ...],
    anchor_file: AnchorFile | None = None,
) -> Verification:
    head = head_of(session)
    local = anchor_file.anchors if anchor_file is not None else ()
    checked = anchors + local
    wanted = {a.count for a in checked if a.count is not None}
    if head is not None and head.published_count:
        wanted.add(head.published_count)
    bare = {a.hash for a in checked if a.count is None}
    scan = Scan()
    prev = GENESIS
    query = select(AuditEntry).order_by(col(AuditEntry.id)).execution_options(yield_per=2000)
    with closing(session.exec(query)) as entries:  # an early return closes the cursor
        for entry in entries:
            count = scan.count
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
            if not keyed and scan.keyed_from:
                return Verification(
                    False,
                    count,
                    f"Eintrag {entry.id} ({entry.action}) ist ohne Schlüssel gehasht, obwohl ab "
                    f"Eintrag {scan.keyed_from} mit Schlüssel gesichert wird: das Protokoll wurde "
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
            if keyed and not scan.keyed_from:
                scan.keyed_from = entry.id
            if entry.id in wanted:
                scan.at_count[entry.id] = entry.hash
            if bare:
                scan.seen.add(entry.hash)
            prev, scan.count = entry.hash, expected
    count = scan.count
    problem = _head_problem(head, count, prev) or personal.tampered(session, key.secret)
    finding = Finding()
    if problem is None and anchor_file is not None:
        finding = published_problem(head, key, scan, anchor_file)
        problem = finding.problem
    problem = problem or _anchor_problem(checked, count, scan)
    if problem:
        return Verification(False, count, problem, needs_key=finding.needs_key)
    local_only = anchor_file is not None
    warnings = _warnings(key, count, scan.keyed_from, anchors, local_only) + finding.warnings
    return Verification(True, count, warnings=warnings)


def _head_problem(head: AuditHead | None, count: int, last: str) -> str | None:
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
            f"Die Kopfzeile des Protokolls nennt Eintrag {head.count} ({short(head.hash)}), "
            f"der letzte Eintrag ist Nr. {count} ({short(last)}): Kopfzeile oder Ende des "
            "Protokolls wurden verändert."
        )
    return None


def _anchor_problem(anchors: tuple[Anchor, ...], count: int, scan: Scan) -> str | None:
    for anchor in anchors:
        where = f" ({anchor.label})" if anchor.label else ""
        if anchor.count is None:
            if anchor.hash not in scan.seen:
                return (
                    f"Der veröffentlichte Anker {short(anchor.hash)}{where} kommt im Protokoll "
                    "nicht mehr vor: es wurde gekürzt oder umgeschrieben."
                )
        elif anchor.count > count:
            return (
                f"Veröffentlichter Anker{where}: Eintrag {anchor.count} fehlt, das Protokoll endet "
                f"bei Eintrag {count}: Einträge wurden gelöscht."
            )
        elif anchor.count and scan.at_count.get(anchor.count) != anchor.hash:
            return (
                f"Eintrag {anchor.count} hat nicht mehr den veröffentlichten Hash "
                f"{short(anchor.hash)}{where}: das Protokoll wurde umgeschrieben."
            )
    return None


def _warnings(
    key: ChainKey, count: int, keyed_from: int, anchors: tuple[Anchor, ...], local_only: bool
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
    if not anchors and not local_only:
        notes.append(
            "Ohne Anker wird nicht geprüft, ob das Ende des Protokolls gelöscht oder "
            "umgeschrieben wurde."
        )
    elif not anchors:
        notes.append(
            "Geprüft wurde die Ankerdatei auf diesem Rechner. Wer Datenbank und Ankerdatei "
            "zugleich ändern kann, fällt erst beim Vergleich mit einer Kopie anderswo auf: "
            "--anchor KOPIE oder der Hash aus der Wochenübersicht."
        )
    return tuple(notes)
