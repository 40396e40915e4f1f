"""End a pairing (mid-year), optionally handing its cycle over to a successor pairing.

The successor's open stages take the predecessor's state through the ``uebernehmen``
transition of the stage graph (``workflows/machine.py``): the graph stays the only place that
says which status change is legal. A stage the successor already worked on keeps its own state.
"""

from __future__ import annotations

from typing import Any

from sqlmodel import col, select
from sqlmodel.sql.expression import SelectOfScalar

from cycle.errors import Forbidden, Problem, Refused, UsageError
from cycle.mail import notify
from cycle.persistence import audit
from cycle.persistence.tables import Cycle, PairingRow, StageState
from cycle.persistence.target import Target
from cycle.service import commands as c
from cycle.service.cycles import open_cycles
from cycle.service.events import out_of_scope
from cycle.service.outcomes import CycleChange, Outcome
from cycle.service.principal import Principal
from cycle.service.transitions import apply_transition
from cycle.service.uow import UnitOfWork
from workflows.stages import OFFEN, StageType, is_done

# What a hand-over copies besides the status (which moves through the machine).
_COPIED = ("due", "extended_until", "scheduled_at", "location", "sequence", "done_on")


def _validate(cmd: c.End, uow: UnitOfWork, principal: Principal) -> None:
    for name, value in (("pairing", cmd.pairing), ("successor", cmd.successor)):
        if value is None:
            continue
        if not principal.sees(value):
            raise Forbidden(out_of_scope(value))
        if value not in uow.settings.pairings:
            raise UsageError(
                Problem(name, "unbekannte_partnerschaft", f"unbekannte Partnerschaft „{value}“")
            )
    if cmd.successor == cmd.pairing:
        raise UsageError(
            Problem(
                "successor",
                "eigene_nachfolge",
                "Eine Partnerschaft kann nicht ihre eigene Nachfolge sein.",
            )
        )
    if not cmd.reason.strip():
        raise UsageError(
            Problem("reason", "grund_fehlt", "Das Ende einer Partnerschaft braucht einen Grund.")
        )
    if cmd.on > uow.today:
        raise UsageError(
            Problem("on", "in_der_zukunft", f"{cmd.on:%d.%m.%Y} liegt in der Zukunft.")
        )


def end(cmd: c.End, uow: UnitOfWork, principal: Principal) -> Outcome:
    _validate(cmd, uow, principal)
    session, now, actor, on = uow.session, uow.now, principal.actor, cmd.on
    open_cycles(
        session,
        uow.settings,
        uow.calendar,
        on.year,
        now,
        "zyklus",
        only={cmd.pairing} | ({cmd.successor} if cmd.successor else set()),
    )
    pairing = session.get(PairingRow, cmd.pairing)
    if pairing is None:
        raise Refused(f"{cmd.pairing}: noch nicht importiert (zuerst „zyklus init“).")
    if pairing.ended_on is not None:
        raise Refused(f"{cmd.pairing}: ist bereits beendet (am {pairing.ended_on:%d.%m.%Y}).")
    pairing.ended_on, pairing.end_reason, pairing.successor_id = on, cmd.reason, cmd.successor
    session.add(pairing)
    audit.record(
        session,
        now,
        actor,
        audit.Change(
            "partnerschaft_beendet",
            cmd.pairing,
            on.year,
            after="beendet",
            payload={"am": on, "grund": cmd.reason, "nachfolge": cmd.successor},
        ),
    )
    cycles = session.exec(
        select(Cycle)
        .where(Cycle.pairing_id == cmd.pairing)
        .where(Cycle.year >= on.year)
        .where(col(Cycle.ended_on).is_(None))
        .order_by(col(Cycle.year))
    ).all()
    changes: list[CycleChange] = []
    for cycle in cycles:
        cycle.ended_on = on
        session.add(cycle)
        audit.record(
            session,
            now,
            actor,
            audit.Change(
                "zyklus_beendet",
                cmd.pairing,
                cycle.year,
                after="beendet",
                payload={"am": on, "grund": cmd.reason},
            ),
        )
        changes.append(
            CycleChange("beendet", cmd.pairing, cycle.year, {"am": on, "grund": cmd.reason})
        )
        taken: dict[str, Target] = {}
        if cmd.successor:
            change, taken = _hand_over(uow, cycle, cmd.successor, actor)
            changes.append(change)
        _tell_participants(uow, pairing, cycle, taken, cmd)
    if cmd.successor:
        changes += _hand_over_running(uow, pairing, cmd, actor)
    return Outcome(cycle_changes=tuple(changes))


def _hand_over_running(
    uow: UnitOfWork, pairing: PairingRow, cmd: c.End, actor: str
) -> list[CycleChange]:
    """The cycle of the previous year may still run (Bielefeld: one dialogue from November to
    June): its open meetings and reports move to the successor; the predecessor's stages are
    waived as handed over. The Verwendungsnachweis stays with the predecessor, who got the money.
    """
    assert cmd.successor is not None
    session, year = uow.session, cmd.on.year - 1
    cycle = session.exec(
        select(Cycle)
        .where(Cycle.pairing_id == cmd.pairing)
        .where(Cycle.year == year)
        .where(col(Cycle.ended_on).is_(None))
    ).first()
    if cycle is None:
        return []
    rows = {r.stage_id: r for r in session.exec(_stages_of(cycle.id))}
    moving = {
        sid: row
        for sid, row in rows.items()
        if not is_done(row.status)
        and (spec := uow.settings.stage(sid)) is not None
        and spec.type is not StageType.PROOF_OF_FUNDS
    }
    if not moving:
        return []
    open_cycles(
        session,
        uow.settings,
        uow.calendar,
        year,
        uow.now,
        "zyklus",
        only={cmd.successor},
        active_only=False,
    )
    change, taken = _hand_over(uow, cycle, cmd.successor, actor, only=set(moving))
    for sid, row in moving.items():
        stage = uow.settings.stage(sid)
        if stage is not None and row.status == "terminiert":
            reason = f"Die Partnerschaft {cmd.pairing} endet; {cmd.successor} übernimmt."
            old_target = Target(pairing, cycle, row, rows)
            notify.meeting_moved(
                session, uow.mail, old_target, taken.get(sid), stage, uow.now, reason
            )
        handed = {
            "uebergeben_an": cmd.successor,
            "entfallen_grund": f"an {cmd.successor} übergeben",
        }
        _move(uow, actor, pairing.id, cycle.year, sid, row, "waive", handed)
    started = uow.settings.pairings[cmd.successor].start
    if taken and started.year > year:  # a year the successor did not run: it owes nothing else
        target = next(iter(taken.values()))
        before_start = {"entfallen_grund": "vor Beginn der Partnerschaft"}
        for sid, row in target.stages.items():
            if sid not in taken and row.status == OFFEN and not row.facts:
                _move(uow, actor, cmd.successor, year, sid, row, "waive", before_start)
    return [change]


def _move(
    uow: UnitOfWork,
    actor: str,
    pairing_id: str,
    year: int,
    stage_id: str,
    row: StageState,
    event: str,
    facts: dict[str, Any],
) -> None:
    """Fire ``event`` on one stage row through the machine, with its audit entry."""
    stage = uow.settings.stage(stage_id)
    assert stage is not None

    def record(moved: StageState) -> None:
        moved.facts = {**moved.facts, **facts}
        moved.done_on = uow.today if is_done(moved.status) else moved.done_on

    apply_transition(uow, actor, (pairing_id, year), stage, row, event, facts, update=record)


def _tell_participants(
    uow: UnitOfWork, pairing: PairingRow, cycle: Cycle, taken: dict[str, Target], cmd: c.End
) -> None:
    """Scheduled meetings of the ended cycle: the predecessor's participants get a cancellation,
    the successor's (when it took the meeting over) an invitation."""
    rows = {r.stage_id: r for r in uow.session.exec(_stages_of(cycle.id))}
    for stage_id, row in rows.items():
        stage = uow.settings.stage(stage_id)
        if stage is None or row.status != "terminiert":
            continue
        reason = f"Die Partnerschaft {cmd.pairing} endet am {cmd.on:%d.%m.%Y}" + (
            f"; {cmd.successor} übernimmt." if cmd.successor else "."
        )
        old = Target(pairing, cycle, row, rows)
        notify.meeting_moved(
            uow.session, uow.mail, old, taken.get(stage_id), stage, uow.now, reason
        )


def _hand_over(
    uow: UnitOfWork, cycle: Cycle, successor_id: str, actor: str, only: set[str] | None = None
) -> tuple[CycleChange, dict[str, Target]]:
    session = uow.session
    target = session.exec(
        select(Cycle).where(Cycle.pairing_id == successor_id).where(Cycle.year == cycle.year)
    ).first()
    if target is None:
        raise Refused(
            Problem(
                "successor",
                "nachfolge_nicht_aktiv",
                f"{successor_id} ist {cycle.year} nicht aktiv "
                "(Beginn/Ende in der Konfiguration prüfen).",
            )
        )
    source_rows = {r.stage_id: r for r in session.exec(_stages_of(cycle.id))}
    successor = session.get_one(PairingRow, successor_id)
    rows = list(session.exec(_stages_of(target.id)))
    by_stage = {r.stage_id: r for r in rows}
    taken: dict[str, Target] = {}
    for row in rows:
        source = source_rows.get(row.stage_id)
        if only is not None and row.stage_id not in only:
            continue
        if source is None or row.status != OFFEN or row.facts:
            continue  # the successor already worked on this stage: keep its own state
        stage = uow.settings.stage(row.stage_id)
        if stage is None:
            continue
        copied: dict[str, Any] = {name: getattr(source, name) for name in _COPIED}

        def take(moved: StageState, copied: dict[str, Any] = copied, source: Any = source) -> None:
            for name, value in copied.items():
                setattr(moved, name, value)
            moved.facts = {**source.facts, "uebernommen_von": cycle.pairing_id}

        apply_transition(
            uow,
            actor,
            (successor_id, cycle.year),
            stage,
            row,
            "uebernehmen",
            {"von": cycle.pairing_id},
            takes=source.status,
            update=take,
        )
        taken[row.stage_id] = Target(successor, target, row, by_stage)
    change = CycleChange(
        "uebernommen", successor_id, cycle.year, {"von": cycle.pairing_id, "stufen": len(taken)}
    )
    return change, taken


def _stages_of(cycle_id: int | None) -> SelectOfScalar[StageState]:
    """A cycle's stage rows in the order of the stage list: the order of their audit entries
    and mails, the same on every engine."""
    return (
        select(StageState).where(StageState.cycle_id == cycle_id).order_by(col(StageState.position))
    )
