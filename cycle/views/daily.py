"""The daily view: which years still have open work, and what waits for the signed-in role.

- ``open_years``: the years with a running cycle that has a stage not done (one grouped query);
  the Übersicht opens on the oldest of them (June 2027: the 2026 cycles with their open
  Verwendungsnachweise) and names the others.
- ``waiting_for``: in one query, the stages that wait for one of the given city steps
  (``(stage id, status)`` pairs: the web layer derives them from the registry's roles) and the
  meeting stages with a date proposed in the portal after the stage last changed — the
  proposals not answered yet. Oldest first.
"""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass
from datetime import UTC, datetime

from sqlalchemy import and_, false, func, or_, select
from sqlmodel import Session, col

from cycle.persistence.tables import Cycle, MeetingReply, StageState
from workflows.stages import DONE_STATUSES

PROPOSED = "vorgeschlagen"


def open_years(session: Session) -> list[int]:
    """The years, oldest first, with a running cycle that still has a stage not done."""
    query = (
        select(col(Cycle.year))
        .join(StageState, col(StageState.cycle_id) == col(Cycle.id))
        .where(col(Cycle.ended_on).is_(None))
        .where(col(StageState.status).not_in(sorted(DONE_STATUSES)))
        .group_by(col(Cycle.year))
        .order_by(col(Cycle.year))
    )
    return list(session.execute(query).scalars())


@dataclass(frozen=True)
class Waiting:
    pairing: str
    year: int
    stage_id: str
    status: str
    since: datetime  # the stage's last change, or the proposal's time
    proposal: bool  # a date proposed in the portal, not answered yet


def waiting_for(
    session: Session, steps: Collection[tuple[str, str]], meetings: Collection[str]
) -> list[Waiting]:
    """What waits: a stage in one of ``steps`` (stage id, status), or a stage of ``meetings``
    (stage ids; empty: proposals are not this role's) with an unanswered proposal."""
    stage = StageState
    proposed = (
        select(func.max(col(MeetingReply.created_at)))
        .where(col(MeetingReply.pairing_id) == col(Cycle.pairing_id))
        .where(col(MeetingReply.year) == col(Cycle.year))
        .where(col(MeetingReply.stage_id) == col(stage.stage_id))
        .where(col(MeetingReply.kind) == PROPOSED)
        .where(col(MeetingReply.created_at) > col(stage.updated_at))
        .scalar_subquery()
    )
    in_step = or_(
        false(),
        *(and_(col(stage.stage_id) == s, col(stage.status) == st) for s, st in sorted(steps)),
    )
    unanswered = (
        and_(
            col(stage.stage_id).in_(sorted(meetings)),
            col(stage.status).not_in(sorted(DONE_STATUSES)),
            proposed.is_not(None),
        )
        if meetings
        else false()
    )
    query = (
        select(
            col(Cycle.pairing_id),
            col(Cycle.year),
            col(stage.stage_id),
            col(stage.status),
            col(stage.updated_at),
            proposed.label("proposed"),
        )
        .join(Cycle, col(Cycle.id) == col(stage.cycle_id))
        .where(col(Cycle.ended_on).is_(None))
        .where(or_(in_step, unanswered))
        .order_by(col(stage.updated_at), col(Cycle.pairing_id))
    )
    found = [
        Waiting(pairing, year, stage_id, status, _utc(proposal or changed), proposal is not None)
        for pairing, year, stage_id, status, changed, proposal in session.execute(query)
    ]
    return sorted(found, key=lambda w: w.since)


def _utc(instant: datetime) -> datetime:
    """SQLite keeps UTC without an offset (a Core row of a scalar subquery bypasses the type)."""
    return instant.replace(tzinfo=UTC) if instant.utcoffset() is None else instant
