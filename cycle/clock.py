"""The one clock adapter. Nothing else in zyklus reads the wall clock."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, date, datetime, time
from typing import Protocol
from zoneinfo import ZoneInfo

BERLIN = ZoneInfo("Europe/Berlin")
YEARS = (2000, 2100)  # a date outside is a typing error (and 9999 is beyond date arithmetic)


def in_range(value: date) -> bool:
    """Whether ``value`` (a date or datetime) lies in the plausible ``YEARS``."""
    return YEARS[0] <= value.year <= YEARS[1]


def _refuse_out_of_range(text: str, value: date) -> None:
    if not in_range(value):
        raise ValueError(
            f"„{text}“ liegt außerhalb der Jahre {YEARS[0]} bis {YEARS[1]} (Tippfehler im Jahr?)"
        )


def stopwatch() -> Callable[[], float]:
    """Seconds since this call, from a monotonic counter (durations for logs and metrics only;
    never a point in time that a rule reads)."""
    import time as _time

    start = _time.perf_counter()
    return lambda: _time.perf_counter() - start


class Clock(Protocol):
    def now(self) -> datetime: ...


class SystemClock:
    def now(self) -> datetime:
        return datetime.now(UTC)


@dataclass(frozen=True)
class FixedClock:
    instant: datetime

    def __post_init__(self) -> None:
        if self.instant.tzinfo is None:
            raise ValueError("FixedClock needs an aware datetime")

    def now(self) -> datetime:
        return self.instant


class SteppingClock:
    """A clock the simulation moves forward explicitly."""

    def __init__(self, instant: datetime) -> None:
        self.set(instant)

    def set(self, instant: datetime) -> None:
        if instant.tzinfo is None:
            raise ValueError("SteppingClock needs an aware datetime")
        self.instant = instant

    def now(self) -> datetime:
        return self.instant


def parse_instant(text: str, tz: ZoneInfo = BERLIN) -> datetime:
    """Parse ``--now``/``--at`` values: ISO date or datetime; naive values are local (``tz``)."""
    value = text.strip()
    try:
        parsed = datetime.fromisoformat(value)
    except ValueError:
        raise ValueError(f"„{text}“ ist kein Zeitpunkt (erwartet z. B. 2026-04-02T08:00)") from None
    if len(value) == 10:  # a date only
        parsed = datetime.combine(parsed.date(), time(0, 0))
    _refuse_out_of_range(text, parsed)
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=tz)
    return parsed


def parse_date(text: str) -> date:
    value = text.strip()
    for parse in (date.fromisoformat, lambda v: datetime.strptime(v, "%d.%m.%Y").date()):
        try:
            day = parse(value)
        except ValueError:
            continue
        _refuse_out_of_range(text, day)
        return day
    raise ValueError(f"„{text}“ ist kein Datum (erwartet 2026-03-31 oder 31.03.2026)")


def local_date(instant: datetime, tz: ZoneInfo = BERLIN) -> date:
    return instant.astimezone(tz).date()
