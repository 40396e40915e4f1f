"""One reconciliation pass at ``now`` (SPEC §7): open cycles, enqueue what is due, deliver.

The pass is idempotent: every notification has a unique key, and ``due.py`` only returns points
not yet recorded. Ticks are serialised by the audit head lock (and ``BEGIN IMMEDIATE`` on SQLite).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta

from sqlmodel import Session, col, select

from cycle.documents import skeleton_docx
from cycle.mail import compose, drafts, due, signoff
from cycle.mail.compose import Draft
from cycle.mail.context import MailContext
from cycle.mail.deliver import Delivery, deliver
from cycle.persistence.tables import AuditHead, Notification
from cycle.service import cycles
from cycle.service.context import ServiceContext
from cycle.service.uow import UnitOfWork
from cycle.views import overview
from cycle.views.meeting_replies import proposals_since
from cycle.views.reports import skeleton_data
from notifications.render import Renderer
from notifications.transport_base import Transport
from workflows.cycle_state import ABGESCHLOSSEN, BEENDET


@dataclass
class TickReport:
    opened: int = 0
    enqueued: int = 0
    skipped: int = 0
    sent: int = 0
    failed: int = 0
    deferred: int = 0
    queued: list[Draft] = field(default_factory=list)

    def as_json(self) -> dict[str, int]:
        return {
            "opened": self.opened,
            "enqueued": self.enqueued,
            "skipped": self.skipped,
            "sent": self.sent,
            "failed": self.failed,
            "deferred": self.deferred,
        }


def _lock(session: Session) -> None:
    session.exec(select(AuditHead).where(AuditHead.id == 1).with_for_update()).first()


def enqueue_in(uow: UnitOfWork, renderer: Renderer, documents: bool = True) -> TickReport:
    """Open the cycles that should exist and enqueue every notification due at ``uow.now``
    (``documents=False``: without the skeleton DOCX built per pairing, for a simulation)."""
    report = TickReport()
    settings, cal, now, session, actor = uow.settings, uow.calendar, uow.now, uow.session, uow.actor
    _lock(session)
    report.opened = len(cycles.open_cycles(session, settings, cal, uow.today.year, now, actor))
    ctx = uow.mail
    # The digest first: its read model of every cycle is dropped before the due points and
    # their drafts are built (the peak memory of a mass day), though it is stored last.
    digest = _digest(session, ctx, renderer, now)
    points = due.deadline_points(session, settings, cal, now)
    points += due.meeting_points(session, settings, cal, now)
    history = due.sent_before(session, [p for p in points if p.send])
    tz = ctx.calendar.timezone

    def skeleton(pairing: str, year: int) -> bytes:  # built when the reminder is stored
        return skeleton_docx(skeleton_data(session, settings, tz, pairing, year))

    batch: list[Draft] = []
    for p in points:
        sent = history.get((p.cycle_id, p.stage_id), [])
        batch += drafts.for_point(ctx, renderer, p, now, sent, skeleton if documents else None)
    for p in points:
        batch += drafts.copies_for_point(
            ctx, renderer, p, now, history.get((p.cycle_id, p.stage_id), [])
        )
    batch += signoff.reminders(session, ctx, now)
    if digest is not None:
        batch.append(digest)
    queued = compose.store(session, batch, settings, renderer, now, actor)
    report.queued = queued
    report.enqueued = len(queued)
    report.skipped = len(batch) - len(queued)
    return report


def enqueue(context: ServiceContext, now: datetime, actor: str = "zyklus") -> TickReport:
    """One enqueue pass in its own unit of work at ``now`` (the benchmark's entry point)."""
    with UnitOfWork(context, actor, now) as uow:
        return enqueue_in(uow, context.mail.renderer)


def _digest(session: Session, ctx: MailContext, renderer: Renderer, now: datetime) -> Draft | None:
    due_week = drafts.digest_week(ctx, now)
    if due_week is None:
        return None
    week, day = due_week
    key = f"wochenuebersicht/{week}"
    if session.exec(select(col(Notification.id)).where(col(Notification.key) == key)).first():
        return None
    today = ctx.today(now)
    rows = overview.load(session, ctx.settings, today.year, today)
    rows += [
        r
        for r in overview.load(session, ctx.settings, today.year - 1, today)
        if r.state not in (ABGESCHLOSSEN, BEENDET)
    ]
    head = session.get(AuditHead, 1)  # a head already in the chain: a published anchor
    anchor = (head.count, head.hash) if head is not None and head.count else None
    proposals = proposals_since(session, now - timedelta(days=7))
    return drafts.weekly_overview(ctx, renderer, rows, now, week, day, anchor, proposals)


def deliver_into(
    delivery: Delivery, report: TickReport, now: datetime, transport: Transport | None = None
) -> TickReport:
    """Drain the outbox after the pass has committed; the counts go into ``report``."""
    result = deliver(delivery, now, transport)
    report.sent, report.failed, report.deferred = result.sent, result.failed, result.deferred
    return report
