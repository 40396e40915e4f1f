"""Reminders of the sign-off chain: a Kenntnisnahme or Ablage not done after N working days.

The task mails themselves go out with the event (``notify.sign_off_task`` after ``check`` and
``acknowledge``); here the tick finds, set-wise, the Verwendungsnachweise that have waited
``[policy] abzeichnung_erinnerung_tage`` working days in ``geprueft`` or
``zur_kenntnis_genommen`` and whose reminder was not recorded yet.
"""

from __future__ import annotations

from datetime import datetime

from sqlmodel import Session, col, select

from cycle.clock import local_date
from cycle.mail import notify
from cycle.mail.compose import Draft, point_key
from cycle.mail.context import MailContext
from cycle.persistence.tables import Cycle, Notification, PairingRow, StageState
from cycle.persistence.target import Target
from workflows.deadlines import after_working_days
from workflows.recipients import AUFGABE
from workflows.stages import StageType

# status waiting for a sign-off step -> the level of that step's reminder
WAITING = {"geprueft": 2, "zur_kenntnis_genommen": 4}


def reminders(session: Session, ctx: MailContext, now: datetime) -> list[Draft]:
    settings, cal = ctx.settings, ctx.calendar
    proof = [s.id for s in settings.stages if s.type is StageType.PROOF_OF_FUNDS]
    if not proof:
        return []
    rows = session.exec(
        select(StageState, Cycle, PairingRow)
        .join(Cycle, col(Cycle.id) == col(StageState.cycle_id))
        .join(PairingRow, col(PairingRow.id) == col(Cycle.pairing_id))
        .where(col(StageState.stage_id).in_(proof))
        .where(col(StageState.status).in_(list(WAITING)))
        .where(col(Cycle.ended_on).is_(None))
        .order_by(col(Cycle.pairing_id), col(Cycle.year), col(StageState.position))
    ).all()
    wait = settings.policy.abzeichnung_erinnerung_tage
    candidates = []
    for row, cycle, pairing in rows:
        since = local_date(row.updated_at, cal.timezone)
        remind_on = after_working_days(since, wait, cal)
        if cal.at(remind_on, settings.calendar.send_time) > now:
            continue
        level = WAITING[row.status]
        key = point_key(pairing.id, cycle.year, row.stage_id, since, AUFGABE, level)
        candidates.append((key, row, cycle, pairing, since, level))
    if not candidates:
        return []
    known = set(
        session.exec(
            select(col(Notification.key)).where(
                col(Notification.key).in_([c[0] for c in candidates])
            )
        )
    )
    drafts = []
    for key, row, cycle, pairing, since, level in candidates:
        stage = settings.stage(row.stage_id)
        if key in known or stage is None:
            continue
        target = Target(pairing, cycle, row, {row.stage_id: row})
        drafts.append(notify.sign_off_task(ctx, target, stage, level, now, since))
    return drafts
