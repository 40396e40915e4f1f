"""Fire one stage event for one or several cycles, with guards, audit and hooks, atomically.

Every command that changes a stage goes through ``fire_event``: it expands the pairings within
the principal's scope, loads the cycles set-wise, refuses with typed problems (nothing changes
when any cycle refuses), moves the status through the stage type's shared ``transitions``
machine — the only place that says which change is legal —, applies the command's own update,
writes the audit entries and enqueues the event's notifications in the unit of work.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from sqlmodel import col, select

from cycle.config.settings import Settings, StageSpec
from cycle.errors import Forbidden, Problem, Refused, UsageError
from cycle.mail import notify
from cycle.persistence.tables import Cycle, PairingRow, StageState
from cycle.persistence.target import Target
from cycle.service.cycles import open_cycles
from cycle.service.outcomes import StageChange
from cycle.service.principal import Principal
from cycle.service.transitions import apply_transition
from cycle.service.uow import UnitOfWork
from workflows.machine import StageView, TransitionRefused, fire
from workflows.stages import is_done
from workflows.status import open_prerequisites

ALL = "alle"


@dataclass(frozen=True)
class EventSpec:
    event: str  # the trigger, e.g. "submit"; "extend" moves no status
    pairing_arg: str
    year: int
    stage_id: str
    on: date | None = None
    note: str | None = None
    payload: dict[str, Any] = field(default_factory=dict)
    takes: str | None = None  # the status a successor takes over (``uebernehmen``)


Mutation = Callable[[Target, UnitOfWork], dict[str, Any] | None]


def resolve_stage(settings: Settings, stage_id: str) -> StageSpec:
    stage = settings.stage(stage_id)
    if stage is None:
        known = ", ".join(s.id for s in settings.stages)
        raise UsageError(
            Problem(
                "stage", "unbekannte_stufe", f"unbekannte Stufe „{stage_id}“ (bekannt: {known})"
            )
        )
    return stage


def out_of_scope(pairing_id: str) -> Problem:
    """The same answer whether or not the pairing exists: nothing about others leaks."""
    return Problem(
        "pairing",
        "ausserhalb_des_zugriffs",
        f"Die Partnerschaft „{pairing_id}“ gehört nicht zu Ihren Partnerschaften.",
    )


def pairing_ids(settings: Settings, arg: str, principal: Principal) -> list[str] | None:
    """The pairings ``arg`` names within the principal's scope; ``None`` is every pairing."""
    if arg == ALL:
        return None if principal.pairings is None else sorted(principal.pairings)
    ids = [p.strip() for p in arg.split(",") if p.strip()]
    if hidden := [p for p in ids if not principal.sees(p)]:
        raise Forbidden(*(out_of_scope(p) for p in hidden))
    unknown = [p for p in ids if p not in settings.pairings]
    if unknown or not ids:
        raise UsageError(
            *[
                Problem("pairing", "unbekannte_partnerschaft", f"unbekannte Partnerschaft „{p}“")
                for p in unknown or [arg]
            ]
        )
    return ids


def load_targets(uow: UnitOfWork, spec: EventSpec, principal: Principal) -> list[Target]:
    ids = pairing_ids(uow.settings, spec.pairing_arg, principal)
    if spec.year > uow.today.year + 1:
        raise Refused(Problem("year", "kein_zyklus", f"Für {spec.year} gibt es noch keine Zyklen."))
    session = uow.session
    if spec.year >= uow.today.year:
        # The running and the next year's cycles may be opened by an event; a past year's
        # cycle that does not exist is a typing error, not a cycle to open (and escalate).
        open_cycles(
            session,
            uow.settings,
            uow.calendar,
            spec.year,
            uow.now,
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
            *[
                Problem(
                    None,
                    "kein_zyklus",
                    f"{p}: kein Zyklus im Jahr {spec.year} (Partnerschaft nicht aktiv).",
                )
                for p in missing
            ]
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
            raise Refused(
                Problem(
                    None,
                    "stufe_fehlt",
                    f"{pairing_id}: Stufe {spec.stage_id} fehlt im Zyklus {spec.year}.",
                )
            )
        targets.append(Target(pairing, cycle, stages[spec.stage_id], stages))
    return targets


def guard(settings: Settings, target: Target, stage: StageSpec, spec: EventSpec) -> str:
    """The status after the event, or ``TransitionRefused`` with a German message."""
    label = f"{target.pairing.id} {target.cycle.year}"
    if target.cycle.ended_on is not None:
        raise TransitionRefused(
            f"{label}: Der Zyklus ist beendet (seit {target.cycle.ended_on:%d.%m.%Y})."
        )
    names = {s.id: s.name for s in settings.stages}
    statuses = {stage_id: row.status for stage_id, row in target.stages.items()}
    open_required = open_prerequisites(stage.requires, statuses, names)
    view = StageView(stage.name, stage.type, target.row.status)
    try:
        return fire(
            view,
            spec.event,
            open_required,
            scheduled=target.row.scheduled_at is not None,
            takes=spec.takes,
        )
    except TransitionRefused as exc:
        raise TransitionRefused(f"{label} · {exc}") from None


def fire_event(
    uow: UnitOfWork,
    principal: Principal,
    spec: EventSpec,
    mutate: Mutation | None = None,
    skip_done: bool = False,
) -> tuple[StageChange, ...]:
    """Apply the event to every target or to none; returns what changed."""
    stage = resolve_stage(uow.settings, spec.stage_id)
    targets = load_targets(uow, spec, principal)
    if skip_done and spec.pairing_arg == ALL:
        targets = [t for t in targets if not is_done(t.row.status) and t.cycle.ended_on is None]
    if not targets:
        raise Refused(
            Problem(
                "pairing",
                "kein_offener_zyklus",
                f"{stage.name} {spec.year}: kein offener Zyklus für „{spec.pairing_arg}“.",
            )
        )
    problems: list[Problem] = []
    moves: list[tuple[Target, str]] = []
    for target in targets:
        try:
            moves.append((target, guard(uow.settings, target, stage, spec)))
        except TransitionRefused as exc:
            problems.append(Problem(None, "nicht_erlaubt", str(exc)))
    if problems:
        raise Refused(*problems)
    # every target may move (checked above): now each moves, one transition and entry each
    return tuple(_apply(uow, principal, spec, stage, target, mutate) for target, _ in moves)


def _apply(
    uow: UnitOfWork,
    principal: Principal,
    spec: EventSpec,
    stage: StageSpec,
    target: Target,
    mutate: Mutation | None,
) -> StageChange:
    payload: dict[str, Any] = dict(spec.payload)
    if spec.on is not None:
        payload["am"] = spec.on
    if spec.note:
        payload["notiz"] = spec.note
    names = {s.id: s.name for s in uow.settings.stages}
    statuses = {stage_id: row.status for stage_id, row in target.stages.items()}
    done = apply_transition(
        uow,
        principal.actor,
        (target.pairing.id, spec.year),
        stage,
        target.row,
        spec.event,
        payload,
        open_prerequisites=open_prerequisites(stage.requires, statuses, names),
        takes=spec.takes,
        update=(lambda _row: mutate(target, uow)) if mutate else None,
    )
    queued = notify.on_stage_event(
        uow.session, uow.mail, target, stage, spec.event, uow.now, done.entry
    )
    return StageChange(
        pairing=target.pairing.id,
        year=spec.year,
        stage=stage.id,
        stage_name=stage.name,
        event=spec.event,
        before=done.before,
        after=done.after,
        day=spec.on,
        detail=dict(done.detail),
        queued=queued,
    )
