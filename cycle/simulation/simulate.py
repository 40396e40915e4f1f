"""``zyklus simulate``: every mail a period would produce, on a throwaway copy of the database.

The copy is a temporary SQLite file: the real database's rows (if it is set up) are copied in,
so the simulation starts from the real state; nothing is ever delivered. The clock steps through
every working day at ``send_time`` and through each scenario event; after each step the newly
stored notifications are listed.
"""

from __future__ import annotations

import tempfile
from collections.abc import Iterator
from dataclasses import replace
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, func, insert, select
from sqlalchemy.engine import make_url
from sqlmodel import SQLModel, col
from sqlmodel import select as sm_select

from cycle import progress
from cycle.bootstrap import App, compose
from cycle.clock import SteppingClock
from cycle.errors import UsageError
from cycle.persistence import db
from cycle.persistence.tables import Notification
from cycle.persistence.uow import reading
from cycle.service.commands import SyncMasterData, Tick
from cycle.service.principal import Principal
from cycle.simulation import scenario

FIELDS = ["at", "kind", "level", "pairing", "year", "stage", "to", "cc", "subject"]


def _copy_database(source_url: str, source: Engine, target: Engine) -> None:
    """Copy every row of the real database (if it is set up) into the throwaway one."""
    url = make_url(source_url)
    if url.get_backend_name() == "sqlite" and not Path(url.database or "").is_file():
        return  # never create the real database as a side effect
    try:
        if not db.schema_is_current(source):
            return
    except Exception:  # no database yet: start from the config alone
        return
    with source.connect() as src, target.begin() as dst:
        for tbl in SQLModel.metadata.sorted_tables:
            rows = [dict(r._mapping) for r in src.execute(select(tbl))]
            if rows:
                dst.execute(insert(tbl), rows)


def _steps(
    app: App, start: date, end: date, events: list[scenario.Event]
) -> Iterator[tuple[datetime, scenario.Event | None]]:
    send_time, cal = app.settings.calendar.send_time, app.calendar
    ticks = []
    day = start
    while day <= end:
        if cal.is_working_day(day):
            ticks.append(cal.at(day, send_time))
        day += timedelta(days=1)
    timeline: list[tuple[datetime, int, scenario.Event | None]] = [(t, 1, None) for t in ticks]
    timeline += [(e.at, 0, e) for e in events]
    for at, _, event in sorted(timeline, key=lambda item: (item[0], item[1])):
        yield at, event


def simulate(
    app: App, start: date, end: date, events: list[scenario.Event], base_dir: Path | None = None
) -> list[dict[str, Any]]:
    if end < start:
        raise UsageError("--to liegt vor --from.")
    with tempfile.TemporaryDirectory(prefix="zyklus-simulation-") as folder:
        settings = replace(
            app.settings,
            database_url=f"sqlite:///{folder}/simulation.db",
            var_dir=Path(folder) / "var",
            audit=replace(app.settings.audit, anchor_file=None),  # never the real anchor file
        )
        clock = SteppingClock(app.calendar.at(start, app.settings.calendar.send_time))
        sim = compose(settings, clock, app.environ)
        try:
            db.upgrade(sim.engine)
            _copy_database(app.settings.database_url, app.engine, sim.engine)
            # The copy's master data (SPEC §16); without a real database the config's, as init.
            sim.bus.handle(SyncMasterData(), Principal.operator("simulation"))
            sim.refresh_master_data()
            return list(_run(sim, clock, start, end, events, base_dir))
        finally:
            sim.close()


def _run(
    sim: App,
    clock: SteppingClock,
    start: date,
    end: date,
    events: list[scenario.Event],
    base_dir: Path | None,
) -> Iterator[dict[str, Any]]:
    from cycle.simulation import scenario_events

    with reading(sim.engine) as session:
        last = session.execute(select(func.max(col(Notification.id)))).scalar() or 0
    tz = sim.calendar.timezone
    steps = list(_steps(sim, start, end, events))
    for number, (at, event) in enumerate(steps, start=1):
        progress.report("Simulation", number, len(steps))
        clock.set(at)
        if event is None:
            sim.bus.handle(Tick(deliver=False, documents=False), Principal.system())
        else:
            scenario_events.apply(sim, event, base_dir)
        with reading(sim.engine) as session:
            fresh = session.exec(
                sm_select(Notification)
                .where(col(Notification.id) > last)
                .where(col(Notification.status) != "skipped")
                .order_by(col(Notification.send_at), col(Notification.id))
            ).all()
        for n in fresh:
            last = max(last, n.id or 0)
            yield {
                # A point missed before the period goes out at the first pass, not before it.
                "at": max(n.send_at, at).astimezone(tz).isoformat(),
                "kind": n.kind,
                "level": n.level,
                "pairing": n.pairing_id,
                "year": n.year,
                "stage": n.stage_id,
                "to": n.recipients.get("to", []),
                "cc": n.recipients.get("cc", []),
                "subject": n.subject,
            }
