"""One unit of work per command: one transaction, ``now`` read once.

``UnitOfWork`` opens the session and its transaction (``BEGIN IMMEDIATE`` on SQLite, see
``db.py``), reads the clock exactly once, and commits row changes, audit entries and outbox rows
together — or rolls all of them back when the command raises. Handlers take the unit of work and
never read the clock or open sessions themselves.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import date, datetime
from pathlib import Path
from types import TracebackType
from typing import TYPE_CHECKING

from sqlalchemy import Engine
from sqlmodel import Session

from cycle.clock import local_date

if TYPE_CHECKING:
    from cycle.bootstrap import App
    from cycle.config.settings import Settings
    from workflows.calendar import WorkingCalendar


class UnitOfWork:
    session: Session
    now: datetime

    def __init__(self, app: App, actor: str = "zyklus", now: datetime | None = None) -> None:
        """``now`` is given only by callers that already hold the instant (a delivery pass)."""
        self.app = app
        self.actor = actor
        self._now = now

    def __enter__(self) -> UnitOfWork:
        self.now = self._now or self.app.clock.now()
        self.session = Session(self.app.engine, expire_on_commit=False)
        self.session.begin()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        try:
            if exc_type is None:
                self.session.commit()
            else:
                self.session.rollback()
        finally:
            self.session.close()

    @property
    def settings(self) -> Settings:
        return self.app.settings

    @property
    def calendar(self) -> WorkingCalendar:
        return self.app.calendar

    @property
    def var_dir(self) -> Path:
        return self.app.settings.var_dir

    @property
    def today(self) -> date:
        return local_date(self.now, self.app.calendar.timezone)


@contextmanager
def transaction(engine: Engine) -> Iterator[Session]:
    with Session(engine, expire_on_commit=False) as session, session.begin():
        yield session


@contextmanager
def reading(engine: Engine) -> Iterator[Session]:
    with Session(engine, expire_on_commit=False) as session:
        yield session
