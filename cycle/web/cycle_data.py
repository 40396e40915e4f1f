"""What the Zyklus page shows of one cycle: stages, history, evidence, notifications, forms.

``allowed_events`` mirrors the guards of the service layer (status graph, prerequisites,
ended cycle) and the permission table, so the page offers exactly the forms that can succeed
now; the bus still decides, and a refusal is shown beside the form.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlmodel import Session, col

from cycle.config.settings import Settings, StageSpec
from cycle.persistence.tables import AuditEntry, Cycle, Notification, OutboxMessage, StageState
from cycle.service import commands as c
from cycle.service.permissions import may
from cycle.service.principal import Principal
from cycle.views.reports import stage_rows
from workflows.stages import PREPARATORY_EVENTS, TRANSITIONS, StageType, is_done

EVENT_COMMANDS: dict[str, type] = {
    "schedule": c.Schedule,
    "complete": c.Complete,
    "submit": c.Submit,
    "accept": c.Accept,
    "return": c.Return,
    "check": c.Check,
    "acknowledge": c.Acknowledge,
    "file": c.File,
    "extend": c.Extend,
    "waive": c.Waive,
    "correct": c.Correct,
}
FORM_TITLES = {
    "schedule": "Termin festlegen",
    "complete": "Als durchgeführt erfassen",
    "submit": "Einreichung erfassen",
    "accept": "Annehmen",
    "return": "Zurückgeben",
    "check": "Rechnerisch prüfen",
    "acknowledge": "Zur Kenntnis nehmen",
    "file": "Ablegen (zum Vorgang)",
    "extend": "Frist verlängern",
    "waive": "Entfallen lassen",
    "correct": "Eintrag korrigieren",
}


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


@dataclass
class StageView:
    spec: StageSpec
    row: StageState | None
    events: list[str] = field(default_factory=list)
    history: list[AuditEntry] = field(default_factory=list)
    notifications: list[Sent] = field(default_factory=list)

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


OUTBOX_LABELS = {"pending": "ausstehend", "sent": "gesendet", "failed": "fehlgeschlagen"}


def allowed_events(
    spec: StageSpec, row: StageState, done: dict[str, bool], ended: bool, who: Principal
) -> list[str]:
    if ended:
        return []
    found = [e for e, sources, _ in TRANSITIONS[spec.type] if row.status in sources]
    if not is_done(row.status):
        found += ["extend", "waive"]
    if row.status != "offen" or row.extended_until is not None:
        found.append("correct")
    ready = all(done.get(r, True) for r in spec.requires)
    return [
        e
        for e in found
        if (ready or e in PREPARATORY_EVENTS or e == "correct") and may(who, EVENT_COMMANDS[e])
    ]


def load(
    session: Session, settings: Settings, pairing: str, year: int, who: Principal
) -> CycleView:
    cycle = session.exec(  # type: ignore[call-overload]
        select(Cycle).where(col(Cycle.pairing_id) == pairing).where(col(Cycle.year) == year)
    ).scalar_one_or_none()
    rows = stage_rows(session, pairing, year)
    entries = list(
        session.execute(
            select(AuditEntry)
            .where(col(AuditEntry.pairing_id) == pairing)
            .where(col(AuditEntry.year) == year)
            .order_by(col(AuditEntry.id))
        ).scalars()
    )
    sent = _notifications(session, pairing, year)
    done = {sid: is_done(r.status) for sid, r in rows.items()}
    ended = cycle is None or cycle.ended_on is not None
    stages = []
    for spec in settings.stages:
        row = rows.get(spec.id)
        view = StageView(spec, row)
        if row is not None:
            view.events = allowed_events(spec, row, done, ended, who)
        view.history = [e for e in entries if e.stage_id == spec.id and _shown(e)]
        view.notifications = [n for n in sent if n.stage == spec.id]
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
        label = "übersprungen" if n.status == "skipped" else OUTBOX_LABELS.get(status, "ausstehend")
        found.append(
            Sent(n.id, n.kind, n.level, n.stage_id, n.send_at, label, n.subject, n.message_id)
        )
    return found


def payload_text(entry: AuditEntry) -> str:
    """The notable details of an audit entry, in German, short."""
    try:
        data = json.loads(entry.payload)
    except ValueError:
        return ""
    if not isinstance(data, dict):
        return ""
    labels = {
        "am": "am",
        "termin": "Termin",
        "ort": "Ort",
        "grund": "Grund",
        "notiz": "Notiz",
        "text": "Notiz",
        "bis": "bis",
        "datei": "Datei",
        "teilnehmende": "Teilnehmende",
        "anzahl_teilnehmende": "Anzahl",
        "login": "Benutzer",
    }
    parts = []
    for key, label in labels.items():
        value = data.get(key)
        if value in (None, "", []):
            continue
        if isinstance(value, list):
            value = ", ".join(str(v) for v in value)
        if isinstance(value, str) and len(value) >= 10 and value[4] == "-" and value[7] == "-":
            value = f"{value[8:10]}.{value[5:7]}.{value[0:4]}{value[10:16].replace('T', ' ')}"
        parts.append(f"{label}: {value}")
    return " · ".join(parts)


def is_meeting(spec: StageSpec) -> bool:
    return spec.type in (StageType.MEETING, StageType.GROUP_MEETING)
