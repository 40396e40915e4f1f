"""Run one parsed CLI command: bootstrap the app, call the handler, print German output."""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Callable
from pathlib import Path

from cycle import german
from cycle.bootstrap import App, bootstrap, collector_paused
from cycle.cli.progress import on_terminal
from cycle.errors import UsageError
from cycle.service.principal import Principal
from cycle.views.wording import anzahl


def _operator(app: App, args: argparse.Namespace) -> Principal:
    return Principal.operator(app.actor(getattr(args, "by", None)))


def cmd_init(app: App, args: argparse.Namespace) -> int:
    from cycle.service.commands import SyncMasterData

    command = SyncMasterData(app.settings.master, app.config_digest)
    data = app.bus.handle(command, _operator(app, args)).data
    print(f"Datenbank bereit: {_safe_url(app.settings.database_url)}")
    if data["imported"]:
        print(
            f"Stammdaten aus {app.settings.path.name} übernommen: "
            f"{data['pairings']} Partnerschaften, {data['changed']} Einträge."
        )
    else:
        print(
            f"Stammdaten: {data['pairings']} Partnerschaften aus der Datenbank; "
            f"0 Änderungen aus {app.settings.path.name} übernommen."
        )
    if data["differs"]:
        print(
            "Hinweis: Die Stammdaten in der Konfigurationsdatei weichen von denen in der "
            "Datenbank ab. Maßgeblich ist die Datenbank (sie werden auf der Seite „Stammdaten“ "
            "gepflegt); die Datei wird nach dem ersten Start nicht mehr übernommen. Wer sie "
            "bewusst übernehmen will: „zyklus stammdaten import config.toml“."
        )
    if data["refreshed"]:
        print(f"Fristen neu berechnet: {data['refreshed']}")
    print(f"Zyklen {data['year']} eröffnet: {data['opened']}")
    if app.audit_key is None:
        from cycle.persistence.audit_check import NO_KEY

        name = app.settings.audit.key_env
        print(f"Warnung: {NO_KEY.replace('{name}', name)}", file=sys.stderr)
    return 0


def _safe_url(url: str) -> str:
    from sqlalchemy.engine import make_url

    return make_url(url).render_as_string(hide_password=True)


DEMO_CONFIG = Path("var/demo/config.toml")  # where `make demo` leaves its configuration


def ensure_schema(app: App, config: str | None = None, command: str = "status") -> None:
    """Refuse (exit 2) before touching a database that is not there or not current.

    A SQLite file that does not exist is not created by asking about it: ``zyklus status`` in
    the repository after ``make demo`` used to leave an empty ``var/zyklus.db`` behind. When the
    demo's configuration is next to the working directory, the message names it.
    """
    from cycle.persistence import db

    database = app.engine.url.database
    missing = (
        app.engine.url.get_backend_name() == "sqlite"
        and database not in (None, "", ":memory:")
        and not Path(database).exists()
    )
    if not missing and db.schema_is_current(app.engine):
        return
    lines = [
        f"Die Datenbank {database} gibt es noch nicht: bitte zuerst „zyklus init“ ausführen."
        if missing
        else "Die Datenbank ist nicht eingerichtet oder veraltet: "
        "bitte zuerst „zyklus init“ ausführen."
    ]
    if DEMO_CONFIG.is_file() and _config_used(config) != DEMO_CONFIG.resolve():
        lines.append(
            "Die Daten von „make demo“ liegen in var/demo: "
            f"zyklus --config {DEMO_CONFIG} {command} …"
        )
    raise UsageError(*lines)


def _config_used(option: str | None) -> Path:
    from cycle.bootstrap import config_path

    return config_path(option, os.environ).resolve()


def cmd_status(app: App, args: argparse.Namespace) -> int:
    # The overview and its output are built in one go and live until printed (10,000 cycles:
    # ~400,000 objects); collections in between would only walk them.
    with collector_paused():
        return _status(app, args)


def _status(app: App, args: argparse.Namespace) -> int:
    from cycle.cli import status_table as status_view
    from cycle.cli.lookup import master_id
    from cycle.cli.output import use_colour
    from cycle.views import overview

    traeger = master_id(args.traeger, app.settings.traeger, "traeger", "Träger")
    stadtteil = master_id(args.stadtteil, app.settings.stadtteile, "stadtteil", "Stadtteil")
    now = app.now()
    today = app.today(now)
    year = args.year or today.year
    # A Core connection, not a session: the overview reads plain columns (see overview.load).
    with app.engine.connect() as connection:
        rows = overview.load(
            connection, app.settings, year, today, traeger, stadtteil, args.overdue
        )
    tz = app.calendar.timezone
    if args.format == "json":
        print(overview.json_text(rows, now, year, tz))
    elif args.format in ("csv", "xlsx"):
        from cycle.cli.output import sheet
        from cycle.views.exports import Sheet

        body = status_view.csv_rows(rows, app.settings, tz)
        table = Sheet(status_view.CSV_HEADERS, body, f"status-{year}")
        return sheet(table, args.format, args.output)
    else:
        print(f"Qualitätszyklus {year} · Stand {german.zeit(now, tz)}")
        if not rows:
            print(
                f"Keine Zyklen {year} für diese Auswahl. (Die Zyklen eines Jahres entstehen "
                "mit „zyklus init“ oder dem ersten Durchlauf „zyklus tick“ im Jahr.)"
            )
            return 0
        print(status_view.render_table(rows, app.settings, today.toordinal(), use_colour(), tz))
        overdue = sum(1 for r in rows if r.overdue)
        print(f"{anzahl(len(rows), 'Zyklus', 'Zyklen')}, davon {overdue} mit überfälligen Stufen.")
    return 0


def cmd_event(app: App, args: argparse.Namespace) -> int:
    from cycle.cli import events

    return events.run(app, args)


def _count(n: int, singular: str, plural: str) -> str:
    return f"{n} {singular if n == 1 else plural}"


def cmd_tick(app: App, args: argparse.Namespace) -> int:
    from cycle.clock import stopwatch
    from cycle.service.commands import Heartbeat, Tick
    from cycle.views.formats import to_json

    now = app.now()
    elapsed = stopwatch()
    outcome = app.bus.handle(Tick(deliver=not args.no_deliver), Principal.system())
    if not args.no_deliver:  # a delivering tick from cron counts as a running service
        app.bus.handle(Heartbeat(elapsed()), Principal.system())
    report = outcome.data["report"]
    if args.format == "json":
        print(to_json(report.as_json()))
        return 0
    tz = app.calendar.timezone
    print(
        f"Durchlauf {german.zeit(now, tz)}: "
        f"{_count(report.opened, 'Zyklus', 'Zyklen')} eröffnet, "
        f"{_count(report.enqueued, 'Nachricht', 'Nachrichten')} eingereiht, "
        f"{report.skipped} übersprungen; zugestellt {report.sent}, "
        f"fehlgeschlagen {report.failed}, zurückgestellt {report.deferred}."
    )
    for draft in report.queued:
        print(
            f"  {draft.kind} {draft.level} · {draft.pairing_id or ''} {draft.stage_id or ''} "
            f"→ {', '.join(draft.to)}"
        )
    return 0


def cmd_run(app: App, _args: argparse.Namespace) -> int:
    from cycle.runtime import service

    return service.run(app)


def cmd_outbox(app: App, args: argparse.Namespace) -> int:
    from cycle.cli import listings

    if args.action == "retry":
        if (args.id is None) == (not args.failed):
            raise UsageError("outbox retry: genau eines von ID oder --failed angeben.")
        return _retry(app, args)
    if args.id is not None or args.failed:
        raise UsageError("ID und --failed gibt es nur bei „outbox retry“.")
    return listings.outbox(app, args)


def _retry(app: App, args: argparse.Namespace) -> int:
    from cycle.service.commands import RetryOutbox

    outcome = app.bus.handle(RetryOutbox(args.id, args.failed), _operator(app, args))
    retried = [cc.detail for cc in outcome.cycle_changes]
    if not retried:
        print("Keine fehlgeschlagenen Nachrichten im Postausgang.")
        return 0
    for row in retried:
        print(f"Nachricht {row['id']} erneut eingereiht: {row['subject']} → {row['to']}")
    n = len(retried)
    print(
        f"{n} Nachricht{'en' if n != 1 else ''} wieder ausstehend; "
        "Zustellung beim nächsten Durchlauf (zyklus tick oder der laufende Dienst)."
    )
    return 0


def cmd_simulate(app: App, args: argparse.Namespace) -> int:
    from cycle.cli import simulation_output

    return simulation_output.run(app, args.start, args.end, args.scenario, args.format)


def cmd_audit(app: App, args: argparse.Namespace) -> int:
    from cycle.cli import listings

    return listings.audit(app, args)


def cmd_report(app: App, args: argparse.Namespace) -> int:
    from cycle.cli import documents

    return documents.report(app, args)


def cmd_calendar(app: App, args: argparse.Namespace) -> int:
    from cycle.cli import listings

    return listings.calendar(app, args)


def cmd_stammdaten(app: App, args: argparse.Namespace) -> int:
    from cycle.cli import stammdaten_commands

    return stammdaten_commands.cmd_stammdaten(app, args)


COMMANDS: dict[str, Callable[[App, argparse.Namespace], int]] = {
    "init": cmd_init,
    "status": cmd_status,
    "audit": cmd_audit,
    "tick": cmd_tick,
    "run": cmd_run,
    "outbox": cmd_outbox,
    "simulate": cmd_simulate,
    "calendar": cmd_calendar,
    "report": cmd_report,
    "stammdaten": cmd_stammdaten,
}


def _command(name: str) -> Callable[[App, argparse.Namespace], int]:
    if name in COMMANDS:
        return COMMANDS[name]
    from cycle.cli.event_parsers import EVENT_COMMANDS

    if name in EVENT_COMMANDS:
        return cmd_event
    from cycle.cli import backup_commands, privacy_commands, web_commands

    return {
        **web_commands.COMMANDS,
        **backup_commands.COMMANDS,
        **privacy_commands.COMMANDS,
    }[name]


def dispatch(args: argparse.Namespace) -> int:
    app = bootstrap(args.config, args.now)
    try:
        if args.command not in ("init", "simulate", "restore"):
            ensure_schema(app, args.config, args.command)
            app.refresh_master_data()  # the database's master data (SPEC §16)
        with on_terminal(args.command):  # a progress bar on stderr, only on a terminal
            return _command(args.command)(app, args)
    finally:
        app.close()
