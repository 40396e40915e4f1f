"""Handlers of the Träger portal's own commands (SPEC §14): meeting answers and revocation.

A contact confirms the scheduled date of a meeting or proposes up to three other dates; both
leave the stage's status alone (the coordinator schedules), are kept as ``MeetingReply`` rows
for the coordinator's pages and are written to the audit log with the contact as actor
(``<email> via Portal``). The pairing is checked against the principal's scope first
(``Forbidden``, the same answer whether or not the pairing exists).
"""

from __future__ import annotations

from datetime import datetime

from sqlmodel import col, select

from cycle.errors import Problem, Refused, UsageError
from cycle.persistence import audit, portal_store
from cycle.persistence.tables import Cycle, MeetingReply, StageState
from cycle.service import commands as c
from cycle.service.checks import MEETINGS, single_pairing
from cycle.service.events import resolve_stage
from cycle.service.outcomes import CycleChange, Outcome
from cycle.service.principal import Principal
from cycle.service.uow import UnitOfWork
from workflows.stages import StageType, is_done

MAX_PROPOSALS = 3
MAX_NOTE = 2000


def _meeting_row(
    uow: UnitOfWork, cmd: c.StageCommand, principal: Principal, what: str
) -> tuple[str, StageState]:
    """The pairing and the open meeting stage the command is about, or a typed refusal."""
    pairing = single_pairing(uow, cmd.pairing, principal, what)
    stage = resolve_stage(uow.settings, cmd.stage)
    if stage.type not in MEETINGS:
        raise UsageError(Problem("stage", "kein_termin", f"{stage.name} ist kein Termin."))
    found = uow.session.exec(
        select(Cycle, StageState)
        .join(StageState, col(StageState.cycle_id) == col(Cycle.id))
        .where(col(Cycle.pairing_id) == pairing)
        .where(col(Cycle.year) == cmd.year)
        .where(col(StageState.stage_id) == stage.id)
    ).first()
    if found is None:
        raise Refused(Problem("year", "kein_zyklus", f"{pairing}: kein Zyklus im Jahr {cmd.year}."))
    cycle, row = found
    if cycle.ended_on is not None or is_done(row.status):
        raise Refused(
            Problem(None, "abgeschlossen", f"{stage.name} {cmd.year} ist bereits abgeschlossen.")
        )
    return pairing, row


def _record(
    uow: UnitOfWork, principal: Principal, cmd: c.StageCommand, pairing: str, reply: MeetingReply
) -> Outcome:
    uow.session.add(reply)
    payload = {
        "termin": reply.scheduled_at,
        "vorschlaege": reply.dates,
        "notiz": reply.note,
    }
    action = "termin_bestaetigt" if reply.kind == "bestaetigt" else "termine_vorgeschlagen"
    audit.record(
        uow.session,
        uow.now,
        principal.actor,
        audit.Change(action, pairing, cmd.year, cmd.stage, payload=payload),
    )
    return Outcome(cycle_changes=(CycleChange(action, pairing, cmd.year, payload),))


def confirm_meeting(cmd: c.ConfirmMeeting, uow: UnitOfWork, principal: Principal) -> Outcome:
    pairing, row = _meeting_row(uow, cmd, principal, "Eine Terminbestätigung")
    if row.scheduled_at is None or row.scheduled_at != cmd.at:
        raise Refused(
            Problem(
                "at",
                "termin_geaendert",
                "Der Termin wurde inzwischen geändert oder aufgehoben; bitte die Seite neu laden.",
            )
        )
    reply = MeetingReply(
        pairing_id=pairing,
        year=cmd.year,
        stage_id=cmd.stage,
        email=principal.name,
        kind="bestaetigt",
        scheduled_at=row.scheduled_at,
        created_at=uow.now,
    )
    return _record(uow, principal, cmd, pairing, reply)


def propose_dates(cmd: c.ProposeDates, uow: UnitOfWork, principal: Principal) -> Outcome:
    pairing, row = _meeting_row(uow, cmd, principal, "Ein Terminvorschlag")
    if resolve_stage(uow.settings, cmd.stage).type is StageType.GROUP_MEETING:
        raise UsageError(
            Problem(
                "dates",
                "gemeinsamer_termin",
                "Dieser Termin gilt für alle Partnerschaften; bitte wenden Sie sich für eine "
                "Änderung an die Koordinierungsstelle.",
            )
        )
    dates = sorted(set(cmd.dates))
    problems = []
    if not 1 <= len(dates) <= MAX_PROPOSALS:
        problems.append(
            Problem("dates", "anzahl", f"Bitte einen bis {MAX_PROPOSALS} Termine vorschlagen.")
        )
    if any(d.tzinfo is None for d in dates):
        problems.append(Problem("dates", "ohne_zeitzone", "Zeitpunkt ohne Zeitzone"))
    elif any(d <= uow.now for d in dates):
        problems.append(
            Problem("dates", "vergangen", "Vorgeschlagene Termine müssen in der Zukunft liegen.")
        )
    note = (cmd.note or "").strip() or None
    if note is not None and len(note) > MAX_NOTE:
        problems.append(
            Problem("note", "zu_lang", f"Die Nachricht ist zu lang (höchstens {MAX_NOTE} Zeichen).")
        )
    if problems:
        raise UsageError(*problems)
    reply = MeetingReply(
        pairing_id=pairing,
        year=cmd.year,
        stage_id=cmd.stage,
        email=principal.name,
        kind="vorgeschlagen",
        scheduled_at=row.scheduled_at,
        dates=[_iso(d) for d in dates],
        note=note,
        created_at=uow.now,
    )
    return _record(uow, principal, cmd, pairing, reply)


def _iso(instant: datetime) -> str:
    return instant.isoformat()


def revoke_portal(cmd: c.RevokePortal, uow: UnitOfWork, principal: Principal) -> Outcome:
    address = portal_store.normal(cmd.email)
    if not address or "@" not in address:
        raise UsageError(Problem("email", "ungueltig", f"„{cmd.email}“ ist keine E-Mail-Adresse."))
    done = portal_store.revoke(uow.session, address, uow.now)
    details = {
        "email": address,
        "links": done.links,
        "sitzungen": done.sessions,
        "kalender": done.feeds,
    }
    audit.record(
        uow.session, uow.now, principal.actor, audit.Change("portal_widerrufen", payload=details)
    )
    return Outcome(cycle_changes=(CycleChange("portal_widerrufen", None, None, details),))
