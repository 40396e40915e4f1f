"""Scenario files for ``zyklus simulate``: ``[[event]]`` tables checked before anything runs."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime, time
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from cycle.clock import YEARS, in_range
from cycle.config.toml_text import TomlError, parse_toml
from cycle.errors import UsageError
from cycle.service import registry
from cycle.service.registry import Kind, Surface


def _keys(event: registry.Event) -> tuple[frozenset[str], frozenset[str]]:
    """The required and optional keys of a scenario event; its ``on`` is always the event's
    time and fills a field marked ``event_day``."""
    fields = [f for f in event.fields_on(Surface.SCENARIO) if not f.event_day]
    required = {*event.base, *(f.scenario_key for f in fields if f.required)}
    optional = {"by", *(f.scenario_key for f in fields if not f.required)}
    return frozenset(required), frozenset(optional)


# command -> (required keys, optional keys); "on" (when) and "command" are always allowed
COMMANDS: dict[str, tuple[frozenset[str], frozenset[str]]] = {
    e.name: _keys(e) for e in registry.on(Surface.SCENARIO)
}
DATE_ONLY_AT = time(10, 0)  # an event given as a date happens at 10:00 local time


@dataclass(frozen=True)
class Event:
    index: int
    at: datetime
    command: str
    args: dict[str, Any]

    def label(self) -> str:
        who = self.args.get("pairing", "")
        return f"event[{self.index}] ({self.command} {who} {self.args.get('stage', '')})".strip()


def _instant(value: Any, tz: ZoneInfo) -> datetime | None:
    if isinstance(value, datetime):
        return value if value.tzinfo else value.replace(tzinfo=tz)
    if isinstance(value, date):
        return datetime.combine(value, DATE_ONLY_AT, tzinfo=tz)
    if isinstance(value, str):
        try:
            parsed = datetime.fromisoformat(value)
        except ValueError:
            return None
        return _instant(parsed.date() if len(value) == 10 else parsed, tz)
    return None


def _text(value: object) -> bool:
    return isinstance(value, str) and bool(value.strip()) and "\x00" not in value


def _year(value: object) -> bool:
    return type(value) is int and YEARS[0] <= value <= YEARS[1]


def _day(value: object) -> bool:
    if isinstance(value, str):
        try:
            value = datetime.fromisoformat(value.strip())
        except ValueError:
            return False
    return isinstance(value, date) and in_range(value)


def _people(value: object) -> bool:
    if type(value) is int:
        return 0 <= value <= 10_000
    items = value if isinstance(value, list) else [value]
    return len(items) <= 10_000 and all(_text(v) for v in items)


_DAY = f"ein Datum wie 2026-04-30 (Jahre {YEARS[0]} bis {YEARS[1]})"
# field kind -> (check, what is expected, in German); every other key is a text
VALUES: dict[Kind, tuple[Callable[[object], bool], str]] = {
    Kind.INSTANT: (_day, f"ein Zeitpunkt wie 2026-03-10T10:00 (Jahre {YEARS[0]} bis {YEARS[1]})"),
    Kind.DATE: (_day, _DAY),
    Kind.NAMES: (_people, "eine Liste von Namen oder eine Anzahl"),
    Kind.FLAG: (lambda v: isinstance(v, bool), "true oder false"),
}
_YEAR = (_year, f"eine Jahreszahl von {YEARS[0]} bis {YEARS[1]}")
_TEXT = (_text, "ein nicht leerer Text")


def _value_problems(where: str, event: registry.Event, args: dict[str, Any]) -> list[str]:
    kinds = {f.scenario_key: f.kind for f in event.fields_on(Surface.SCENARIO)}
    problems = []
    for key, value in args.items():
        check, expected = _YEAR if key == "year" else VALUES.get(kinds.get(key, Kind.TEXT), _TEXT)
        if not check(value):
            problems.append(f"{where}.{key}: erwartet {expected}, gefunden: {_shown(value)}")
    return problems


def _shown(value: object) -> str:
    text = repr(value)
    return text if len(text) <= 60 else text[:57] + "…"


def load(path: Path, tz: ZoneInfo) -> list[Event]:
    try:
        data = parse_toml(path.read_bytes().decode("utf-8"), str(path))
    except FileNotFoundError:
        raise UsageError(f"--scenario: Datei nicht gefunden: {path}") from None
    except (IsADirectoryError, PermissionError):
        raise UsageError(f"--scenario: {path} ist keine lesbare Datei") from None
    except UnicodeDecodeError:
        raise UsageError(f"--scenario: {path} ist nicht UTF-8-kodiert") from None
    except TomlError as exc:
        raise UsageError(f"--scenario: {exc}") from None
    problems: list[str] = []
    unknown = sorted(set(data) - {"event"})
    problems += [f"{path}: {key}: unbekannter Schlüssel (erwartet [[event]])" for key in unknown]
    raw = data.get("event", [])
    if not isinstance(raw, list):
        raise UsageError(f"{path}: event: erwartet eine Liste von [[event]]-Tabellen")
    events: list[Event] = []
    for index, table in enumerate(raw, start=1):
        where = f"{path}: event[{index}]"
        if not isinstance(table, dict):
            problems.append(f"{where}: erwartet eine [[event]]-Tabelle, gefunden: {_shown(table)}")
            continue
        command = table.get("command")
        if not isinstance(command, str) or command not in COMMANDS:
            known = ", ".join(COMMANDS)
            problems.append(f"{where}.command: „{_shown(command)}“ ist kein Ereignis ({known})")
            continue
        at = _instant(table.get("on"), tz)
        if at is None or not in_range(at):
            problems.append(
                f"{where}.on: fehlt oder ist kein Datum/Zeitpunkt der Jahre {YEARS[0]} bis "
                f"{YEARS[1]}"
            )
            at = None
        required, optional = COMMANDS[command]
        args = {k: v for k, v in table.items() if k not in ("on", "command")}
        problems += [
            f"{where}.{k}: fehlt (nötig für {command})" for k in sorted(required - set(args))
        ]
        problems += [
            f"{where}.{k}: unbekannter Schlüssel für {command}"
            for k in sorted(set(args) - required - optional)
        ]
        checked = {k: v for k, v in args.items() if k in required | optional}
        problems += _value_problems(where, registry.BY_NAME[command], checked)
        if at is not None:
            events.append(Event(index, at, command, args))
    if problems:
        raise UsageError(*problems)
    return sorted(events, key=lambda e: (e.at, e.index))
