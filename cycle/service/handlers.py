"""One handler per command: ``handler(command, uow, principal) -> Outcome``.

Handlers validate the command's fields (typed problems naming the field), fire the stage event
through ``events.fire_event`` and return data. They never print, never read the clock (``uow.now``
is the instant of the command) and never open sessions (the bus gives them the unit of work).
"""

from __future__ import annotations

from datetime import date
from typing import Any

from sqlmodel import select

from cycle.errors import Problem, Refused, UsageError
from cycle.persistence import audit, evidence
from cycle.persistence.tables import Cycle, Notification, StageState
from cycle.persistence.target import Target
from cycle.persistence.uow import UnitOfWork
from cycle.service import commands as c
from cycle.service import submissions
from cycle.service.ending import end as end
from cycle.service.events import ALL, EventSpec, fire_event, pairing_ids, resolve_stage
from cycle.service.maintenance import deliver_after_tick, retry_outbox, sync_master_data, tick
from cycle.service.outcomes import CycleChange, Outcome
from cycle.service.principal import Principal
from workflows.stages import OFFEN, StageType
from workflows.windows import Outside, stage_window

MEETINGS = (StageType.MEETING, StageType.GROUP_MEETING)
SUBMITTABLE = (StageType.REPORT, StageType.PROOF_OF_FUNDS)


def not_future(uow: UnitOfWork, on: date | None, field: str = "on") -> date:
    today = uow.today
    if on is None:
        return today
    if on > today:
        raise UsageError(
            Problem(
                field,
                "in_der_zukunft",
                f"{on:%d.%m.%Y} liegt in der Zukunft (heute: {today:%d.%m.%Y}).",
            )
        )
    return on


def single_pairing(uow: UnitOfWork, arg: str, principal: Principal, what: str) -> str:
    """The one pairing ``arg`` names; the principal's scope is checked first."""
    named = pairing_ids(uow.settings, arg, principal)
    if arg == ALL or named is None or len(named) != 1:
        raise UsageError(
            Problem("pairing", "genau_eine", f"{what} gilt für genau eine Partnerschaft.")
        )
    return named[0]


def _require_reason(text: str | None, message: str) -> str:
    if not text or not text.strip():
        raise UsageError(Problem("reason", "grund_fehlt", message))
    return text


def within_window(
    uow: UnitOfWork,
    stage_id: str,
    year: int,
    day: date,
    field: str,
    trotzdem: bool,
    reason: str | None,
) -> dict[str, Any]:
    """Refuse a day outside the stage's window unless insisted on with a reason (audited)."""
    settings = uow.settings
    stage = resolve_stage(settings, stage_id)
    last_due = max(s.due.resolve(year) for s in settings.stages)
    opens = stage.opens.resolve(year) if stage.opens is not None else None
    window = stage_window(opens, last_due, settings.betrieb.nachlauf_tage)
    where = window.outside(day)
    if where is None:
        return {}
    if trotzdem and reason and reason.strip():
        return {"ausserhalb_zeitraum": {"tag": day, "grund": reason.strip()}}
    if where is Outside.BEFORE:
        text = (
            f"{day:%d.%m.%Y} liegt vor dem Zeitraum von {stage.name} {year} (ab {opens:%d.%m.%Y})."
        )
    else:
        text = (
            f"{day:%d.%m.%Y} liegt nach dem Ende des Zyklus {year} "
            f"(bis {window.closes:%d.%m.%Y}) — ist das Jahr richtig?"
        )
    raise Refused(
        Problem(field, "ausserhalb_zeitraum", text),
        Problem(
            "trotzdem",
            "nur_mit_begruendung",
            "Ein Datum außerhalb des Zeitraums wird nur trotzdem und mit Begründung erfasst.",
        ),
    )


def _require_meeting(uow: UnitOfWork, stage_id: str) -> None:
    if resolve_stage(uow.settings, stage_id).type not in MEETINGS:
        raise UsageError(
            Problem("stage", "kein_termin", f"{stage_id} ist kein Termin (Gespräch oder Fachtag).")
        )


def schedule(cmd: c.Schedule, uow: UnitOfWork, principal: Principal) -> Outcome:
    _require_meeting(uow, cmd.stage)
    if cmd.at.tzinfo is None:
        raise UsageError(Problem("at", "ohne_zeitzone", "Zeitpunkt ohne Zeitzone"))
    if cmd.at < uow.now:
        raise UsageError(
            Problem(
                "at",
                "in_der_vergangenheit",
                f"{cmd.at.astimezone(uow.calendar.timezone):%d.%m.%Y, %H:%M} Uhr liegt in der "
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
    _require_meeting(uow, cmd.stage)
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


SIGN_OFF_EVENTS: dict[type, str] = {
    c.Accept: "accept",
    c.Check: "check",
    c.Acknowledge: "acknowledge",
    c.File: "file",
}


def sign_off(
    cmd: c.Accept | c.Check | c.Acknowledge | c.File, uow: UnitOfWork, principal: Principal
) -> Outcome:
    """accept, check, acknowledge, file: one step of the sign-off chain."""
    event = SIGN_OFF_EVENTS[type(cmd)]
    day = not_future(uow, cmd.on)

    def mutate(target: Target, _uow: UnitOfWork) -> dict[str, Any]:
        if event in ("accept", "file"):
            target.row.done_on = day
        facts = dict(target.row.facts)
        facts[event] = {"am": day.isoformat(), "durch": principal.actor}
        target.row.facts = facts
        return {}

    spec = EventSpec(event, cmd.pairing, cmd.year, cmd.stage, on=day, note=cmd.reason)
    return Outcome(fire_event(uow, principal, spec, mutate))


def give_back(cmd: c.Return, uow: UnitOfWork, principal: Principal) -> Outcome:
    reason = _require_reason(cmd.reason, "Bitte einen Grund für die Rückgabe angeben.")
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
    reason = _require_reason(cmd.reason, "Eine Fristverlängerung braucht einen Grund.")

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
    reason = _require_reason(cmd.reason, "Eine Stufe entfällt nur mit Begründung.")

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


def correct(cmd: c.Correct, uow: UnitOfWork, principal: Principal) -> Outcome:
    """Undo a mistaken event (``reopen``) or fix the recorded day or meeting time."""
    reason = _require_reason(cmd.reason, "Eine Korrektur braucht einen Grund.")
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
        _require_meeting(uow, cmd.stage)
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
    reason = _require_reason(cmd.reason, "Eine Stornierung braucht einen Grund.")
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


__all__ = [
    "deliver_after_tick",
    "end",
    "retry_outbox",
    "sync_master_data",
    "tick",
]
