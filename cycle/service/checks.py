"""Checks shared by the handlers: days not in the future, one pairing, a reason, the stage's
window, a meeting stage, four eyes on the money. Each refuses with a typed problem naming the
command's field."""

from __future__ import annotations

from datetime import date
from typing import Any

from sqlmodel import col, select

from cycle.errors import Problem, Refused, UsageError
from cycle.persistence import personal
from cycle.persistence.tables import AuditEntry
from cycle.persistence.target import Target
from cycle.service.events import ALL, pairing_ids, resolve_stage
from cycle.service.principal import Principal
from cycle.service.uow import UnitOfWork
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


# The step of a Verwendungsnachweis whose actor the next step may not repeat (four eyes).
FOUR_EYES = {"check": "submit", "acknowledge": "check"}
VIA_PORTAL = " via Portal"  # ``Principal.actor`` of a Träger contact


def four_eyes(uow: UnitOfWork, target: Target, event: str, principal: Principal) -> None:
    """``[policy] vier_augen``: who acknowledged a Verwendungsnachweis did not check it, and who
    checks it did not submit it as staff (a Träger contact's own submission through the portal
    is the Träger's, not a sign-off). The earlier actor is read from the audit log: the latest
    entry of that step for this stage, so a step redone after a correction counts as redone.
    Names are compared without case and surrounding blanks (``--by "k. koordinator"`` is the
    same person as ``--by "K. Koordinator"``)."""
    earlier = FOUR_EYES.get(event)
    if earlier is None or not uow.settings.policy.vier_augen:
        return
    actor = uow.session.exec(
        select(AuditEntry.actor)
        .where(AuditEntry.pairing_id == target.pairing.id)
        .where(AuditEntry.year == target.cycle.year)
        .where(AuditEntry.stage_id == target.row.stage_id)
        .where(AuditEntry.action == earlier)
        .order_by(col(AuditEntry.id).desc())
        .limit(1)
    ).first()
    if actor is not None:
        actor = personal.resolve_text(actor, personal.clear_values(uow.session, [actor]))
    if actor is None or actor.endswith(VIA_PORTAL):
        return
    if actor.strip().casefold() != principal.actor.strip().casefold():
        return
    label = f"{target.pairing.id} {target.cycle.year}"
    if event == "check":
        text = (
            f"Vier-Augen-Prinzip: {label} · {actor} hat diesen Verwendungsnachweis eingereicht "
            "und darf ihn nicht selbst prüfen; die Prüfung übernimmt eine andere Person."
        )
    else:
        text = (
            f"Vier-Augen-Prinzip: {label} · {actor} hat diesen Verwendungsnachweis geprüft "
            "und darf ihn nicht selbst zur Kenntnis nehmen; das übernimmt eine andere Person."
        )
    raise Refused(Problem(None, "vier_augen", text))
