"""The ``zyklus`` command line (SPEC §11). Only argparse is imported at start-up."""

from __future__ import annotations

import argparse
import gc
import os
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any, NoReturn

from cycle.cli import german as cli_german
from cycle.cli import help_texts
from cycle.cli.arguments import date_arg, message_id, year
from cycle.cli.event_parsers import add_event_parsers

FORMATS = ("table", "json", "csv")
EXPORTS = (*FORMATS, "xlsx")  # status, audit, outbox: csv/xlsx for German office software


class Parser(argparse.ArgumentParser):
    def error(self, message: str) -> NoReturn:
        self.print_usage(sys.stderr)
        self.exit(2, f"Fehler: {message}\n")


def _version() -> str:
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version("zyklus")
    except PackageNotFoundError:  # running from a source tree that is not installed
        return "unbekannt"


class _Version(argparse._VersionAction):
    """``--version`` that looks the version up only when asked: ``importlib.metadata`` and the
    search through the installed distributions cost ~35 ms on every start otherwise."""

    def __call__(
        self,
        parser: argparse.ArgumentParser,
        namespace: argparse.Namespace,
        values: str | Sequence[Any] | None,
        option_string: str | None = None,
    ) -> None:
        self.version = f"zyklus {_version()}"
        super().__call__(parser, namespace, values, option_string)


def _export_format(p: argparse.ArgumentParser) -> None:
    p.add_argument("--format", choices=EXPORTS, default="table")
    p.add_argument("--output", type=Path, metavar="FILE", help="Datei für csv/xlsx (xlsx: Pflicht)")


def build_parser() -> Parser:
    parser = Parser(
        prog="zyklus",
        description="Qualitätszyklus Stadtteil- und "
        "Quartiersmanagement: Fristen, Erinnerungen, Status und Nachweise.",
    )
    parser.add_argument("--version", action=_Version, help="Version anzeigen und beenden")
    _global_options(parser)
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", parser_class=Parser)

    sub.add_parser("init", help="Datenbank anlegen/aktualisieren, Stammdaten importieren")

    p = sub.add_parser("status", help="Übersicht Partnerschaften × Stufen")
    p.add_argument("--year", type=year)
    p.add_argument("--overdue", action="store_true", help="nur Zyklen mit Überfälligem")
    p.add_argument("--traeger", metavar="T", help="nur dieser Träger (Kennung oder Name)")
    p.add_argument("--stadtteil", metavar="S", help="nur dieser Stadtteil (Kennung oder Name)")
    _export_format(p)

    add_event_parsers(sub)
    from cycle.cli import stammdaten_commands

    stammdaten_commands.add_parsers(sub)  # stammdaten export|import (SPEC §16)

    p = sub.add_parser("tick", help="ein Durchlauf: fällige Nachrichten erzeugen und zustellen")
    p.add_argument("--no-deliver", action="store_true", help="nur einreihen, nicht zustellen")
    p.add_argument("--format", choices=("text", "json"), default="text")

    sub.add_parser("run", help="Dienst: Durchläufe und Zustellung nach Zeitplan (Strg+C beendet)")

    p = sub.add_parser("simulate", help="Probelauf: welche Nachrichten ein Zeitraum erzeugt")
    p.add_argument("--from", dest="start", type=date_arg, required=True, metavar="DATE")
    p.add_argument("--to", dest="end", type=date_arg, required=True, metavar="DATE")
    p.add_argument("--scenario", type=Path, metavar="FILE", help="TOML mit [[event]]-Tabellen")
    p.add_argument("--format", choices=FORMATS, default="table")

    p = sub.add_parser("outbox", help="Postausgang anzeigen oder erneut senden (outbox retry)")
    p.add_argument("action", nargs="?", choices=["retry"], help="retry: erneut einreihen")
    p.add_argument("id", nargs="?", type=message_id, metavar="ID", help="Nachricht (bei retry)")
    p.add_argument("--failed", action="store_true", help="bei retry: alle fehlgeschlagenen")
    p.add_argument("--status", choices=("pending", "ungewiss", "sent", "failed", "skipped"))
    _export_format(p)

    p = sub.add_parser("audit", help="Protokoll anzeigen oder prüfen (audit verify)")
    p.add_argument(
        "action",
        nargs="?",
        choices=["verify", "umstellen"],
        help="verify: Hash-Kette prüfen; umstellen: ältere Einträge pseudonymisieren",
    )
    p.add_argument(
        "--anchor",
        metavar="HASH_OR_FILE",
        help="bei verify: veröffentlichte Anker prüfen (Ankerdatei oder ein Hash)",
    )
    p.add_argument("--pairing", metavar="P")
    p.add_argument("--year", type=year)
    _export_format(p)

    p = sub.add_parser("report", help="Berichte und Dokumente")
    reports = p.add_subparsers(dest="report", metavar="REPORT", parser_class=Parser, required=True)
    r = reports.add_parser("abschluss", help="Abschlussnachweis eines Zyklus")
    r.add_argument("pairing", metavar="PAIRING")
    r.add_argument("year", metavar="YEAR", type=year)
    r.add_argument("--format", choices=("text", "json"), default="text")
    r = reports.add_parser("jahresbericht", help="Gerüst des Jahresberichts (Anlage 1)")
    r.add_argument("pairing", metavar="PAIRING")
    r.add_argument("year", metavar="YEAR", type=year)
    r.add_argument("--format", choices=("md", "docx", "pdf"), default="md")
    r.add_argument("--output", type=Path, metavar="FILE")
    r = reports.add_parser("verwendungsnachweis", help="ausgefüllter Verwendungsnachweis")
    r.add_argument("pairing", metavar="PAIRING")
    r.add_argument("year", metavar="YEAR", type=year)
    r.add_argument("--format", choices=("md", "html", "pdf", "docx"), default="md")
    r.add_argument("--output", type=Path, metavar="FILE")
    r = reports.add_parser("buendelung", help="Bündelung der Gespräche eines Jahres")
    r.add_argument("year", metavar="YEAR", type=year)
    r.add_argument("--handlungsfeld", metavar="H")
    r.add_argument("--format", choices=("md", "docx", "pdf"), default="md")
    r.add_argument("--output", type=Path, metavar="FILE")
    r = reports.add_parser("pruefakte", help="Prüfakte eines Zyklus als ZIP (für die Prüfung)")
    r.add_argument("pairing", metavar="PAIRING")
    r.add_argument("year", metavar="YEAR", type=year)
    r.add_argument("--output", type=Path, metavar="FILE.zip", required=True)

    p = sub.add_parser("calendar", help="Fristen und Termine als iCalendar-Datei")
    p.add_argument("pairing", nargs="?", metavar="PAIRING")
    p.add_argument("--all", action="store_true", help="alle Partnerschaften")
    p.add_argument("--year", type=year, help="nur dieses Jahr")
    p.add_argument("--output", type=Path, metavar="FILE")

    from cycle.cli import backup_commands, web_commands

    web_commands.add_parsers(sub)
    backup_commands.add_parsers(sub)
    from cycle.cli import privacy_commands

    privacy_commands.add_parsers(sub)
    _global_options_after_commands(parser)
    help_texts.fill(parser)
    return parser


def _global_options(parser: argparse.ArgumentParser, **default: Any) -> None:
    """``--config`` and ``--now``; ``default=SUPPRESS`` on subcommands (SPEC §11)."""
    parser.add_argument(
        "--config",
        metavar="PATH",
        help="Konfiguration (Standard: ./config.toml oder $ZYKLUS_CONFIG)",
        **default,
    )
    parser.add_argument(
        "--now",
        metavar="ISO",
        help="Uhr einfrieren, z. B. 2026-04-02T08:00 (auch $ZYKLUS_NOW)",
        **default,
    )


def _global_options_after_commands(parser: argparse.ArgumentParser) -> None:
    """Accept the global options after the command too (``zyklus web --now …``), recursively.

    On a subcommand they default to ``SUPPRESS``: argparse copies a subcommand's namespace onto
    the main one, so only an option given after the command overrides one given before it.
    """
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            for sub in action.choices.values():
                _global_options(sub, default=argparse.SUPPRESS)
                _global_options_after_commands(sub)


def main(argv: Sequence[str] | None = None) -> int:
    cli_german.install()
    args = build_parser().parse_args(argv)
    if args.command is None:
        build_parser().print_help()
        return 2
    from cycle.errors import UserError

    try:
        from cycle.cli.dispatch import dispatch

        return dispatch(args)
    except UserError as exc:
        from cycle.cli.events import render_problem

        for problem in exc.problems:
            line = render_problem(problem)
            print(f"Fehler: {line}" if not line.startswith("Fehler") else line, file=sys.stderr)
        return exc.exit_code
    except KeyboardInterrupt:
        return 130
    except BrokenPipeError:  # e.g. `zyklus status | head`: stop quietly
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        return 1
    except Exception as exc:  # never a traceback to the user
        return _internal_error(exc)


def run() -> int:
    """The console entry (``zyklus``, ``python -m cycle``): ``main`` in a process of its own.

    The process ends right after: its objects need no cyclic garbage collection any more, and
    freezing them spares the collection the interpreter runs while shutting down, which walks
    every object of SQLAlchemy and the config once more (~60 ms of a ~0.35 s ``zyklus
    status``). In-process callers (tests) use ``main`` and keep collecting.
    """
    code = main()
    sys.stdout.flush()
    gc.freeze()
    return code


def _internal_error(exc: BaseException) -> int:
    from sqlalchemy.exc import DBAPIError, OperationalError

    from cycle.cli.db_errors import lock_wait, missing_privilege

    if isinstance(exc, DBAPIError) and (lacking := missing_privilege(exc.orig)):
        print(f"Fehler: {lacking}", file=sys.stderr)  # a grant is missing: bad setup, not a bug
        return 2
    if isinstance(exc, DBAPIError) and (waited := lock_wait(exc.orig)):
        print(f"Fehler: {waited}", file=sys.stderr)
        return 2
    if isinstance(exc, OperationalError):  # unreachable server, unusable file: not a bug
        print(f"Fehler: Datenbank nicht nutzbar: {exc.orig}", file=sys.stderr)
        return 2
    else:
        print(f"Interner Fehler ({type(exc).__name__}): {exc}", file=sys.stderr)
    if os.environ.get("ZYKLUS_DEBUG"):
        import traceback

        traceback.print_exception(exc)
    else:
        print("Details mit ZYKLUS_DEBUG=1.", file=sys.stderr)
    return 3
