"""The permission table of SPEC §15, checked by the bus before any handler runs.

Reading is open to every staff role; a Träger contact reads only its own pairings (the scope is
applied where pairings are expanded, ``events.pairing_ids``). Who may *change* what is each
event's ``roles`` in the registry (``registry.py``).
"""

from __future__ import annotations

from cycle.errors import Forbidden, Problem
from cycle.service.principal import ROLE_LABELS, Principal
from cycle.service.registry import BY_COMMAND


def may(principal: Principal, command_type: type) -> bool:
    event = BY_COMMAND.get(command_type)
    return event is not None and principal.role in event.roles


def require(principal: Principal, command: object) -> None:
    """Refuse (``Forbidden``) a command the principal's role may not give."""
    require_kind(principal, type(command))


def require_kind(principal: Principal, kind: type) -> None:
    """``require`` before the command exists: an adapter asks it before reading a request body
    (an upload is not read for a role that may not give the command at all)."""
    if not may(principal, kind):
        raise Forbidden(
            Problem(
                None,
                "keine_berechtigung",
                f"Keine Berechtigung: Als {ROLE_LABELS[principal.role]} dürfen Sie nicht "
                f"{BY_COMMAND[kind].action if kind in BY_COMMAND else kind.__name__}.",
            )
        )
