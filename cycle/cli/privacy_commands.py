"""CLI commands of SPEC §18: ``loeschen`` and ``audit umstellen`` (the conversion of an older
audit chain: verify, convert, anchor the new head, verify again)."""

from __future__ import annotations

import argparse
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

from cycle.errors import Problem, Refused

if TYPE_CHECKING:
    from cycle.bootstrap import App


def add_parsers(sub: argparse._SubParsersAction[Any]) -> None:
    p = sub.add_parser("loeschen", help="Daten nach den Aufbewahrungsfristen löschen")
    p.add_argument(
        "--probelauf", action="store_true", help="nur anzeigen, was gelöscht würde und warum"
    )
    p.add_argument("--person", metavar="ADDR", help="eine Person auf Antrag löschen (Art. 17)")
    add_auskunft(sub)


def _principal(app: App) -> Any:
    from cycle.service.principal import Principal

    return Principal.operator(app.actor(None))


def cmd_loeschen(app: App, args: argparse.Namespace) -> int:
    from cycle.service.commands import DeleteExpired

    outcome = app.bus.handle(DeleteExpired(args.probelauf, args.person), _principal(app))
    for line in report(outcome.data, args.probelauf):
        print(line)
    return 0


def report(data: Any, probelauf: bool) -> list[str]:
    """German lines: what is (or would be) deleted and why, what is kept and why."""
    lines = []
    due, kept, counts = data["due"], data["kept"], data["counts"]
    if not due:
        lines.append("Nichts zu löschen.")
    elif probelauf:
        lines.append("Probelauf – nichts wurde gelöscht. Fällig zur Löschung:")
        lines += [f"  {label}: {n} ({why})" for label, n, why in due]
    else:
        lines.append("Gelöscht:")
        lines += [f"  {label}: {n}" for label, n in counts.items()]
    if kept:
        lines.append("Aufbewahrt:")
        lines += [f"  {line}" for line in kept]
    return lines


def convert(app: App) -> int:
    """``zyklus audit umstellen``: verify, move the anchor file aside, convert, publish, verify."""
    from cycle.service.commands import ConvertAudit
    from cycle.views import audit_view

    before = audit_view.verify(app.view_context())
    if not before.intact:
        lines = [*before.lines, "Die Umstellung beginnt nur bei einem intakten Protokoll."]
        raise Refused(*(Problem(None, "protokoll", line) for line in lines))
    anchor = app.settings.anchor_path
    stamp = f"{app.now():%Y%m%dT%H%M%S}"
    archived = anchor.with_name(f"{anchor.name}.vor-umstellung-{stamp}")
    moved = anchor.exists()
    if moved:
        anchor.rename(archived)
    try:
        outcome = app.bus.handle(ConvertAudit(), _principal(app))
    except BaseException:
        if moved:
            archived.rename(anchor)
        raise
    done = outcome.data["umgestellt"]
    if done is None:
        if moved:
            archived.rename(anchor)
        print("Das Protokoll ist bereits umgestellt; nichts geändert.")
        return 0
    after = audit_view.verify(app.view_context())
    print(
        f"Protokoll umgestellt: {done.entries} Einträge neu verkettet, {done.values} "
        f"personenbezogene Werte neben das Protokoll gelegt. Alter Kopf {done.old_head} "
        f"(steht im neuen Eintrag {done.entries + 1})."
    )
    if moved:
        print(f"Die bisherige Ankerdatei liegt unter {archived}; neue Ankerdatei: {anchor}.")
    for line in after.lines:
        print(line)
    return 0 if after.intact else 1


COMMANDS: dict[str, Callable[[App, argparse.Namespace], int]] = {"loeschen": cmd_loeschen}


def add_auskunft(sub: argparse._SubParsersAction[Any]) -> None:
    p = sub.add_parser("auskunft", help="alle Daten zu einer E-Mail-Adresse (Art. 15) als ZIP")
    p.add_argument("address", metavar="ADDR", help="E-Mail-Adresse der Person")
    p.add_argument("--output", type=Path, metavar="FILE.zip", required=True)


def cmd_auskunft(app: App, args: argparse.Namespace) -> int:
    from cycle.cli import output
    from cycle.service.commands import RecordAccessRequest
    from cycle.views import auskunft

    done = app.bus.handle(RecordAccessRequest(args.address), _principal(app))
    data, found = auskunft.archive(app.view_context(), done.data["email"])
    counts = ", ".join(f"{label} {len(found[key])}" for key, label in auskunft.LABELS if found[key])
    detail = f" (Auskunft zu {found['adresse']}: {counts or 'keine Daten gespeichert'})"
    return output.write_output(data, args.output, detail)


COMMANDS["auskunft"] = cmd_auskunft
