"""The one status query: where one stage of one cycle stands on a given day.

Every surface asks this module — the Übersicht and ``zyklus status`` (table, JSON, CSV), the
Zyklus page, the portal's Meine Fristen, the weekly overview and the reminder and escalation
texts —, so a stage waiting for the city is never shown as overdue anywhere:

- **overdue days** count only while the Träger has to act (``AWAITING_TRAEGER``, or a meeting
  still to be held), and only for a running cycle and a due date inside the pairing's active time;
- **waiting days** count while the city has to act (``AWAITING_CITY``: Prüfung, Kenntnisnahme,
  Ablage), from the day of the last change;
- a stage the Träger cannot do yet because a **prerequisite waits for the city** (the
  Verwendungsnachweis while the Jahresbericht waits for acceptance) is *held*: it waits too
  ("wartet auf Prüfung (Jahresbericht)"), is never overdue, and gets no reminder or escalation
  (``cycle/mail/due.py`` asks ``held_by`` with the same rule);
- **open prerequisites** are the required stages not done yet;
- **possible events** are what the state machine allows now, guards included;
- **next action** says in German what the Träger has to do next.

Pure: no I/O, no clock; ``today`` is a parameter.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import date
from typing import Any

from workflows import machine
from workflows.deadlines import counts_as_overdue
from workflows.stages import AWAITING_CITY, AWAITING_TRAEGER, ENTFALLEN, StageType, is_done

MEETINGS = (StageType.MEETING, StageType.GROUP_MEETING)


@dataclass(frozen=True, slots=True)
class StageFacts:
    """What the query needs to know of one stage of one cycle."""

    name: str
    type: StageType
    status: str
    due: date  # the effective due date (extensions included)
    changed_on: date | None = None  # local day of the last change: a waiting stage waits since
    scheduled: bool = False  # a meeting has a date
    open_prerequisites: tuple[str, ...] = ()  # names of the required stages not done yet
    held_by: str | None = None  # a required stage waits for the city: "Prüfung (Jahresbericht)"
    held_since: date | None = None  # the local day that required stage last changed


@dataclass(frozen=True, slots=True)
class StageStatus:
    facts: StageFacts
    done: bool
    ended: bool  # the cycle has ended: nothing is overdue or possible any more
    overdue_days: int  # > 0 only while the Träger has to act
    waiting_days: int  # while the city has to act (``waiting_for``)
    waiting_for: str | None  # the city's step: "Prüfung", "Kenntnisnahme" or "Ablage", or the
    # step of a required stage this one is held by: "Prüfung (Jahresbericht)"

    @property
    def held(self) -> bool:
        """The Träger would act, but a required stage waits for the city first."""
        return self.waiting_for is not None and self.facts.status in AWAITING_TRAEGER

    @property
    def open_prerequisites(self) -> tuple[str, ...]:
        return self.facts.open_prerequisites

    @property
    def traeger_acts(self) -> bool:
        """The Träger has to hand something in (a report or proof not yet in, or returned)."""
        return not self.ended and self.facts.status in AWAITING_TRAEGER

    def possible_events(self) -> list[str]:
        """The events the state machine allows now (nothing on an ended cycle)."""
        if self.ended:
            return []
        view = machine.StageView(self.facts.name, self.facts.type, self.facts.status)
        return machine.possible_events(
            view, self.facts.open_prerequisites, scheduled=self.facts.scheduled
        )

    def in_words(self) -> str:
        """For staff: "3 Tage überfällig", "wartet seit 21 Tagen auf Prüfung", or ""."""
        return in_words(self.overdue_days, self.waiting_days, self.waiting_for)

    def next_action(self) -> str:
        """In plain German: what the Träger has to do next for this stage."""
        return _next_action(self)


def stage_status(
    facts: StageFacts,
    today: date,
    *,
    ended: bool = False,
    pairing_start: date | None = None,
    adopted: date | None = None,
) -> StageStatus:
    """Where the stage stands on ``today``.

    ``pairing_start`` and ``adopted`` (``[betrieb] start``) bound what counts as overdue: a
    stage due before either is never overdue.
    """
    done = is_done(facts.status)
    running = not done and not ended
    waiting_for = AWAITING_CITY.get(facts.status) if running else None
    since = facts.changed_on
    if running and waiting_for is None and facts.status in AWAITING_TRAEGER and facts.held_by:
        waiting_for, since = facts.held_by, facts.held_since
    overdue = 0
    if running and waiting_for is None and today > facts.due:
        counts = pairing_start is None or counts_as_overdue(facts.due, pairing_start, adopted)
        overdue = (today - facts.due).days if counts else 0
    waiting = 0
    if waiting_for is not None and since is not None:
        waiting = max(0, (today - since).days)
    return StageStatus(facts, done, ended, overdue, waiting, waiting_for)


def open_prerequisites(
    requires: Iterable[str], statuses: Mapping[str, str], names: Mapping[str, str]
) -> tuple[str, ...]:
    """The names of the required stages of one cycle that are not done yet.

    ``statuses`` maps the cycle's stage ids to their status; a required stage the cycle does not
    have (a stage list changed later) does not block.
    """
    return tuple(names.get(r, r) for r in requires if r in statuses and not is_done(statuses[r]))


def held_by(
    requires: Iterable[str], statuses: Mapping[str, str], names: Mapping[str, str]
) -> str | None:
    """The first required stage that waits for the city, as "Prüfung (Jahresbericht)", or None.

    While it waits, the Träger cannot do the requiring stage: that stage is held (no reminder,
    no escalation, not overdue) until the city acts.
    """
    r = waiting_prerequisite(requires, statuses)
    return None if r is None else f"{AWAITING_CITY[statuses[r]]} ({names.get(r, r)})"


def waiting_prerequisite(requires: Iterable[str], statuses: Mapping[str, str]) -> str | None:
    """The id of the first required stage that waits for the city, or None."""
    return next((r for r in requires if statuses.get(r, "") in AWAITING_CITY), None)


def prerequisite_facts(
    requires: Iterable[str],
    statuses: Mapping[str, str],
    changed: Mapping[str, date | None],
    names: Mapping[str, str],
) -> dict[str, Any]:
    """The ``StageFacts`` keywords about one stage's required stages (open ones, a hold)."""
    requires = tuple(requires)
    pre = waiting_prerequisite(requires, statuses)
    return {
        "open_prerequisites": open_prerequisites(requires, statuses, names),
        "held_by": held_by(requires, statuses, names),
        "held_since": None if pre is None else changed.get(pre),
    }


HELD_REASON = "wartet auf {}"  # the reason recorded with a held reminder or escalation


def in_words(overdue_days: int, waiting_days: int, waiting_for: str | None) -> str:
    if overdue_days > 0:
        return f"{overdue_days} {'Tag' if overdue_days == 1 else 'Tage'} überfällig"
    if waiting_for is not None:
        tage = "Tag" if waiting_days == 1 else "Tagen"
        return f"wartet seit {waiting_days} {tage} auf {waiting_for}"
    return ""


def _next_action(s: StageStatus) -> str:
    facts = s.facts
    status, due = facts.status, f"{facts.due:%d.%m.%Y}"
    if status == ENTFALLEN:
        return "Entfällt – nichts zu tun."
    if s.done:
        return "Erledigt – nichts mehr zu tun."
    if s.ended:
        return "Der Zyklus ist beendet – nichts mehr zu tun."
    if facts.type in MEETINGS:
        if status == "terminiert":
            return "Termin steht: bitte unter „Termine“ bestätigen" + (
                " oder andere Termine vorschlagen." if facts.type is StageType.MEETING else "."
            )
        if facts.type is StageType.GROUP_MEETING:
            return f"Die Koordinierungsstelle lädt zum gemeinsamen Termin ein (bis {due})."
        return f"Termin mit der Koordinierungsstelle vereinbaren (bis {due})."
    if s.held:
        return (
            f"Wartet auf die Koordinierungsstelle: {s.waiting_for}. "
            f"Danach bitte einreichen (fällig {due})."
        )
    if s.waiting_for is not None:
        return "Liegt der Koordinierungsstelle vor – Sie müssen nichts tun."
    again = "überarbeiten und erneut " if status == "zurueckgegeben" else ""
    what = (
        f"Jahresbericht {again}hochladen bis {due}."
        if facts.type is StageType.REPORT
        else f"Verwendungsnachweis im Formular {again}ausfüllen und einreichen bis {due}."
    )
    if facts.open_prerequisites:
        return f"{what} Möglich, sobald erledigt ist: {', '.join(facts.open_prerequisites)}."
    return what
