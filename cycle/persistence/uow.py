"""Sessions for reading and for one transaction of code outside the service layer.

The service layer's unit of work (one transaction per command, ``now`` read once) is
``cycle.service.uow.UnitOfWork``; everything else reads through ``reading`` or writes through
``transaction`` (migrations, test set-ups, the outbox's own claims and marks use theirs).
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from sqlalchemy import Engine
from sqlmodel import Session

from cycle.persistence.db import READ_ONLY


@contextmanager
def transaction(engine: Engine) -> Iterator[Session]:
    with Session(engine, expire_on_commit=False) as session, session.begin():
        yield session


@contextmanager
def reading(engine: Engine) -> Iterator[Session]:
    """A session for reading only: one snapshot (SQLite: a deferred BEGIN, no write lock, see
    ``cycle.persistence.db``). Writing through it is a mistake: on SQLite the upgrade to a write
    lock can fail at once with "database is locked" instead of waiting."""
    with Session(engine.execution_options(**{READ_ONLY: True}), expire_on_commit=False) as session:
        yield session
