"""What the published anchors prove (SPEC §9): the head row's sealed mark and the anchor file.

After every commit the head is appended to the anchor file and then recorded in the head row
(``published_count``, ``published_hash``, ``published_seal``, sealed with the audit key). Someone
with write access to the database and to the anchor file can delete the tail of the log, shorten
the file to match and rewrite the head row — but without the key they cannot seal a lower mark,
so the mark still names the entry the file and the chain must reach. Every check here fails
without ``--anchor``: an empty or shortened file, a missing or forged mark, and a chain hashed
only with SHA-256 while a key is configured (re-hashed by someone without the key).
"""

from __future__ import annotations

from dataclasses import dataclass, field

from cycle.persistence.anchors import AnchorFile
from cycle.persistence.audit import ChainKey, is_keyed, seal
from cycle.persistence.tables import AuditHead


@dataclass
class Scan:
    """What one pass over the chain learned, for the checks after it."""

    count: int = 0
    keyed_from: int = 0  # the first keyed entry (0: none)
    at_count: dict[int, str] = field(default_factory=dict)  # hashes at the wanted counts
    seen: set[str] = field(default_factory=set)  # every hash, when bare anchors are checked


@dataclass(frozen=True)
class Finding:
    problem: str | None = None
    needs_key: bool = False
    warnings: tuple[str, ...] = ()


def published_problem(
    head: AuditHead | None, key: ChainKey, scan: Scan, anchor_file: AnchorFile
) -> Finding:
    """The first problem of the sealed mark or the anchor file, in German."""
    count = scan.count
    mark = head.published_count if head is not None else None
    sealed = (head.published_seal or "") if head is not None else ""
    valid = head is not None and mark is not None and _seal_matches(head, key)
    if key.secret is None and mark is not None and is_keyed(sealed):
        return Finding(
            f"Der veröffentlichte Stand (Eintrag {mark}) ist mit einem Schlüssel besiegelt, aber "
            f"${key.env_name} ist nicht gesetzt: ohne den Schlüssel kann das Protokoll nicht "
            "geprüft werden.",
            needs_key=True,
        )
    if key.secret is not None and count and not scan.keyed_from:
        confirmed = (
            valid
            and is_keyed(sealed)
            and mark is not None
            and mark >= count
            and scan.at_count.get(mark) == head.published_hash  # type: ignore[union-attr]
        )
        if not confirmed:
            return Finding(
                f"Die Hash-Kette ist nur mit SHA-256 gebildet (ohne Schlüssel), obwohl "
                f"${key.env_name} gesetzt ist, und kein mit dem Schlüssel besiegelter Stand "
                "bestätigt sie: das Protokoll wurde ohne Schlüssel neu berechnet."
            )
    problem = _mark_problem(head, key, scan, valid) or _file_problem(anchor_file, mark, count)
    if problem:
        return Finding(problem)
    last = max((a.count or 0 for a in anchor_file.anchors), default=0)
    if anchor_file.exists and last < count:
        return Finding(
            warnings=(
                f"Einträge {last + 1} bis {count} stehen noch in keiner Ankerzeile (veröffentlicht "
                "wird nach jeder gespeicherten Änderung; zuletzt fehlgeschlagen?).",
            )
        )
    return Finding()


def _seal_matches(head: AuditHead, key: ChainKey) -> bool:
    sealed = head.published_seal or ""
    if head.published_count is None or head.published_hash is None:
        return False
    secret = key.secret if is_keyed(sealed) else None
    return seal(head.published_count, head.published_hash, secret) == sealed


def _mark_problem(head: AuditHead | None, key: ChainKey, scan: Scan, valid: bool) -> str | None:
    count = scan.count
    if head is None or head.published_count is None:
        if not count:
            return None
        return (
            f"Die Kopfzeile des Protokolls nennt keinen veröffentlichten Stand, obwohl es "
            f"{count} Einträge gibt: der Vermerk wurde gelöscht (oder nie veröffentlicht)."
        )
    mark = head.published_count
    if not valid:
        return (
            f"Der veröffentlichte Stand in der Kopfzeile (Eintrag {mark}) wurde verändert: "
            "sein Siegel passt nicht."
        )
    if key.secret is not None and not is_keyed(head.published_seal or ""):
        return (
            f"Der veröffentlichte Stand in der Kopfzeile (Eintrag {mark}) ist nicht mit dem "
            f"Schlüssel besiegelt, obwohl ${key.env_name} gesetzt ist: er wurde ohne Schlüssel "
            "gesetzt."
        )
    if mark > count:
        return (
            f"Veröffentlicht war bereits Eintrag {mark} (Kopfzeile), das Protokoll endet bei "
            f"Eintrag {count}: Einträge wurden gelöscht."
        )
    if mark and scan.at_count.get(mark) != head.published_hash:
        return (
            f"Eintrag {mark} hat nicht mehr den veröffentlichten Hash "
            f"{short(head.published_hash or '')} (Kopfzeile): das Protokoll wurde umgeschrieben."
        )
    return None


def _file_problem(anchor_file: AnchorFile, mark: int | None, count: int) -> str | None:
    path = anchor_file.path
    if anchor_file.problem:
        return anchor_file.problem
    since = f", veröffentlicht war bis Eintrag {mark}" if mark else ""
    if not anchor_file.exists:
        return f"Die Ankerdatei {path} fehlt{since}." if mark or count else None
    if not anchor_file.anchors:
        return f"Die Ankerdatei {path} ist leer{since}: sie wurde geleert."
    last = max(a.count or 0 for a in anchor_file.anchors)
    if mark and last < mark:
        return (
            f"Die Ankerdatei {path} endet bei Eintrag {last}, veröffentlicht war bereits "
            f"Eintrag {mark} (Kopfzeile): die Ankerdatei wurde gekürzt."
        )
    return None


def short(value: str) -> str:
    return value[:21] + "…" if len(value) > 24 else value
