"""Fire stage events through one shared ``transitions`` machine per stage type.

``transitions`` cannot bind to a SQLModel row (LIBRARY_NOTES), and one machine per cycle would not
scale. So each stage type gets one ``Machine(model=None)``; an event is fired on a throw-away
adapter that only holds the current status string. The caller persists the returned status.

The shared machine is used from many threads (the web application serves pages from a thread
pool). ``add_model``/``remove_model`` change the machine's model list, and ``transitions`` finds a
model by equality: so each machine has a lock held from ``add_model`` to ``remove_model``, and an
adapter compares by identity (two equal adapters of two threads are still two models).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from functools import cache, partial
from threading import Lock
from typing import Any

from transitions import Machine, MachineError

from workflows.stages import (
    DONE_STATUSES,
    ENTFALLEN,
    EVENT_LABELS,
    OFFEN,
    PREPARATORY_EVENTS,
    STATUS_LABELS,
    STATUSES,
    STEP_BACK,
    TRANSITIONS,
    StageType,
)


class TransitionRefused(Exception):
    """A domain refusal: the event is not allowed now. The message is German, for the user."""


@dataclass(eq=False)
class _StageAdapter:
    state: str
    prerequisites_done: bool
    scheduled: bool = False  # the meeting had a date (``korrigieren`` goes back to terminiert)


def _takes(status: str, requested: str | None = None) -> bool:
    """Condition of ``uebernehmen``: the successor takes the predecessor's ``requested`` status."""
    return requested == status


# Made at import, not on first use: two threads calling a cached factory at once may each get
# a lock of their own.
_LOCKS: dict[StageType, Lock] = {stage_type: Lock() for stage_type in StageType}


@cache
def machine_for(stage_type: StageType) -> Machine:
    machine = Machine(
        model=None,
        states=list(STATUSES[stage_type]),
        initial=None,
        auto_transitions=False,
        send_event=False,
    )
    for event, sources, dest in TRANSITIONS[stage_type]:
        conditions: list[str | Callable[..., bool | None]] = (
            [] if event in PREPARATORY_EVENTS else ["prerequisites_done"]
        )
        machine.add_transition(event, list[Any](sources), dest, conditions=conditions)
    not_done: list[Any] = [s for s in STATUSES[stage_type] if s not in DONE_STATUSES]
    machine.add_transition("waive", not_done, ENTFALLEN)
    machine.add_transition("extend", not_done, None)  # internal: the due date moves, not the status
    dated: list[Any] = [s for s in STATUSES[stage_type] if s in DONE_STATUSES or s == "terminiert"]
    machine.add_transition("datum_korrigieren", dated, None)  # a recorded day or time is fixed
    for source, dest in (*STEP_BACK[stage_type], (ENTFALLEN, OFFEN)):
        guard: dict[str, Any] = {}
        if source == "durchgefuehrt":
            guard = (
                {"conditions": ["scheduled"]} if dest == "terminiert" else {"unless": ["scheduled"]}
            )
        machine.add_transition("korrigieren", source, dest, **guard)
    for status in STATUSES[stage_type]:
        machine.add_transition("uebernehmen", OFFEN, status, conditions=[partial(_takes, status)])
    return machine


@dataclass(frozen=True)
class StageView:
    """What the guard needs to know about one stage of one cycle."""

    stage_name: str
    stage_type: StageType
    status: str


def fire(
    stage: StageView,
    event: str,
    open_prerequisites: Sequence[str] = (),
    *,
    scheduled: bool = False,
    takes: str | None = None,
) -> str:
    """Return the new status after ``event`` or raise ``TransitionRefused`` (German message).

    ``open_prerequisites`` names the required stages that are not done yet; ``scheduled`` says
    whether a meeting had a date (for ``korrigieren``); ``takes`` is the status a successor
    takes over from its predecessor (for ``uebernehmen``).
    """
    label = EVENT_LABELS.get(event, event)
    machine = machine_for(stage.stage_type)
    if event not in machine.events:
        raise TransitionRefused(
            f"{stage.stage_name}: „{label}“ ist für diese Art von Stufe nicht möglich."
        )
    adapter = _StageAdapter(
        state=stage.status, prerequisites_done=not open_prerequisites, scheduled=scheduled
    )
    with _LOCKS[stage.stage_type]:
        return _fire_on(machine, adapter, stage, event, takes, open_prerequisites)


def _fire_on(
    machine: Machine,
    adapter: _StageAdapter,
    stage: StageView,
    event: str,
    takes: str | None,
    open_prerequisites: Sequence[str],
) -> str:
    """Fire ``event`` on ``adapter`` as the machine's model; the caller holds the machine's lock."""
    label = EVENT_LABELS.get(event, event)
    status_label = STATUS_LABELS.get(stage.status, stage.status)
    machine.add_model(adapter, initial=stage.status)
    try:
        if event not in machine.get_triggers(stage.status):
            raise TransitionRefused(
                f"{stage.stage_name}: „{label}“ ist im Status „{status_label}“ nicht möglich."
            )
        try:
            moved = adapter.trigger(event, takes)  # type: ignore[attr-defined]
        except MachineError as exc:  # pragma: no cover - guarded above
            raise TransitionRefused(f"{stage.stage_name}: {exc.value}") from exc
        if not moved:
            names = ", ".join(open_prerequisites)
            raise TransitionRefused(
                f"{stage.stage_name}: „{label}“ ist noch nicht möglich, "
                f"zuerst muss abgeschlossen sein: {names}."
            )
        return adapter.state
    finally:
        machine.remove_model(adapter)


# Events a person does not choose from a menu: the hand-over moves them (``uebernehmen``).
_NOT_OFFERED = frozenset({"uebernehmen"})


def possible_events(
    stage: StageView, open_prerequisites: Sequence[str] = (), *, scheduled: bool = False
) -> list[str]:
    """The events the graph allows now, guards included — what a page may offer as forms."""
    return list(_possible(stage.stage_type, stage.status, not open_prerequisites, scheduled))


@cache
def _possible(
    stage_type: StageType, status: str, prerequisites_done: bool, scheduled: bool
) -> tuple[str, ...]:
    """``possible_events`` once per (type, status, guards): the guards read nothing else, and
    firing every candidate on the shared machine is most of a Zyklus page's time otherwise."""
    stage = StageView("", stage_type, status)
    open_prerequisites = () if prerequisites_done else ("",)
    possible = []
    for event in machine_for(stage_type).get_triggers(status):
        if event in _NOT_OFFERED:
            continue
        try:
            fire(stage, event, open_prerequisites, scheduled=scheduled)
        except TransitionRefused:
            continue
        possible.append(event)
    return tuple(possible)
