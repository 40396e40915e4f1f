"""One unit of work per command: one transaction, ``now`` read once.

``UnitOfWork`` opens the session and its transaction (``BEGIN IMMEDIATE`` on SQLite, see
``cycle/persistence/db.py``), reads the clock exactly once, and commits row changes, audit
entries and outbox rows together — or rolls all of them back when the command raises. Handlers
take the unit of work and never read the clock or open sessions themselves.

What it needs is injected by the composition root as a frozen ``ServiceContext`` — the engine,
the clock and the mail context —, never the application itself. Work that must wait for the
commit (publishing the audit head, delivering after a tick) is collected in ``events``; the bus
runs it after the commit (``cycle/service/bus.py``).
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import date, datetime
from pathlib import Path
from types import TracebackType

from sqlmodel import Session

from cycle.clock import local_date
from cycle.config.settings import MasterData, Settings
from cycle.mail.context import MailContext
from cycle.persistence.audit import APPENDED
from cycle.service.context import ServiceContext
from workflows.calendar import WorkingCalendar


@dataclass(frozen=True)
class AuditAppended:
    """After the commit: the audit head advanced, publish it (SPEC §9)."""

    now: datetime


@dataclass(frozen=True)
class DeliveryDue:
    """After the commit: drain the outbox (a tick that enqueued mail)."""

    now: datetime


Event = AuditAppended | DeliveryDue


class UnitOfWork:
    session: Session
    now: datetime
    confirm_anchor: bool = False  # publish the head after the commit even without new entries
    _settings: Settings | None = None  # the settings with master data changed in this work

    def __init__(
        self, context: ServiceContext, actor: str = "zyklus", now: datetime | None = None
    ) -> None:
        """``now`` is given only by callers that already hold the instant (a delivery pass)."""
        self.context = context
        self.actor = actor
        self._now = now
        self.events: list[Event] = []

    def __enter__(self) -> UnitOfWork:
        self.now = self._now or self.context.clock.now()
        self.session = Session(self.context.engine, expire_on_commit=False)
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
        if not committed:
            self.events.clear()
        elif wrote or self.confirm_anchor:
            # first: every later step (a delivery) publishes again after its own marks
            self.events.insert(0, AuditAppended(self.now))

    def collect(self, event: Event) -> None:
        """Run ``event`` after the commit (dropped when the work is rolled back)."""
        self.events.append(event)

    def use_master(self, master: MasterData) -> None:
        """From here on this unit of work's settings carry ``master``: the master data a command
        changed (``stammdaten``, ``init``), so everything after it sees the new records."""
        self._settings = self.context.mail.settings.with_master(master)

    @property
    def mail(self) -> MailContext:
        if self._settings is None:
            return self.context.mail
        return replace(self.context.mail, settings=self._settings)

    @property
    def settings(self) -> Settings:
        return self._settings or self.context.mail.settings

    @property
    def calendar(self) -> WorkingCalendar:
        return self.context.mail.calendar

    @property
    def var_dir(self) -> Path:
        return self.settings.var_dir

    @property
    def today(self) -> date:
        return local_date(self.now, self.calendar.timezone)
