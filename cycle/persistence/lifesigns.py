"""The service's life signs in the ``meta`` table (SPEC §19).

``zyklus run`` records each wake-up (``heartbeat``) and each tick with its duration
(``tick``). ``/readyz`` and the web application's banner read the heartbeat; ``/metrics`` reads
both. They live in the database, not in a file, so a web server on another host sees them too.
The instants are the service's clock (``--now`` freezes it like every other time in zyklus).
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import Connection, select
from sqlmodel import Session, col

from cycle.persistence.tables import Meta

HEARTBEAT = "betrieb.lebenszeichen"
TICK = "betrieb.durchlauf"


@dataclass(frozen=True)
class LifeSigns:
    heartbeat: datetime | None = None  # the last wake-up of the service
    tick_at: datetime | None = None  # the last tick's start
    tick_seconds: float | None = None  # and how long it took


def _put(session: Session, key: str, value: str) -> None:
    row = session.get(Meta, key)
    if row is None:
        session.add(Meta(key=key, value=value))
    else:
        row.value = value


def record(session: Session, now: datetime, tick_seconds: float | None = None) -> None:
    """A wake-up at ``now``; with ``tick_seconds`` also a tick that took that long."""
    _put(session, HEARTBEAT, now.isoformat())
    if tick_seconds is not None:
        _put(session, TICK, json.dumps({"at": now.isoformat(), "seconds": tick_seconds}))


def read(connection: Connection) -> LifeSigns:
    rows = connection.execute(
        select(col(Meta.key), col(Meta.value)).where(col(Meta.key).in_((HEARTBEAT, TICK)))
    ).all()
    values = {key: value for key, value in rows}
    heartbeat = values.get(HEARTBEAT)
    tick = json.loads(values[TICK]) if TICK in values else {}
    return LifeSigns(
        heartbeat=datetime.fromisoformat(heartbeat) if heartbeat else None,
        tick_at=datetime.fromisoformat(tick["at"]) if tick else None,
        tick_seconds=float(tick["seconds"]) if tick else None,
    )
