"""Apply one scenario event through the same bus the CLI uses: event → command → ``handle``."""

from __future__ import annotations

from datetime import date
from pathlib import Path
from typing import Any

from cycle.bootstrap import App
from cycle.clock import parse_date, parse_instant
from cycle.errors import Problem, UserError
from cycle.service import commands as c
from cycle.service import registry
from cycle.service.outcomes import Outcome
from cycle.service.principal import Principal
from cycle.service.registry import Kind, Surface
from cycle.service.uploads import DEFAULT_LIMIT_MB, read_upload
from cycle.simulation.scenario import Event


def _date(value: Any) -> date:
    return value if isinstance(value, date) else parse_date(str(value))


def _upload(value: Any, base: Path | None, field: str) -> c.Upload:
    path = Path(str(value))
    path = path if path.is_absolute() or base is None else base / path
    return read_upload(path, field, DEFAULT_LIMIT_MB * 1024 * 1024)


def _value(field: registry.Field, value: Any, base: Path | None) -> Any:
    kind = field.kind
    if kind is Kind.INSTANT:
        return parse_instant(value.isoformat() if hasattr(value, "isoformat") else str(value))
    if kind is Kind.DATE:
        return _date(value)
    if kind is Kind.NAMES:
        return tuple(str(p) for p in value) if isinstance(value, list) else (str(value),)
    if kind is Kind.UPLOAD:
        return _upload(value, base, field.name)
    if kind is Kind.FLAG:
        return bool(value)
    return str(value)


def command(event: Event, base: Path | None) -> Any:
    """The command of one scenario event (its day fills the fields marked ``event_day``)."""
    spec = registry.BY_NAME[event.command]
    a = event.args
    where = [int(a[k]) if k == "year" else str(a[k]) for k in spec.base]
    values: dict[str, Any] = {}
    for field in spec.fields_on(Surface.SCENARIO):
        if field.event_day:
            values[field.name] = event.at.date()
        elif field.scenario_key in a:
            values[field.name] = _value(field, a[field.scenario_key], base)
    return spec.command(*where, **values)


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
