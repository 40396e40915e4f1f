"""The one entry point of the service layer: ``handle(command, principal)``.

The bus checks the permission table (SPEC §15) before anything runs, opens one unit of work,
calls the command's handler and commits — or rolls everything back when the handler refuses.
The CLI, ``simulate``'s scenario events, the web application and the portal all call it; it is
built once per process in the composition root (``App.bus``).
"""

from __future__ import annotations

from collections.abc import Callable
from importlib import import_module
from typing import TYPE_CHECKING, Any

from cycle.persistence.uow import UnitOfWork
from cycle.service import commands as c
from cycle.service import maintenance, permissions, registry
from cycle.service.outcomes import Outcome
from cycle.service.principal import Principal
from cycle.text import clean

if TYPE_CHECKING:
    from cycle.bootstrap import App

Handler = Callable[[Any, UnitOfWork, Principal], Outcome]


def _resolve(reference: str) -> Handler:
    module, name = reference.split(":")
    handler: Handler = getattr(import_module(f"cycle.service.{module}"), name)
    return handler


def handlers() -> dict[type, Handler]:
    """The handler of every command, from the registry (``registry.py``)."""
    return {event.command: _resolve(event.handler) for event in registry.EVENTS}


class MessageBus:
    def __init__(self, app: App) -> None:
        self.app = app
        self.handlers = handlers()

    def handle(self, command: object, principal: Principal) -> Outcome:
        permissions.require(principal, command)
        # No bidi controls in any free text or actor name, whichever interface built them.
        command, principal = clean(command), clean(principal)
        handler = self.handlers[type(command)]
        if isinstance(command, c.SyncMasterData):
            from cycle.persistence import db

            db.upgrade(self.app.engine)
        with UnitOfWork(self.app, principal.actor) as uow:
            outcome = handler(command, uow, principal)
        # the unit of work has published the audit head (SPEC §9); delivery publishes its own
        if isinstance(command, c.Tick) and command.deliver:
            outcome = maintenance.deliver_after_tick(self.app, outcome, uow.now)
        return outcome
