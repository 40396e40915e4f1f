"""Path and query parameters, parsed in one place: a bad one is a German 404/400, never a 500.

Paths use the convertors registered here: ``{year:jahr}`` matches only a year 2000–2100 and
``{id:nummer}`` only 1–18 ASCII digits (below SQLite's and PostgreSQL's 64-bit integers), so a
route never sees ``²``, ``٢٠٢٦`` or a 23-digit number — the router answers 404 as for any
unknown page. Query parameters go through ``query_year`` / ``query_choice``; a value that does not
parse raises ``BadParameter``, which the application turns into a 400 page naming the field.

``str.isdigit`` is not a check: it accepts ``²`` and other Unicode digits that ``int`` refuses.
"""

from __future__ import annotations

import re
from collections.abc import Collection

from starlette.convertors import Convertor, register_url_convertor
from starlette.requests import Request

FIRST_YEAR, LAST_YEAR = 2000, 2100
_YEAR = re.compile(r"20[0-9]{2}|2100")
_NUMBER = re.compile(r"[0-9]{1,18}")
MAX_TEXT = 200  # free-text filters (pairing, actor): longer is not a name we store


class BadParameter(Exception):
    """A query parameter that does not parse; ``field`` is its German name."""

    def __init__(self, field: str, message: str) -> None:
        super().__init__(f"{field}: {message}")
        self.field, self.message = field, message


class YearConvertor(Convertor[int]):
    regex = "20[0-9]{2}|2100"

    def convert(self, value: str) -> int:
        return int(value)

    def to_string(self, value: int) -> str:
        return str(value)


class NumberConvertor(Convertor[int]):
    regex = "[0-9]{1,18}"

    def convert(self, value: str) -> int:
        return int(value)

    def to_string(self, value: int) -> str:
        return str(value)


register_url_convertor("jahr", YearConvertor())
register_url_convertor("nummer", NumberConvertor())


def year_of(text: str) -> int | None:
    """``text`` as a year 2000–2100 (ASCII digits only), else ``None``."""
    return int(text) if _YEAR.fullmatch(text) else None


def number_of(text: str) -> int | None:
    """``text`` as an id of 1–18 ASCII digits, else ``None``."""
    return int(text) if _NUMBER.fullmatch(text) else None


def query_year(request: Request, name: str = "jahr") -> int | None:
    """The query's year; ``None`` when absent or empty; ``BadParameter`` when it is no year."""
    text = request.query_params.get(name, "")
    if not text:
        return None
    found = year_of(text)
    if found is None:
        raise BadParameter(
            "Jahr", f"„{text[:20]}“ ist kein Jahr; bitte eine Jahreszahl von 2000 bis 2100."
        )
    return found


def query_number(request: Request, name: str, field: str, low: int, high: int) -> int | None:
    """A small whole number of the query in ``low``–``high``; ``None`` when absent or empty."""
    text = request.query_params.get(name, "")
    if not text:
        return None
    found = number_of(text)
    if found is None or not low <= found <= high:
        raise BadParameter(field, f"bitte eine ganze Zahl von {low} bis {high}.")
    return found


def query_text(request: Request, name: str, field: str) -> str | None:
    """A free-text filter; ``None`` when absent or empty; at most ``MAX_TEXT`` characters."""
    text = request.query_params.get(name, "")
    if len(text) > MAX_TEXT or any(ord(ch) < 32 for ch in text):
        raise BadParameter(field, f"höchstens {MAX_TEXT} Zeichen, keine Steuerzeichen.")
    return text or None


def query_choice(request: Request, name: str, field: str, allowed: Collection[str]) -> str | None:
    """One of ``allowed``; ``None`` when absent or empty."""
    text = query_text(request, name, field)
    if text is not None and text not in allowed:
        raise BadParameter(field, f"„{text[:40]}“ gibt es nicht.")
    return text
