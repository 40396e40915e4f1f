"""Master data in the database, the source of truth after the first ``zyklus init`` (SPEC §16).

Rows ``traeger``, ``stadtteil`` and ``pairing`` hold each record as canonical JSON (``data``) beside
the columns the queries use. ``Meta[masterdata_version]`` is a new random token with every
change, written in the same transaction: a process compares it with the version it loaded (one
row read) and reloads only when another process changed the data. (A hash of the content would
cost seconds at 10,000 pairings on every start; ``fingerprint`` is only for ``init``'s question
whether the config file still says the same.)
"""

from __future__ import annotations

import hashlib
import json
import secrets
from collections.abc import Iterable
from dataclasses import asdict
from datetime import date
from typing import Any

from sqlalchemy import Connection, delete, insert, select, update
from sqlmodel import Session

from cycle.config.settings import Contact, MasterData, Pairing, Stadtteil, Traeger
from cycle.persistence.audit import canonical
from cycle.persistence.masterdata_version import SEED_KEY, VERSION_KEY, seed_matches, version
from cycle.persistence.tables import Meta, PairingRow, StadtteilRow, TraegerRow

__all__ = ["VERSION_KEY", "load", "seed_matches", "set_version", "version"]

Record = Traeger | Stadtteil | Pairing


def as_data(record: Record) -> dict[str, Any]:
    """The record as plain JSON values (dates as ISO text), as stored and as audited."""
    data: dict[str, Any] = json.loads(canonical(asdict(record)))
    return data


def row_values(record: Record) -> dict[str, Any]:
    """The columns of the record's row."""
    data = as_data(record)
    if isinstance(record, Pairing):
        return {
            "id": record.id,
            "traeger_id": record.traeger,
            "stadtteil_id": record.stadtteil,
            "handlungsfeld": record.handlungsfeld,
            "start": record.start,
            "end": record.end,
            "data": data,
        }
    return {"id": record.id, "name": record.name, "data": data}


def _day(text: object) -> date | None:
    return date.fromisoformat(text) if isinstance(text, str) else None


def traeger_of(d: dict[str, Any]) -> Traeger:
    return Traeger(
        d["id"],
        d["name"],
        d["leitung"],
        d["leitung_email"],
        d.get("rechtsform"),
        d.get("sitz"),
        d.get("anschrift"),
        d.get("telefon"),
        d.get("email"),
        tuple(d.get("vertretungsberechtigt") or ()),
    )


def stadtteil_of(d: dict[str, Any]) -> Stadtteil:
    return Stadtteil(d["id"], d["name"], d.get("beschreibung"))


def pairing_of(d: dict[str, Any]) -> Pairing:
    contacts = tuple(
        Contact(c["name"], c["email"], c.get("rolle") or Contact.rolle) for c in d["contacts"]
    )
    start = _day(d["start"])
    assert start is not None
    return Pairing(
        d["id"],
        d["traeger"],
        d["stadtteil"],
        contacts,
        start,
        _day(d.get("end")),
        d.get("handlungsfeld") or Pairing.handlungsfeld,
        d.get("angebot"),
        bool(d.get("tandem")),
    )


def load(connection: Connection | Session) -> MasterData:
    """The master data as the database holds it."""

    def datas(model: Any) -> Iterable[dict[str, Any]]:
        table = model.__table__
        return connection.execute(select(table.c.data).order_by(table.c.id)).scalars()

    return MasterData(
        {t.id: t for t in map(traeger_of, datas(TraegerRow))},
        {s.id: s for s in map(stadtteil_of, datas(StadtteilRow))},
        {p.id: p for p in map(pairing_of, datas(PairingRow))},
    )


def fingerprint(master: MasterData) -> str:
    """A hash of the master data's content (``init``: does the config say the same?)."""
    body = canonical(
        {
            "traeger": [as_data(master.traeger[k]) for k in sorted(master.traeger)],
            "stadtteile": [as_data(master.stadtteile[k]) for k in sorted(master.stadtteile)],
            "pairings": [as_data(master.pairings[k]) for k in sorted(master.pairings)],
        }
    )
    return hashlib.sha256(body.encode()).hexdigest()


def record_seed(session: Session, file_digest: str) -> None:
    """Note that the config file with this SHA-256 says what the database says (``init``)."""
    meta = session.get(Meta, SEED_KEY) or Meta(key=SEED_KEY, value="")
    meta.value = f"{file_digest}:{version(session)}"
    session.add(meta)


def new_version() -> str:
    return secrets.token_hex(16)


def bump_version(connection: Connection) -> str:
    """``set_version`` for Core writers (erasure, retention) that change master-data rows: every
    process reloads at its next unit of work."""
    stamp = new_version()
    table = Meta.__table__  # type: ignore[attr-defined]
    connection.execute(delete(table).where(table.c.key == VERSION_KEY))
    connection.execute(insert(table).values(key=VERSION_KEY, value=stamp))
    return stamp


def set_version(session: Session) -> str:
    """Record that the master data changed (a new version); returns it."""
    stamp = new_version()
    meta = session.get(Meta, VERSION_KEY) or Meta(key=VERSION_KEY, value="")
    meta.value = stamp
    session.add(meta)
    return stamp


MODELS: dict[str, Any] = {"traeger": TraegerRow, "stadtteil": StadtteilRow, "pairing": PairingRow}


def insert_rows(session: Session, kind: str, records: list[Record]) -> None:
    """New rows, set-wise (Core executemany: no ORM object per row)."""
    if records:
        session.connection().execute(
            insert(MODELS[kind].__table__), [row_values(r) for r in records]
        )


def update_row(session: Session, kind: str, record: Record) -> None:
    table = MODELS[kind].__table__
    values = row_values(record)
    session.connection().execute(update(table).where(table.c.id == record.id).values(values))
