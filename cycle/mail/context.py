"""What the mail pipeline needs of the deployment: a small frozen context, built once by the
composition root (``cycle/bootstrap.py``) and handed down — never the whole application."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime

from cycle.clock import local_date
from cycle.config.settings import Settings
from notifications.render import Renderer
from workflows.calendar import WorkingCalendar


@dataclass(frozen=True)
class MailContext:
    settings: Settings
    calendar: WorkingCalendar
    renderer: Renderer

    def today(self, now: datetime) -> date:
        return local_date(now, self.calendar.timezone)
