"""Cycles: due dates from the stage list, and opening the cycles of a year set-wise."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlalchemy import insert, select, update
from sqlmodel import Session, col

from cycle.config.settings import Settings, StageSpec
from cycle.persistence import audit
from cycle.persistence.tables import Cycle, PairingRow, StageState
from workflows.calendar import WorkingCalendar, effective_due


def default_due(stage: StageSpec, year: int, settings: Settings, cal: WorkingCalendar) -> date:
    """The stage's effective due date in ``year`` (§ 193 BGB when configured)."""
    return effective_due(stage.due.resolve(year), cal, settings.calendar.shift_due_to_working_day)


def open_cycles(
    session: Session,
    settings: Settings,
    cal: WorkingCalendar,
    year: int,
    now: datetime,
    actor: str,
    only: set[str] | None = None,
    active_only: bool = True,
) -> list[str]:
    """Create the missing cycles of ``year`` for every active pairing; returns their pairing ids.

    ``active_only=False`` (with ``only``) opens a cycle for a pairing not active in ``year``: a
    successor that takes over the running dialogue of a cycle begun before its own start.
    """
    start_of_year, end_of_year = date(year, 1, 1), date(year, 12, 31)
    existing = select(col(Cycle.pairing_id)).where(col(Cycle.year) == year)
    query = select(col(PairingRow.id)).where(col(PairingRow.id).not_in(existing))
    if active_only:
        query = (
            query.where(col(PairingRow.start) <= end_of_year)
            .where((col(PairingRow.end).is_(None)) | (col(PairingRow.end) >= start_of_year))
            .where(
                (col(PairingRow.ended_on).is_(None)) | (col(PairingRow.ended_on) >= start_of_year)
            )
        )
    query = query.order_by(PairingRow.id)
    if only is not None:
        query = query.where(col(PairingRow.id).in_(only))
    pairing_ids = list(session.execute(query).scalars())
    if not pairing_ids:
        return []
    # Core executemany: the ORM bulk path costs more per row than the INSERT itself.
    session.execute(
        insert(Cycle.__table__),  # type: ignore[attr-defined]
        [{"pairing_id": p, "year": year, "created_at": now} for p in pairing_ids],
    )
    ids: dict[str, Any] = dict(
        session.execute(
            select(col(Cycle.pairing_id), col(Cycle.id))
            .where(col(Cycle.year) == year)
            .where(col(Cycle.pairing_id).in_(pairing_ids))
        ).all()
    )
    dues = {s.id: default_due(s, year, settings, cal) for s in settings.stages}
    session.execute(
        insert(StageState.__table__),  # type: ignore[attr-defined]
        [
            {
                "cycle_id": ids[p],
                "stage_id": s.id,
                "position": pos,
                "status": "offen",
                "due": dues[s.id],
                "updated_at": now,
                "facts": {},
            }
            for p in pairing_ids
            for pos, s in enumerate(settings.stages)
        ],
    )
    audit.append(
        session,
        now,
        actor,
        (
            audit.Change(
                "zyklus_eroeffnet",
                p,
                year,
                after="offen",
                payload={"stufen": {s: d.isoformat() for s, d in dues.items()}},
            )
            for p in pairing_ids
        ),
    )
    return pairing_ids


def refresh_due_dates(
    session: Session, settings: Settings, cal: WorkingCalendar, now: datetime, actor: str = "zyklus"
) -> int:
    """Re-derive non-extended due dates after a change of the stage list or the calendar.

    One audit entry per year and stage that moved (``fristen_neu_berechnet``, naming the
    pairings), so that the replay of the log reaches the stored due dates (SPEC §9).
    """
    years = (
        session.execute(select(col(Cycle.year)).distinct().order_by(col(Cycle.year)))
        .scalars()
        .all()
    )
    changed = 0
    for year in years:
        cycle_ids = select(col(Cycle.id)).where(col(Cycle.year) == year)
        for stage in settings.stages:
            due = default_due(stage, year, settings, cal)
            moving = (
                col(StageState.cycle_id).in_(cycle_ids),
                col(StageState.stage_id) == stage.id,
                col(StageState.extended_until).is_(None),
                col(StageState.due) != due,
            )
            pairings = sorted(
                session.execute(
                    select(col(Cycle.pairing_id))
                    .join(StageState, col(StageState.cycle_id) == col(Cycle.id))
                    .where(*moving)
                ).scalars()
            )
            if not pairings:
                continue
            session.execute(update(StageState).where(*moving).values(due=due, updated_at=now))
            changed += len(pairings)
            payload = {"frist": due.isoformat(), "partnerschaften": pairings}
            audit.record(
                session,
                now,
                actor,
                audit.Change("fristen_neu_berechnet", None, year, stage.id, payload=payload),
            )
    return changed
