"""Reading sessions take no write lock on SQLite (issue 22 item 7): a page is read while a
command holds the write lock, and a reader does not keep a writer waiting."""

from __future__ import annotations

import time
from pathlib import Path

from sqlalchemy import text

from cycle.persistence.db import make_engine
from cycle.persistence.uow import reading, transaction


def test_a_reader_reads_while_a_writer_holds_the_lock_and_the_writer_is_not_kept_waiting(
    tmp_path: Path,
):
    engine = make_engine(f"sqlite:///{tmp_path / 'z.db'}")
    with engine.begin() as c:
        c.execute(text("CREATE TABLE t (n INTEGER)"))
        c.execute(text("INSERT INTO t VALUES (1)"))
    with transaction(engine) as writer:
        writer.execute(text("UPDATE t SET n = 2"))  # holds the write lock, not committed
        began = time.monotonic()
        with reading(engine) as reader:
            assert reader.execute(text("SELECT n FROM t")).scalar() == 1  # the last commit
        assert time.monotonic() - began < 5  # not the 30 s busy timeout
    with reading(engine) as reader:
        assert reader.execute(text("SELECT n FROM t")).scalar() == 2
        began = time.monotonic()
        with transaction(engine) as writer:  # a write while a read is open: no wait
            writer.execute(text("UPDATE t SET n = 3"))
        assert time.monotonic() - began < 5
        assert reader.execute(text("SELECT n FROM t")).scalar() == 2  # its snapshot
    engine.dispose()
