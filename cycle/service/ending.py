"""End a pairing (mid-year), optionally handing its cycle over to a successor pairing.

The successor's open stages take the predecessor's state through the ``uebernehmen``
transition of the stage graph (``workflows/machine.py``): the graph stays the only place that
says which status change is legal. A stage the successor already worked on keeps its own state.
"""

from __future__ import annotations

from typing import Any

from sqlmodel import col, select

from cycle.errors import Forbidden, Problem, Refused, UsageError
from cycle.mail import notify
from cycle.persistence import audit
from cycle.persistence.tables import Cycle, PairingRow, StageState
from cycle.persistence.target import Target
from cycle.persistence.uow import UnitOfWork
from cycle.service import commands as c
from cycle.service.cycles import open_cycles
from cycle.service.events import out_of_scope
from cycle.service.outcomes import CycleChange, Outcome
from cycle.service.principal import Principal
from workflows.machine import StageView, TransitionRefused, fire
from workflows.stages import OFFEN

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
    return Outcome(cycle_changes=tuple(changes))


def _tell_participants(
    uow: UnitOfWork, pairing: PairingRow, cycle: Cycle, taken: dict[str, Target], cmd: c.End
) -> None:
    """Scheduled meetings of the ended cycle: the predecessor's participants get a cancellation,
    the successor's (when it took the meeting over) an invitation."""
    rows = {
        r.stage_id: r
        for r in uow.session.exec(select(StageState).where(StageState.cycle_id == cycle.id))
    }
    for stage_id, row in rows.items():
        stage = uow.settings.stage(stage_id)
        if stage is None or row.status != "terminiert":
            continue
        reason = f"Die Partnerschaft {cmd.pairing} endet am {cmd.on:%d.%m.%Y}" + (
            f"; {cmd.successor} übernimmt." if cmd.successor else "."
        )
        old = Target(pairing, cycle, row, rows)
        notify.meeting_moved(uow.session, uow.app, old, taken.get(stage_id), stage, uow.now, reason)


def _hand_over(
    uow: UnitOfWork, cycle: Cycle, successor_id: str, actor: str
) -> tuple[CycleChange, dict[str, Target]]:
    session, now = uow.session, uow.now
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
    source_rows = {
        r.stage_id: r
        for r in session.exec(select(StageState).where(StageState.cycle_id == cycle.id))
    }
    successor = session.get_one(PairingRow, successor_id)
    rows = list(session.exec(select(StageState).where(StageState.cycle_id == target.id)))
    by_stage = {r.stage_id: r for r in rows}
    taken: dict[str, Target] = {}
    for row in rows:
        source = source_rows.get(row.stage_id)
        if source is None or row.status != OFFEN or row.facts:
            continue  # the successor already worked on this stage: keep its own state
        stage = uow.settings.stage(row.stage_id)
        if stage is None:
            continue
        before = row.status
        try:
            row.status = fire(
                StageView(stage.name, stage.type, before), "uebernehmen", takes=source.status
            )
        except TransitionRefused as exc:
            raise Refused(f"{successor_id} {cycle.year} · {exc}") from None
        copied: dict[str, Any] = {name: getattr(source, name) for name in _COPIED}
        for name, value in copied.items():
            setattr(row, name, value)
        row.facts = {**source.facts, "uebernommen_von": cycle.pairing_id}
        row.updated_at = now
        session.add(row)
        taken[row.stage_id] = Target(successor, target, row, by_stage)
        audit.record(
            session,
            now,
            actor,
            audit.Change(
                "uebernahme",
                successor_id,
                cycle.year,
                row.stage_id,
                before,
                row.status,
                {"von": cycle.pairing_id},
            ),
        )
    change = CycleChange(
        "uebernommen", successor_id, cycle.year, {"von": cycle.pairing_id, "stufen": len(taken)}
    )
    return change, taken
