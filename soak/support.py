"""Shared parts of the soak: a generated workspace on SQLite or PostgreSQL, ``zyklus`` as a
process, the outbox read back as rows, and ``check`` that turns a broken property into a
``Violation`` with a clear message."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

from sqlalchemy import Engine, create_engine, select, text
from sqlalchemy.engine import make_url
from sqlmodel import Session, col

from bench.fixtures import workspace as generated_workspace
from cycle.persistence.tables import AuditEntry, OutboxMessage
from tests.test_tick_support import use_smtp

ROOT = Path(__file__).resolve().parent.parent
BERLIN = ZoneInfo("Europe/Berlin")
INIT = datetime(2026, 1, 5, 9, 0, tzinfo=BERLIN)
START = datetime(2026, 3, 3, 8, 5, tzinfo=BERLIN)  # 300 pairings: 361 messages due
POSTGRES_ENV = "ZYKLUS_TEST_POSTGRES_URL"
ACTIVE = ("pending", "ungewiss")
SHIPPED_URL = 'url = "sqlite:///var/zyklus.db"'


class Violation(Exception):
    """A property of a scenario does not hold (the soak exits 1 with this message)."""


def check(condition: bool, message: str) -> None:
    if not condition:
        raise Violation(message)


def stamp(at: datetime) -> str:
    """``--now`` / ``ZYKLUS_NOW`` form of a local instant."""
    return at.astimezone(BERLIN).strftime("%Y-%m-%dT%H:%M:%S")


def progress(message: str) -> None:
    print(f"[soak {time.strftime('%H:%M:%S')}] {message}", file=sys.stderr, flush=True)


def poll(condition: Callable[[], bool], what: str, timeout: float, step: float = 0.02) -> None:
    """Wait until ``condition()`` holds; a ``Violation`` naming ``what`` after ``timeout`` s."""
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise Violation(f"timed out after {timeout:g} s waiting for {what}")
        time.sleep(step)


def claim_order(row: OutboxMessage) -> tuple[datetime, int]:
    """The key a drain claims by: the longest-due message first, then the oldest."""
    return row.next_attempt_at, row.id or 0


@dataclass(frozen=True)
class Workspace:
    """A folder with ``config.toml`` (generated pairings, SMTP on 127.0.0.1) and its database."""

    folder: Path
    url: str
    engine: Engine

    @property
    def config(self) -> Path:
        return self.folder / "config.toml"

    def zyklus(self, *args: str, now: datetime) -> str:
        """``zyklus --config … --now NOW ARGS…`` as a process; its stdout, or a ``Violation``."""
        argv = [sys.executable, "-m", "cycle", "--config", str(self.config), "--now", stamp(now)]
        done = subprocess.run(
            [*argv, *args], cwd=ROOT, capture_output=True, text=True, timeout=600, check=False
        )
        check(
            done.returncode == 0 and "Traceback" not in done.stderr,
            f"zyklus {' '.join(args)} at {stamp(now)} exited {done.returncode}: {done.stderr}",
        )
        return done.stdout

    def tick(self, now: datetime, *extra: str) -> dict[str, int]:
        out = self.zyklus("tick", *extra, "--format", "json", now=now)
        report: dict[str, int] = json.loads(out)
        return report

    def rows(self) -> list[OutboxMessage]:
        with Session(self.engine) as session:
            query = select(OutboxMessage).order_by(col(OutboxMessage.id))
            return list(session.execute(query).scalars())

    def claimable(self, now: datetime) -> list[OutboxMessage]:
        """The rows a drain at ``now`` would claim, in its order: the outbox's claim rule,
        longest due first, then by id (``cycle.mail.outbox._candidates``)."""
        due = [
            row
            for row in self.rows()
            if row.status in ACTIVE
            and row.next_attempt_at <= now
            and (row.lease_until is None or row.lease_until < now)
        ]
        return sorted(due, key=claim_order)

    def ungewiss_ids(self) -> set[str]:
        """Message-IDs that ever had an unknown outcome recorded (the documented second copy)."""
        with Session(self.engine) as session:
            query = select(col(AuditEntry.payload)).where(
                col(AuditEntry.action) == "nachricht_ungewiss"
            )
            return {json.loads(p)["message_id"] for p in session.execute(query).scalars()}


@contextmanager
def database(kind: str, folder: Path) -> Iterator[str]:
    """The URL of a fresh database: a SQLite file in ``folder``, or a new PostgreSQL database
    on ``$ZYKLUS_TEST_POSTGRES_URL``'s server that is dropped afterwards."""
    if kind == "sqlite":
        yield f"sqlite:///{folder / 'var' / 'zyklus.db'}"
        return
    admin = create_engine(os.environ[POSTGRES_ENV], isolation_level="AUTOCOMMIT")
    name = f"zyklus_soak_{uuid.uuid4().hex[:12]}"
    try:
        with admin.connect() as connection:
            connection.execute(text(f'CREATE DATABASE "{name}"'))
        try:
            url = make_url(os.environ[POSTGRES_ENV]).set(database=name)
            yield url.render_as_string(hide_password=False)
        finally:
            with admin.connect() as connection:
                connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    finally:
        admin.dispose()


@contextmanager
def workspace(folder: Path, kind: str, pairings: int, smtp_port: int) -> Iterator[Workspace]:
    """A generated workspace on a fresh database, ``zyklus init`` done."""
    generated_workspace(folder, pairings)
    use_smtp(folder, smtp_port)
    with database(kind, folder) as url:
        config = folder / "config.toml"
        text_ = config.read_text(encoding="utf-8")
        check(SHIPPED_URL in text_, f"{config}: no {SHIPPED_URL!r} to replace")
        config.write_text(text_.replace(SHIPPED_URL, f'url = "{url}"', 1), encoding="utf-8")
        engine = create_engine(url)  # plain reads: no BEGIN IMMEDIATE beside the services
        try:
            ws = Workspace(folder, url, engine)
            ws.zyklus("init", now=INIT)
            yield ws
        finally:
            engine.dispose()


def no_tracebacks(lines: list[str], who: str) -> None:
    found = [line for line in lines if "Traceback" in line]
    check(not found, f"{who} logged a traceback:\n" + "\n".join(lines))
