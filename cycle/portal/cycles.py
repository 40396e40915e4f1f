"""What a contact may see: the cycles of its pairings, each stage with its next step in words.

Every query here is filtered by the contact's pairings (``Access.pairings``); a pairing or year
outside them gives ``None``, exactly as one that does not exist.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from sqlmodel import col, select

from cycle.bootstrap import App
from cycle.config.settings import Pairing, StageSpec
from cycle.persistence.portal_store import Access
from cycle.persistence.tables import Cycle, StageState
from cycle.persistence.uow import reading
from cycle.views import cycle_timeline
from workflows.stages import StageType
from workflows.status import StageStatus


@dataclass(frozen=True)
class StageLine:
    spec: StageSpec
    row: StageState
    status: StageStatus  # the one status query (``workflows.status``)

    @property
    def done(self) -> bool:
        return self.status.done

    @property
    def overdue_days(self) -> int:
        return self.status.overdue_days

    @property
    def next_step(self) -> str:
        return self.status.next_action()


@dataclass(frozen=True)
class CycleView:
    pairing: Pairing
    traeger: str
    stadtteil: str
    year: int
    ended_on: date | None
    stages: tuple[StageLine, ...]

    def stage_of(self, kind: StageType) -> StageLine | None:
        return next((s for s in self.stages if s.spec.type is kind), None)

    @property
    def complete(self) -> bool:
        return self.ended_on is not None or all(s.done for s in self.stages)


def _views(app: App, access: Access, where: list[object], today: date) -> list[CycleView]:
    query = (
        select(Cycle, StageState)
        .join(StageState, col(StageState.cycle_id) == col(Cycle.id))
        .where(col(Cycle.pairing_id).in_(sorted(access.pairings)))
        .order_by(col(Cycle.year), col(Cycle.pairing_id), col(StageState.position))
    )
    for clause in where:
        query = query.where(clause)  # type: ignore[arg-type]
    with reading(app.engine) as session:
        found = list(session.exec(query))
    grouped: dict[int, tuple[Cycle, list[StageState]]] = {}
    for cycle, state in found:
        grouped.setdefault(cycle.id or 0, (cycle, []))[1].append(state)
    settings = app.settings
    views = []
    for cycle, rows in grouped.values():
        pairing = settings.pairings.get(cycle.pairing_id)
        if pairing is None:
            continue
        by_id = {r.stage_id: r for r in rows}
        status_of = cycle_timeline.statuses(
            settings,
            cycle.pairing_id,
            by_id,
            cycle.ended_on is not None,
            today,
            app.calendar.timezone,
        )
        lines = [
            StageLine(spec, by_id[spec.id], status_of[spec.id])
            for spec in settings.stages
            if spec.id in by_id
        ]
        views.append(
            CycleView(
                pairing,
                settings.traeger[pairing.traeger].name,
                settings.stadtteile[pairing.stadtteil].name,
                cycle.year,
                cycle.ended_on,
                tuple(lines),
            )
        )
    return views


def running(app: App, access: Access, today: date) -> list[CycleView]:
    """The contact's cycles of this year, and of earlier years while something is still open."""
    views = _views(app, access, [col(Cycle.year) <= today.year], today)
    return [v for v in views if v.year == today.year or not v.complete]


def one(app: App, access: Access, pairing: str, year: int, today: date) -> CycleView | None:
    """One cycle of the contact's pairings; ``None`` for anything else."""
    if pairing not in access.pairings:
        return None
    views = _views(app, access, [col(Cycle.pairing_id) == pairing, col(Cycle.year) == year], today)
    return views[0] if views else None
