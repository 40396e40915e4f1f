"""One handler per command: ``handler(command, uow, principal) -> Outcome``.

Handlers validate the command's fields (typed problems naming the field), fire the stage event
through ``events.fire_event`` and return data. They never print, never read the clock (``uow.now``
is the instant of the command) and never open sessions (the bus gives them the unit of work).
"""

from __future__ import annotations

from datetime import date
from typing import Any

from cycle import german
from cycle.errors import Problem, Refused, UsageError
from cycle.persistence import evidence
from cycle.persistence.target import Target
from cycle.service import commands as c
from cycle.service import submissions
from cycle.service.checks import (
    four_eyes,
    not_future,
    require_meeting,
    require_reason,
    single_pairing,
    within_window,
)
from cycle.service.events import ALL, EventSpec, fire_event, pairing_ids, resolve_stage
from cycle.service.outcomes import Outcome
from cycle.service.principal import Principal
from cycle.service.uow import UnitOfWork
from workflows.stages import StageType

SUBMITTABLE = (StageType.REPORT, StageType.PROOF_OF_FUNDS)


def schedule(cmd: c.Schedule, uow: UnitOfWork, principal: Principal) -> Outcome:
    require_meeting(uow, cmd.stage)
    if cmd.at.tzinfo is None:
        raise UsageError(Problem("at", "ohne_zeitzone", "Zeitpunkt ohne Zeitzone"))
    if cmd.at < uow.now:
        raise UsageError(
            Problem(
                "at",
                "in_der_vergangenheit",
                f"{german.zeit(cmd.at, uow.calendar.timezone)} liegt in der "
                "Vergangenheit: ein Termin, der stattgefunden hat, wird als durchgeführt erfasst.",
            )
        )
    day = cmd.at.astimezone(uow.calendar.timezone).date()
    outside = within_window(uow, cmd.stage, cmd.year, day, "at", cmd.trotzdem, cmd.reason)

    def mutate(target: Target, _uow: UnitOfWork) -> dict[str, Any]:
        previous = target.row.scheduled_at
        target.row.scheduled_at = cmd.at
        target.row.location = cmd.location
        if previous is not None:
            target.row.sequence += 1
        return {
            "termin": cmd.at,
            "ort": cmd.location,
            "vorheriger_termin": previous,
            "sequence": target.row.sequence,
            **outside,
        }

    spec = EventSpec("schedule", cmd.pairing, cmd.year, cmd.stage)
    return Outcome(fire_event(uow, principal, spec, mutate, skip_done=True))


def participants(values: tuple[str, ...]) -> tuple[list[str], int | None]:
    """Names (comma-separated, several values) or one number of participants."""
    if len(values) == 1 and values[0].strip().isdigit():
        return [], int(values[0])
    names = [n.strip() for v in values for n in v.split(",") if n.strip()]
    return names, (len(names) or None)


def complete(cmd: c.Complete, uow: UnitOfWork, principal: Principal) -> Outcome:
    require_meeting(uow, cmd.stage)
    day = not_future(uow, cmd.on)
    outside = within_window(uow, cmd.stage, cmd.year, day, "on", cmd.trotzdem, cmd.reason)
    names, count = participants(cmd.participants)
    joint = _joint_event(uow, cmd, principal, day)

    def mutate(target: Target, uow: UnitOfWork) -> dict[str, Any]:
        target.row.done_on = day
        facts = dict(target.row.facts)
        facts.update({"teilnehmende": names, "anzahl_teilnehmende": count, "notiz": cmd.note})
        if joint is not None:
            facts["veranstaltung"] = joint  # one Gespräch for all its pairings (Bündelung)
        extra: dict[str, Any] = {
            "teilnehmende": names,
            "anzahl_teilnehmende": count,
            **outside,
        }
        if cmd.evidence is not None:
            stored = evidence.store(
                uow.session, uow.var_dir, cmd.evidence.filename, cmd.evidence.content, uow.now
            )
            facts["nachweis"] = {"sha256": stored.sha256, "datei": stored.filename}
            extra["nachweis"] = facts["nachweis"]
        target.row.facts = facts
        return extra

    spec = EventSpec("complete", cmd.pairing, cmd.year, cmd.stage, on=day, note=cmd.note)
    return Outcome(fire_event(uow, principal, spec, mutate, skip_done=True))


def _joint_event(uow: UnitOfWork, cmd: c.Complete, principal: Principal, day: date) -> str | None:
    """A meeting completed for several pairings in one command was one joint event."""
    if cmd.pairing != ALL and "," not in cmd.pairing:
        return None
    named = pairing_ids(uow.settings, cmd.pairing, principal)
    who = "alle" if named is None else "+".join(sorted(named))
    return f"{cmd.stage}-{day.isoformat()}-{who}"


SIGN_OFF_EVENTS: dict[type, str] = {command: name for name, command in c.SIGN_OFF.items()}


def sign_off(
    cmd: c.Accept | c.Check | c.Acknowledge | c.File, uow: UnitOfWork, principal: Principal
) -> Outcome:
    """accept, check, acknowledge, file: one step of the sign-off chain."""
    event = SIGN_OFF_EVENTS[type(cmd)]
    day = not_future(uow, cmd.on)

    def mutate(target: Target, _uow: UnitOfWork) -> dict[str, Any]:
        four_eyes(uow, target, event, principal)  # a refusal rolls the whole command back
        if event in ("accept", "file"):
            target.row.done_on = day
        facts = dict(target.row.facts)
        facts[event] = {"am": day.isoformat(), "durch": principal.actor}
        target.row.facts = facts
        return {}

    spec = EventSpec(event, cmd.pairing, cmd.year, cmd.stage, on=day, note=cmd.reason)
    return Outcome(fire_event(uow, principal, spec, mutate))


def give_back(cmd: c.Return, uow: UnitOfWork, principal: Principal) -> Outcome:
    reason = require_reason(cmd.reason, "Bitte einen Grund für die Rückgabe angeben.")
    if cmd.due is not None and cmd.due < uow.today:
        raise UsageError(
            Problem(
                "due", "in_der_vergangenheit", f"{cmd.due:%d.%m.%Y} liegt in der Vergangenheit."
            )
        )

    def mutate(target: Target, _uow: UnitOfWork) -> dict[str, Any]:
        if cmd.due is not None:
            target.row.due = cmd.due
            target.row.extended_until = cmd.due
        return {"grund": reason, "neue_frist": cmd.due}

    spec = EventSpec("return", cmd.pairing, cmd.year, cmd.stage)
    return Outcome(fire_event(uow, principal, spec, mutate))


def extend(cmd: c.Extend, uow: UnitOfWork, principal: Principal) -> Outcome:
    reason = require_reason(cmd.reason, "Eine Fristverlängerung braucht einen Grund.")

    def mutate(target: Target, _uow: UnitOfWork) -> dict[str, Any]:
        if cmd.until <= target.row.due:
            raise Refused(
                Problem(
                    "until",
                    "nicht_nach_frist",
                    f"{cmd.until:%d.%m.%Y} liegt nicht nach der bisherigen Frist "
                    f"{target.row.due:%d.%m.%Y}.",
                )
            )
        previous = target.row.due
        target.row.due = cmd.until
        target.row.extended_until = cmd.until
        return {"grund": reason, "bisherige_frist": previous, "neue_frist": cmd.until}

    spec = EventSpec("extend", cmd.pairing, cmd.year, cmd.stage)
    return Outcome(fire_event(uow, principal, spec, mutate))


def waive(cmd: c.Waive, uow: UnitOfWork, principal: Principal) -> Outcome:
    reason = require_reason(cmd.reason, "Eine Stufe entfällt nur mit Begründung.")

    def mutate(target: Target, uow: UnitOfWork) -> dict[str, Any]:
        target.row.done_on = uow.today
        target.row.facts = {**target.row.facts, "entfallen_grund": reason}
        return {"grund": reason}

    spec = EventSpec("waive", cmd.pairing, cmd.year, cmd.stage)
    return Outcome(fire_event(uow, principal, spec, mutate))


def submit(cmd: c.Submit, uow: UnitOfWork, principal: Principal) -> Outcome:
    stage = resolve_stage(uow.settings, cmd.stage)
    if stage.type not in SUBMITTABLE:
        raise UsageError(
            Problem(
                "stage",
                "nicht_einreichbar",
                f"{cmd.stage} ist kein Bericht und kein Verwendungsnachweis.",
            )
        )
    single_pairing(uow, cmd.pairing, principal, "Eine Einreichung")
    day = not_future(uow, cmd.on)
    outside = within_window(uow, cmd.stage, cmd.year, day, "on", cmd.trotzdem, cmd.reason)
    upload = cmd.upload
    notes: list[Problem] = []

    def mutate(target: Target, uow: UnitOfWork) -> dict[str, Any]:
        # The content check runs after the order guard: "too early" is the clearer message.
        checked = submissions.check(
            uow.settings, stage, cmd.year, upload.filename, upload.content, day, cmd.trotzdem
        )
        notes.extend(Problem(None, "hinweis", line) for line in checked.notes)
        stored = evidence.store(uow.session, uow.var_dir, upload.filename, upload.content, uow.now)
        count = int(target.row.facts.get("einreichungen", 0)) + 1
        target.row.facts = {
            **target.row.facts,
            "einreichungen": count,
            "einreichung": {
                "sha256": stored.sha256,
                "datei": stored.filename,
                "am": day.isoformat(),
                **checked.facts,
            },
        }
        return {"datei": stored.filename, "sha256": stored.sha256, **checked.facts, **outside}

    spec = EventSpec("submit", cmd.pairing, cmd.year, cmd.stage, on=day)
    changes = fire_event(uow, principal, spec, mutate)
    return Outcome(changes, notes=tuple(notes))
