"""The schema check at start-up reads ``alembic_version`` against a head known at build time."""

from __future__ import annotations

from pathlib import Path

from alembic.config import Config
from alembic.script import ScriptDirectory
from sqlalchemy import text

from cycle.persistence import db


def test_the_head_revision_constant_is_alembics_head() -> None:
    config = Config()
    config.set_main_option("script_location", str(db.MIGRATIONS))
    assert ScriptDirectory.from_config(config).get_heads() == [db.HEAD_REVISION]


def test_a_fresh_database_is_not_current_and_an_upgraded_one_is(tmp_path: Path) -> None:
    engine = db.make_engine(f"sqlite:///{tmp_path / 'z.db'}")
    try:
        assert not db.schema_is_current(engine)
        db.upgrade(engine)
        assert db.schema_is_current(engine)
    finally:
        engine.dispose()


def test_an_older_revision_is_not_current(tmp_path: Path) -> None:
    engine = db.make_engine(f"sqlite:///{tmp_path / 'z.db'}")
    try:
        db.upgrade(engine)
        with engine.begin() as connection:
            connection.execute(text("UPDATE alembic_version SET version_num = '0001'"))
        assert not db.schema_is_current(engine)
    finally:
        engine.dispose()
