"""German formatting filters for the e-mail templates (pure functions, no clock reads)."""

from __future__ import annotations

import re
from datetime import date, datetime
from zoneinfo import ZoneInfo

BERLIN = ZoneInfo("Europe/Berlin")

WOCHENTAGE = ("Montag", "Dienstag", "Mittwoch", "Donnerstag", "Freitag", "Samstag", "Sonntag")
_ISO_WEEK = re.compile(r"^(?P<year>\d{4})-?W(?P<week>\d{1,2})$")


def _local(value: date | datetime) -> date | datetime:
    if isinstance(value, datetime):
        if value.tzinfo is None or value.utcoffset() is None:
            raise ValueError("naive datetime refused: pass a timezone-aware datetime")
        return value.astimezone(BERLIN)
    return value


def datum(value: date | datetime) -> str:
    """31.03.2026 (a datetime is shown in Europe/Berlin)."""
    day = _local(value)  # not strftime: ten times slower, and called for every date of a mail
    return f"{day.day:02d}.{day.month:02d}.{day.year}"


def uhrzeit(value: datetime) -> str:
    """10:00 Uhr (Europe/Berlin)."""
    return f"{_local(value):%H:%M} Uhr"


def datumzeit(value: datetime) -> str:
    """31.03.2026, 10:00 Uhr (Europe/Berlin)."""
    return f"{datum(value)}, {uhrzeit(value)}"


def wochentag(value: date | datetime) -> str:
    """Dienstag."""
    return WOCHENTAGE[_local(value).weekday()]


def tage(n: int) -> str:
    """1 Tag / 28 Tage (nominative and accusative)."""
    return f"{n} Tag" if abs(n) == 1 else f"{n} Tage"


def frist(days: int) -> str:
    """Days relative to a due date: ``noch 28 Tage``, ``noch 1 Tag``, ``heute fällig``,
    ``seit 1 Tag überfällig``, ``seit 3 Tagen überfällig`` (positive = days left)."""
    if days > 0:
        return f"noch {tage(days)}"
    if days == 0:
        return "heute fällig"
    overdue = -days
    return f"seit {overdue} Tag überfällig" if overdue == 1 else f"seit {overdue} Tagen überfällig"


def kalenderwoche(label: str) -> str:
    """ISO week label ``2026-W14`` as ``KW 14/2026``; other labels pass unchanged."""
    match = _ISO_WEEK.match(label.strip())
    if not match:
        return label
    return f"KW {int(match['week'])}/{match['year']}"


def anzahl(n: int, singular: str, plural: str) -> str:
    """``1 Hinweis`` / ``3 Hinweise``."""
    return f"{n} {singular if n == 1 else plural}"


def aufzaehlung(items: list[str] | tuple[str, ...]) -> str:
    """``A``, ``A und B``, ``A, B und C``."""
    if len(items) < 2:
        return "".join(items)
    return f"{', '.join(items[:-1])} und {items[-1]}"


FILTERS = {
    "datum": datum,
    "uhrzeit": uhrzeit,
    "datumzeit": datumzeit,
    "wochentag": wochentag,
    "tage": tage,
    "frist": frist,
    "kw": kalenderwoche,
    "anzahl": anzahl,
    "aufzaehlung": aufzaehlung,
}
