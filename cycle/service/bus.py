"""The one entry point of the service layer: ``handle(command, principal)``.

The bus checks the permission table (SPEC §15) before anything runs, opens one unit of work,
calls the command's handler and commits — or rolls everything back when the handler refuses.
The CLI, ``simulate``'s scenario events, the web application and the portal all call it; it is
built once per process in the composition root (``App.bus``).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from cycle.persistence.uow import UnitOfWork
from cycle.service import (
    accounts,
    corrections,
    ending,
    handlers,
    maintenance,
    permissions,
    portal_handlers,
)
from cycle.service import commands as c
from cycle.service.outcomes import Outcome
from cycle.service.principal import Principal

if TYPE_CHECKING:
    from cycle.bootstrap import App

Handler = Callable[[Any, UnitOfWork, Principal], Outcome]

HANDLERS: dict[type, Handler] = {
    c.Schedule: handlers.schedule,
    c.Complete: handlers.complete,
    c.Submit: handlers.submit,
    c.Accept: handlers.sign_off,
    c.Check: handlers.sign_off,
    c.Acknowledge: handlers.sign_off,
    c.File: handlers.sign_off,
    c.Return: handlers.give_back,
    c.Extend: handlers.extend,
    c.Waive: handlers.waive,
    c.Note: corrections.note,
    c.Correct: corrections.correct,
    c.End: ending.end,
    c.CancelCycle: corrections.cancel_cycle,
    c.RetryOutbox: maintenance.retry_outbox,
    c.SyncMasterData: maintenance.sync_master_data,
    c.Tick: maintenance.tick,
    accounts.AddUser: accounts.add_user,
    accounts.ChangePassword: accounts.change_password,
    accounts.DisableUser: accounts.disable_user,
}


class MessageBus:
    def __init__(self, app: App) -> None:
        self.app = app

    def handle(self, command: object, principal: Principal) -> Outcome:
        permissions.require(principal, command)
        handler = HANDLERS[type(command)]
        if isinstance(command, c.SyncMasterData):
            from cycle.persistence import db

            db.upgrade(self.app.engine)
        with UnitOfWork(self.app, principal.actor) as uow:
            outcome = handler(command, uow, principal)
        # the unit of work has published the audit head (SPEC §9); delivery publishes its own
        if isinstance(command, c.Tick) and command.deliver:
            outcome = maintenance.deliver_after_tick(self.app, outcome, uow.now)
        return outcome


# The Träger portal (SPEC §14).
HANDLERS.update(
    {
        c.ConfirmMeeting: portal_handlers.confirm_meeting,
        c.ProposeDates: portal_handlers.propose_dates,
        c.RevokePortal: portal_handlers.revoke_portal,
    }
)
