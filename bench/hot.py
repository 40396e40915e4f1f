"""Rows for the hot-path goals (issue 12): the tick beside an in-run floor and APScheduler, the
peak RSS of the everything-due tick in its own process, and whole-process start-up of commands.

The floor is what the machine allows for the same mails: the project's renderer on the same
contexts and one ``executemany`` of the rendered rows into a plain SQLite table, nothing else.
The APScheduler rate is the alternative a Python user would pick: one job per reminder point in
a SQLAlchemy job store on SQLite (bench-only dependency).
"""

from __future__ import annotations

import json
import os
import resource
import sqlite3
import subprocess
import sys
import tempfile
from datetime import date, datetime, timedelta
from pathlib import Path
from statistics import median

from bench import cases, fixtures
from bench.table import Row, timed
from cycle.clock import BERLIN
from cycle.documents import docx_render, docx_shapes, jahresbericht
from cycle.mail.compose import stage_context
from cycle.mail.drafts import VARYING
from cycle.persistence.uow import reading
from cycle.service import tick
from cycle.views.reports import skeleton_data
from notifications.shapes import Shapes

EVERYTHING = "tick, everything due"
# The hot-path goals of issue 22 item 9 (docs/benchmarks.md says what bounds each).
TICK_GOAL = 6.0  # × APScheduler's planning rate, in the same run
RSS_GOAL_KB = 4.0  # peak RSS per enqueued mail above the loaded config
STATUS_GOAL = 0.25  # s, ``zyklus status`` on 8 pairings as a whole process


def verdict(met: bool) -> str:
    return "met" if met else "MISSED"


def _tick_rate(rows: list[Row], pairings: int) -> float | None:
    """Mails/s of this size's everything-due tick row (measured earlier in the same run)."""
    for row in rows:
        if row.benchmark.startswith(EVERYTHING) and row.pairings == pairings:
            return int(row.note.split()[0].replace(",", "")) / row.seconds
    return None


def floor(ws: cases.Workspace, rows: list[Row]) -> None:
    """Render the tick's reminder for every pairing and insert the rows with one executemany."""
    app = ws.app
    stage = app.settings.stages[0]
    due = date(2026, 3, 31)
    today = cases.REMINDERS.date()
    contexts = []
    for pairing_id in app.settings.pairings:
        context = stage_context(app.settings, pairing_id, 2026, stage, due, today)
        context.update(level=1, erinnert_am=[], eskaliert_am=[], eingeladen=False)
        contexts.append(context)
    path = ws.config.parent / "floor.db"

    def run() -> int:
        # The same rendering path as the tick (once per shape, names filled in).
        rendered = [app.renderer.render_shaped("erinnerung", c, VARYING) for c in contexts]
        with sqlite3.connect(path) as connection:
            connection.execute("DROP TABLE IF EXISTS mail")
            connection.execute("CREATE TABLE mail (id INTEGER PRIMARY KEY, subject, text, html)")
            connection.executemany(
                "INSERT INTO mail (subject, text, html) VALUES (?, ?, ?)",
                [(r.subject, r.text, r.html) for r in rendered],
            )
        return len(rendered)

    elapsed, count = timed(run)
    floor_rate = count / elapsed
    tick_rate = _tick_rate(rows, ws.pairings)
    ratio = f"; tick = {tick_rate / floor_rate:.2f} × floor" if tick_rate else ""
    note = f"renderer + one executemany, {count:,} mails; {floor_rate:,.0f} mails/s{ratio}"
    rows.append(Row("tick floor (same run)", ws.pairings, elapsed, note))


def skeletons(ws: cases.Workspace, rows: list[Row], sample: int = 200, rounds: int = 3) -> None:
    """The Jahresbericht DOCX a report reminder attaches, for ``sample`` pairings: built once per
    shape and filled in (``docx_shaped``, a fresh cache per round) against python-docx for each
    pairing, alternating, median of ``rounds`` each; the note extrapolates to every pairing."""
    app = ws.app
    with reading(app.engine) as session:
        data = [
            skeleton_data(session, app.settings, app.calendar.timezone, pairing, 2026)
            for pairing in list(app.settings.pairings)[:sample]
        ]
    docs = [(jahresbericht.title(d), jahresbericht.skeleton(d)) for d in data]

    def shaped() -> None:
        shapes: Shapes[docx_shapes.Parts, bytes] = Shapes(kept=64)
        for title, blocks in docs:
            docx_shapes.docx_shaped(title, blocks, shapes)

    def full() -> None:
        for title, blocks in docs:
            docx_render.docx(title, blocks)

    times: dict[str, list[float]] = {"shaped": [], "full": []}
    for round_ in range(rounds):
        for name, call in sorted([("shaped", shaped), ("full", full)], reverse=round_ % 2 == 1):
            times[name].append(timed(call)[0])
    each = {name: median(t) / len(docs) for name, t in times.items()}
    note = (
        f"{len(docs)} pairings, median of {rounds}: {each['shaped'] * 1e3:.1f} ms each once per "
        f"shape, {each['full'] * 1e3:.1f} ms built one by one "
        f"({each['full'] / each['shaped']:.1f} ×); "
        f"all {ws.pairings:,}: ~{each['shaped'] * ws.pairings:,.0f} s against "
        f"~{each['full'] * ws.pairings:,.0f} s"
    )
    seconds = median(times["shaped"])
    rows.append(Row(f"Jahresbericht DOCX skeletons (of {ws.pairings:,})", len(docs), seconds, note))


def _noop() -> None:  # the job APScheduler would run (never runs here: paused)
    """Nothing."""


def apscheduler(ws: cases.Workspace, rows: list[Row], jobs: int = 2_000) -> None:
    """Planning one APScheduler job per reminder point in a SQLAlchemy job store (SQLite)."""
    try:
        from apscheduler.jobstores.sqlalchemy import SQLAlchemyJobStore
        from apscheduler.schedulers.background import BackgroundScheduler
    except ImportError:
        rows.append(Row("APScheduler, one job per point", None, 0.0, "not installed: .[bench]"))
        return
    count = min(jobs, ws.pairings)
    with tempfile.TemporaryDirectory(prefix="zyklus-aps-") as folder:
        store = SQLAlchemyJobStore(url=f"sqlite:///{folder}/jobs.db")
        scheduler = BackgroundScheduler(jobstores={"default": store}, timezone=BERLIN)
        scheduler.start(paused=True)
        at = datetime(2099, 3, 3, 8, 5, tzinfo=BERLIN)  # far ahead: nothing ever runs
        try:
            elapsed, _ = timed(
                lambda: [
                    scheduler.add_job(
                        _noop, "date", run_date=at + timedelta(minutes=i), id=f"paar-{i}/erinnerung"
                    )
                    for i in range(count)
                ]
            )
        finally:
            scheduler.shutdown(wait=False)
    aps_rate = count / elapsed
    tick_rate = _tick_rate(rows, ws.pairings)
    ratio = ""
    if tick_rate:
        times = tick_rate / aps_rate
        met = verdict(times >= TICK_GOAL)
        ratio = f"; tick = {times:.1f} × APScheduler; goal ≥ {TICK_GOAL:g}× {met}"
    note = f"{count:,} jobs planned; {aps_rate:,.0f} jobs/s{ratio}"
    rows.append(Row("APScheduler, one job per point", ws.pairings, elapsed, note))


def peak_rss(folder: Path, pairings: int, rows: list[Row]) -> None:
    """Peak RSS (``VmHWM``) of ``init`` and, in a fresh process as the service
    would run it, of loading the config and the everything-due tick."""
    found = {}
    for step in ("init", "tick"):
        out = subprocess.run(
            [sys.executable, "-m", "bench.hot", step, str(folder), str(pairings)],
            check=True,
            capture_output=True,
            text=True,
            env={k: v for k, v in os.environ.items() if not k.startswith("ZYKLUS_")},
        )
        found[step] = json.loads(out.stdout.strip().splitlines()[-1])
    tick_run = found["tick"]
    per_mail = (tick_run["peak_mb"] - tick_run["before_mb"]) * 1024 / max(tick_run["enqueued"], 1)
    note = (
        f"{tick_run['enqueued']:,} mails in {tick_run['seconds']:.1f} s; peak RSS "
        f"{tick_run['peak_mb']:,.0f} MB (config {tick_run['before_mb']:,.0f} MB): "
        f"{per_mail:.1f} KB per mail, goal ≤ {RSS_GOAL_KB:g} KB "
        f"{verdict(per_mail <= RSS_GOAL_KB)}; "
        f"init alone {found['init']['peak_mb']:,.0f} MB"
    )
    rows.append(
        Row("peak RSS, everything-due tick (own process)", pairings, tick_run["seconds"], note)
    )


def _peak_mb() -> float:
    """This process's peak RSS in MB: ``VmHWM`` (Linux; a fresh process image starts at zero,
    while ``ru_maxrss`` keeps the high-water mark of the process that forked it)."""
    status = Path("/proc/self/status")
    if status.is_file():
        for line in status.read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def _child(step: str, folder: Path, pairings: int) -> None:
    """``init``: generate, load and initialise; ``tick``: load the config and run the digest
    tick and the everything-due tick on that database, as ``zyklus run`` would."""
    rows: list[Row] = []
    if step == "init":
        ws = cases.create(folder, pairings, rows)
        try:
            cases.init(ws, rows)
        finally:
            ws.app.close()
        print(json.dumps({"peak_mb": _peak_mb()}))
        return
    ws = cases.open_existing(folder, pairings)
    try:
        before = _peak_mb()
        tick.enqueue(ws.app.context, cases.QUIET)
        elapsed, report = timed(lambda: tick.enqueue(ws.app.context, cases.REMINDERS))
    finally:
        ws.app.close()
    peak = _peak_mb()
    result = {"enqueued": report.enqueued, "seconds": elapsed, "before_mb": before, "peak_mb": peak}
    print(json.dumps(result))


def startup(folder: Path, rows: list[Row]) -> None:
    """``zyklus status`` on 8 pairings as a fresh process, against ``python -c pass``."""
    config = fixtures.workspace(folder, 8)
    args = ["--config", str(config), "--now", "2026-03-03T08:05"]
    env = {k: v for k, v in os.environ.items() if not k.startswith("ZYKLUS_")}
    subprocess.run(
        [sys.executable, "-m", "cycle", *args, "init"], check=True, env=env, capture_output=True
    )
    cases.whole_process(
        rows, "zyklus status (start-up, whole process)", 8, [*args, "status"], goal=STATUS_GOAL
    )


if __name__ == "__main__":
    _child(sys.argv[1], Path(sys.argv[2]), int(sys.argv[3]))
