"""Where one cycle's stages stand on a day, and its timeline (the Zyklus page, the
Abschlussnachweis): the data both pictures are drawn from, computed here once.

``statuses`` is the one status query (``workflows.status.stage_status``) for the stages of one
cycle; ``bars`` puts each stage from its window's opening (or the due date of the stage before,
or 1 January) to its due date, with its done date and whether it is overdue.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import date
from zoneinfo import ZoneInfo

from sqlmodel import Session, col, select

from cycle.clock import local_date
from cycle.config.settings import Settings, StageSpec
from cycle.documents.timeline import Bar, Timeline
from cycle.persistence.tables import Cycle, StageState
from cycle.views import labels
from cycle.views.reports import stage_rows
from workflows.status import StageFacts, StageStatus, prerequisite_facts, stage_status


def statuses(
    settings: Settings,
    pairing: str,
    rows: Mapping[str, StageState],
    ended: bool,
    today: date,
    tz: ZoneInfo,
) -> dict[str, StageStatus]:
    """Each stage row of one cycle with its status on ``today`` (``ended``: the cycle's
    pairing has ended, nothing is overdue any more)."""
    names = {s.id: s.name for s in settings.stages}
    by_status = {stage_id: row.status for stage_id, row in rows.items()}
    changed = {k: local_date(r.updated_at, tz) for k, r in rows.items()}
    known = settings.pairings.get(pairing)
    found = {}
    for spec in settings.stages:
        row = rows.get(spec.id)
        if row is None:
            continue
        facts = StageFacts(
            spec.name,
            spec.type,
            row.status,
            row.due,
            changed[spec.id],
            row.scheduled_at is not None,
            **prerequisite_facts(spec.requires, by_status, changed, names),
        )
        found[spec.id] = stage_status(
            facts,
            today,
            ended=ended,
            pairing_start=known.start if known else None,
            adopted=settings.betrieb.start,
        )
    return found


def bars(
    year: int, stages: Iterable[tuple[StageSpec, StageState | None, StageStatus | None]]
) -> tuple[Bar, ...]:
    """The stages the cycle has, in the configured order, as bars of the timeline."""
    found: list[Bar] = []
    for spec, row, status in stages:
        if row is None:
            continue
        opens = spec.opens.resolve(year) if spec.opens is not None else None
        start = opens or (found[-1].due if found else date(year, 1, 1))
        overdue = status is not None and status.overdue_days > 0
        label = labels.status_label(row.status)
        found.append(Bar(spec.name, min(start, row.due), row.due, row.done_on, label, overdue))
    return tuple(found)


def of_cycle(
    session: Session,
    settings: Settings,
    pairing: str,
    year: int,
    today: date,
    tz: ZoneInfo,
    *,
    title: str,
    today_label: str = "heute",
) -> Timeline | None:
    """The timeline of one stored cycle on ``today`` (None: the cycle has no stages)."""
    rows = stage_rows(session, pairing, year)
    cycle = session.exec(
        select(Cycle).where(col(Cycle.pairing_id) == pairing).where(col(Cycle.year) == year)
    ).first()
    ended = cycle is None or cycle.ended_on is not None
    status = statuses(settings, pairing, rows, ended, today, tz)
    found = bars(year, ((s, rows.get(s.id), status.get(s.id)) for s in settings.stages))
    return Timeline(title, found, today, today_label) if found else None
