"""Run one parsed CLI command: bootstrap the app, call the handler, print German output."""

from __future__ import annotations

import argparse
from collections.abc import Callable

from cycle.bootstrap import App, bootstrap
from cycle.errors import UsageError


def _print(lines: list[str]) -> int:
    for line in lines:
        print(line)
    return 0


def cmd_init(app: App, _args: argparse.Namespace) -> int:
    from cycle.persistence import db
    from cycle.persistence.uow import transaction
    from cycle.service import cycles, masterdata

    db.upgrade(app.engine)
    now, actor = app.now(), app.actor(None)
    with transaction(app.engine) as session:
        changed = masterdata.sync(session, app.settings, now, actor)
        refreshed = cycles.refresh_due_dates(session, app.settings, app.calendar, now)
        opened = cycles.open_cycles(
            session, app.settings, app.calendar, app.today(now).year, now, actor
        )
    print(f"Datenbank bereit: {_safe_url(app.settings.database_url)}")
    print(
        f"Stammdaten: {len(app.settings.pairings)} Partnerschaften, "
        f"{changed} Änderungen übernommen."
    )
    if refreshed:
        print(f"Fristen neu berechnet: {refreshed}")
    print(f"Zyklen {app.today(now).year} eröffnet: {len(opened)}")
    return 0


def _safe_url(url: str) -> str:
    from sqlalchemy.engine import make_url

    return make_url(url).render_as_string(hide_password=True)


def ensure_schema(app: App) -> None:
    from cycle.persistence import db

    if not db.schema_is_current(app.engine):
        raise UsageError(
            "Die Datenbank ist nicht eingerichtet oder veraltet: "
            "bitte zuerst „zyklus init“ ausführen."
        )


def cmd_status(app: App, args: argparse.Namespace) -> int:
    from cycle.cli import status_table as status_view
    from cycle.persistence.uow import reading
    from cycle.views import overview
    from cycle.views.formats import to_csv, to_json, use_colour

    now = app.now()
    today = app.today(now)
    year = args.year or today.year
    with reading(app.engine) as session:
        rows = overview.load(
            session, app.settings, year, today, args.traeger, args.stadtteil, args.overdue
        )
    tz = app.calendar.timezone
    if args.format == "json":
        print(to_json(overview.as_json(rows, now, year, tz)))
    elif args.format == "csv":
        print(to_csv(status_view.CSV_HEADERS, status_view.csv_rows(rows, tz)), end="")
    else:
        print(f"Qualitätszyklus {year} · Stand {now.astimezone(tz):%d.%m.%Y, %H:%M} Uhr")
        if not rows:
            print(
                f"Keine Zyklen {year} für diese Auswahl. (Die Zyklen eines Jahres entstehen "
                "mit „zyklus init“ oder dem ersten Durchlauf „zyklus tick“ im Jahr.)"
            )
            return 0
        print(status_view.render_table(rows, app.settings, today.toordinal(), use_colour(), tz))
        overdue = sum(1 for r in rows if r.overdue)
        print(f"{len(rows)} Zyklen, davon {overdue} mit überfälligen Stufen.")
    return 0


def cmd_event(app: App, args: argparse.Namespace) -> int:
    from cycle.service import ending, handlers

    c = args.command
    if c == "schedule":
        return _print(
            handlers.schedule(
                app, args.pairing, args.year, args.stage, args.at, args.location, args.by
            )
        )
    if c == "complete":
        return _print(
            handlers.complete(
                app,
                args.pairing,
                args.year,
                args.stage,
                args.on,
                args.by,
                args.note,
                args.evidence,
                args.participants,
            )
        )
    if c == "submit":
        return _print(
            handlers.submit(
                app, args.pairing, args.year, args.stage, args.file, args.on, args.by, args.trotzdem
            )
        )
    if c in ("accept", "check", "acknowledge", "file"):
        return _print(
            handlers.simple(
                app, c, args.pairing, args.year, args.stage, args.by, args.reason, args.on
            )
        )
    if c == "return":
        return _print(
            handlers.give_back(
                app, args.pairing, args.year, args.stage, args.reason, args.due, args.by
            )
        )
    if c == "extend":
        return _print(
            handlers.extend(
                app, args.pairing, args.year, args.stage, args.until, args.reason, args.by
            )
        )
    if c == "waive":
        return _print(
            handlers.waive(app, args.pairing, args.year, args.stage, args.reason, args.by)
        )
    if c == "end":
        return _print(
            ending.end_pairing(app, args.pairing, args.on, args.reason, args.successor, args.by)
        )
    raise UsageError(f"unbekannter Befehl {c}")


def _count(n: int, singular: str, plural: str) -> str:
    return f"{n} {singular if n == 1 else plural}"


def cmd_tick(app: App, args: argparse.Namespace) -> int:
    from cycle.service.tick import tick
    from cycle.views.formats import to_json

    now = app.now()
    report = tick(app, app.renderer, now, deliver=not args.no_deliver)
    if args.format == "json":
        print(to_json(report.as_json()))
        return 0
    tz = app.calendar.timezone
    print(
        f"Durchlauf {now.astimezone(tz):%d.%m.%Y, %H:%M} Uhr: "
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
    from cycle.views import outbox_view

    if args.action == "retry":
        if (args.id is None) == (not args.failed):
            raise UsageError("outbox retry: genau eines von ID oder --failed angeben.")
        return outbox_view.retry(app, args.id, args.failed)
    if args.id is not None or args.failed:
        raise UsageError("ID und --failed gibt es nur bei „outbox retry“.")
    return outbox_view.listing(app, args.status, args.format)


def cmd_simulate(app: App, args: argparse.Namespace) -> int:
    from cycle.simulation import simulate

    return simulate.run(app, args.start, args.end, args.scenario, args.format)


def cmd_audit(app: App, args: argparse.Namespace) -> int:
    from cycle.views import audit_view

    if args.action == "verify":
        return audit_view.verify(app)
    return audit_view.listing(app, args.pairing, args.year, args.format)


def cmd_report(app: App, args: argparse.Namespace) -> int:
    from cycle.views import audit_view

    if args.report == "abschluss":
        return audit_view.abschluss(app, args.pairing, args.year, args.format)
    from cycle.views import reports

    if args.report == "jahresbericht":
        return reports.jahresbericht(app, args.pairing, args.year, args.format, args.output)
    if args.report == "verwendungsnachweis":
        return reports.verwendungsnachweis(app, args.pairing, args.year, args.format, args.output)
    if args.report == "buendelung":
        return reports.buendelung(app, args.year, args.handlungsfeld, args.output)
    raise UsageError(f"unbekannter Bericht {args.report}")


def cmd_calendar(app: App, args: argparse.Namespace) -> int:
    from cycle.views import calendar_export

    if bool(args.pairing) == bool(args.all):
        raise UsageError("calendar: entweder PAIRING oder --all angeben.")
    return calendar_export.run(app, None if args.all else args.pairing, args.year, args.output)


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
    **{
        c: cmd_event
        for c in (
            "schedule",
            "complete",
            "submit",
            "accept",
            "check",
            "acknowledge",
            "file",
            "return",
            "extend",
            "waive",
            "end",
        )
    },
}


def _command(name: str) -> Callable[[App, argparse.Namespace], int]:
    if name in COMMANDS:
        return COMMANDS[name]
    from cycle.cli import web_commands

    return web_commands.COMMANDS[name]


def dispatch(args: argparse.Namespace) -> int:
    app = bootstrap(args.config, args.now)
    try:
        if args.command not in ("init", "simulate"):
            ensure_schema(app)
        return _command(args.command)(app, args)
    finally:
        app.close()
