"""Apply one scenario event through the same bus the CLI uses: event → command → ``handle``."""

from __future__ import annotations

from datetime import date
from pathlib import Path
from typing import Any

from cycle.bootstrap import App
from cycle.clock import parse_date, parse_instant
from cycle.errors import Problem, UserError
from cycle.service import commands as c
from cycle.service.outcomes import Outcome
from cycle.service.principal import Principal
from cycle.service.uploads import DEFAULT_LIMIT_MB, read_upload
from cycle.simulation.scenario import Event


def _date(value: Any) -> date:
    return value if isinstance(value, date) else parse_date(str(value))


def _upload(value: Any, base: Path | None, field: str) -> c.Upload:
    path = Path(str(value))
    path = path if path.is_absolute() or base is None else base / path
    return read_upload(path, field, DEFAULT_LIMIT_MB * 1024 * 1024)


def command(event: Event, base: Path | None) -> Any:
    """The command of one scenario event (its day is the event's day)."""
    a, name, day = event.args, event.command, event.at.date()
    if name == "end":
        return c.End(str(a["pairing"]), day, str(a["reason"]), a.get("successor"))
    where = (str(a["pairing"]), int(a["year"]), str(a["stage"]))
    if name == "schedule":
        at = a["at"]
        return c.Schedule(
            *where,
            at=parse_instant(at.isoformat() if hasattr(at, "isoformat") else str(at)),
            location=a.get("location"),
        )
    if name == "complete":
        people = a.get("participants", [])
        names = [str(p) for p in people] if isinstance(people, list) else [str(people)]
        evidence = _upload(a["evidence"], base, "evidence") if "evidence" in a else None
        return c.Complete(
            *where, on=day, note=a.get("note"), evidence=evidence, participants=tuple(names)
        )
    if name == "submit":
        return c.Submit(
            *where,
            upload=_upload(a["file"], base, "upload"),
            on=day,
            trotzdem=bool(a.get("trotzdem", False)),
        )
    if name in c.SIGN_OFF:
        return c.SIGN_OFF[name](*where, on=day, reason=a.get("reason"))
    if name == "return":
        due = _date(a["due"]) if "due" in a else None
        return c.Return(*where, reason=str(a["reason"]), due=due)
    if name == "extend":
        return c.Extend(*where, until=_date(a["until"]), reason=str(a["reason"]))
    return c.Waive(*where, reason=str(a["reason"]))


def apply(app: App, event: Event, base: Path | None) -> Outcome:
    try:
        cmd = command(event, base)
        return app.bus.handle(cmd, Principal.operator(app.actor(event.args.get("by"))))
    except (UserError, ValueError) as exc:
        problems = exc.problems if isinstance(exc, UserError) else [Problem(None, "", str(exc))]
        error = type(exc) if isinstance(exc, UserError) else UserError
        prefix = f"{event.label()} am {event.at:%d.%m.%Y}"
        raise error(
            *[Problem(p.field, p.code, f"{prefix}: {p.message}") for p in problems]
        ) from None
