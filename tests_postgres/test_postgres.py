"""The same product on PostgreSQL: cycle engine, tick, outbox claims, audit chain, simulate."""

from __future__ import annotations

import asyncio
import json
import threading
from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

from sqlalchemy import create_engine, text

from cycle.bootstrap import bootstrap
from cycle.mail.outbox import SqlOutbox
from notifications.delivery import drain
from notifications.transports import RecordingTransport
from tests.conftest import Run
from tests.test_tick_support import FIRST_TICK

BERLIN = ZoneInfo("Europe/Berlin")


def _json(zyklus: Run, *args: str, now: str) -> object:
    result = zyklus(*args, "--format", "json", now=now)
    assert result.code == 0, result.err
    return json.loads(result.out)


def test_the_cycle_engine_runs_on_postgresql(zyklus: Run, pg_url: str, tmp_path: Path):
    assert zyklus("init", now="2026-01-05T09:00").code == 0
    status = _json(zyklus, "status", now="2026-04-02T08:00")
    assert isinstance(status, dict)
    cycles = {c["pairing"]: c for c in status["cycles"]}
    assert cycles["bockelsberg"]["stages"]["auftaktgespraech"]["overdue_days"] == 2
    assert cycles["kaltenmoor"]["stages"]["verwendungsnachweis"]["due"] == "2027-06-30"
    report = tmp_path / "bericht.pdf"
    report.write_bytes(b"%PDF-1.4")
    early = zyklus(
        "submit", "kaltenmoor", "2026", "jahresbericht", str(report), now="2026-02-01T09:00"
    )
    assert early.code == 1 and "Auswertungsgespräch" in early.err
    assert (
        zyklus(
            "schedule",
            "kaltenmoor",
            "2026",
            "auftaktgespraech",
            "--at",
            "2026-03-10T10:00",
            now="2026-02-01T09:00",
        ).code
        == 0
    )
    assert (
        zyklus("complete", "kaltenmoor", "2026", "auftaktgespraech", now="2026-03-10T12:00").code
        == 0
    )
    assert zyklus("audit", "verify", now="2026-03-10T12:00").code == 0
    engine = create_engine(pg_url)
    with engine.begin() as connection:
        connection.execute(text("UPDATE audit SET actor = 'jemand' WHERE id = 5"))
    engine.dispose()
    broken = zyklus("audit", "verify", now="2026-03-10T12:00")
    assert broken.code == 1 and "Eintrag 5" in broken.out


def test_the_tick_is_idempotent_and_catches_up_on_postgresql(zyklus: Run, pg_url: str):
    zyklus("init", now="2026-01-05T09:00")
    first = _json(zyklus, "tick", now="2026-03-03T08:05")
    assert first == {
        "opened": 0,
        "enqueued": FIRST_TICK,
        "skipped": 0,
        "sent": FIRST_TICK,
        "failed": 0,
        "deferred": 0,
    }
    again = _json(zyklus, "tick", now="2026-03-03T08:05")
    assert isinstance(again, dict) and again["enqueued"] == again["sent"] == 0
    late = _json(zyklus, "tick", now="2026-04-20T09:00")
    assert isinstance(late, dict) and late["skipped"] == 16  # 8 × reminder 2 and escalation 1


def test_two_drains_on_postgresql_claim_each_message_once(
    zyklus: Run, pg_url: str, workspace: Path
):
    zyklus("init", now="2026-01-05T09:00")
    zyklus("tick", "--no-deliver", now="2026-03-03T08:05")
    app = bootstrap(str(workspace / "config.toml"), "2026-03-03T08:10")
    now = datetime(2026, 3, 3, 8, 10, tzinfo=BERLIN)
    transports = [RecordingTransport(), RecordingTransport()]

    def run(index: int) -> None:
        outbox = SqlOutbox(app.engine, f"worker-{index}")
        asyncio.run(drain(outbox, transports[index], "x@example.org", now, batch_size=2))

    workers = [threading.Thread(target=run, args=(i,)) for i in range(2)]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join()
    app.close()
    sent = [s.msg["Message-ID"] for t in transports for s in t.sent]
    assert len(sent) == FIRST_TICK and len(set(sent)) == FIRST_TICK


def test_simulate_copies_a_postgresql_database_and_leaves_it_untouched(zyklus: Run, pg_url: str):
    zyklus("init", now="2026-01-05T09:00")
    before = zyklus("audit", "--format", "csv", now="2026-01-05T09:00").out
    rows = _json(
        zyklus, "simulate", "--from", "2026-03-01", "--to", "2026-03-31", now="2026-01-05T09:00"
    )
    # two reminders in March (03.03. and 24.03.) to each of the 10 contacts of the 8 pairings
    assert isinstance(rows, list) and sum(r["kind"] == "erinnerung" for r in rows) == 20
    assert zyklus("audit", "--format", "csv", now="2026-01-05T09:00").out == before
