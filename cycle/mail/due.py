"""What is due at ``now``: deadline series and meeting reminders, found set-wise in SQL.

The pure rules live in ``workflows.deadlines``. Here the distinct (stage, due date) pairs of all
open stages are expanded into their notification points in Python (a handful of dates), written
to a temporary table, and joined against every open stage row at once; ``NOT EXISTS`` against
the notification table keeps only the points not yet sent or skipped. No state machine is
loaded per cycle.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import date, datetime, time
from typing import Any

from sqlalchemy import (
    Column,
    Date,
    Integer,
    MetaData,
    String,
    Table,
    and_,
    exists,
    literal,
    or_,
    select,
)
from sqlalchemy.orm import aliased
from sqlalchemy.sql.elements import ColumnElement
from sqlmodel import Session, col

from cycle.config.settings import Settings
from cycle.persistence.tables import Cycle, Notification, PairingRow, StageState
from workflows.calendar import WorkingCalendar
from workflows.deadlines import (
    TERMINERINNERUNG,
    Point,
    active_window,
    choose_due,
    deadline_series,
    meeting_reminders,
)
from workflows.stages import AWAITING_CITY, AWAITING_TRAEGER, StageType
from workflows.status import HELD_REASON, held_by

_points = Table(
    "tick_points",
    MetaData(),
    Column("stage_id", String, nullable=False),
    Column("due", Date, nullable=False),
    Column("kind", String, nullable=False),
    Column("level", Integer, nullable=False),
    Column("on_date", Date, nullable=False),
    prefixes=["TEMPORARY"],
)


@dataclass(frozen=True)
class DuePoint:
    """One point of one cycle's stage: to be sent, or recorded as skipped (catch-up)."""

    cycle_id: int
    pairing_id: str
    year: int
    stage_id: str
    point: Point
    send: bool
    meeting_at: datetime | None = None
    location: str | None = None
    reason: str | None = None  # why a point is skipped other than by catch-up ("wartet auf …")


def deadline_points(
    session: Session, settings: Settings, cal: WorkingCalendar, now: datetime
) -> list[DuePoint]:
    open_rows = and_(col(StageState.status).in_(AWAITING_TRAEGER), col(Cycle.ended_on).is_(None))
    pairs = session.execute(
        select(col(StageState.stage_id), col(StageState.due))
        .join(Cycle, col(Cycle.id) == col(StageState.cycle_id))
        .where(open_rows)
        .distinct()
        .order_by(col(StageState.stage_id), col(StageState.due))
    ).all()
    send_time = settings.calendar.send_time
    series: dict[tuple[str, date], list[Point]] = {}
    rows: list[dict[str, Any]] = []
    for stage_id, due in pairs:
        spec = settings.stage(stage_id)
        if spec is None:
            continue
        points = deadline_series(due, settings.policy.series_for(spec), cal)
        passed = choose_due(points, now, send_time, cal).due
        if passed:
            series[(stage_id, due)] = points
            rows += [
                {
                    "stage_id": stage_id,
                    "due": due,
                    "kind": p.kind,
                    "level": p.level,
                    "on_date": p.on,
                }
                for p in passed
            ]
    if not rows:
        return []
    connection = session.connection()
    _points.create(connection, checkfirst=True)
    connection.execute(_points.delete())
    connection.execute(_points.insert(), rows)
    recorded = exists().where(
        col(Notification.cycle_id) == col(StageState.cycle_id),
        col(Notification.stage_id) == col(StageState.stage_id),
        col(Notification.anchor) == col(StageState.due),
        col(Notification.kind) == _points.c.kind,
        col(Notification.level) == _points.c.level,
    )
    query = (
        select(
            col(StageState.cycle_id),
            col(Cycle.pairing_id),
            col(Cycle.year),
            col(StageState.stage_id),
            col(StageState.due),
            col(PairingRow.start),
            col(PairingRow.end),
            col(PairingRow.ended_on),
            _points.c.kind,
            _points.c.level,
        )
        .join(Cycle, col(Cycle.id) == col(StageState.cycle_id))
        .join(PairingRow, col(PairingRow.id) == col(Cycle.pairing_id))
        .join(
            _points,
            and_(
                _points.c.stage_id == col(StageState.stage_id), _points.c.due == col(StageState.due)
            ),
        )
        .where(open_rows)
        .where(~recorded)
        # The order of the due points is the order of the drafts, the bundles' contents and
        # the audit entries: explicit, so that SQLite and PostgreSQL write the same log.
        .order_by(
            col(StageState.cycle_id),
            col(StageState.position),
            _points.c.on_date,
            _points.c.kind,
            _points.c.level,
        )
    )
    query = query.add_columns(*_waiting_prerequisite(settings))
    missing: dict[tuple[int, str], list[tuple[Any, ...]]] = defaultdict(list)
    held: dict[tuple[int, str], str] = {}
    names = {s.id: s.name for s in settings.stages}
    for row in session.execute(query):
        *point, pre_id, pre_status = row
        missing[(row[0], row[3])].append(tuple(point))
        if pre_id is not None:
            waiting = held_by((pre_id,), {pre_id: pre_status}, names)
            if waiting is not None:
                held[(row[0], row[3])] = HELD_REASON.format(waiting)
    connection.execute(_points.delete())
    owed = frozenset(s.id for s in settings.stages if s.type is StageType.PROOF_OF_FUNDS)
    return _catch_up(missing, series, now, send_time, cal, settings.betrieb.start, owed, held)


def _waiting_prerequisite(settings: Settings) -> tuple[ColumnElement[Any], ColumnElement[Any]]:
    """The id and status of a required stage of the same cycle that waits for the city (or
    NULL): two correlated scalar subqueries over the configured ``requires`` pairs."""
    pairs = [(s.id, r) for s in settings.stages for r in s.requires]
    if not pairs:
        return literal(None, String).label("pre_id"), literal(None, String).label("pre_status")
    pre = aliased(StageState)
    requires = or_(
        *(
            and_(col(StageState.stage_id) == stage, col(pre.stage_id) == required)
            for stage, required in pairs
        )
    )
    waiting = (
        select(col(pre.stage_id), col(pre.status))
        .where(col(pre.cycle_id) == col(StageState.cycle_id))
        .where(col(pre.status).in_(list(AWAITING_CITY)))
        .where(requires)
        .order_by(col(pre.position))
        .limit(1)
    )
    stage_id = waiting.with_only_columns(col(pre.stage_id)).scalar_subquery()
    status = waiting.with_only_columns(col(pre.status)).scalar_subquery()
    return stage_id.label("pre_id"), status.label("pre_status")


def _catch_up(
    missing: dict[tuple[int, str], list[tuple[Any, ...]]],
    series: dict[tuple[str, date], list[Point]],
    now: datetime,
    send_time: time,
    cal: WorkingCalendar,
    adopted: date | None,
    owed_after_end: frozenset[str],
    held: dict[tuple[int, str], str],
) -> list[DuePoint]:
    """Apply the catch-up rule to each series; keep the points not recorded yet.

    A stage in ``owed_after_end`` (the Verwendungsnachweis) is still owed after the pairing's
    contract ended: its points are not cut off at the end of the pairing's active period.
    A stage in ``held`` (its prerequisite waits for the city) sends nothing: each point due is
    recorded as skipped with the reason.
    """
    result: list[DuePoint] = []
    for (cycle_id, stage_id), rows in missing.items():
        _, pairing_id, year, _, due, start, end, ended_on, _, _ = rows[0]
        window = active_window(start, end, ended_on, adopted)
        if stage_id in owed_after_end:
            window = (window[0], None)
        choice = choose_due(series[(stage_id, due)], now, send_time, cal, window)
        unrecorded = {(kind, level) for *_, kind, level in rows}
        reason = held.get((cycle_id, stage_id))
        result += [
            DuePoint(
                cycle_id,
                pairing_id,
                year,
                stage_id,
                point,
                send=reason is None and point == choice.send,
                reason=reason,
            )
            for point in choice.due
            if (point.kind, point.level) in unrecorded
        ]
    return result


def meeting_points(
    session: Session, settings: Settings, cal: WorkingCalendar, now: datetime
) -> list[DuePoint]:
    """Reminders before scheduled meetings that have not taken place yet."""
    rows = session.execute(
        select(
            col(StageState.cycle_id),
            col(Cycle.pairing_id),
            col(Cycle.year),
            col(StageState.stage_id),
            col(StageState.scheduled_at),
            col(PairingRow.start),
            col(PairingRow.end),
            col(PairingRow.ended_on),
            col(StageState.location),
        )
        .join(Cycle, col(Cycle.id) == col(StageState.cycle_id))
        .join(PairingRow, col(PairingRow.id) == col(Cycle.pairing_id))
        .where(col(StageState.status) == "terminiert")
        .where(col(StageState.scheduled_at) > now)
        .where(col(Cycle.ended_on).is_(None))
        .order_by(col(StageState.cycle_id), col(StageState.position))
    ).all()
    if not rows:
        return []
    recorded = {
        (c, s, a, lvl)
        for c, s, a, lvl in session.execute(
            select(
                col(Notification.cycle_id),
                col(Notification.stage_id),
                col(Notification.anchor),
                col(Notification.level),
            )
            .where(col(Notification.kind) == TERMINERINNERUNG)
            .where(col(Notification.anchor) >= now.date())
        )
    }
    send_time = settings.calendar.send_time
    result: list[DuePoint] = []
    for cycle_id, pairing_id, year, stage_id, at, start, end, ended_on, location in rows:
        spec = settings.stage(stage_id)
        if spec is None:
            continue
        day = at.astimezone(cal.timezone).date()
        points = meeting_reminders(day, settings.policy.meeting_days_for(spec), cal)
        window = active_window(start, end, ended_on, settings.betrieb.start)
        choice = choose_due(points, now, send_time, cal, window)
        result += [
            DuePoint(
                cycle_id,
                pairing_id,
                year,
                stage_id,
                point,
                send=point == choice.send,
                meeting_at=at,
                location=location,
            )
            for point in choice.due
            if (cycle_id, stage_id, day, point.level) not in recorded
        ]
    return result


@dataclass(frozen=True)
class Sent:
    """A notification that went out earlier for the same stage (for truthful mails)."""

    kind: str
    level: int
    on: date


HISTORY_KINDS = ("erinnerung", "eskalation", "einladung")


def sent_before(session: Session, points: list[DuePoint]) -> dict[tuple[int, str], list[Sent]]:
    """Per (cycle, stage): the reminders, escalations and invitations recorded as sent, set-wise.

    Reminders and escalations count only for the same effective due date (an extension starts a
    new series); invitations for any date of the meeting.
    """
    cycles = {p.cycle_id for p in points}
    if not cycles:
        return {}
    anchors = {(p.cycle_id, p.stage_id): p.point.anchor for p in points}
    rows = session.execute(
        select(
            col(Notification.cycle_id),
            col(Notification.stage_id),
            col(Notification.kind),
            col(Notification.level),
            col(Notification.anchor),
            col(Notification.point_on),
            col(Notification.send_at),
        )
        .where(col(Notification.cycle_id).in_(cycles))
        .where(col(Notification.kind).in_(HISTORY_KINDS))
        .where(col(Notification.status) != "skipped")
        .order_by(col(Notification.send_at), col(Notification.id))
    ).all()
    history: dict[tuple[int, str], list[Sent]] = defaultdict(list)
    for cycle_id, stage_id, kind, level, anchor, point_on, send_at in rows:
        key = (cycle_id, stage_id)
        if key in anchors and (kind == "einladung" or anchor == anchors[key]):
            history[key].append(Sent(kind, level, point_on or send_at.date()))
    return history
