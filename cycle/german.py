"""How users see times, dates and numbers: German notation, Europe/Berlin local time.

The one place that turns a stored instant (aware, UTC in the database) into what a page, an
export, a mail or a document shows. Every surface calls ``zeit``/``zeit_kurz`` with the
calendar's time zone; formatting ``instant:%H:%M`` elsewhere showed 08:00 for a meeting at
10:00 in summer. ``instant_text`` does the same for instants kept as ISO text (audit payloads).
"""

from __future__ import annotations

from datetime import UTC, date, datetime, tzinfo
from decimal import Decimal, InvalidOperation


def local(instant: datetime, tz: tzinfo) -> datetime:
    """The instant in local time; a naive value is taken as UTC (what SQLite gives back)."""
    if instant.tzinfo is None or instant.utcoffset() is None:
        instant = instant.replace(tzinfo=UTC)
    return instant.astimezone(tz)


def zeit(instant: datetime | None, tz: tzinfo) -> str:
    """``15.06.2027, 10:00 Uhr`` (empty for None)."""
    return f"{local(instant, tz):%d.%m.%Y, %H:%M} Uhr" if instant else ""


def zeit_kurz(instant: datetime | None, tz: tzinfo) -> str:
    """``15.06.2027 10:00`` for tables and listings (empty for None)."""
    return f"{local(instant, tz):%d.%m.%Y %H:%M}" if instant else ""


def datum(day: date | datetime | None, tz: tzinfo | None = None) -> str:
    """``31.03.2026``; an instant is first taken to local time when ``tz`` is given."""
    if not day:
        return ""
    if isinstance(day, datetime) and tz is not None:
        day = local(day, tz)
    return f"{day:%d.%m.%Y}"


def instant_text(text: str, tz: tzinfo) -> str | None:
    """An ISO date or instant kept as text, in German: ``2027-06-15T08:00:00+00:00`` →
    ``15.06.2027 10:00``, ``2027-06-15`` → ``15.06.2027``; None when it is neither."""
    if len(text) < 10 or text[4:5] != "-" or text[7:8] != "-":
        return None
    try:
        if len(text) == 10:
            return datum(date.fromisoformat(text))
        return zeit_kurz(datetime.fromisoformat(text), tz)
    except ValueError:
        return None


def zahl(value: object) -> str:
    """A number with the decimal comma: ``0.75`` → ``0,75``, ``1234.5`` → ``1.234,5``
    (the digits as given; integers without a fraction)."""
    if isinstance(value, bool) or value is None:
        return str(value or "")
    try:
        number = value if isinstance(value, Decimal) else Decimal(str(value))
    except (InvalidOperation, ValueError):
        return str(value)
    if not number.is_finite():
        return str(value)
    exponent = number.as_tuple().exponent
    places = max(0, -exponent) if isinstance(exponent, int) else 0
    text = f"{number:,.{places}f}"
    return text.replace(",", "\0").replace(".", ",").replace("\0", ".")
