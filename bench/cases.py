"""The measured operations, each called in-process on a generated workspace (SQLite in a temp dir).

A ``Workspace`` is one generated config with N pairings and its own SQLite file. The steps run in
the order of a real year: config load, init (schema, master data, cycles of 2026), the first tick
of 10.02.2026 (only the weekly digest is due), repeated ticks at the same instant (nothing due:
the idempotent steady state), the tick of 03.03.2026 (every pairing's first reminder).
"""

from __future__ import annotations

import contextlib
import gc
import io
import os
import subprocess
import sys
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from pathlib import Path

from bench import fixtures
from bench.sink import HOST, Sink
from bench.table import Row, median_of, rate, timed
from cycle.bootstrap import App
from cycle.clock import BERLIN, FixedClock
from cycle.config.loader import load
from cycle.config.settings import MasterData, Settings
from cycle.mail.deliver import deliver
from cycle.persistence import db
from cycle.persistence.uow import reading, transaction
from cycle.service import cycles, stammdaten, tick
from cycle.simulation import simulate
from cycle.views import overview
from cycle.views.formats import to_json
from notifications.smtp import SmtpTransport

QUIET = datetime(2026, 2, 10, 8, 5, tzinfo=BERLIN)  # Tuesday: only the digest of week 7 is due
REMINDERS = datetime(2026, 3, 3, 8, 5, tzinfo=BERLIN)  # 28 days before 31.03.: every reminder
ACTOR = "bench"


@dataclass
class Workspace:
    pairings: int
    config: Path
    app: App

    @property
    def settings(self) -> Settings:
        return self.app.settings


def create(folder: Path, pairings: int, rows: list[Row]) -> Workspace:
    """Generate the config, load it (timed) and return an app on the workspace's own database."""
    config = fixtures.workspace(folder, pairings)
    elapsed, settings = timed(lambda: load(config, {}))
    rows.append(Row("load config.toml", pairings, elapsed, rate(pairings, elapsed, "pairings")))
    gc.freeze()  # as cycle.bootstrap.bootstrap() does after loading the config
    return Workspace(pairings, config, App(settings, FixedClock(QUIET), {}))


def open_existing(folder: Path, pairings: int) -> Workspace:
    """The workspace ``create`` generated in ``folder`` (its database initialised), reloaded."""
    config = folder / "config.toml"
    settings = load(config, {})
    gc.freeze()
    return Workspace(pairings, config, App(settings, FixedClock(QUIET), {}))


def init(ws: Workspace, rows: list[Row]) -> None:
    """Schema, master-data import and opening the cycles of 2026 (what ``zyklus init`` does)."""
    app = ws.app

    def run() -> int:
        db.upgrade(app.engine)
        with transaction(app.engine) as session:
            master = stammdaten.plan(MasterData(), app.settings.master)
            stammdaten.write(session, master, QUIET, ACTOR)
            return len(cycles.open_cycles(session, app.settings, app.calendar, 2026, QUIET, ACTOR))

    elapsed, opened = timed(run)
    note = f"{opened:,} cycles opened; {rate(ws.pairings, elapsed, 'pairings')}"
    rows.append(Row("init: schema, master data, open cycles", ws.pairings, elapsed, note))


def ticks(ws: Workspace, rows: list[Row], repeats: int = 5) -> None:
    """Digest-only tick, steady-state tick (median of ``repeats``), everything-due tick."""
    app = ws.app
    elapsed, report = timed(lambda: tick.enqueue(app.context, QUIET))
    rows.append(
        Row(
            "tick, weekly digest due (10.02.)",
            ws.pairings,
            elapsed,
            f"{report.enqueued} message listing all cycles",
        )
    )
    reports: list[tick.TickReport] = []
    steady, times = median_of(repeats, lambda: reports.append(tick.enqueue(app.context, QUIET)))
    enqueued = sum(r.enqueued for r in reports)
    rows.append(
        Row(
            "tick, nothing due (10.02., repeated)",
            ws.pairings,
            steady,
            f"median of {repeats} (min {min(times):.4f} s), {enqueued} enqueued",
        )
    )
    elapsed, report = timed(lambda: tick.enqueue(app.context, REMINDERS))
    rows.append(
        Row(
            "tick, everything due (03.03.)",
            ws.pairings,
            elapsed,
            f"{report.enqueued:,} messages enqueued (not sent); "
            f"{rate(report.enqueued, elapsed, 'messages')}",
        )
    )


def status_json(ws: Workspace, rows: list[Row]) -> None:
    """``zyklus status --format json``: in-process CLI (config load included) and the read model."""
    from cycle.cli.main import main

    argv = ["--config", str(ws.config), "--now", "2026-03-03T08:05", "status", "--format", "json"]
    out = io.StringIO()

    def cli() -> int:
        out.seek(0)
        out.truncate()
        with contextlib.redirect_stdout(out):
            return main(argv)

    elapsed, code = timed(cli)
    size = len(out.getvalue().encode())
    rows.append(
        Row(
            "status --format json (in-process CLI)",
            ws.pairings,
            elapsed,
            f"exit {code}, {size / 1e6:.1f} MB JSON; incl. config load",
        )
    )
    app = ws.app

    def model() -> int:
        with reading(app.engine) as session:
            found = overview.load(session, app.settings, 2026, REMINDERS.date())
        return len(to_json(overview.as_json(found, REMINDERS, 2026, app.calendar.timezone)))

    elapsed, _ = timed(model)
    rows.append(
        Row(
            "status: overview.load + JSON only",
            ws.pairings,
            elapsed,
            rate(ws.pairings, elapsed, "cycles"),
        )
    )


def simulate_year(folder: Path, pairings: int, rows: list[Row]) -> None:
    """``zyklus simulate`` of 2026 (no events) starting from the config alone."""
    config = fixtures.workspace(folder, pairings)
    app = App(load(config, {}), FixedClock(datetime(2026, 1, 1, 7, 0, tzinfo=BERLIN)), {})
    start, end = date(2026, 1, 1), date(2026, 12, 31)
    days = sum(
        app.calendar.is_working_day(start + timedelta(d)) for d in range((end - start).days + 1)
    )
    try:
        elapsed, mails = timed(lambda: simulate.simulate(app, start, end, []))
    finally:
        app.close()
    note = f"{len(mails):,} mails, {days} daily ticks; {rate(len(mails), elapsed, 'mails')}"
    rows.append(Row("simulate a year (2026)", pairings, elapsed, note))


def delivery(ws: Workspace, rows: list[Row]) -> None:
    """Drain the outbox (after the everything-due tick) to aiosmtpd in a separate process."""
    app = ws.app
    with Sink() as sink:
        transport = SmtpTransport(HOST, sink.port, "none", timeout=30)
        elapsed, report = timed(lambda: deliver(app.delivery, REMINDERS, transport))
    note = (
        f"{report.sent:,} sent, {sink.messages:,} received ({sink.bytes / 1e6:.1f} MB) over "
        f"{transport.connections} connection(s); {rate(report.sent, elapsed, 'messages')}"
    )
    rows.append(Row("outbox → loopback SMTP (aiosmtpd)", ws.pairings, elapsed, note))


def whole_process(
    rows: list[Row],
    label: str,
    pairings: int | None,
    args: list[str],
    runs: int = 7,
    goal: float | None = None,
) -> None:
    """``zyklus ARGS`` as a fresh process (median of ``runs`` after a warm-up: bytecode caches
    and the OS page cache), beside a bare ``python -c pass``; ``ZYKLUS_*`` variables dropped."""
    script = Path(sys.executable).parent / "zyklus"
    command = [str(script)] if script.is_file() else [sys.executable, "-m", "cycle"]
    env = {k: v for k, v in os.environ.items() if not k.startswith("ZYKLUS_")}

    def run(argv: list[str]) -> None:
        subprocess.run(
            argv, check=True, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
        )

    run([*command, *args])
    bare, _ = median_of(runs, lambda: run([sys.executable, "-c", "pass"]))
    elapsed, times = median_of(runs, lambda: run([*command, *args]))
    note = (
        f"median of {runs} (min {min(times):.3f}, max {max(times):.3f}); "
        f"bare interpreter {bare:.3f}"
    )
    if goal is not None:
        note += f"; goal ≤ {goal:g} s {'met' if elapsed <= goal else 'MISSED'}"
    rows.append(Row(label, pairings, elapsed, note))


def startup(rows: list[Row]) -> None:
    """``zyklus --help`` as a fresh process."""
    whole_process(rows, "zyklus --help (start-up)", None, ["--help"])
