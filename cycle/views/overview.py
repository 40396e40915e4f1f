"""The status overview read model (SPEC §8): pairings × stages of one year, read set-wise.

The queries name their tables with SQLAlchemy Core (``table``/``column``), not the SQLModel
classes of ``cycle.persistence.tables``: ``zyklus status`` then never imports SQLModel, pydantic
or the ORM (~0.3 s of its start-up), and the rows come back as plain tuples. The names are those
of ``cycle.persistence.tables``; every test that reads the overview checks them against the
migrated schema.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import TYPE_CHECKING, Any
from zoneinfo import ZoneInfo

from sqlalchemy import Connection, Date, DateTime, Integer, column, select, table

from cycle.clock import local_date
from cycle.config.settings import Settings
from cycle.views.formats import json_members, json_scalar, json_scalars, json_template
from workflows.cycle_state import cycle_state
from workflows.status import (
    StageFacts,
    StageStatus,
    held_by,
    in_words,
    stage_status,
    waiting_prerequisite,
)

if TYPE_CHECKING:
    from sqlalchemy import Result, Select
    from sqlalchemy.orm import Session

    Query = Select[*tuple[Any, ...]]
    Rows = Result[*tuple[Any, ...]]

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
    waiting_days: int = 0  # how long a stage has waited for the city's side (``waiting_for``)
    waiting_for: str | None = None  # the city's step: "Prüfung", "Kenntnisnahme", "Ablage"

    def in_words(self) -> str:
        """ "3 Tage überfällig", "wartet seit 21 Tagen auf Prüfung" or "" (``workflows.status``)."""
        return in_words(self.overdue_days, self.waiting_days, self.waiting_for)


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


_CYCLE = table(
    "cycle",
    column("id", Integer),
    column("pairing_id"),
    column("year", Integer),
    column("ended_on", Date),
)
_PAIRING = table(
    "pairing", column("id"), column("traeger_id"), column("stadtteil_id"), column("start", Date)
)
_TRAEGER = table("traeger", column("id"), column("name"))
_STADTTEIL = table("stadtteil", column("id"), column("name"))
_STAGE = table(
    "stage_state",
    column("cycle_id", Integer),
    column("stage_id"),
    column("position", Integer),
    column("status"),
    column("due", Date),
    column("done_on", Date),
    column("scheduled_at", DateTime(timezone=True)),
    column("extended_until", Date),
    column("updated_at", DateTime(timezone=True)),
)


def _filtered(query: Query, year: int, traeger: str | None, stadtteil: str | None) -> Query:
    query = query.where(_CYCLE.c.year == year)
    if traeger:
        query = query.where(_PAIRING.c.traeger_id == traeger)
    if stadtteil:
        query = query.where(_PAIRING.c.stadtteil_id == stadtteil)
    return query


def _cycles(year: int, traeger: str | None, stadtteil: str | None) -> Query:
    cycle, pairing, t, s = _CYCLE.c, _PAIRING.c, _TRAEGER.c, _STADTTEIL.c
    query = (
        select(
            cycle.id, cycle.pairing_id, cycle.ended_on, pairing.start, t.id, t.name, s.id, s.name
        )
        .select_from(_CYCLE)
        .join(_PAIRING, pairing.id == cycle.pairing_id)
        .join(_TRAEGER, t.id == pairing.traeger_id)
        .join(_STADTTEIL, s.id == pairing.stadtteil_id)
        .order_by(cycle.pairing_id)
    )
    return _filtered(query, year, traeger, stadtteil)


def _stages(year: int, traeger: str | None, stadtteil: str | None) -> Query:
    stage = _STAGE.c
    query = (
        select(
            stage.cycle_id,
            stage.stage_id,
            stage.status,
            stage.due,
            stage.done_on,
            stage.scheduled_at,
            stage.extended_until,
            stage.updated_at,
        )
        .select_from(_STAGE)
        .join(_CYCLE, _CYCLE.c.id == stage.cycle_id)
        .order_by(stage.cycle_id, stage.position)
    )
    if traeger or stadtteil:
        query = query.join(_PAIRING, _PAIRING.c.id == _CYCLE.c.pairing_id)
    return _filtered(query, year, traeger, stadtteil)


def _execute(db: Session | Connection, query: Query) -> Rows:
    if not isinstance(db, Connection) and db.autoflush:
        # A Core statement does not autoflush a session (the ORM's do): a tick that has just
        # opened cycles in its transaction must see them.
        db.flush()
    return db.execute(query)


def _utc(instant: datetime) -> datetime:
    """As SQLModel's ``UTCDateTime`` returns it: SQLite keeps UTC without an offset."""
    return instant.replace(tzinfo=UTC) if instant.utcoffset() is None else instant.astimezone(UTC)


def load(
    db: Session | Connection,
    settings: Settings,
    year: int,
    today: date,
    traeger: str | None = None,
    stadtteil: str | None = None,
    overdue_only: bool = False,
) -> list[CycleRow]:
    """The cycles of ``year`` in pairing order, each with its stages in the order of the list.

    Two queries, the cycles and then their stages: one join repeating the pairing, Träger and
    Stadtteil on every stage row took half as long again (SQLite, 10,000 cycles).
    """
    types = {s.id: s.type for s in settings.stages}
    names = {s.id: s.name for s in settings.stages}
    requires = {s.id: s.requires for s in settings.stages}
    tz = ZoneInfo(settings.calendar.timezone)
    adopted = settings.betrieb.start
    cycles = _execute(db, _cycles(year, traeger, stadtteil)).all()
    facts = {cycle_id: (ended_on, start) for cycle_id, _, ended_on, start, *_ in cycles}
    per_cycle: dict[int, list[Any]] = {}
    for stage_row in _execute(db, _stages(year, traeger, stadtteil)):
        if stage_row[1] in types and stage_row[0] in facts:
            per_cycle.setdefault(stage_row[0], []).append(stage_row)
    cells: dict[int, list[StageCell]] = {}
    local_days: dict[datetime, date] = {}
    states: dict[tuple[object, ...], StageStatus] = {}
    for cycle_id, stage_rows in per_cycle.items():
        statuses = {r[1]: r[2] for r in stage_rows}
        changed: dict[str, date] = {}
        for r in stage_rows:
            day = local_days.get(r[7])
            if day is None:
                day = local_days[r[7]] = local_date(_utc(r[7]), tz)
            changed[r[1]] = day
        ended_on, pairing_start = facts[cycle_id]
        for (
            _,
            stage_id,
            status,
            due,
            done_on,
            scheduled_at,
            extended_until,
            _,
        ) in stage_rows:
            waiting = held_by(requires[stage_id], statuses, names)
            pre = waiting_prerequisite(requires[stage_id], statuses)
            held_since = None if pre is None else changed[pre]
            key = (
                *(types[stage_id], status, due, changed[stage_id], ended_on is not None),
                *(pairing_start, waiting, held_since),
            )
            state = states.get(key)
            if state is None:  # computed once per distinct facts: most cells share theirs
                state = states[key] = stage_status(
                    StageFacts(
                        "",
                        types[stage_id],
                        status,
                        due,
                        changed[stage_id],
                        held_by=waiting,
                        held_since=held_since,
                    ),
                    today,
                    ended=ended_on is not None,
                    pairing_start=pairing_start,
                    adopted=adopted,
                )
            cell = StageCell(
                stage_id,
                status,
                state.done,
                due,
                done_on,
                state.overdue_days,
                None if scheduled_at is None else _utc(scheduled_at),
                extended_until is not None,
                state.waiting_days,
                state.waiting_for,
            )
            cells.setdefault(cycle_id, []).append(cell)
    rows = []
    for cycle_id, pairing_id, ended_on, _, t_id, t_name, s_id, s_name in cycles:
        stages = cells.get(cycle_id)
        if not stages:  # no stage of the configured list: not in the overview
            continue
        row = CycleRow(
            pairing_id,
            t_name,
            t_id,
            s_name,
            s_id,
            year,
            cycle_state(((c.stage_id, c.status) for c in stages), ended_on is not None),
            ended_on,
            {c.stage_id: c for c in stages},
        )
        if not overdue_only or row.overdue:
            rows.append(row)
    return rows


_CYCLE_KEYS = ("pairing", "traeger", "stadtteil", "year", "state", "ended_on")  # then "stages"
_CELL_KEYS = (
    *("status", "done", "due", "done_on", "overdue_days", "scheduled_at", "extended"),
    "waiting_days",
)


def _cycle_values(r: CycleRow) -> tuple[Any, ...]:
    ended_on = r.ended_on.isoformat() if r.ended_on else None
    return (r.pairing, r.traeger, r.stadtteil, r.year, r.state, ended_on)


def _cell_values(c: StageCell, tz: Any) -> tuple[Any, ...]:
    return (
        c.status,
        c.done,
        c.due.isoformat(),
        c.done_on.isoformat() if c.done_on else None,
        c.overdue_days,
        c.scheduled_at.astimezone(tz).isoformat() if c.scheduled_at else None,
        c.extended,
        c.waiting_days,
    )


def as_json(rows: list[CycleRow], now: datetime, year: int, tz: Any) -> dict[str, Any]:
    return {
        "now": now.astimezone(tz).isoformat(),
        "year": year,
        "cycles": [
            {
                **dict(zip(_CYCLE_KEYS, _cycle_values(r), strict=True)),
                "stages": {
                    k: dict(zip(_CELL_KEYS, _cell_values(v, tz), strict=True))
                    for k, v in r.stages.items()
                },
            }
            for r in rows
        ],
    }


_DOCUMENT = json_template(("now", "year", "cycles"), 0)
_CYCLE_OBJECT = json_template((*_CYCLE_KEYS, "stages"), 2)
_CELL_OBJECT = json_template(_CELL_KEYS, 4)


def json_text(rows: list[CycleRow], now: datetime, year: int, tz: Any) -> str:
    """The status as JSON: the text of ``to_json(as_json(rows, now, year, tz))``, written from
    templates (10,000 cycles: ~0.25 s instead of ~0.8 s for building and encoding the dict)."""
    cycles = []
    for r in rows:
        stages = [
            f"        {json_scalar(k)}: " + _CELL_OBJECT.format(*json_scalars(_cell_values(v, tz)))
            for k, v in r.stages.items()
        ]
        head = json_scalars(_cycle_values(r))
        cycles.append("    " + _CYCLE_OBJECT.format(*head, json_members(stages, 3, "{}")))
    head = json_scalars((now.astimezone(tz).isoformat(), year))
    return _DOCUMENT.format(*head, json_members(cycles, 1, "[]"))
