"""The service layer's dependencies, injected by the composition root (``cycle/bootstrap.py``)."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import Engine

from cycle.clock import Clock
from cycle.config.settings import Settings
from cycle.mail.context import MailContext


@dataclass(frozen=True)
class ServiceContext:
    """The service layer's dependencies, built once per process by ``cycle.bootstrap``."""

    engine: Engine
    clock: Clock
    mail: MailContext

    @property
    def settings(self) -> Settings:
        return self.mail.settings
