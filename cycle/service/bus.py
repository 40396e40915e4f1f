"""The one entry point of the service layer: ``handle(command, principal)``.

The bus checks the permission table (SPEC §15) before anything runs, opens one unit of work,
calls the command's handler and commits — or rolls everything back when the handler refuses.
Then it runs what the unit of work collected for after the commit (``uow.events``: publish the
audit head, deliver after a tick). The CLI, ``simulate``'s scenario events, the web application
and the portal all call it; the composition root (``cycle/bootstrap.py``) builds it once per
process with its dependencies: the service context and the delivery.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import partial
from importlib import import_module
from typing import Any

from cycle.mail.deliver import Delivery
from cycle.service import maintenance, permissions, registry
from cycle.service.context import ServiceContext
from cycle.service.outcomes import Outcome
from cycle.service.principal import Principal
from cycle.service.uow import AuditAppended, DeliveryDue, UnitOfWork
from cycle.text import clean

Handler = Callable[[Any, UnitOfWork, Principal], Outcome]
Preparation = Callable[[ServiceContext], None]


def _resolve(reference: str) -> Any:
    module, name = reference.split(":")
    return getattr(import_module(f"cycle.service.{module}"), name)


def handlers() -> dict[type, Handler]:
    """The handler of every command, from the registry (``registry.py``)."""
    return {event.command: _resolve(event.handler) for event in registry.EVENTS}


def preparations() -> dict[type, Preparation]:
    """What runs before a command's unit of work opens (``init``: the schema upgrade)."""
    return {e.command: _resolve(e.before) for e in registry.EVENTS if e.before}


class MessageBus:
    def __init__(self, context: ServiceContext, delivery: Delivery) -> None:
        self.context = context
        self.delivery = delivery
        self.handlers = handlers()
        self.preparations = preparations()
        self.after_commit: dict[type, Callable[[Any, Outcome], Outcome]] = {
            AuditAppended: self._publish,
            DeliveryDue: self._deliver,
        }

    def handle(
        self,
        command: object,
        principal: Principal,
        after_answer: list[Callable[[], None]] | None = None,
    ) -> Outcome:
        """Handle ``command`` for ``principal`` in one unit of work.

        With ``after_answer`` the adapter takes the publication of the audit head with it and runs
        it once its answer has gone out (a link request: the anchor file's fsync must not tell a
        known address from an unknown one); everything else runs here, after the commit.
        """
        permissions.require(principal, command)
        # No bidi controls in any free text or actor name, whichever interface built them.
        command, principal = clean(command), clean(principal)
        handler = self.handlers[type(command)]
        if prepare := self.preparations.get(type(command)):
            prepare(self.context)
        with UnitOfWork(self.context, principal.actor) as uow:
            outcome = handler(command, uow, principal)
        for event in uow.events:
            if after_answer is not None and isinstance(event, AuditAppended):
                after_answer.append(partial(self.delivery.publish_anchor, event.now))
                continue
            outcome = self.after_commit[type(event)](event, outcome)
        return outcome

    def _publish(self, event: AuditAppended, outcome: Outcome) -> Outcome:
        self.delivery.publish_anchor(event.now)
        return outcome

    def _deliver(self, event: DeliveryDue, outcome: Outcome) -> Outcome:
        return maintenance.deliver_after_tick(self.delivery, outcome, event.now)
