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
from workflows.stages import StageType, is_done


@dataclass(frozen=True)
class StageLine:
    spec: StageSpec
    row: StageState
    next_step: str
    overdue_days: int
    done: bool


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


def _d(day: date) -> str:
    return f"{day:%d.%m.%Y}"


def next_step(spec: StageSpec, row: StageState, waiting_for: list[str]) -> str:
    """In plain German: what the contact has to do next for this stage."""
    status, due = row.status, _d(row.due)
    if status == "entfallen":
        return "Entfällt – nichts zu tun."
    if is_done(status):
        return "Erledigt – nichts mehr zu tun."
    if spec.type in (StageType.MEETING, StageType.GROUP_MEETING):
        if status == "terminiert":
            return "Termin steht: bitte unter „Termine“ bestätigen" + (
                " oder andere Termine vorschlagen." if spec.type is StageType.MEETING else "."
            )
        if spec.type is StageType.GROUP_MEETING:
            return f"Die Koordinierungsstelle lädt zum gemeinsamen Termin ein (bis {due})."
        return f"Termin mit der Koordinierungsstelle vereinbaren (bis {due})."
    if status in ("eingereicht", "geprueft", "zur_kenntnis_genommen"):
        return "Liegt der Koordinierungsstelle vor – Sie müssen nichts tun."
    again = "überarbeiten und erneut " if status == "zurueckgegeben" else ""
    what = (
        f"Jahresbericht {again}hochladen bis {due}."
        if spec.type is StageType.REPORT
        else f"Verwendungsnachweis im Formular {again}ausfüllen und einreichen bis {due}."
    )
    if waiting_for:
        return f"{what} Möglich, sobald erledigt ist: {', '.join(waiting_for)}."
    return what


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
        names = {s.id: s.name for s in settings.stages}
        lines = []
        for spec in settings.stages:
            row = by_id.get(spec.id)
            if row is None:
                continue
            waiting = [
                names[r] for r in spec.requires if r in by_id and not is_done(by_id[r].status)
            ]
            done = is_done(row.status)
            overdue = 0 if done or cycle.ended_on else max(0, (today - row.due).days)
            lines.append(StageLine(spec, row, next_step(spec, row, waiting), overdue, done))
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
