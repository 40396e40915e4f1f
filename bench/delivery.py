"""Delivery throughput and commits per message on SQLite and PostgreSQL (issue 22 item 8).

``python -m bench.delivery [--pairings 2180] [--postgres URL] [--batch N]`` generates a workspace
per engine and transport, runs ``zyklus init`` and the everything-due tick of 03.03.2026 (one
reminder per pairing plus the weekly digest), then times one ``deliver.deliver`` of the whole
outbox — to the loopback aiosmtpd sink in its own process (``bench/sink.py``) and into a
Maildir — and counts the database commits the drain makes (SQLAlchemy's ``commit`` event on the
app's engine) and the CPU time of this process (the sink and PostgreSQL run in their own
processes: on a busy machine their wall-clock share varies, the CPU time per message less so).
PostgreSQL runs on a fresh database created on the server ``--postgres`` names
(dropped afterwards). Prints one Markdown table; it is a measurement, nothing asserts.
"""

from __future__ import annotations

import argparse
import dataclasses
import sys
import tempfile
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from sqlalchemy import create_engine, event, text
from sqlalchemy.engine import make_url

from bench import cases, fixtures
from bench.sink import HOST, Sink
from bench.table import timed
from cycle.bootstrap import App
from cycle.clock import FixedClock
from cycle.config.loader import load
from cycle.mail.deliver import deliver
from cycle.service import tick
from notifications.smtp import SmtpTransport
from notifications.transport_base import Transport
from notifications.transports import MaildirTransport


@contextmanager
def _database(server: str | None) -> Iterator[dict[str, str]]:
    """The environment for a fresh database: SQLite (the workspace's file) or PostgreSQL."""
    if server is None:
        yield {}
        return
    admin = create_engine(server, isolation_level="AUTOCOMMIT")
    name = f"zyklus_bench_{uuid.uuid4().hex[:12]}"
    with admin.connect() as connection:
        connection.execute(text(f'CREATE DATABASE "{name}"'))
    url = make_url(server).set(database=name).render_as_string(hide_password=False)
    try:
        yield {"ZYKLUS_DATABASE_URL": url}
    finally:
        with admin.connect() as connection:
            connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


def _measure(
    folder: Path, pairings: int, environ: dict[str, str], kind: str, batch: int | None
) -> tuple[int, float, float, int, str]:
    config = fixtures.workspace(folder, pairings)
    settings = load(config, environ)
    if batch is not None:
        mail = dataclasses.replace(settings.mail, zustellstapel=batch)
        settings = dataclasses.replace(settings, mail=mail)
    app = App(settings, FixedClock(cases.REMINDERS), environ)
    try:
        ws = cases.Workspace(pairings, config, app)
        cases.init(ws, [])
        enqueued = tick.enqueue(app.context, cases.REMINDERS).enqueued
        commits = [0]

        def counted(*_: Any) -> None:
            commits[0] += 1

        event.listen(app.engine, "commit", counted)
        cpu = time.process_time()
        if kind == "smtp":
            with Sink() as sink:
                transport: Transport = SmtpTransport(HOST, sink.port, "none", timeout=30)
                elapsed, report = timed(lambda: deliver(app.delivery, cases.REMINDERS, transport))
            received = sink.messages
        else:
            box = folder / "mail"
            transport = MaildirTransport(box)
            elapsed, report = timed(lambda: deliver(app.delivery, cases.REMINDERS, transport))
            received = sum(1 for _ in (box / "new").iterdir())
        cpu = time.process_time() - cpu
        event.remove(app.engine, "commit", counted)
        note = f"{enqueued:,} enqueued, {report.sent:,} sent, {received:,} received"
        return report.sent, elapsed, cpu, commits[0], note
    finally:
        app.close()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--pairings", type=int, default=2180)
    parser.add_argument("--postgres", help="server URL (postgresql+psycopg://…); else SQLite only")
    parser.add_argument("--batch", type=int, help="[mail] zustell_stapel (default: the config's)")
    parser.add_argument("--transports", default="smtp,maildir")
    args = parser.parse_args(argv)
    engines: list[tuple[str, str | None]] = [("SQLite", None)]
    if args.postgres:
        engines.append(("PostgreSQL", args.postgres))
    print(
        "| engine | transport | messages | seconds | messages/s | CPU ms/message | commits "
        "| commits/message |"
    )
    print("|---|---|---:|---:|---:|---:|---:|---:|")
    for label, server in engines:
        for kind in args.transports.split(","):
            with tempfile.TemporaryDirectory() as tmp, _database(server) as environ:
                sent, elapsed, cpu, commits, note = _measure(
                    Path(tmp), args.pairings, environ, kind, args.batch
                )
            print(
                f"| {label} | {kind} | {sent:,} | {elapsed:.2f} | {sent / elapsed:,.0f} | "
                f"{cpu * 1000 / max(sent, 1):.2f} | {commits:,} | {commits / max(sent, 1):.2f} |",
                flush=True,
            )
            print(f"  ({note})", file=sys.stderr, flush=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
