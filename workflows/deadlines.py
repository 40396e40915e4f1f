"""Notification points of a stage and the catch-up choice: pure functions of facts, policy, now.

A stage's reminders and escalations form one *series* ordered in time. After downtime only the
latest point that is due is sent; the earlier missed ones are skipped (SPEC §6 "catch-up").
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta

from workflows.calendar import WorkingCalendar

ERINNERUNG = "erinnerung"
ESKALATION = "eskalation"
TERMINERINNERUNG = "terminerinnerung"


@dataclass(frozen=True)
class SeriesPolicy:
    remind_before_days: tuple[int, ...] = (28, 7)
    escalate_after_days: tuple[int, ...] = (1, 14)


@dataclass(frozen=True, order=True)
class Point:
    """A notification point: ``kind``/``level`` on working day ``on``, counted from ``anchor``."""

    on: date
    kind: str
    level: int
    anchor: date  # the effective due date (or the meeting date) it counts from


def deadline_series(due: date, policy: SeriesPolicy, calendar: WorkingCalendar) -> list[Point]:
    """Reminders (previous working day) and escalations (next working day) of one due date."""
    points: list[Point] = []
    for level, days in enumerate(sorted(policy.remind_before_days, reverse=True), start=1):
        on = calendar.previous_working_day(due - timedelta(days=days))
        points.append(Point(on, ERINNERUNG, level, due))
    for level, days in enumerate(sorted(policy.escalate_after_days), start=1):
        on = calendar.next_working_day(due + timedelta(days=days))
        points.append(Point(on, ESKALATION, level, due))
    return sorted(points)


def meeting_reminders(
    meeting_day: date, days_before: Sequence[int], calendar: WorkingCalendar
) -> list[Point]:
    points = [
        Point(
            calendar.previous_working_day(meeting_day - timedelta(days=days)),
            TERMINERINNERUNG,
            level,
            meeting_day,
        )
        for level, days in enumerate(sorted(days_before, reverse=True), start=1)
    ]
    return sorted(points)


def send_instant(point: Point, send_time: time, calendar: WorkingCalendar) -> datetime:
    return calendar.at(point.on, send_time)


@dataclass(frozen=True)
class CatchUp:
    send: Point | None
    skip: tuple[Point, ...]

    @property
    def due(self) -> tuple[Point, ...]:
        """Every point that is due, in time order: the skipped ones, then the one to send."""
        return () if self.send is None else (*self.skip, self.send)


def active_window(
    start: date, end: date | None, ended_on: date | None, adopted: date | None = None
) -> tuple[date, date | None]:
    """A pairing's active period: from its start to its contract end or the day it ended.

    ``adopted`` is the day zyklus was adopted (``[betrieb] start``): nothing before it counts.
    """
    if adopted is not None and adopted > start:
        start = adopted
    if end is None or ended_on is None:
        return start, end or ended_on
    return start, min(end, ended_on)


def counts_as_overdue(due: date, pairing_start: date, adopted: date | None) -> bool:
    """A stage due before the pairing started or before zyklus was adopted is never overdue."""
    return due >= pairing_start and (adopted is None or due >= adopted)


def choose_due(
    points: Iterable[Point],
    now: datetime,
    send_time: time,
    calendar: WorkingCalendar,
    window: tuple[date, date | None] | None = None,
) -> CatchUp:
    """Of the points whose send instant has passed, send the latest and skip the earlier ones.

    ``window`` is the pairing's active period (start, end): points outside it are ignored.
    """
    due = [p for p in points if send_instant(p, send_time, calendar) <= now]
    if window is not None:
        start, end = window
        due = [p for p in due if p.on >= start and (end is None or p.on <= end)]
    if not due:
        return CatchUp(None, ())
    due.sort()
    return CatchUp(due[-1], tuple(due[:-1]))


def after_working_days(day: date, working_days: int, calendar: WorkingCalendar) -> date:
    """The day ``working_days`` working days after ``day`` (a sign-off step's reminder day)."""
    for _ in range(working_days):
        day = calendar.next_working_day(day + timedelta(days=1))
    return day
