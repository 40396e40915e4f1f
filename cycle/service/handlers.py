"""One function per event command of SPEC §11. Each returns German lines for the user."""

from __future__ import annotations

from datetime import date, datetime
from pathlib import Path
from typing import Any

from sqlmodel import Session

from cycle.bootstrap import App
from cycle.errors import Refused, UsageError
from cycle.persistence import evidence
from cycle.service.events import EventSpec, Target, describe, fire_event, resolve_stage
from workflows.stages import StageType


def _not_future(app: App, on: date | None, argument: str = "--on") -> date:
    today = app.today()
    if on is None:
        return today
    if on > today:
        raise UsageError(
            f"{argument}: {on:%d.%m.%Y} liegt in der Zukunft (heute: {today:%d.%m.%Y})."
        )
    return on


def _require_meeting(app: App, stage_id: str) -> None:
    if resolve_stage(app, stage_id).type not in (StageType.MEETING, StageType.GROUP_MEETING):
        raise UsageError(f"STAGE: {stage_id} ist kein Termin (Gespräch oder Fachtag).")


def schedule(
    app: App,
    pairing: str,
    year: int,
    stage_id: str,
    at: datetime,
    location: str | None,
    by: str | None,
) -> list[str]:
    _require_meeting(app, stage_id)
    if at.tzinfo is None:
        raise UsageError("--at: Zeitpunkt ohne Zeitzone")

    def mutate(target: Target, _session: Session) -> dict[str, Any]:
        previous = target.row.scheduled_at
        target.row.scheduled_at = at
        target.row.location = location
        if previous is not None:
            target.row.sequence += 1
        return {
            "termin": at,
            "ort": location,
            "vorheriger_termin": previous,
            "sequence": target.row.sequence,
        }

    spec = EventSpec("schedule", pairing, year, stage_id, app.actor(by))
    outcomes = fire_event(app, spec, mutate, skip_done=True)
    when = at.astimezone(app.calendar.timezone)
    return describe(
        outcomes, f" am {when:%d.%m.%Y, %H:%M} Uhr" + (f", {location}" if location else "")
    )


def complete(
    app: App,
    pairing: str,
    year: int,
    stage_id: str,
    on: date | None,
    by: str | None,
    note: str | None,
    evidence_file: Path | None,
    participants: list[str],
) -> list[str]:
    _require_meeting(app, stage_id)
    day = _not_future(app, on)
    data = evidence.read_input(evidence_file, "--evidence") if evidence_file else None

    def mutate(target: Target, session: Session) -> dict[str, Any]:
        target.row.done_on = day
        facts = dict(target.row.facts)
        names, count = _participants(participants)
        facts.update({"teilnehmende": names, "anzahl_teilnehmende": count, "notiz": note})
        extra: dict[str, Any] = {"teilnehmende": names, "anzahl_teilnehmende": count}
        if data is not None and evidence_file is not None:
            stored = evidence.store(session, app.var_dir, evidence_file.name, data, app.now())
            facts["nachweis"] = {"sha256": stored.sha256, "datei": stored.filename}
            extra["nachweis"] = facts["nachweis"]
        target.row.facts = facts
        return extra

    spec = EventSpec("complete", pairing, year, stage_id, app.actor(by), on=day, note=note)
    return describe(fire_event(app, spec, mutate, skip_done=True), f" am {day:%d.%m.%Y}")


def _participants(values: list[str]) -> tuple[list[str], int | None]:
    if len(values) == 1 and values[0].strip().isdigit():
        return [], int(values[0])
    names = [n.strip() for v in values for n in v.split(",") if n.strip()]
    return names, (len(names) or None)


def simple(
    app: App,
    event: str,
    pairing: str,
    year: int,
    stage_id: str,
    by: str | None,
    reason: str | None = None,
    on: date | None = None,
) -> list[str]:
    """accept, check, acknowledge, file."""
    day = _not_future(app, on)

    def mutate(target: Target, _session: Session) -> dict[str, Any]:
        if event in ("accept", "file"):
            target.row.done_on = day
        facts = dict(target.row.facts)
        facts[event] = {"am": day.isoformat(), "durch": app.actor(by)}
        target.row.facts = facts
        return {}

    spec = EventSpec(event, pairing, year, stage_id, app.actor(by), on=day, note=reason)
    return describe(fire_event(app, spec, mutate))


def give_back(
    app: App,
    pairing: str,
    year: int,
    stage_id: str,
    reason: str | None,
    due: date | None,
    by: str | None,
) -> list[str]:
    if not reason:
        raise UsageError("--reason: Bitte einen Grund für die Rückgabe angeben.")
    if due is not None and due < app.today():
        raise UsageError(f"--due: {due:%d.%m.%Y} liegt in der Vergangenheit.")

    def mutate(target: Target, _session: Session) -> dict[str, Any]:
        if due is not None:
            target.row.due = due
            target.row.extended_until = due
        return {"grund": reason, "neue_frist": due}

    spec = EventSpec("return", pairing, year, stage_id, app.actor(by))
    return describe(fire_event(app, spec, mutate))


def extend(
    app: App, pairing: str, year: int, stage_id: str, until: date, reason: str, by: str | None
) -> list[str]:
    if not reason.strip():
        raise UsageError("--reason: Eine Fristverlängerung braucht einen Grund.")

    def mutate(target: Target, _session: Session) -> dict[str, Any]:
        if until <= target.row.due:
            raise Refused(
                f"--until: {until:%d.%m.%Y} liegt nicht nach der bisherigen Frist "
                f"{target.row.due:%d.%m.%Y}."
            )
        previous = target.row.due
        target.row.due = until
        target.row.extended_until = until
        return {"grund": reason, "bisherige_frist": previous, "neue_frist": until}

    spec = EventSpec("extend", pairing, year, stage_id, app.actor(by))
    return describe(fire_event(app, spec, mutate), f", neue Frist {until:%d.%m.%Y}")


def waive(
    app: App, pairing: str, year: int, stage_id: str, reason: str, by: str | None
) -> list[str]:
    if not reason.strip():
        raise UsageError("--reason: Eine Stufe entfällt nur mit Begründung.")

    def mutate(target: Target, _session: Session) -> dict[str, Any]:
        target.row.done_on = app.today()
        target.row.facts = {**target.row.facts, "entfallen_grund": reason}
        return {"grund": reason}

    spec = EventSpec("waive", pairing, year, stage_id, app.actor(by))
    return describe(fire_event(app, spec, mutate))


def submit(
    app: App,
    pairing: str,
    year: int,
    stage_id: str,
    file: Path,
    on: date | None,
    by: str | None,
    despite_gaps: bool = False,
) -> list[str]:
    stage = resolve_stage(app, stage_id)
    if stage.type not in (StageType.REPORT, StageType.PROOF_OF_FUNDS):
        raise UsageError(f"STAGE: {stage_id} ist kein Bericht und kein Verwendungsnachweis.")
    if "," in pairing or pairing == "alle":
        raise UsageError("PAIRING: Eine Einreichung gilt für genau eine Partnerschaft.")
    day = _not_future(app, on)
    data = evidence.read_input(file, "FILE")
    from cycle.service import submissions

    notes: list[str] = []

    def mutate(target: Target, session: Session) -> dict[str, Any]:
        # The content check runs after the order guard: "too early" is the clearer message.
        checked = submissions.check(app, stage, year, file.name, data, day, despite_gaps)
        notes.extend(checked.notes)
        stored = evidence.store(session, app.var_dir, file.name, data, app.now())
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
        return {"datei": stored.filename, "sha256": stored.sha256, **checked.facts}

    spec = EventSpec("submit", pairing, year, stage_id, app.actor(by), on=day)
    return describe(fire_event(app, spec, mutate), f" am {day:%d.%m.%Y}") + notes
