"""What Träger contacts answered to meeting dates in the portal (SPEC §14), for the coordinator.

``meeting_replies`` lists confirmations and proposals of one cycle, newest first; the Zyklus
page shows them beside the meeting stage, the weekly overview can count the open proposals.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlmodel import Session, col, select

from cycle.persistence.tables import MeetingReply


@dataclass(frozen=True)
class Reply:
    stage_id: str
    email: str
    kind: str  # "bestaetigt" | "vorgeschlagen"
    scheduled_at: datetime | None  # the date confirmed (or the one a proposal replaces)
    dates: tuple[datetime, ...]  # proposed instants
    note: str | None
    at: datetime


def meeting_replies(session: Session, pairing: str, year: int) -> list[Reply]:
    query = (
        select(MeetingReply)
        .where(col(MeetingReply.pairing_id) == pairing)
        .where(col(MeetingReply.year) == year)
        .order_by(col(MeetingReply.created_at).desc(), col(MeetingReply.id).desc())
    )
    return [
        Reply(
            r.stage_id,
            r.email,
            r.kind,
            r.scheduled_at,
            tuple(datetime.fromisoformat(d) for d in r.dates),
            r.note,
            r.created_at,
        )
        for r in session.exec(query)
    ]


@dataclass(frozen=True)
class Proposal:
    pairing: str
    year: int
    stage_id: str
    email: str
    dates: tuple[datetime, ...]
    note: str | None


def proposals_since(session: Session, since: datetime) -> list[Proposal]:
    """Dates proposed in the portal since ``since``, oldest first (for the weekly overview)."""
    query = (
        select(MeetingReply)
        .where(col(MeetingReply.kind) == "vorgeschlagen")
        .where(col(MeetingReply.created_at) >= since)
        .order_by(col(MeetingReply.created_at), col(MeetingReply.id))
    )
    return [
        Proposal(
            r.pairing_id,
            r.year,
            r.stage_id,
            r.email,
            tuple(datetime.fromisoformat(d) for d in r.dates),
            r.note,
        )
        for r in session.exec(query)
    ]
