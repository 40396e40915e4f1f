"""Import Träger, Stadtteile and pairings from the config into the database (audited).

``zyklus init`` and every tick call ``sync``; a fingerprint of the master data makes the call
cheap when nothing changed.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import asdict
from datetime import datetime
from typing import Any

from sqlalchemy import bindparam, insert, select, update
from sqlmodel import Session

from cycle.config.settings import Pairing, Settings, Stadtteil, Traeger
from cycle.persistence import audit
from cycle.persistence.audit import canonical
from cycle.persistence.tables import Meta, PairingRow, StadtteilRow, TraegerRow

FINGERPRINT_KEY = "masterdata_fingerprint"


def _traeger(t: Traeger) -> dict[str, Any]:
    data = asdict(t)
    return {"id": t.id, "name": t.name, "data": json.loads(canonical(data))}


def _stadtteil(s: Stadtteil) -> dict[str, Any]:
    return {"id": s.id, "name": s.name, "data": json.loads(canonical(asdict(s)))}


def _pairing(p: Pairing) -> dict[str, Any]:
    data = json.loads(canonical(asdict(p)))
    return {
        "id": p.id,
        "traeger_id": p.traeger,
        "stadtteil_id": p.stadtteil,
        "handlungsfeld": p.handlungsfeld,
        "start": p.start,
        "end": p.end,
        "data": data,
    }


_fingerprints: dict[int, tuple[Settings, str]] = {}


def fingerprint(settings: Settings) -> str:
    """A hash of the master data; memoised per settings object (the tick asks every pass)."""
    cached = _fingerprints.get(id(settings))
    if cached is not None and cached[0] is settings:
        return cached[1]
    digest = _fingerprint(settings)
    _fingerprints[id(settings)] = (settings, digest)
    return digest


def _fingerprint(settings: Settings) -> str:
    body = canonical(
        {
            "traeger": [_traeger(t) for t in settings.traeger.values()],
            "stadtteile": [_stadtteil(s) for s in settings.stadtteile.values()],
            "pairings": [_pairing(p) for p in settings.pairings.values()],
            "stages": [(s.id, str(s.due)) for s in settings.stages],
            "calendar": asdict(settings.calendar),
        }
    )
    return hashlib.sha256(body.encode()).hexdigest()


def is_current(session: Session, settings: Settings) -> bool:
    meta = session.get(Meta, FINGERPRINT_KEY)
    return meta is not None and meta.value == fingerprint(settings)


def _sync_table(
    session: Session,
    model: Any,
    wanted: list[dict[str, Any]],
    kind: str,
) -> list[audit.Change]:
    """Insert the new rows and update the changed ones set-wise (Core, no ORM object per row)."""
    table = model.__table__
    connection = session.connection()
    changes: list[audit.Change] = []
    existing = {row["id"]: row for row in connection.execute(select(table)).mappings()}
    new: list[dict[str, Any]] = []
    changed: list[dict[str, Any]] = []
    for values in wanted:
        row = existing.get(values["id"])
        pairing = values["id"] if kind == "pairing" else None
        if row is None:
            new.append(values)
            changes.append(
                audit.Change(
                    f"{kind}_angelegt", pairing, after=values["id"], payload={"neu": values}
                )
            )
            continue
        before = {k: row[k] for k in values}
        if canonical(before) != canonical(values):
            diff = {
                k: {"vorher": before[k], "nachher": v}
                for k, v in values.items()
                if canonical({"v": before[k]}) != canonical({"v": v})
            }
            changed.append({**{f"new_{k}": v for k, v in values.items()}, "old_id": values["id"]})
            changes.append(
                audit.Change(
                    f"{kind}_geaendert", pairing, after=values["id"], payload={"aenderungen": diff}
                )
            )
    if new:
        connection.execute(insert(table), new)
    if changed:
        columns: dict[str, Any] = {k: bindparam(f"new_{k}") for k in wanted[0]}
        statement = update(table).where(table.c.id == bindparam("old_id")).values(columns)
        connection.execute(statement, changed)
    return changes


def sync(session: Session, settings: Settings, now: datetime, actor: str) -> int:
    """Upsert master data from the config; returns the number of audited changes."""
    changes = _sync_table(
        session, TraegerRow, [_traeger(t) for t in settings.traeger.values()], "traeger"
    )
    changes += _sync_table(
        session, StadtteilRow, [_stadtteil(s) for s in settings.stadtteile.values()], "stadtteil"
    )
    changes += _sync_table(
        session, PairingRow, [_pairing(p) for p in settings.pairings.values()], "pairing"
    )
    audit.append(session, now, actor, changes)
    meta = session.get(Meta, FINGERPRINT_KEY) or Meta(key=FINGERPRINT_KEY, value="")
    meta.value = fingerprint(settings)
    session.add(meta)
    return len(changes)
