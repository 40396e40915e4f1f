"""The event commands of the CLI: arguments → command → ``handle`` → German lines.

This module is the CLI's whole share of an event: it builds the command dataclass from the
parsed arguments (reading files into uploads), gives it to the bus as the operator, and turns
the outcome into the lines the user reads. Refusals are printed by ``main`` (``render_problem``).
"""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any

from cycle import german
from cycle.bootstrap import App
from cycle.cli import event_parsers
from cycle.cli.event_parsers import flags
from cycle.errors import Problem
from cycle.service import commands as c
from cycle.service.outcomes import Outcome, StageChange
from cycle.service.principal import Principal
from cycle.service.uploads import DEFAULT_LIMIT_MB, read_upload
from workflows.stages import STATUS_LABELS

# Command fields → how the CLI names them in a refusal (``--on: …``), from the registry. Fields
# not listed (the keys of a Verwendungsnachweis, e.g. ``verwaltungskosten``) are printed as is.
FLAGS = {**flags(), "traeger": "--traeger", "stadtteil": "--stadtteil"}


def render_problem(problem: Problem) -> str:
    if problem.field is None:
        return problem.message
    return f"{FLAGS.get(problem.field, problem.field)}: {problem.message}"


def upload_limit(app: App) -> int:
    web = getattr(app.settings, "web", None)
    megabytes = getattr(web, "upload_max_mb", DEFAULT_LIMIT_MB)
    return int(megabytes) * 1024 * 1024


def _upload(app: App, path: Path | None, field: str) -> c.Upload | None:
    return None if path is None else read_upload(path, field, upload_limit(app))


def build(app: App, args: argparse.Namespace) -> Any:
    """The command dataclass for the parsed arguments of an event command."""
    return event_parsers.build(args, lambda path, field: _upload(app, path, field))


def _label(status: str) -> str:
    return STATUS_LABELS.get(status, status)


def change_line(change: StageChange, detail: str = "") -> str:
    move = (
        f"{_label(change.before)} → {_label(change.after)}"
        if change.before != change.after
        else _label(change.after)
    )
    return f"{change.pairing} {change.year} · {change.stage_name}: {move}{detail}"


def _detail(app: App, command: Any, change: StageChange) -> str:
    if isinstance(command, c.Schedule):
        place = f", {command.location}" if command.location else ""
        return f" am {german.zeit(command.at, app.calendar.timezone)}{place}"
    if isinstance(command, c.Complete | c.Submit) and change.day is not None:
        return f" am {change.day:%d.%m.%Y}"
    if isinstance(command, c.Extend):
        return f", neue Frist {command.until:%d.%m.%Y}"
    if isinstance(command, c.Correct):
        return f" (korrigiert: {command.reason})"
    return ""


def lines(app: App, command: Any, outcome: Outcome) -> list[str]:
    """The German lines of an outcome, as the CLI has always printed them."""
    out = [change_line(ch, _detail(app, command, ch)) for ch in outcome.changes]
    for cc in outcome.cycle_changes:
        d = cc.detail
        if cc.kind == "beendet":
            out.append(f"{cc.pairing} {cc.year}: beendet am {d['am']:%d.%m.%Y} ({d['grund']})")
        elif cc.kind == "uebernommen":
            out.append(f"{cc.pairing} {cc.year}: übernimmt {d['stufen']} Stufen von {d['von']}")
        elif cc.kind == "storniert":
            out.append(f"{cc.pairing} {cc.year}: Zyklus storniert ({d['grund']}).")
        elif cc.kind == "notiz":
            out.append(f"{cc.pairing} {cc.year}: Notiz erfasst.")
    out += [note.message for note in outcome.notes]
    return out


def run(app: App, args: argparse.Namespace) -> int:
    command = build(app, args)
    outcome = app.bus.handle(command, Principal.operator(app.actor(getattr(args, "by", None))))
    for line in lines(app, command, outcome):
        print(line)
    return 0
