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


async def stage_command(event: str, pairing: str, year: int, stage: str, f: Fields) -> object:
    """The command of ``event`` from the form, or ``UsageError`` naming the bad fields."""
    base = (pairing, year, stage)
    if event == "schedule":
        at = f.instant("at", required=True)
        f.check()
        assert at is not None
        return c.Schedule(*base, at=at, location=f.text("location"))
    if event == "complete":
        on, evidence = f.day("on"), await f.upload("evidence")
        people = f.text("participants")
        f.check()
        return c.Complete(
            *base,
            on=on,
            note=f.text("note"),
            evidence=evidence,
            participants=(people,) if people else (),
        )
    if event == "submit":
        on, upload = f.day("on"), await f.upload("upload", required=True)
        f.check()
        assert upload is not None
        return c.Submit(*base, upload=upload, on=on, trotzdem=f.text("trotzdem") == "1")
    if event in ("accept", "check", "acknowledge", "file"):
        on = f.day("on")
        f.check()
        kind = {"accept": c.Accept, "check": c.Check, "acknowledge": c.Acknowledge}.get(
            event, c.File
        )
        return kind(*base, on=on, reason=f.text("reason"))
    if event == "return":
        reason, due = f.required("reason", "Bitte einen Grund angeben."), f.day("due")
        f.check()
        return c.Return(*base, reason=reason, due=due)
    if event == "extend":
        until = f.day("until", required=True)
        reason = f.required("reason", "Bitte einen Grund angeben.")
        f.check()
        assert until is not None
        return c.Extend(*base, until=until, reason=reason)
    if event == "waive":
        reason = f.required("reason", "Bitte einen Grund angeben.")
        f.check()
        return c.Waive(*base, reason=reason)
    if event == "correct":
        reason = f.required("reason", "Bitte einen Grund angeben.")
        mode = f.text("art") or "reopen"
        on = f.day("on", required=mode == "on")
        at = f.instant("at", required=mode == "at")
        f.check()
        return c.Correct(
            *base,
            reason=reason,
            reopen=mode == "reopen",
            on=on if mode == "on" else None,
            at=at if mode == "at" else None,
        )
    raise UsageError(Problem(None, "unbekannt", f"Unbekanntes Ereignis „{event}“."))
