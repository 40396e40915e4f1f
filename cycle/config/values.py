"""German rendering and plain value checks shared by the ``cycle.config.loader*`` readers.

Pure functions: quoting and describing TOML values in messages, "did you mean" hints, and the
checks for e-mail addresses, clock times and money amounts.
"""

from __future__ import annotations

import difflib
import re
from collections.abc import Collection
from datetime import date, datetime, time
from decimal import Decimal

from cycle.config.amounts import AmountError, Digits, bounded_decimal, bounded_number

_LOCAL = r"[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+(?:\.[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+)*"
_LABEL = r"[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?"
_EMAIL = re.compile(rf"^{_LOCAL}@(?:{_LABEL}\.)+[A-Za-z]{{2,63}}$")
_MAILBOX = re.compile(r"^(?P<name>[^<>\r\n]*?)\s*<(?P<addr>[^<>\r\n]*)>$")
_CONFIG_DIGITS = Digits(12, 6)
_CLOCK = re.compile(r"^(?P<h>[01]\d|2[0-3]):(?P<m>[0-5]\d)$")


def quote(text: object, limit: int = 60) -> str:
    """German quotation marks around a shortened, single-line rendering of ``text``."""
    shown = str(text).replace("\r", " ").replace("\n", " ")
    return f"„{shown if len(shown) <= limit else shown[: limit - 1] + '…'}“"


def describe(value: object) -> str:
    """A German name for the TOML type of ``value``, with the value where it is short."""
    if isinstance(value, bool):
        return f"Wahrheitswert {str(value).lower()}"
    if isinstance(value, int):
        return f"ganze Zahl {value}"
    if isinstance(value, float):
        return f"Kommazahl {value}"
    if isinstance(value, str):
        return f"Text {quote(value)}"
    if isinstance(value, datetime):
        return "Zeitpunkt"
    if isinstance(value, date):
        return f"Datum {value.isoformat()}"
    if isinstance(value, time):
        return "Uhrzeit"
    if isinstance(value, list):
        return "Liste"
    return "Tabelle"


def _close(text: str, known: Collection[str]) -> str | None:
    close = difflib.get_close_matches(text, list(known), n=1, cutoff=0.6)
    return close[0] if close else None


def suggestion(text: str, known: Collection[str]) -> str:
    """`` (meinten Sie „x“?)`` for a close match among ``known``, else nothing."""
    close = _close(text, known)
    return f" (meinten Sie {quote(close)}?)" if close else ""


def choices(text: str, allowed: Collection[str]) -> str:
    """``(meinten Sie „x“?; erlaubt: a, b)`` or ``(erlaubt: a, b)``."""
    close = _close(text, allowed)
    return f"({f'meinten Sie {quote(close)}?; ' if close else ''}erlaubt: {', '.join(allowed)})"


def unknown_key(key: str, known: Collection[str]) -> str:
    """``unbekannter Schlüssel (meinten Sie „x“?)``, or the allowed keys when nothing is close."""
    hint = suggestion(key, known) or f" (erlaubt: {', '.join(sorted(known))})"
    return f"unbekannter Schlüssel{hint}"


def is_email(text: str) -> bool:
    """A plain but sane check: ``local@domain.tld``, ASCII only, no spaces or line breaks."""
    return len(text) <= 254 and _EMAIL.match(text) is not None


def is_mailbox(text: str) -> bool:
    """``addr`` or ``Display Name <addr>``."""
    match = _MAILBOX.match(text.strip())
    return is_email(match["addr"]) if match else is_email(text)


def parse_clock(value: object) -> time | None:
    """``"08:00"`` (or a TOML local time) as a ``time``; ``None`` when it is not one."""
    if isinstance(value, time):
        return value
    match = _CLOCK.match(value) if isinstance(value, str) else None
    return time(int(match["h"]), int(match["m"])) if match else None


def parse_money(value: object) -> Decimal | None:
    """A bounded decimal from a string like ``"7000.00"`` (or an int); floats are refused.

    At most 12 digits before and 6 after the point (amounts and shares such as ``"0.125"``),
    counted before conversion (``cycle.config.amounts``).
    """
    if isinstance(value, bool) or not isinstance(value, str | int):
        return None
    if isinstance(value, str) and "," in value:  # the file asks for a point
        return None
    try:
        if isinstance(value, int):
            return bounded_number(value, _CONFIG_DIGITS)
        return bounded_decimal(value, _CONFIG_DIGITS)
    except AmountError:
        return None
