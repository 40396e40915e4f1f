"""The status overview read model (SPEC §8): pairings × stages of one year, read set-wise."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from sqlalchemy import select
from sqlmodel import Session, col

from cycle.clock import local_date
from cycle.config.settings import Settings
from cycle.persistence.tables import Cycle, PairingRow, StadtteilRow, StageState, TraegerRow
from workflows.cycle_state import cycle_state
from workflows.deadlines import counts_as_overdue
from workflows.stages import AWAITING_CITY, is_done

SOON_DAYS = 28  # "due soon" in the status colours and the weekly overview


@dataclass(frozen=True)
class StageCell:
    stage_id: str
    status: str
    done: bool
    due: date
    done_on: date | None
    overdue_days: int
    scheduled_at: datetime | None
    extended: bool
    waiting_days: int = 0  # how long a stage has waited for the city's side (``AWAITING_CITY``)


@dataclass(frozen=True)
class CycleRow:
    pairing: str
    traeger: str
    traeger_id: str
    stadtteil: str
    stadtteil_id: str
    year: int
    state: str
    ended_on: date | None
    stages: dict[str, StageCell]

    @property
    def overdue(self) -> bool:
        return any(cell.overdue_days > 0 for cell in self.stages.values())


def load(
    session: Session,
    settings: Settings,
    year: int,
    today: date,
    traeger: str | None = None,
    stadtteil: str | None = None,
    overdue_only: bool = False,
) -> list[CycleRow]:
    query = (
        select(
            col(Cycle.pairing_id),
            col(Cycle.ended_on),
            col(TraegerRow.id),
            col(TraegerRow.name),
            col(StadtteilRow.id),
            col(StadtteilRow.name),
            # plain columns, not ORM objects: the overview reads thousands of rows
            col(StageState.stage_id),
            col(StageState.status),
            col(StageState.due),
            col(StageState.done_on),
            col(StageState.scheduled_at),
            col(StageState.extended_until),
            col(StageState.updated_at),
            col(PairingRow.start),
        )
        .join(PairingRow, col(PairingRow.id) == col(Cycle.pairing_id))
        .join(TraegerRow, col(TraegerRow.id) == col(PairingRow.traeger_id))
        .join(StadtteilRow, col(StadtteilRow.id) == col(PairingRow.stadtteil_id))
        .join(StageState, col(StageState.cycle_id) == col(Cycle.id))
        .where(col(Cycle.year) == year)
        .order_by(col(Cycle.pairing_id), col(StageState.position))
    )
    if traeger:
        query = query.where(col(PairingRow.traeger_id) == traeger)
    if stadtteil:
        query = query.where(col(PairingRow.stadtteil_id) == stadtteil)
    known = {s.id for s in settings.stages}
    adopted = settings.betrieb.start
    grouped: dict[str, tuple[tuple[Any, ...], list[StageCell]]] = {}
    for record in session.execute(query):
        pairing_id, ended_on, t_id, t_name, s_id, s_name = record[:6]
        stage_id, status, due, done_on, scheduled_at, extended_until = record[6:12]
        updated_at, pairing_start = record[12:]
        if stage_id not in known:
            continue
        done = is_done(status)
        running = not done and ended_on is None
        waits = running and status in AWAITING_CITY
        late = running and not waits and counts_as_overdue(due, pairing_start, adopted)
        cell = StageCell(
            stage_id,
            status,
            done,
            due,
            done_on,
            max(0, (today - due).days) if late else 0,
            scheduled_at,
            extended_until is not None,
            max(0, (today - local_date(updated_at)).days) if waits else 0,
        )
        head = (pairing_id, ended_on, t_id, t_name, s_id, s_name)
        grouped.setdefault(pairing_id, (head, []))[1].append(cell)
    rows = []
    for (pairing_id, ended_on, t_id, t_name, s_id, s_name), cells in grouped.values():
        row = CycleRow(
            pairing_id,
            t_name,
            t_id,
            s_name,
            s_id,
            year,
            cycle_state(((c.stage_id, c.status) for c in cells), ended_on is not None),
            ended_on,
            {c.stage_id: c for c in cells},
        )
        if not overdue_only or row.overdue:
            rows.append(row)
    return rows


def as_json(rows: list[CycleRow], now: datetime, year: int, tz: Any) -> dict[str, Any]:
    def cell(c: StageCell) -> dict[str, Any]:
        return {
            "status": c.status,
            "done": c.done,
            "due": c.due.isoformat(),
            "done_on": c.done_on.isoformat() if c.done_on else None,
            "overdue_days": c.overdue_days,
            "scheduled_at": c.scheduled_at.astimezone(tz).isoformat() if c.scheduled_at else None,
            "extended": c.extended,
            "waiting_days": c.waiting_days,
        }

    return {
        "now": now.astimezone(tz).isoformat(),
        "year": year,
        "cycles": [
            {
                "pairing": r.pairing,
                "traeger": r.traeger,
                "stadtteil": r.stadtteil,
                "year": r.year,
                "state": r.state,
                "ended_on": r.ended_on.isoformat() if r.ended_on else None,
                "stages": {k: cell(v) for k, v in r.stages.items()},
            }
            for r in rows
        ],
    }
