"""Fixing what was recorded: corrections through the ``korrigieren`` transitions, free notes,
and cancelling a cycle opened by mistake. Everything stays in the audit log."""

from __future__ import annotations

from typing import Any

from sqlmodel import select

from cycle.errors import Problem, Refused, UsageError
from cycle.persistence import audit
from cycle.persistence.tables import Cycle, Notification, StageState
from cycle.persistence.target import Target
from cycle.service import commands as c
from cycle.service.checks import not_future, require_meeting, require_reason, single_pairing
from cycle.service.events import EventSpec, fire_event, resolve_stage
from cycle.service.outcomes import CycleChange, Outcome
from cycle.service.principal import Principal
from cycle.service.uow import UnitOfWork
from workflows.stages import OFFEN


def correct(cmd: c.Correct, uow: UnitOfWork, principal: Principal) -> Outcome:
    """Undo a mistaken event (``reopen``) or fix the recorded day or meeting time."""
    reason = require_reason(cmd.reason, "Eine Korrektur braucht einen Grund.")
    chosen = [name for name, v in (("reopen", cmd.reopen), ("on", cmd.on), ("at", cmd.at)) if v]
    if len(chosen) != 1:
        raise UsageError(
            Problem(
                "reopen",
                "genau_eine_korrektur",
                "Genau eines angeben: wieder öffnen, ein Datum oder einen Termin.",
            )
        )
    if cmd.on is not None:
        not_future(uow, cmd.on)
    if cmd.at is not None:
        require_meeting(uow, cmd.stage)
        if cmd.at.tzinfo is None:
            raise UsageError(Problem("at", "ohne_zeitzone", "Zeitpunkt ohne Zeitzone"))

    def mutate(target: Target, _uow: UnitOfWork) -> dict[str, Any]:
        row = target.row
        if cmd.reopen:
            before = {"erledigt_am": row.done_on}
            row.done_on = None
            return {"grund": reason, "vorher": before}
        if cmd.on is not None:
            if row.done_on is None:
                raise Refused(
                    Problem("on", "kein_datum", "Für diese Stufe ist noch kein Datum erfasst.")
                )
            previous_day, row.done_on = row.done_on, cmd.on
            return {"grund": reason, "vorher": previous_day, "nachher": cmd.on}
        if row.scheduled_at is None:
            raise Refused(Problem("at", "kein_termin", "Für diese Stufe ist kein Termin erfasst."))
        previous_at, row.scheduled_at = row.scheduled_at, cmd.at
        row.sequence += 1
        return {"grund": reason, "vorher": previous_at, "nachher": cmd.at}

    event = "korrigieren" if cmd.reopen else "datum_korrigieren"
    spec = EventSpec(event, cmd.pairing, cmd.year, cmd.stage)
    return Outcome(fire_event(uow, principal, spec, mutate))


def note(cmd: c.Note, uow: UnitOfWork, principal: Principal) -> Outcome:
    """A free note on a cycle or one stage, kept in the audit log."""
    text = cmd.text.strip()
    if not text:
        raise UsageError(Problem("text", "leer", "Die Notiz ist leer."))
    if cmd.stage is not None:
        resolve_stage(uow.settings, cmd.stage)
    pairing = single_pairing(uow, cmd.pairing, principal, "Eine Notiz")
    if not uow.session.exec(
        select(Cycle.id).where(Cycle.pairing_id == pairing).where(Cycle.year == cmd.year)
    ).first():
        raise Refused(Problem("year", "kein_zyklus", f"{pairing}: kein Zyklus im Jahr {cmd.year}."))
    audit.record(
        uow.session,
        uow.now,
        principal.actor,
        audit.Change("notiz", pairing, cmd.year, cmd.stage, payload={"notiz": text}),
    )
    return Outcome(cycle_changes=(CycleChange("notiz", pairing, cmd.year, {"notiz": text}),))


def cancel_cycle(cmd: c.CancelCycle, uow: UnitOfWork, principal: Principal) -> Outcome:
    """Close a cycle opened by mistake, while nothing was recorded or sent for it."""
    reason = require_reason(cmd.reason, "Eine Stornierung braucht einen Grund.")
    pairing = single_pairing(uow, cmd.pairing, principal, "Eine Stornierung")
    session = uow.session
    cycle = session.exec(
        select(Cycle).where(Cycle.pairing_id == pairing).where(Cycle.year == cmd.year)
    ).first()
    if cycle is None or cycle.ended_on is not None:
        raise Refused(
            Problem("year", "kein_zyklus", f"{pairing}: kein laufender Zyklus im Jahr {cmd.year}.")
        )
    recorded = session.exec(
        select(StageState.stage_id)
        .where(StageState.cycle_id == cycle.id)
        .where(StageState.status != OFFEN)
    ).all()
    sent = session.exec(
        select(Notification.id)
        .where(Notification.cycle_id == cycle.id)
        .where(Notification.status != "skipped")
    ).all()
    if recorded or sent:
        what = f"{len(sent)} Nachricht(en) versandt" if sent else "Ereignisse erfasst"
        raise Refused(
            Problem(
                None,
                "nicht_stornierbar",
                f"{pairing} {cmd.year}: Für diesen Zyklus wurden bereits {what}; einzelne "
                "Stufen können entfallen oder korrigiert werden.",
            )
        )
    cycle.ended_on = uow.today
    session.add(cycle)
    audit.record(
        session,
        uow.now,
        principal.actor,
        audit.Change(
            "zyklus_storniert", pairing, cmd.year, after="storniert", payload={"grund": reason}
        ),
    )
    return Outcome(cycle_changes=(CycleChange("storniert", pairing, cmd.year, {"grund": reason}),))
