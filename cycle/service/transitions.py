"""One way a stage changes: the machine fires the event, the row takes the new status and the
audit entry — its action is the machine's trigger — is written in the same unit of work.

Every handler that moves a stage uses ``apply_transition``: the stage events
(``events.fire_event``), the waiving of what an ended pairing hands over and the successor's
taking over (``ending.py``, trigger ``uebernehmen``).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from cycle.config.settings import StageSpec
from cycle.errors import Problem, Refused
from cycle.persistence import audit
from cycle.persistence.tables import StageState
from cycle.service.uow import UnitOfWork
from workflows.machine import StageView, TransitionRefused, fire

Update = Callable[[StageState], Mapping[str, Any] | None]


@dataclass(frozen=True)
class Applied:
    before: str
    after: str
    detail: Mapping[str, Any]  # what ``update`` added to the audit payload
    entry: int  # the audit entry's number


def apply_transition(
    uow: UnitOfWork,
    actor: str,
    where: tuple[str, int],
    stage: StageSpec,
    row: StageState,
    event: str,
    payload: Mapping[str, Any],
    *,
    open_prerequisites: Sequence[str] = (),
    takes: str | None = None,
    update: Update | None = None,
) -> Applied:
    """Fire ``event`` on ``row`` (pairing and year ``where``), apply ``update`` to the row and
    audit the change; a refusal of the machine is a typed ``Refused`` naming the cycle."""
    pairing, year = where
    before = row.status
    try:
        after = fire(
            StageView(stage.name, stage.type, before),
            event,
            open_prerequisites,
            scheduled=row.scheduled_at is not None,
            takes=takes,
        )
    except TransitionRefused as exc:
        raise Refused(Problem(None, "nicht_erlaubt", f"{pairing} {year} · {exc}")) from None
    row.status = after
    row.updated_at = uow.now
    detail = dict((update(row) if update else None) or {})
    uow.session.add(row)
    entry = audit.record(
        uow.session,
        uow.now,
        actor,
        audit.Change(event, pairing, year, stage.id, before, after, {**payload, **detail}),
    )
    return Applied(before, after, detail, entry)
