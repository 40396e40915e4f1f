"""Replaying the audit log to the stage states (SPEC §9): a stage changed without an entry.

Every change of a stage's ``status``, ``due``, ``done_on`` and ``facts`` is made by an audited
step (``cycle.persistence.replay_rules`` says which entry does what). Replaying the log in order
must give exactly what ``stage_state`` holds; the first stage that differs is named with the
column (or the fact's path, e.g. ``einreichung.sha256``), the stored and the replayed value.
"""

from __future__ import annotations

from contextlib import closing
from datetime import date
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlmodel import Session, col

from cycle.persistence import personal
from cycle.persistence.replay_rules import Entry, Key, Replayed, apply, difference
from cycle.persistence.tables import AuditEntry, Cycle, StageState

CHANGED = "ohne Protokolleintrag geändert"


def replayed(session: Session, tz: ZoneInfo) -> tuple[dict[Key, Replayed], set[tuple[str, int]]]:
    """The state of each (pairing, year, stage) the log leads to, and the cycles it opened."""
    states: dict[Key, Replayed] = {}
    opened: set[tuple[str, int]] = set()
    query = (
        select(
            col(AuditEntry.action),
            col(AuditEntry.at),
            col(AuditEntry.actor),
            col(AuditEntry.pairing_id),
            col(AuditEntry.year),
            col(AuditEntry.stage_id),
            col(AuditEntry.before),
            col(AuditEntry.after),
            col(AuditEntry.payload),
        )
        .where(col(AuditEntry.year).is_not(None))
        .order_by(col(AuditEntry.id))
        .execution_options(yield_per=5000)
    )
    clear = personal.all_clear(session)
    for action, at, actor, pairing, year, stage, before, after, payload in session.execute(query):
        actor = personal.resolve_text(actor, clear)
        payload = personal.resolve_json(payload, clear) if clear else payload
        entry = Entry(action, at, actor, pairing, year, stage, before, after, payload)
        apply(states, opened, entry, tz)
    return states, opened


def state_problem(session: Session, tz: ZoneInfo) -> str | None:
    """The first stage whose stored columns differ from the replayed ones (German), or ``None``."""
    states, opened = replayed(session, tz)
    query = (
        select(
            col(Cycle.pairing_id),
            col(Cycle.year),
            col(StageState.stage_id),
            col(StageState.status),
            col(StageState.due),
            col(StageState.done_on),
            col(StageState.facts),
        )
        .join(StageState, col(StageState.cycle_id) == col(Cycle.id))
        .order_by(col(Cycle.year), col(Cycle.pairing_id), col(StageState.position))
        .execution_options(yield_per=5000)
    )
    stored: set[Key] = set()
    with closing(session.execute(query)) as rows:  # an early return closes the cursor
        for pairing, year, stage, status, due, done_on, facts in rows:
            key = (pairing, year, stage)
            stored.add(key)
            where = f"{pairing} {year} · {stage}"
            expected = states.get(key)
            if expected is None and (pairing, year) in opened:
                expected = Replayed("offen", None)
            if expected is None:
                return (
                    f"{where}: die Stufe steht mit Status „{status}“ in der Datenbank, aber kein "
                    "Protokolleintrag hat ihren Zyklus eröffnet."
                )
            problem = _compare(where, expected, status, due, done_on, facts)
            if problem:
                return problem
    missing = sorted(k for k in states if k not in stored)
    if missing:
        pairing, year, stage = missing[0]
        return (
            f"{pairing} {year} · {stage}: laut Protokoll „{states[missing[0]].status}“, in der "
            "Datenbank fehlt die Stufe."
        )
    return None


def _compare(
    where: str, expected: Replayed, status: str, due: date, done_on: date | None, facts: Any
) -> str | None:
    if expected.status != status:
        return (
            f"{where}: Status in der Datenbank „{status}“, laut Protokoll „{expected.status}“ — "
            f"der Status wurde {CHANGED}."
        )
    if expected.due is not None and expected.due != due:
        return (
            f"{where}: Frist in der Datenbank {_german(due)}, laut Protokoll "
            f"{_german(expected.due)} — die Frist wurde {CHANGED}."
        )
    if expected.done_on != done_on:
        return (
            f"{where}: „erledigt am“ in der Datenbank {_german(done_on)}, laut Protokoll "
            f"{_german(expected.done_on)} — das Datum wurde {CHANGED}."
        )
    path, found, wanted = difference(facts if isinstance(facts, dict) else {}, expected.facts)
    if path:
        return (
            f"{where}: Angabe „{path}“ in der Datenbank {_shown(found)}, laut Protokoll "
            f"{_shown(wanted)} — die Angabe wurde {CHANGED}."
        )
    return None


def _german(day: date | None) -> str:
    return f"{day:%d.%m.%Y}" if day is not None else "(leer)"


def _shown(value: object) -> str:
    if value is None or value == "":
        return "(leer)"
    text = str(value)
    return f"„{text[:80]}…“" if len(text) > 80 else f"„{text}“"
