"""Replaying the audit log to the stage states (SPEC §9): a status changed without an entry.

Every stage status is set by an audited step: ``zyklus_eroeffnet`` opens a cycle with all its
stages ``offen``; each stage event (including ``uebernahme``, ``korrigieren`` and ``extend``)
records ``before → after`` with pairing, year and stage. Replaying those in log order must give
exactly the statuses in ``stage_state``. Entries of other kinds (notifications, notes, master
data) carry no ``before`` or no stage and do not move a status.
"""

from __future__ import annotations

import json
from contextlib import closing

from sqlalchemy import select
from sqlmodel import Session, col

from cycle.persistence.tables import AuditEntry, Cycle, StageState

Key = tuple[str, int, str]


def replayed(session: Session) -> tuple[dict[Key, str], set[tuple[str, int]]]:
    """The status of each (pairing, year, stage) the log leads to, and the cycles it opened."""
    states: dict[Key, str] = {}
    opened: set[tuple[str, int]] = set()
    query = (
        select(
            col(AuditEntry.action),
            col(AuditEntry.pairing_id),
            col(AuditEntry.year),
            col(AuditEntry.stage_id),
            col(AuditEntry.before),
            col(AuditEntry.after),
            col(AuditEntry.payload),
        )
        .where(col(AuditEntry.pairing_id).is_not(None))
        .where(col(AuditEntry.year).is_not(None))
        .order_by(col(AuditEntry.id))
        .execution_options(yield_per=5000)
    )
    for action, pairing, year, stage, before, after, payload in session.execute(query):
        if action == "zyklus_eroeffnet" and stage is None:
            opened.add((pairing, year))
            stufen = json.loads(payload).get("stufen", {})
            for stage_id in stufen if isinstance(stufen, dict) else ():
                states[(pairing, year, stage_id)] = "offen"
        elif stage is not None and before is not None and after is not None:
            states[(pairing, year, stage)] = after
    return states, opened


def state_problem(session: Session) -> str | None:
    """The first stage whose stored status differs from the replayed one (German), or ``None``."""
    states, opened = replayed(session)
    query = (
        select(
            col(Cycle.pairing_id), col(Cycle.year), col(StageState.stage_id), col(StageState.status)
        )
        .join(StageState, col(StageState.cycle_id) == col(Cycle.id))
        .order_by(col(Cycle.year), col(Cycle.pairing_id), col(StageState.position))
        .execution_options(yield_per=5000)
    )
    stored: set[Key] = set()
    with closing(session.execute(query)) as rows:  # an early return closes the cursor
        for pairing, year, stage, status in rows:
            key = (pairing, year, stage)
            stored.add(key)
            expected = states.get(key, "offen" if (pairing, year) in opened else None)
            if expected is None:
                return (
                    f"{pairing} {year} · {stage}: die Stufe steht mit Status „{status}“ in der "
                    "Datenbank, aber kein Protokolleintrag hat ihren Zyklus eröffnet."
                )
            if expected != status:
                return (
                    f"{pairing} {year} · {stage}: Status in der Datenbank „{status}“, "
                    f"laut Protokoll „{expected}“ — der Status wurde ohne Protokolleintrag "
                    "geändert."
                )
    missing = sorted(k for k in states if k not in stored)
    if missing:
        pairing, year, stage = missing[0]
        return (
            f"{pairing} {year} · {stage}: laut Protokoll „{states[missing[0]]}“, in der "
            "Datenbank fehlt die Stufe."
        )
    return None
