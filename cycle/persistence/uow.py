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
from cycle.persistence.audit import APPENDED

if TYPE_CHECKING:
    from cycle.bootstrap import App
    from cycle.config.settings import Settings
    from workflows.calendar import WorkingCalendar


class UnitOfWork:
    session: Session
    now: datetime
    confirm_anchor: bool = False  # publish the head after the commit even without new entries

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
        committed = False
        try:
            if exc_type is None:
                self.session.commit()
                committed = True
            else:
                self.session.rollback()
        finally:
            wrote = bool(self.session.info.pop(APPENDED, False))
            self.session.close()
        if committed and (wrote or self.confirm_anchor):
            self.publish_anchor()

    def publish_anchor(self) -> None:
        """Append the committed audit head to the anchor file (SPEC §9), after the commit.

        Every unit of work that wrote audit entries does this — commands through the bus, the
        web application's and the portal's own writes (logins, links); ``confirm_anchor`` asks
        for it without entries (``init`` after an upgrade or a new key).
        """
        from cycle.persistence.anchors import publish_or_refuse

        publish_or_refuse(self.app.engine, self.app.settings.anchor_path, self.now)

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
