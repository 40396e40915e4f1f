"""What a read model reads from: the database, the settings, the calendar and one instant.

The entry points (``cycle/cli``, ``cycle/web``, ``cycle/portal``) build it from their ``App``
(``App.view_context()``); a view never sees the composition root and never reads the clock.
``now`` is read once, when the context is built, so one report carries one time stamp.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path
from typing import TYPE_CHECKING
from zoneinfo import ZoneInfo

from cycle.clock import local_date
from cycle.config.settings import Settings
from workflows.calendar import WorkingCalendar

if TYPE_CHECKING:
    from sqlalchemy import Engine


@dataclass(frozen=True)
class ViewContext:
    engine: Engine
    settings: Settings
    calendar: WorkingCalendar
    now: datetime

    def __post_init__(self) -> None:
        if self.now.tzinfo is None:
            raise ValueError("ViewContext.now must be timezone-aware")

    @property
    def tz(self) -> ZoneInfo:
        return self.calendar.timezone

    @property
    def today(self) -> date:
        return local_date(self.now, self.calendar.timezone)

    @property
    def var_dir(self) -> Path:
        return self.settings.var_dir
