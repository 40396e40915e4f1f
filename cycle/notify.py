"""Notifications caused by stage events (invitations, receipts). Filled in with the outbox."""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING

from sqlmodel import Session

if TYPE_CHECKING:
    from cycle.bootstrap import App
    from cycle.events import Target
    from cycle.settings import StageSpec


def on_stage_event(
    session: Session, app: App, target: Target, stage: StageSpec, event: str, now: datetime
) -> None:
    return None
