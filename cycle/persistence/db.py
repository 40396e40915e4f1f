"""Engines and schema upgrades. SQLite gets WAL, a busy timeout, foreign keys and BEGIN IMMEDIATE.

Deferred transactions on SQLite fail read-then-write races with "database is locked"; IMMEDIATE
takes the write lock at BEGIN and waits ``busy_timeout`` for it (LIBRARY_NOTES).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, create_engine, event, inspect, text
from sqlalchemy.engine import make_url

MIGRATIONS = Path(__file__).parent / "migrations"
# The newest migration's revision, known without loading Alembic (tests/test_schema_head.py
# checks it against Alembic's head: a new migration must update it).
HEAD_REVISION = "0009_skip_reason"
# The execution option of a read-only engine (``reading``): on SQLite its transactions begin
# DEFERRED, every other transaction IMMEDIATE.
READ_ONLY = "zyklus_read_only"


@dataclass(frozen=True)
class Pool:
    """The pool and, on PostgreSQL, the per-connection settings (``[database]``)."""

    size: int = 5
    max_overflow: int = 10
    application_name: str = "zyklus"
    lock_timeout_s: int = 15
    statement_timeout_s: int = 300


def make_engine(
    url: str, options: Mapping[str, object] | None = None, pool: Pool | None = None
) -> Engine:
    """The engine for ``url``; ``options`` are its execution options (the audit key).

    On PostgreSQL every connection carries ``application_name``, ``lock_timeout`` and
    ``statement_timeout``: a transaction someone forgot open on ``audit_head`` makes a request
    fail after the lock timeout instead of waiting for it (SQLite waits its busy timeout).
    """
    parsed = make_url(url)
    execution = dict(options or {})
    if parsed.get_backend_name() != "sqlite":
        pool = pool or Pool()
        settings = (
            f"-c lock_timeout={pool.lock_timeout_s * 1000} "
            f"-c statement_timeout={pool.statement_timeout_s * 1000}"
        )
        connect_args = (
            {"application_name": pool.application_name, "options": settings}
            if parsed.get_backend_name() == "postgresql"
            else {}
        )
        return create_engine(
            url,
            pool_pre_ping=True,
            pool_size=pool.size,
            max_overflow=pool.max_overflow,
            connect_args=connect_args,
            execution_options=execution,
        )
    if parsed.database and parsed.database != ":memory:":
        Path(parsed.database).parent.mkdir(parents=True, exist_ok=True)
    engine = create_engine(url, connect_args={"timeout": 30}, execution_options=execution)

    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection: Any, _record: Any) -> None:
        dbapi_connection.isolation_level = None  # we issue BEGIN ourselves
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA busy_timeout=30000")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute("PRAGMA synchronous=NORMAL")
        cursor.close()

    @event.listens_for(engine, "begin")
    def _on_begin(connection: Any) -> None:
        # A reading session (``cycle.persistence.uow.reading``) takes a snapshot without the
        # write lock: in WAL, readers neither wait for the writer nor for each other.
        read_only = connection.get_execution_options().get(READ_ONLY, False)
        connection.exec_driver_sql("BEGIN" if read_only else "BEGIN IMMEDIATE")

    return engine


def upgrade(engine: Engine) -> None:
    """Create or upgrade the schema to the newest migration (idempotent)."""
    from alembic import command
    from alembic.config import Config

    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    with engine.begin() as connection:
        config.attributes["connection"] = connection
        command.upgrade(config, "head")


def schema_is_current(engine: Engine) -> bool:
    """The database is at ``HEAD_REVISION``: one read of ``alembic_version``, no Alembic import.

    Every command checks this at start-up; loading Alembic and the migration scripts for it
    cost most of a short command's run time.
    """
    with engine.connect() as connection:
        if not inspect(connection).has_table("alembic_version"):
            return False
        found = connection.execute(text("SELECT version_num FROM alembic_version")).scalars()
        return set(found) == {HEAD_REVISION}
