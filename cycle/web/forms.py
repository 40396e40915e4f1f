"""Form fields → command dataclasses of ``cycle.service.commands``.

Field names are the commands' field names, so a ``Problem.field`` from the bus lands beside
the input it is about. Bad dates and times are refused here with the same kind of problem.
"""

from __future__ import annotations

from datetime import date, datetime
from zoneinfo import ZoneInfo

from starlette.datastructures import FormData, UploadFile

from cycle.clock import parse_date, parse_instant
from cycle.errors import Problem, UsageError
from cycle.service import commands as c
from cycle.service import registry
from cycle.service.registry import Field, Kind, Surface


class Fields:
    """Typed reading of one submitted form; collects every problem before raising."""

    def __init__(self, form: FormData, tz: ZoneInfo) -> None:
        self.form, self.tz = form, tz
        self.problems: list[Problem] = []

    def text(self, key: str) -> str | None:
        value = self.form.get(key)
        return value.strip() or None if isinstance(value, str) else None

    def required(self, key: str, message: str) -> str:
        value = self.text(key)
        if value is None:
            self.problems.append(Problem(key, "fehlt", message))
        return value or ""

    def day(self, key: str, required: bool = False) -> date | None:
        value = self.text(key)
        if value is None:
            if required:
                self.problems.append(Problem(key, "fehlt", "Bitte ein Datum angeben."))
            return None
        try:
            return parse_date(value)
        except ValueError as exc:
            self.problems.append(Problem(key, "ungueltig", str(exc)))
            return None

    def instant(self, key: str, required: bool = False) -> datetime | None:
        value = self.text(key)
        if value is None:
            if required:
                self.problems.append(Problem(key, "fehlt", "Bitte Datum und Uhrzeit angeben."))
            return None
        try:
            return parse_instant(value, self.tz)
        except ValueError as exc:
            self.problems.append(Problem(key, "ungueltig", str(exc)))
            return None

    async def upload(self, key: str, required: bool = False) -> c.Upload | None:
        value = self.form.get(key)
        if isinstance(value, UploadFile) and value.filename:
            return c.Upload(value.filename, await value.read())
        if required:
            self.problems.append(Problem(key, "fehlt", "Bitte eine Datei auswählen."))
        return None

    def check(self) -> None:
        if self.problems:
            raise UsageError(*self.problems)


async def event_command(event: str, base: tuple[object, ...], f: Fields) -> object:
    """The command of ``event`` from its form (fields from the registry), or ``UsageError``
    naming every bad field; ``base`` holds the target's arguments (pairing, year, stage)."""
    spec = registry.BY_NAME.get(event)
    if spec is None or not spec.shown_on(Surface.WEB):
        raise UsageError(Problem(None, "unbekannt", f"Unbekanntes Ereignis „{event}“."))
    chosen = f.text("art") if spec.exclusive else None
    if spec.exclusive and chosen not in spec.exclusive:
        # a required choice without a default: a new date must never silently undo a step
        message = f"{spec.exclusive_label} Bitte eine der Möglichkeiten wählen."
        f.problems.append(Problem(spec.exclusive[0], "fehlt", message))
    values: dict[str, object] = {}
    for field in spec.form_fields():
        if field.name in spec.exclusive and field.name != chosen:
            continue  # another choice: the command's default
        values[field.name] = await _value(field, f, field.required or field.name == chosen)
    f.check()
    return spec.command(*base, **values)


async def _value(field: Field, f: Fields, required: bool) -> object:
    name, kind = field.name, field.kind
    if kind is Kind.DATE:
        return f.day(name, required)
    if kind is Kind.INSTANT:
        return f.instant(name, required)
    if kind is Kind.UPLOAD:
        return await f.upload(name, required)
    if kind is Kind.FLAG:
        return required or f.text(name) == "1"  # a chosen flag among ``exclusive`` is set
    if kind is Kind.NAMES:
        text = f.required(name, "Bitte angeben.") if required else f.text(name)
        return (text,) if text else ()
    if required:
        return f.required(name, REQUIRED.get(name, "Bitte ausfüllen."))
    return f.text(name)


REQUIRED = {"reason": "Bitte einen Grund angeben.", "text": "Bitte einen Text eingeben."}
