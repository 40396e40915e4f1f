"""Fire one stage event for one or several cycles, with guards, audit and hooks, atomically.

Every command of SPEC §11 that changes a stage goes through ``fire_event``: it loads the
cycles set-wise, refuses with German messages (nothing changes when any cycle refuses), moves
the status through the stage type's shared ``transitions`` machine, applies the command's own
update, writes the audit entries and enqueues the event's notifications in the same transaction.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

from sqlmodel import Session, col, select

from cycle.bootstrap import App
from cycle.config.settings import StageSpec
from cycle.errors import Refused, UsageError
from cycle.mail import notify
from cycle.persistence import audit
from cycle.persistence.tables import Cycle, PairingRow, StageState
from cycle.persistence.uow import transaction
from cycle.service.cycles import open_cycles
from workflows.machine import StageView, TransitionRefused, fire
from workflows.stages import STATUS_LABELS, is_done

ALL = "alle"


@dataclass
class Target:
    """One cycle's stage that an event is fired on; handlers mutate ``row``."""

    pairing: PairingRow
    cycle: Cycle
    row: StageState
    stages: dict[str, StageState]


@dataclass(frozen=True)
class EventSpec:
    event: str  # the trigger, e.g. "submit"; "extend" moves no status
    pairing_arg: str
    year: int
    stage_id: str
    actor: str
    on: date | None = None
    note: str | None = None
    payload: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class Outcome:
    pairing_id: str
    year: int
    stage: StageSpec
    before: str
    after: str


Mutation = Callable[[Target, Session], dict[str, Any] | None]


def resolve_stage(app: App, stage_id: str) -> StageSpec:
    stage = app.settings.stage(stage_id)
    if stage is None:
        known = ", ".join(s.id for s in app.settings.stages)
        raise UsageError(f"STAGE: unbekannte Stufe „{stage_id}“ (bekannt: {known})")
    return stage


def _pairing_ids(app: App, arg: str) -> list[str] | None:
    if arg == ALL:
        return None
    ids = [p.strip() for p in arg.split(",") if p.strip()]
    unknown = [p for p in ids if p not in app.settings.pairings]
    if unknown or not ids:
        raise UsageError(*[f"PAIRING: unbekannte Partnerschaft „{p}“" for p in unknown or [arg]])
    return ids


def load_targets(session: Session, app: App, spec: EventSpec, now: datetime) -> list[Target]:
    ids = _pairing_ids(app, spec.pairing_arg)
    if spec.year > app.today(now).year + 1:
        raise Refused(f"YEAR: Für {spec.year} gibt es noch keine Zyklen.")
    open_cycles(
        session,
        app.settings,
        app.calendar,
        spec.year,
        now,
        "zyklus",
        only=set(ids) if ids is not None else None,
    )
    query = select(Cycle, PairingRow).join(PairingRow).where(Cycle.year == spec.year)
    if ids is not None:
        query = query.where(col(Cycle.pairing_id).in_(ids))
    found = {c.pairing_id: (c, p) for c, p in session.exec(query)}
    missing = [p for p in (ids or []) if p not in found]
    if missing:
        raise Refused(
            *[f"{p}: kein Zyklus im Jahr {spec.year} (Partnerschaft nicht aktiv)." for p in missing]
        )
    cycle_ids = [c.id for c, _ in found.values()]
    rows: dict[int, dict[str, StageState]] = {}
    for row in session.exec(select(StageState).where(col(StageState.cycle_id).in_(cycle_ids))):
        rows.setdefault(row.cycle_id, {})[row.stage_id] = row
    targets = []
    for pairing_id in sorted(found):
        cycle, pairing = found[pairing_id]
        stages = rows.get(cycle.id or 0, {})
        if spec.stage_id not in stages:
            raise Refused(f"{pairing_id}: Stufe {spec.stage_id} fehlt im Zyklus {spec.year}.")
        targets.append(Target(pairing, cycle, stages[spec.stage_id], stages))
    return targets


def _guard(app: App, target: Target, stage: StageSpec, event: str) -> str:
    label = f"{target.pairing.id} {target.cycle.year}"
    if target.cycle.ended_on is not None:
        raise TransitionRefused(
            f"{label}: Der Zyklus ist beendet (seit {target.cycle.ended_on:%d.%m.%Y})."
        )
    if event == "extend":
        if is_done(target.row.status):
            raise TransitionRefused(
                f"{label} · {stage.name}: ist bereits erledigt "
                f"({STATUS_LABELS[target.row.status]}), eine Fristverlängerung ist nicht möglich."
            )
        return target.row.status
    names = {s.id: s.name for s in app.settings.stages}
    open_required = [
        names.get(r, r)
        for r in stage.requires
        if r in target.stages and not is_done(target.stages[r].status)
    ]
    try:
        return fire(StageView(stage.name, stage.type, target.row.status), event, open_required)
    except TransitionRefused as exc:
        raise TransitionRefused(f"{label} · {exc}") from None


def fire_event(
    app: App, spec: EventSpec, mutate: Mutation | None = None, skip_done: bool = False
) -> list[Outcome]:
    """Apply the event to every target or to none; returns what changed."""
    stage = resolve_stage(app, spec.stage_id)
    now = app.now()
    with transaction(app.engine) as session:
        targets = load_targets(session, app, spec, now)
        if skip_done and spec.pairing_arg == ALL:
            targets = [t for t in targets if not is_done(t.row.status) and t.cycle.ended_on is None]
        if not targets:
            raise Refused(
                f"{stage.name} {spec.year}: kein offener Zyklus für „{spec.pairing_arg}“."
            )
        problems: list[str] = []
        moves: list[tuple[Target, str]] = []
        for target in targets:
            try:
                moves.append((target, _guard(app, target, stage, spec.event)))
            except TransitionRefused as exc:
                problems.append(str(exc))
        if problems:
            raise Refused(*problems)
        outcomes = []
        for target, new_status in moves:
            before = target.row.status
            target.row.status = new_status
            target.row.updated_at = now
            extra = mutate(target, session) if mutate else None
            session.add(target.row)
            payload = {**spec.payload, **(extra or {})}
            if spec.on is not None:
                payload["am"] = spec.on
            if spec.note:
                payload["notiz"] = spec.note
            audit.record(
                session,
                now,
                spec.actor,
                audit.Change(
                    spec.event, target.pairing.id, spec.year, stage.id, before, new_status, payload
                ),
            )
            notify.on_stage_event(session, app, target, stage, spec.event, now)
            outcomes.append(Outcome(target.pairing.id, spec.year, stage, before, new_status))
        return outcomes


def describe(outcomes: Sequence[Outcome], detail: str = "") -> list[str]:
    lines = []
    for o in outcomes:
        move = (
            f"{STATUS_LABELS.get(o.before, o.before)} → {STATUS_LABELS.get(o.after, o.after)}"
            if o.before != o.after
            else STATUS_LABELS.get(o.after, o.after)
        )
        lines.append(f"{o.pairing_id} {o.year} · {o.stage.name}: {move}{detail}")
    return lines
