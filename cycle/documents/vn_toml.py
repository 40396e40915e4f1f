"""Typed reading of the Verwendungsnachweis TOML: every structural problem is collected.

The reader never raises on bad input; each accessor records a ``Problem`` and returns ``None``.
Only what makes the document unreadable is reported here (unknown or missing keys, wrong
types, text that is no amount); the rules on the values live in ``verwendungsnachweis.validate``.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from cycle.clock import YEARS, in_range
from cycle.config.amounts import AMOUNT, SHARE, AmountError, Digits, bounded_decimal, bounded_number
from cycle.documents.model import Problem
from cycle.documents.money import CENT, is_cent_exact


def kind(value: object) -> str:
    """The German name of a TOML value's type, for messages."""
    if isinstance(value, bool):
        return "Wahrheitswert"
    if isinstance(value, int | float):
        return "Zahl"
    if isinstance(value, str):
        return "Text"
    if isinstance(value, datetime):
        return "Zeitpunkt"
    if isinstance(value, date):
        return "Datum"
    if isinstance(value, dict):
        return "Tabelle"
    if isinstance(value, list):
        return "Liste"
    return type(value).__name__


class Reader:
    """Collects problems while reading one TOML document."""

    def __init__(self) -> None:
        self.problems: list[Problem] = []

    def problem(self, where: str, message: str) -> None:
        self.problems.append(Problem(where, message))

    def keys(
        self, data: dict[str, Any], prefix: str, required: Iterable[str], optional: Iterable[str]
    ) -> None:
        """Report unknown and missing keys of one table."""
        required = tuple(required)
        allowed = set(required) | set(optional)
        for key in data:
            if key not in allowed:
                self.problem(f"{prefix}{key}", "unbekanntes Feld")
        for key in required:
            if key not in data:
                self.problem(f"{prefix}{key}", "fehlt")

    def money(self, data: dict[str, Any], key: str, prefix: str = "") -> Decimal | None:
        amount = self._number(data, key, prefix, 'einen Betrag wie "1234.56"', AMOUNT)
        if amount is not None and is_cent_exact(amount):
            amount = amount.quantize(CENT)  # 21000 -> 21000.00; a third decimal stays visible
        return amount

    def share(self, data: dict[str, Any], key: str, prefix: str = "") -> Decimal | None:
        return self._number(data, key, prefix, 'einen Anteil wie "0.75"', SHARE)

    def text(self, data: dict[str, Any], key: str, prefix: str = "") -> str | None:
        if key not in data:
            return None
        value = data[key]
        if not isinstance(value, str):
            self.problem(f"{prefix}{key}", f"erwartet einen Text, gefunden: {kind(value)}")
            return None
        return value

    def integer(self, data: dict[str, Any], key: str) -> int | None:
        if key not in data:
            return None
        value = data[key]
        if isinstance(value, bool) or not isinstance(value, int):
            self.problem(key, f"erwartet eine ganze Zahl wie 2026, gefunden: {kind(value)}")
            return None
        if not YEARS[0] <= value <= YEARS[1]:
            self.problem(key, f"erwartet ein Jahr von {YEARS[0]} bis {YEARS[1]}")
            return None
        return value

    def day(self, data: dict[str, Any], key: str, prefix: str = "") -> date | None:
        if key not in data:
            return None
        value = data[key]
        if isinstance(value, datetime) or not isinstance(value, date):
            self.problem(
                f"{prefix}{key}",
                f"erwartet ein Datum ohne Uhrzeit wie 2027-05-20, gefunden: {kind(value)}",
            )
            return None
        if not in_range(value):
            self.problem(f"{prefix}{key}", f"liegt außerhalb der Jahre {YEARS[0]} bis {YEARS[1]}")
            return None
        return value

    def rows(self, data: dict[str, Any], key: str) -> list[dict[str, Any]] | None:
        if key not in data:
            return None
        value = data[key]
        if not isinstance(value, list) or not all(isinstance(row, dict) for row in value):
            found = kind(value)
            self.problem(key, f"erwartet eine Liste von Tabellen ([[{key}]]), gefunden: {found}")
            return None
        return value

    def table(self, data: dict[str, Any], key: str) -> dict[str, Any] | None:
        if key not in data:
            return None
        value = data[key]
        if not isinstance(value, dict):
            self.problem(key, f"erwartet eine Tabelle ([{key}]), gefunden: {kind(value)}")
            return None
        return value

    def _number(
        self, data: dict[str, Any], key: str, prefix: str, expected: str, digits: Digits
    ) -> Decimal | None:
        """A bounded Decimal from a string or a TOML number; reports and returns None otherwise.

        The digits are counted before anything is converted (``cycle.config.amounts``).
        """
        if key not in data:
            return None
        value, where = data[key], f"{prefix}{key}"
        if isinstance(value, bool) or not isinstance(value, str | int | float):
            self.problem(where, f"erwartet {expected}, gefunden: {kind(value)}")
            return None
        try:
            if isinstance(value, str):
                return bounded_decimal(value, digits)
            return bounded_number(value, digits)
        except AmountError as error:
            if error.code == "form":
                found = "Text" if isinstance(value, str) else "Zahl"
                self.problem(where, f"erwartet {expected}, gefunden: {found} {_shown(value)}")
            else:
                self.problem(where, f"{_shown(value)} {error.message}")
            return None


def _shown(value: str | int | float) -> str:
    """The value for a message, never longer than a line (a refused text may be megabytes)."""
    text = value[:25] if isinstance(value, str) else repr(value)[:25]
    head = text[:24].replace("\n", " ")
    return f"„{head}…“" if len(text) > 24 else f"„{head}“"
