"""``zyklus backup ZIEL`` and ``zyklus restore QUELLE [--ueberschreiben]`` (SPEC §19).

``add_parsers`` runs at start-up (argparse only); the commands import ``cycle.runtime.backup``
when called. After a restore, ``audit verify --anchor`` runs on the restored anchor file and its
exit code is the command's.
"""

from __future__ import annotations

import argparse
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from cycle.bootstrap import App


def add_parsers(sub: argparse._SubParsersAction[Any]) -> None:
    p = sub.add_parser(
        "backup", help="Sicherung: Datenbank, Nachweise, Ankerdatei und manifest.sha256"
    )
    p.add_argument("target", type=Path, metavar="ZIEL", help="neuer oder leerer Ordner")
    p = sub.add_parser("restore", help="Sicherung zurückspielen und das Protokoll prüfen")
    p.add_argument("source", type=Path, metavar="QUELLE", help="Ordner von „zyklus backup“")
    p.add_argument(
        "--ueberschreiben",
        action="store_true",
        help="eine Datenbank mit Daten ersetzen (vorher „zyklus run“ und „zyklus web“ anhalten)",
    )


def cmd_backup(app: App, args: argparse.Namespace) -> int:
    from cycle.runtime.backup import backup

    report = backup(app, args.target)
    print(
        f"Sicherung in {args.target}: Datenbank ({report.database}), "
        f"{report.evidence} Nachweisdateien, {report.files} Dateien in manifest.sha256."
    )
    return 0


def cmd_restore(app: App, args: argparse.Namespace) -> int:
    from cycle.cli.listings import verify
    from cycle.runtime.backup import restore

    report = restore(app, args.source, args.ueberschreiben)
    print(
        f"Zurückgespielt aus {args.source}: Datenbank ({report.database}), "
        f"{report.evidence} Nachweisdateien; Prüfsummen aller {report.files} Dateien stimmen."
    )
    anchor = app.settings.anchor_path
    print("Protokoll prüfen (zyklus audit verify --anchor):")
    return verify(app, str(anchor) if anchor.is_file() else None)


COMMANDS: dict[str, Callable[[App, argparse.Namespace], int]] = {
    "backup": cmd_backup,
    "restore": cmd_restore,
}
