"""The event subcommands of the CLI, derived from the registry (``cycle/service/registry.py``).

Each event on the CLI surface becomes a subcommand: its target's arguments (``PAIRING YEAR
STAGE``), then one argument or ``--option`` per field, typed by the field's kind, and ``--by``.
``build`` turns the parsed arguments back into the event's command. Only argparse and the
registry's plain data are imported here: ``zyklus --help`` stays fast.
"""

from __future__ import annotations

import argparse
from collections.abc import Callable
from pathlib import Path
from typing import Any

from cycle.cli.arguments import by, date_arg, instant_arg, year
from cycle.service import registry
from cycle.service.registry import Field, Kind, Surface, Target

METAVARS = {
    Kind.TEXT: "TEXT",
    Kind.DATE: "DATE",
    Kind.INSTANT: "DATETIME",
    Kind.NAMES: "NAME",
    Kind.UPLOAD: "FILE",
    Kind.STAGE: "STAGE",
    Kind.PAIRING: "PAIRING",
}
TYPES: dict[Kind, Callable[[str], Any]] = {
    Kind.DATE: date_arg,
    Kind.INSTANT: instant_arg,
    Kind.UPLOAD: Path,
}
EVENT_COMMANDS = tuple(e.name for e in registry.on(Surface.CLI))


def _target(p: argparse.ArgumentParser, event: registry.Event) -> None:
    if event.target is Target.NONE:
        return
    p.add_argument("pairing", metavar="PAIRING", help=event.pairing_help)
    if event.target is Target.PAIRING:
        return
    p.add_argument("year", metavar="YEAR", type=year, help="Jahr des Zyklus")
    if event.target is Target.STAGE:
        p.add_argument("stage", metavar="STAGE", help="Stufe (Kennung aus der Konfiguration)")


def _add(p: argparse.ArgumentParser | Any, field: Field, in_group: bool = False) -> None:
    options: dict[str, Any] = {"help": field.help or field.label}
    if field.kind is Kind.FLAG:
        options["action"] = "store_true"
    else:
        options["metavar"] = field.metavar or METAVARS[field.kind]
        if field.kind in TYPES:
            options["type"] = TYPES[field.kind]
    if field.positional:
        if field.kind is Kind.TEXT:
            options["nargs"] = "+"  # the words of a text, unquoted
        elif not field.required:
            options["nargs"] = "?"
        p.add_argument(field.name, **options)
        return
    if field.kind is Kind.NAMES:
        options.update(nargs="+", default=[])
    if field.required and not in_group:
        options["required"] = True
    p.add_argument(f"--{field.name}", **options)


def add_event_parsers(sub: Any) -> None:
    """One subcommand per event of the CLI surface, in the order of the registry."""
    for event in registry.on(Surface.CLI):
        p = sub.add_parser(event.name, help=event.help)
        _target(p, event)
        group = p.add_mutually_exclusive_group(required=True) if event.exclusive else None
        for field in event.fields_on(Surface.CLI):
            if group is not None and field.name in event.exclusive:
                _add(group, field, in_group=True)
            else:
                _add(p, field)
        by(p)


def flags() -> dict[str, str]:
    """Command fields → how the CLI names them in a refusal (``--on: …``, ``FILE: …``)."""
    named: dict[str, str] = {"pairing": "PAIRING", "year": "YEAR", "stage": "STAGE"}
    for event in registry.on(Surface.CLI):
        for field in event.fields_on(Surface.CLI):
            shown = field.metavar or METAVARS[field.kind] if field.positional else ""
            named.setdefault(field.name, shown or f"--{field.name}")
    return named


def build(args: argparse.Namespace, upload: Callable[[Path, str], Any]) -> Any:
    """The command of the parsed event subcommand; ``upload`` reads a named file."""
    event = registry.BY_NAME[args.command]
    values: dict[str, Any] = {}
    for field in event.fields_on(Surface.CLI):
        value = getattr(args, field.name)
        if value is None:
            pass  # not given: the command's own default (None)
        elif field.kind is Kind.UPLOAD:
            value = upload(value, field.name)
        elif field.kind is Kind.NAMES:
            value = tuple(value)
        elif field.kind is Kind.TEXT and field.positional:
            value = " ".join(value)
        values[field.name] = value
    return event.command(*(getattr(args, name) for name in event.base), **values)
