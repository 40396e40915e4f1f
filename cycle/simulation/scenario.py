"""Scenario files for ``zyklus simulate``: ``[[event]]`` tables checked before anything runs."""

from __future__ import annotations

import tomllib
from dataclasses import dataclass
from datetime import date, datetime, time
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from cycle.errors import UsageError

# command -> (required keys, optional keys); "on" (when) and "command" are always allowed
COMMANDS: dict[str, tuple[frozenset[str], frozenset[str]]] = {
    "schedule": (frozenset({"pairing", "year", "stage", "at"}), frozenset({"location", "by"})),
    "complete": (
        frozenset({"pairing", "year", "stage"}),
        frozenset({"by", "note", "participants", "evidence"}),
    ),
    "submit": (frozenset({"pairing", "year", "stage", "file"}), frozenset({"by", "trotzdem"})),
    "accept": (frozenset({"pairing", "year", "stage"}), frozenset({"by", "reason"})),
    "check": (frozenset({"pairing", "year", "stage"}), frozenset({"by", "reason"})),
    "acknowledge": (frozenset({"pairing", "year", "stage"}), frozenset({"by", "reason"})),
    "file": (frozenset({"pairing", "year", "stage"}), frozenset({"by", "reason"})),
    "return": (frozenset({"pairing", "year", "stage", "reason"}), frozenset({"by", "due"})),
    "extend": (frozenset({"pairing", "year", "stage", "until", "reason"}), frozenset({"by"})),
    "waive": (frozenset({"pairing", "year", "stage", "reason"}), frozenset({"by"})),
    "end": (frozenset({"pairing", "reason"}), frozenset({"successor", "by"})),
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


def load(path: Path, tz: ZoneInfo) -> list[Event]:
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise UsageError(f"--scenario: Datei nicht gefunden: {path}") from None
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
        raise UsageError(f"--scenario: {path} ist kein gültiges TOML ({exc})") from None
    problems: list[str] = []
    unknown = sorted(set(data) - {"event"})
    problems += [f"{path}: {key}: unbekannter Schlüssel (erwartet [[event]])" for key in unknown]
    raw = data.get("event", [])
    if not isinstance(raw, list):
        raise UsageError(f"{path}: event: erwartet eine Liste von [[event]]-Tabellen")
    events: list[Event] = []
    for index, table in enumerate(raw, start=1):
        where = f"{path}: event[{index}]"
        command = table.get("command")
        if command not in COMMANDS:
            known = ", ".join(COMMANDS)
            problems.append(f"{where}.command: „{command}“ ist kein Ereignis ({known})")
            continue
        at = _instant(table.get("on"), tz)
        if at is None:
            problems.append(f"{where}.on: fehlt oder ist kein Datum/Zeitpunkt")
        required, optional = COMMANDS[command]
        args = {k: v for k, v in table.items() if k not in ("on", "command")}
        problems += [
            f"{where}.{k}: fehlt (nötig für {command})" for k in sorted(required - set(args))
        ]
        problems += [
            f"{where}.{k}: unbekannter Schlüssel für {command}"
            for k in sorted(set(args) - required - optional)
        ]
        if at is not None:
            events.append(Event(index, at, command, args))
    if problems:
        raise UsageError(*problems)
    return sorted(events, key=lambda e: (e.at, e.index))
