"""Checks shared by the handlers: days not in the future, one pairing, a reason, the stage's
window, a meeting stage. Each refuses with a typed problem naming the command's field."""

from __future__ import annotations

from datetime import date
from typing import Any

from cycle.errors import Problem, Refused, UsageError
from cycle.persistence.uow import UnitOfWork
from cycle.service.events import ALL, pairing_ids, resolve_stage
from cycle.service.principal import Principal
from workflows.stages import StageType
from workflows.windows import Outside, stage_window

MEETINGS = (StageType.MEETING, StageType.GROUP_MEETING)


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


def require_reason(text: str | None, message: str) -> str:
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


def require_meeting(uow: UnitOfWork, stage_id: str) -> None:
    if resolve_stage(uow.settings, stage_id).type not in MEETINGS:
        raise UsageError(
            Problem("stage", "kein_termin", f"{stage_id} ist kein Termin (Gespräch oder Fachtag).")
        )
