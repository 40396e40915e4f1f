"""Apply one scenario event through the same handlers the CLI uses."""

from __future__ import annotations

from datetime import date
from pathlib import Path
from typing import Any

from cycle.bootstrap import App
from cycle.clock import parse_date, parse_instant
from cycle.errors import UserError
from cycle.service import ending, handlers
from cycle.simulation.scenario import Event


def _date(value: Any) -> date:
    return value if isinstance(value, date) else parse_date(str(value))


def _path(value: Any, base: Path | None) -> Path:
    path = Path(str(value))
    return path if path.is_absolute() or base is None else base / path


def apply(app: App, event: Event, base: Path | None) -> list[str]:
    a, c = event.args, event.command
    try:
        if c == "end":
            return ending.end_pairing(
                app, a["pairing"], event.at.date(), a["reason"], a.get("successor"), a.get("by")
            )
        pairing, year, stage, by = str(a["pairing"]), int(a["year"]), str(a["stage"]), a.get("by")
        if c == "schedule":
            at = a["at"]
            when = parse_instant(at.isoformat() if hasattr(at, "isoformat") else str(at))
            return handlers.schedule(app, pairing, year, stage, when, a.get("location"), by)
        if c == "complete":
            participants = a.get("participants", [])
            names = (
                [str(p) for p in participants]
                if isinstance(participants, list)
                else [str(participants)]
            )
            evidence = _path(a["evidence"], base) if "evidence" in a else None
            return handlers.complete(
                app, pairing, year, stage, event.at.date(), by, a.get("note"), evidence, names
            )
        if c == "submit":
            return handlers.submit(
                app,
                pairing,
                year,
                stage,
                _path(a["file"], base),
                event.at.date(),
                by,
                bool(a.get("trotzdem", False)),
            )
        if c in ("accept", "check", "acknowledge", "file"):
            return handlers.simple(
                app, c, pairing, year, stage, by, a.get("reason"), event.at.date()
            )
        if c == "return":
            due = _date(a["due"]) if "due" in a else None
            return handlers.give_back(app, pairing, year, stage, a["reason"], due, by)
        if c == "extend":
            return handlers.extend(app, pairing, year, stage, _date(a["until"]), a["reason"], by)
        return handlers.waive(app, pairing, year, stage, a["reason"], by)
    except (UserError, ValueError) as exc:
        lines = exc.lines if isinstance(exc, UserError) else [str(exc)]
        error = type(exc) if isinstance(exc, UserError) else UserError
        raise error(
            *[f"{event.label()} am {event.at:%d.%m.%Y}: {line}" for line in lines]
        ) from None
