"""Working days, public holidays and § 193 BGB. Pure functions; the holiday tables are cached.

§ 193 BGB moves only the *end* of a period: a due date on a Saturday, Sunday or public holiday
moves to the next working day. Reminders before a due date move to the previous working day,
escalations after it to the next one (SPEC §5).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from functools import lru_cache
from zoneinfo import ZoneInfo

_DATE_SPEC = re.compile(r"^(?:(?P<offset>[+-]\d+)-)?(?P<month>\d{2})-(?P<day>\d{2})$")


@lru_cache(maxsize=256)
def _holiday_dates(country: str, subdivision: str | None, year: int) -> frozenset[date]:
    # Imported at the first holiday look-up, not with the settings (~50 ms): commands that
    # never count working days, such as ``zyklus status``, never load it.
    import holidays

    table = holidays.country_holidays(country, subdiv=subdivision, years=year)
    return frozenset(table.keys())


@dataclass(frozen=True)
class WorkingCalendar:
    country: str = "DE"
    subdivision: str | None = "NI"
    timezone: ZoneInfo = field(default_factory=lambda: ZoneInfo("Europe/Berlin"))

    def is_holiday(self, day: date) -> bool:
        return day in _holiday_dates(self.country, self.subdivision, day.year)

    def is_working_day(self, day: date) -> bool:
        return day.weekday() < 5 and not self.is_holiday(day)

    def next_working_day(self, day: date) -> date:
        """``day`` itself if it is a working day, else the next one."""
        while not self.is_working_day(day):
            day += timedelta(days=1)
        return day

    def previous_working_day(self, day: date) -> date:
        """``day`` itself if it is a working day, else the previous one."""
        while not self.is_working_day(day):
            day -= timedelta(days=1)
        return day

    def at(self, day: date, clock_time: time) -> datetime:
        """The aware instant of ``clock_time`` local time on ``day`` (DST-correct)."""
        return datetime.combine(day, clock_time, tzinfo=self.timezone)


class DateSpecError(ValueError):
    pass


@dataclass(frozen=True)
class DateSpec:
    """A month-day in the cycle's year Y, with an optional year offset (``+1-06-30``)."""

    month: int
    day: int
    year_offset: int = 0

    @classmethod
    def parse(cls, text: str) -> DateSpec:
        match = _DATE_SPEC.match(text.strip())
        if not match:
            raise DateSpecError(f"„{text}“ ist kein Datum der Form MM-TT oder +1-MM-TT")
        spec = cls(int(match["month"]), int(match["day"]), int(match["offset"] or 0))
        try:
            spec.resolve(2024)  # a leap year: 02-29 is allowed, resolve() clamps other years
        except ValueError as exc:
            raise DateSpecError(f"„{text}“ ist kein gültiges Datum") from exc
        return spec

    def resolve(self, year: int) -> date:
        target = year + self.year_offset
        if (self.month, self.day) == (2, 29):
            try:
                return date(target, 2, 29)
            except ValueError:
                return date(target, 2, 28)
        return date(target, self.month, self.day)

    def __str__(self) -> str:
        prefix = f"{self.year_offset:+d}-" if self.year_offset else ""
        return f"{prefix}{self.month:02d}-{self.day:02d}"


def effective_due(nominal: date, calendar: WorkingCalendar, shift: bool = True) -> date:
    """§ 193 BGB: a due date on a weekend or public holiday moves to the next working day."""
    return calendar.next_working_day(nominal) if shift else nominal
