"""``zyklus stammdaten export|import`` (SPEC §11, §16).

``export --format xlsx|csv|toml [--output FILE]`` writes the stored master data (CSV and TOML go
to stdout without ``--output``). ``import FILE [--probelauf]`` shows what the file changes —
every changed record with old → new per field and its effects, the ids made up for rows without
``Kennung`` — and applies it as the operator in one transaction; ``--probelauf`` only shows it.
Exit 0 applied or previewed; 1 when the file has problems (each on stderr as ``Blatt …, Zeile
N, Spalte X: …``) and nothing changed; 2 when the file cannot be opened (missing, a folder,
larger than ``[web] upload_max_mb``).
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from cycle.bootstrap import App
    from cycle.service.stammdaten_import import ImportPreview, Line

FORMATS = ("xlsx", "csv", "toml")


def add_parsers(sub: argparse._SubParsersAction[Any]) -> None:
    p = sub.add_parser("stammdaten", help="Stammdaten exportieren oder aus einer Datei einlesen")
    actions = p.add_subparsers(
        dest="stammdaten_action", metavar="AKTION", required=True, parser_class=type(p)
    )
    e = actions.add_parser("export", help="Träger, Stadtteile und Partnerschaften als Datei")
    e.add_argument("--format", choices=FORMATS, default="xlsx", help="xlsx (Standard), csv, toml")
    e.add_argument("--output", type=Path, metavar="FILE", help="Zieldatei (xlsx: Pflicht)")
    i = actions.add_parser(
        "import", help="Stammdaten aus XLSX, CSV (;) oder TOML übernehmen (Vorschau zuerst)"
    )
    i.add_argument("file", type=Path, metavar="FILE", help="die Datei (.xlsx, .csv, .toml)")
    i.add_argument(
        "--probelauf", action="store_true", help="nur zeigen, was sich ändern würde; nichts ändern"
    )
    i.add_argument("--by", metavar="WHO", help="wer importiert (für das Protokoll)")


def cmd_stammdaten(app: App, args: argparse.Namespace) -> int:
    if args.stammdaten_action == "export":
        return _export(app, args.format, args.output)
    return _import(app, args)


def _export(app: App, fmt: str, output: Path | None) -> int:
    from cycle.cli.output import need_output, write_output
    from cycle.stammdaten_io import export

    need_output(fmt, output, "stammdaten")
    master = app.settings.master
    data = export(master, fmt)
    if output is None:
        sys.stdout.write(data.decode("utf-8"))
        return 0
    counts = (
        f" ({len(master.traeger)} Träger, {len(master.stadtteile)} Stadtteile, "
        f"{len(master.pairings)} Partnerschaften)"
    )
    return write_output(data, output, counts)


def _import(app: App, args: argparse.Namespace) -> int:
    from cycle.cli.events import upload_limit
    from cycle.service.principal import Principal
    from cycle.service.stammdaten_import import preview
    from cycle.service.uploads import read_upload

    upload = read_upload(args.file, "FILE", upload_limit(app))
    master, version = app.settings.master, app.master_version  # refreshed by dispatch
    found = preview(upload.content, upload.filename, master, app.today(), version)
    for line in _lines(found):
        print(line)
    if not found.ok:
        for problem in found.problems:
            print(f"Fehler: {problem}", file=sys.stderr)
        n = len(found.problems)
        print(
            f"Nichts geändert: {n} Problem{'e' if n != 1 else ''} in {upload.filename}.",
            file=sys.stderr,
        )
        return 1
    if args.probelauf:
        print("Probelauf: nichts geändert.")
        return 0
    if not found.changed:
        print("Keine Änderungen; nichts zu übernehmen.")
        return 0
    outcome = app.bus.handle(found.command(), Principal.operator(app.actor(args.by)))
    written = outcome.data.get("written", len(found.changed))
    print(f"Übernommen: {written} Einträge geändert (je ein Protokolleintrag).")
    return 0


def _lines(found: ImportPreview) -> list[str]:
    if found.plan is None:
        return []
    out = [f"Vorschau {found.name}: {found.summary()}."]
    for generated in found.parsed.generated:
        out.append(
            f"  Kennung erzeugt: {generated.place}: {generated.art} „{generated.source}“ "
            f"→ {generated.id}"
        )
    for line in found.changed:
        out += _record(line)
    return out


def _record(line: Line) -> list[str]:
    out = [f"{line.status:<9} {line.kind_label} „{line.id}“ – {line.label} ({line.place})"]
    for change in line.changes:
        old = change.old or "–"
        out.append(f"            {change.label}: {old} → {change.new or '–'}")
    out += [f"            ⇒ {effect}" for effect in line.effects]
    return out
