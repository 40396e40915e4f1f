"""PostgreSQL for a city's IT (SPEC §19): a role that does not own the database is told in
German which privilege is missing (exit 2, no traceback); with the documented grants the role
runs init and a tick. Every connection carries application_name, lock_timeout and
statement_timeout, so a forgotten transaction on the audit head makes a command fail fast."""

from __future__ import annotations

import time
import uuid
from pathlib import Path

from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

from cycle.bootstrap import bootstrap
from tests.conftest import Run


def admin(url: str, *statements: str) -> None:
    engine = create_engine(url, isolation_level="AUTOCOMMIT")
    try:
        with engine.connect() as connection:
            for statement in statements:
                connection.execute(text(statement))
    finally:
        engine.dispose()


def test_a_role_without_grants_is_told_which_privilege_is_missing(
    zyklus: Run, pg_url: str, monkeypatch
) -> None:
    role = f"zyklus_app_{uuid.uuid4().hex[:8]}"
    database = make_url(pg_url).database
    admin(
        pg_url,
        f"CREATE ROLE {role} LOGIN",
        f'REVOKE TEMPORARY ON DATABASE "{database}" FROM PUBLIC',
    )
    try:
        monkeypatch.setenv(
            "ZYKLUS_DATABASE_URL",
            make_url(pg_url).set(username=role).render_as_string(hide_password=False),
        )
        refused = zyklus("init", now="2026-01-05T09:00")
        assert refused.code == 2, refused.err
        assert "Der Datenbankrolle fehlt das Recht CREATE" in refused.err
        assert "Schema public" in refused.err and "Traceback" not in refused.err
        admin(pg_url, f"GRANT USAGE, CREATE ON SCHEMA public TO {role}")
        assert zyklus("init", now="2026-01-05T09:00").code == 0
        no_temp = zyklus("tick", "--no-deliver", now="2026-03-03T08:05")
        assert no_temp.code == 2 and "das Recht TEMPORARY auf der Datenbank" in no_temp.err
        admin(pg_url, f'GRANT TEMPORARY ON DATABASE "{database}" TO {role}')
        done = zyklus("tick", "--no-deliver", now="2026-03-03T08:05")
        assert done.code == 0, done.err
    finally:
        admin(
            pg_url,
            f"REASSIGN OWNED BY {role} TO CURRENT_USER",
            f"DROP OWNED BY {role}",
            f"DROP ROLE {role}",
        )


def test_connections_carry_name_and_timeouts_and_a_held_lock_fails_fast(
    zyklus: Run, workspace: Path, pg_url: str
) -> None:
    config = workspace / "config.toml"
    body = config.read_text(encoding="utf-8")
    body = body.replace(
        "[database]\n", '[database]\nlock_timeout_s = 1\napplication_name = "zyklus-test"\n'
    )
    config.write_text(body, encoding="utf-8")
    assert zyklus("init", now="2026-01-05T09:00").code == 0
    app = bootstrap(str(config), "2026-01-06T09:00")
    try:
        with app.engine.connect() as connection:
            shown = [
                connection.execute(text(f"SHOW {name}")).scalar_one()
                for name in ("application_name", "lock_timeout", "statement_timeout")
            ]
    finally:
        app.close()
    assert shown == ["zyklus-test", "1s", "5min"]
    holder = create_engine(pg_url)
    try:
        with holder.connect() as connection:  # someone left a transaction open on the head
            connection.execute(text("SELECT * FROM audit_head FOR UPDATE"))
            started = time.monotonic()
            result = zyklus("note", "kaltenmoor", "2026", "wartet nicht", now="2026-01-06T09:00")
            waited = time.monotonic() - started
            connection.rollback()
    finally:
        holder.dispose()
    assert result.code == 2 and "Traceback" not in result.err
    assert "Eine Sperre in der Datenbank wurde nicht innerhalb von" in result.err
    assert waited < 10
    assert zyklus("note", "kaltenmoor", "2026", "danach", now="2026-01-06T09:00").code == 0
