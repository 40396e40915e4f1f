"""What the Zyklus page shows of one cycle: stages, history, evidence, notifications, forms.

Where each stage stands comes from the one status query (``workflows.status``: overdue or
waiting, open prerequisites, the events the state machine allows now); ``offered_events`` keeps
those the role may do (the permission table). The bus still decides, and a refusal is shown
beside the form.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import Engine, select
from sqlmodel import Session, col

from cycle.config.settings import Settings, StageSpec
from cycle.persistence import personal
from cycle.persistence.tables import AuditEntry, Cycle, Notification, OutboxMessage, StageState
from cycle.persistence.uow import reading
from cycle.service import commands as c
from cycle.service import registry
from cycle.service.permissions import may
from cycle.service.principal import Principal
from cycle.service.registry import Surface
from cycle.views import cycle_timeline, labels
from cycle.views.context import ViewContext
from cycle.views.meeting_replies import Reply, meeting_replies
from cycle.views.reports import stage_rows
from cycle.webbase import etag
from notifications.message import display_name
from workflows.stages import StageType
from workflows.status import StageStatus


@dataclass(frozen=True)
class Sent:
    id: int | None
    kind: str
    level: int
    stage: str | None
    send_at: datetime
    status: str  # ausstehend | gesendet | fehlgeschlagen | übersprungen
    subject: str
    message_id: int | None
    to: str = ""  # the names it is addressed to (a tandem's contacts get one each)


@dataclass
class StageView:
    spec: StageSpec
    row: StageState | None
    status: StageStatus | None = None  # the one status query (``workflows.status``)
    events: list[str] = field(default_factory=list)
    history: list[AuditEntry] = field(default_factory=list)
    notifications: list[Sent] = field(default_factory=list)
    replies: list[Reply] = field(default_factory=list)  # meeting answers from the portal

    @property
    def evidence(self) -> list[dict[str, Any]]:
        facts = self.row.facts if self.row else {}
        return [f for f in (facts.get("nachweis"), facts.get("einreichung")) if isinstance(f, dict)]


@dataclass
class CycleView:
    pairing: str
    year: int
    cycle: Cycle | None
    stages: list[StageView]
    general: list[AuditEntry]  # entries not about one stage (notes, ending, hand-over)
    may_note: bool
    may_end: bool
    contacts: list[tuple[str, str]] = field(default_factory=list)  # (name, e-mail) of the pairing
    may_revoke: bool = False  # end a contact's portal links, sessions and feed (SPEC §14)


# Events of the state machine that share one form: both corrections are the ``correct`` form.
FORM_OF_EVENT = {"korrigieren": "correct", "datum_korrigieren": "correct"}


def offered_events(status: StageStatus, who: Principal) -> list[str]:
    """The forms of this stage: what the graph allows now and the role may do, in graph order."""
    events = registry.stage_events(Surface.WEB)
    forms = dict.fromkeys(FORM_OF_EVENT.get(e, e) for e in status.possible_events())
    return [e for e in forms if e in events and may(who, events[e].command)]


def load_view(ctx: ViewContext, pairing: str, year: int, who: Principal) -> tuple[str, CycleView]:
    """One cycle as ``who`` sees it on ``ctx.today`` (its own read session), with the data
    version read before it (``cycle.webbase.etag``)."""
    with reading(ctx.engine) as session:
        version = etag.data_version(session)
        return version, load(session, ctx.settings, pairing, year, who, ctx.today, ctx.tz)


def data_version(engine: Engine) -> str:
    with reading(engine) as session:
        return etag.data_version(session)


def load(
    session: Session,
    settings: Settings,
    pairing: str,
    year: int,
    who: Principal,
    today: date,
    tz: ZoneInfo,
) -> CycleView:
    cycle = session.exec(  # type: ignore[call-overload]
        select(Cycle).where(col(Cycle.pairing_id) == pairing).where(col(Cycle.year) == year)
    ).scalar_one_or_none()
    rows = stage_rows(session, pairing, year)
    entries = personal.resolved(
        session,
        session.execute(
            select(AuditEntry)
            .where(col(AuditEntry.pairing_id) == pairing)
            .where(col(AuditEntry.year) == year)
            .order_by(col(AuditEntry.id))
        ).scalars(),
    )
    sent = _notifications(session, pairing, year)
    replies = meeting_replies(session, pairing, year)
    ended = cycle is None or cycle.ended_on is not None
    status_of = cycle_timeline.statuses(settings, pairing, rows, ended, today, tz)
    stages = []
    for spec in settings.stages:
        row = rows.get(spec.id)
        view = StageView(spec, row, status_of.get(spec.id))
        if view.status is not None:
            view.events = offered_events(view.status, who)
        view.history = [e for e in entries if e.stage_id == spec.id and _shown(e)]
        view.notifications = [n for n in sent if n.stage == spec.id]
        view.replies = [r for r in replies if r.stage_id == spec.id]
        stages.append(view)
    general = [e for e in entries if e.stage_id is None and _shown(e)]
    return CycleView(
        pairing,
        year,
        cycle,
        stages,
        general,
        may_note=cycle is not None and may(who, c.Note),
        may_end=cycle is not None and cycle.ended_on is None and may(who, c.End),
        contacts=[(k.name, k.email) for k in settings.pairings[pairing].contacts]
        if pairing in settings.pairings
        else [],
        may_revoke=may(who, c.RevokePortal),
    )


def _shown(entry: AuditEntry) -> bool:
    return not entry.action.startswith("benachrichtigung_")


def _notifications(session: Session, pairing: str, year: int) -> list[Sent]:
    query = (
        select(Notification, col(OutboxMessage.status))
        .outerjoin(OutboxMessage, col(OutboxMessage.id) == col(Notification.message_id))
        .where(col(Notification.pairing_id) == pairing)
        .where(col(Notification.year) == year)
        .order_by(col(Notification.send_at), col(Notification.id))
    )
    found = []
    for n, status in session.execute(query):
        label = labels.outbox_label("skipped" if n.status == "skipped" else status or "pending")
        to = ", ".join(display_name(a) for a in n.recipients.get("to", []))
        found.append(
            Sent(n.id, n.kind, n.level, n.stage_id, n.send_at, label, n.subject, n.message_id, to)
        )
    return found


def is_meeting(spec: StageSpec) -> bool:
    return spec.type in (StageType.MEETING, StageType.GROUP_MEETING)
