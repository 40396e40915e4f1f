"""Path-aware, typed reading of a parsed TOML document for the ``cycle.config.loader*`` readers.

Nothing here raises on bad input: every problem is appended to ``Problems`` as one German line
``<key path>: <explanation>`` and the reader returns ``None`` (or the default), so the loader can
go on and report *all* problems at once. Arrays of tables are numbered from 1 in key paths
(``pairing[3].traeger`` is the third ``[[pairing]]`` in the file).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Collection, Mapping
from datetime import date, datetime

from cycle.config.values import describe, is_email, is_mailbox, quote, unknown_key

SLUG = re.compile(r"^[a-z0-9][a-z0-9_-]*$")
STAGE_ID = re.compile(r"^[a-z][a-z0-9_]*$")


class Problems:
    """Collects problem lines in the order they were found."""

    def __init__(self) -> None:
        self.lines: list[str] = []

    def add(self, path: str, message: str) -> None:
        self.lines.append(f"{path}: {message}" if path else message)


def _is_int(value: object) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


LARGEST = 1_000_000_000  # no count, day or second in a config is plausibly larger
MAX_DAYS = 3650  # reminder and escalation offsets: at most ten years
YEARS = (2000, 2100)  # dates outside are typing errors (and beyond date arithmetic at 9999)


def _number(value: int) -> str:
    """An integer for a message; a huge one by its length (never a 4,300-digit line)."""
    text = str(value)
    return text if len(text) <= 20 else f"eine Zahl mit {len(text.lstrip('-'))} Stellen"


class Table:
    """One TOML table at key path ``path``; unknown keys are reported when it is opened."""

    def __init__(self, raw: object, path: str, problems: Problems, keys: Collection[str]) -> None:
        self.path, self.problems = path, problems
        self.raw: Mapping[str, object] = raw if isinstance(raw, dict) else {}
        self.broken = not isinstance(raw, dict)  # reported once; its keys are not "missing"
        if self.broken:
            problems.add(path, f"erwartet eine Tabelle, gefunden: {describe(raw)}")
        for key in self.raw:
            if key not in keys:
                problems.add(self.at(key), unknown_key(key, keys))

    def at(self, key: str) -> str:
        return f"{self.path}.{key}" if self.path else key

    def has(self, key: str) -> bool:
        return key in self.raw

    def value(
        self, key: str, accept: Callable[[object], bool], expected: str, required: bool = False
    ) -> object | None:
        """The raw value if ``accept``-ed; otherwise a problem ("missing" or "wrong type")."""
        if key not in self.raw:
            if required and not self.broken:
                self.problems.add(self.at(key), "Pflichtangabe fehlt")
            return None
        value = self.raw[key]
        if not accept(value):
            self.problems.add(self.at(key), f"{expected}, gefunden: {describe(value)}")
            return None
        return value

    def text(self, key: str, required: bool = False) -> str | None:
        """A string; blank optional strings count as absent, blank required ones are refused."""
        value = self.value(key, lambda v: isinstance(v, str), "erwartet einen Text", required)
        if not isinstance(value, str):
            return None
        if not value.strip():
            if required:
                self.problems.add(self.at(key), "darf nicht leer sein")
            return None
        if "\n" in value or "\r" in value:
            self.problems.add(self.at(key), "darf keinen Zeilenumbruch enthalten")
            return None
        return value.strip()

    def email(self, key: str, required: bool = False, mailbox: bool = False) -> str | None:
        """An e-mail address; with ``mailbox`` also ``Name <addr>``."""
        text = self.text(key, required)
        if text is None or (is_mailbox(text) if mailbox else is_email(text)):
            return text
        form = "„name@domain.de“ oder „Name <name@domain.de>“" if mailbox else "„name@domain.de“"
        self.problems.add(self.at(key), f"{quote(text)} ist keine gültige E-Mail-Adresse ({form})")
        return None

    def boolean(self, key: str, default: bool) -> bool:
        value = self.value(key, lambda v: isinstance(v, bool), "erwartet true oder false")
        return value if isinstance(value, bool) else default

    def integer(self, key: str, default: int, minimum: int = 0, maximum: int | None = None) -> int:
        value = self.value(key, _is_int, "erwartet eine ganze Zahl")
        if not isinstance(value, int):
            return default
        if value < minimum or value > (LARGEST if maximum is None else maximum):
            bounds = (
                f"zwischen {minimum} und {maximum}"
                if maximum is not None
                else f"mindestens {minimum}"
                if value < minimum
                else f"höchstens {LARGEST}"
            )
            self.problems.add(
                self.at(key), f"{_number(value)} ist nicht erlaubt (muss {bounds} sein)"
            )
            return default
        return value

    def seconds(self, key: str, default: float) -> float:
        value = self.value(
            key, lambda v: _is_int(v) or isinstance(v, float), "erwartet eine Zahl (Sekunden)"
        )
        if not isinstance(value, int | float):
            return default
        if not 0 < value <= 3600:
            self.problems.add(
                self.at(key), f"{value} ist nicht erlaubt (mehr als 0, höchstens 3600)"
            )
            return default
        return float(value)

    def day_list(self, key: str) -> tuple[int, ...] | None:
        """A list of distinct non-negative day counts; ``[]`` is allowed (none)."""
        value = self.value(
            key,
            lambda v: isinstance(v, list) and all(_is_int(x) for x in v),
            "erwartet eine Liste ganzer Zahlen",
        )
        if not isinstance(value, list):
            return None
        days: list[int] = [x for x in value if isinstance(x, int)]
        bad = [d for d in days if not 0 <= d <= MAX_DAYS]
        bad += [d for i, d in enumerate(days) if d in days[:i] and 0 <= d <= MAX_DAYS]
        for day in bad:
            why = (
                "negative Tage sind nicht erlaubt"
                if day < 0
                else f"mehr als {MAX_DAYS} Tage sind nicht erlaubt"
                if day > MAX_DAYS
                else "ist doppelt angegeben"
            )
            self.problems.add(self.at(key), f"{_number(day)}: {why}")
        return None if bad else tuple(days)

    def text_list(self, key: str) -> tuple[str, ...] | None:
        value = self.value(
            key,
            lambda v: isinstance(v, list) and all(isinstance(x, str) for x in v),
            "erwartet eine Liste von Texten",
        )
        return tuple(str(x).strip() for x in value) if isinstance(value, list) else None

    def day(self, key: str, required: bool = False) -> date | None:
        """A TOML local date (``2022-01-01``, without quotes and without a time)."""
        value = self.value(
            key,
            lambda v: isinstance(v, date) and not isinstance(v, datetime),
            "erwartet ein Datum der Form JJJJ-MM-TT (ohne Anführungszeichen)",
            required,
        )
        if not isinstance(value, date):
            return None
        if not YEARS[0] <= value.year <= YEARS[1]:
            self.problems.add(
                self.at(key),
                f"{value:%d.%m.%Y} liegt außerhalb der Jahre {YEARS[0]} bis {YEARS[1]}",
            )
            return None
        return value

    def table(self, key: str, keys: Collection[str]) -> Table:
        """A sub-table; an absent one reads as empty."""
        return Table(self.raw.get(key, {}), self.at(key), self.problems, keys)

    def tables(self, key: str, keys: Collection[str], required: bool = False) -> list[Table]:
        """An array of tables (``[[key]]``), numbered from 1 in key paths."""
        raw = self.raw.get(key, [])
        if required and raw == [] and not self.broken:
            self.problems.add(self.at(key), "Pflichtangabe fehlt (mindestens ein Eintrag)")
        if not isinstance(raw, list):
            self.problems.add(
                self.at(key),
                f"erwartet eine Liste von Tabellen ([[{key}]]), gefunden: {describe(raw)}",
            )
            return []
        return [
            Table(item, f"{self.at(key)}[{n}]", self.problems, keys)
            for n, item in enumerate(raw, start=1)
        ]


# --- the ``id`` of each entry in an array of tables ---


def _identifier(table: Table, pattern: re.Pattern[str], hint: str) -> str | None:
    text = table.text("id", required=True)
    if text is not None and not pattern.match(text):
        table.problems.add(table.at("id"), f"{quote(text)} ist keine gültige Kennung ({hint})")
        return None
    return text


def read_ids(tables: list[Table], pattern: re.Pattern[str], hint: str) -> list[str | None]:
    """Each table's ``id``; a repeated one is reported and read as ``None``."""
    ids: list[str | None] = []
    seen: dict[str, int] = {}  # id -> index of its first table (a list search is O(n²))
    for table in tables:
        ident = _identifier(table, pattern, hint)
        if ident is not None and ident in seen:
            first = tables[seen[ident]].path
            table.problems.add(table.at("id"), f"{quote(ident)} ist doppelt (schon bei {first})")
            ident = None
        if ident is not None:
            seen[ident] = len(ids)
        ids.append(ident)
    return ids


def declared(root: Table, key: str) -> frozenset[str]:
    """Every id written in ``[[key]]``, valid or not: references to them are not "unknown"."""
    raw = root.raw.get(key)
    items = raw if isinstance(raw, list) else []
    return frozenset(i["id"] for i in items if isinstance(i, dict) and isinstance(i.get("id"), str))
