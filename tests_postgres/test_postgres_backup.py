"""``zyklus backup`` / ``zyklus restore`` on PostgreSQL (SPEC §19): ``pg_dump`` into the backup
folder, the database emptied, ``pg_restore`` and ``audit verify --anchor``."""

from __future__ import annotations

import shutil
from pathlib import Path

from sqlalchemy import create_engine, text

from tests.conftest import Run


def counts(url: str) -> dict[str, int]:
    engine = create_engine(url)
    try:
        with engine.connect() as connection:
            return {
                table: int(connection.execute(text(f"SELECT count(*) FROM {table}")).scalar_one())
                for table in ("cycle", "stage_state", "outbox", "evidence", "audit")
            }
    finally:
        engine.dispose()


def test_backup_and_restore_on_postgresql_with_pg_dump(
    zyklus: Run, workspace: Path, pg_url: str, tmp_path: Path
) -> None:
    assert zyklus("init", now="2026-01-05T09:00").code == 0
    evidence = tmp_path / "protokoll.txt"
    evidence.write_text("Protokoll\n", encoding="utf-8")
    done = zyklus(
        "complete", "kaltenmoor", "2026", "auftaktgespraech", "--on", "2026-02-10",
        "--participants", "A, B", "--evidence", str(evidence), now="2026-02-11T09:00",
    )  # fmt: skip
    assert done.code == 0, done.err
    assert zyklus("tick", now="2026-03-03T08:05").code == 0
    before = counts(pg_url)
    target = tmp_path / "sicherung"
    result = zyklus("backup", str(target))
    assert result.code == 0, result.err
    assert (target / "zyklus.pgdump").stat().st_size > 0
    assert "postgres" not in (target / "manifest.sha256").read_text()  # no URL, no password

    refused = zyklus("restore", str(target))
    assert refused.code == 2 and "--ueberschreiben" in refused.err
    engine = create_engine(pg_url, isolation_level="AUTOCOMMIT")
    with engine.connect() as connection:  # everything gone
        connection.execute(text("DROP SCHEMA public CASCADE; CREATE SCHEMA public"))
    engine.dispose()
    shutil.rmtree(workspace / "var")
    result = zyklus("restore", str(target))
    assert result.code == 0, (result.out, result.err)
    assert "Protokoll unverändert" in result.out
    assert counts(pg_url) == before
    assert before["evidence"] == 1 and any((workspace / "var" / "evidence").rglob("*"))
