"""Who gets which notification, by role: the one table of SPEC §6.

The mail pipeline resolves the roles to addresses; the templates address the first role of ``to``
(``recipients_role``). Nothing else states who receives a kind of notification.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from workflows.deadlines import ERINNERUNG, ESKALATION, TERMINERINNERUNG
from workflows.stages import StageType

EINLADUNG = "einladung"
ABSAGE = "absage"
EINGANGSBESTAETIGUNG = "eingangsbestaetigung"
WOCHENUEBERSICHT = "wochenuebersicht"
ZUSTELLFEHLER = "zustellfehler"
# The sign-off chain of a Verwendungsnachweis (SPEC §6): level 1 the task "zur Kenntnisnahme"
# after ``check``, 2 its reminder; level 3 the task "zum Vorgang" after ``acknowledge``, 4 its
# reminder.
AUFGABE = "aufgabe"


class Role(StrEnum):
    KONTAKTE = "kontakte"  # the pairing's contacts: Stadtteilmanager*innen, tandem city staff
    LEITUNG = "leitung"  # the Träger's Leitung
    KOORDINIERUNGSSTELLE = "koordinierungsstelle"
    STABSSTELLENLEITUNG = "stabsstellenleitung"
    ABLAGE = "ablage"  # the filing unit (51.12)


@dataclass(frozen=True)
class Recipients:
    to: tuple[Role, ...]
    cc: tuple[Role, ...] = ()

    @property
    def addressed(self) -> Role:
        """The role a mail speaks to: the first of ``to``."""
        return self.to[0]


_K, _L = Role.KONTAKTE, Role.LEITUNG
_KS, _S = Role.KOORDINIERUNGSSTELLE, Role.STABSSTELLENLEITUNG

# The participants of a meeting (einladung, terminerinnerung); a group meeting (the Fachtag, one
# event for all pairings) is announced to the contacts only.
PARTICIPANTS = Recipients((_K, _L, _KS))
GROUP_PARTICIPANTS = Recipients((_K,))

# kind -> recipients of level 1, 2, …; the last entry holds for every further level.
TABLE: dict[str, tuple[Recipients, ...]] = {
    ERINNERUNG: (Recipients((_K,)),),
    # Level 2 and later: the Stabsstellenleitung (one message listing every Träger's case, the
    # Koordinierungsstelle in copy); each Träger's Leitung gets its own copy (COPIES below), so
    # no Träger sees another's escalation.
    ESKALATION: (Recipients((_K, _L), (_KS,)), Recipients((_S,), (_KS,))),
    EINGANGSBESTAETIGUNG: (Recipients((_K,), (_KS,)),),
    WOCHENUEBERSICHT: (Recipients((_KS,)),),
    ZUSTELLFEHLER: (Recipients((_KS,)),),
    AUFGABE: (
        Recipients((_S,), (_KS,)),
        Recipients((_S,), (_KS,)),
        Recipients((Role.ABLAGE,), (_KS,)),
        Recipients((Role.ABLAGE,), (_KS,)),
    ),
}
MEETING_KINDS = frozenset({EINLADUNG, ABSAGE, TERMINERINNERUNG})
# A group meeting (the Fachtag) is organised by the Koordinierungsstelle: while it is not
# scheduled, its reminders and escalations go to the Koordinierungsstelle alone — never to each
# Träger, never to the Stabsstellenleitung.
ORGANISER = Recipients((_KS,))


# Kinds each addressed person gets on their own: one person who is the contact of several
# pairings receives one message per send time listing all of their reminders (bundling by
# person), with their own portal link only; each copy names the pairing's other contacts.
PER_PERSON: frozenset[str] = frozenset({ERINNERUNG})

# Further notifications of the same point for other people, each its own copy: kind -> from
# which level -> the copy's recipients.
COPIES: dict[str, tuple[int, Recipients]] = {ESKALATION: (2, Recipients((_L,)))}


def copies_for(
    kind: str, level: int, stage_type: StageType | None = None
) -> tuple[Recipients, ...]:
    """The extra copies of a notification (``()`` for most; a group meeting has none)."""
    if kind not in COPIES or stage_type is StageType.GROUP_MEETING:
        return ()
    from_level, copy = COPIES[kind]
    return (copy,) if level >= from_level else ()


def recipients_for(kind: str, level: int, stage_type: StageType | None = None) -> Recipients:
    """The roles that get a notification of ``kind`` and ``level`` (a level below 1 counts as 1)."""
    if kind in MEETING_KINDS:
        return GROUP_PARTICIPANTS if stage_type is StageType.GROUP_MEETING else PARTICIPANTS
    if stage_type is StageType.GROUP_MEETING and kind in (ERINNERUNG, ESKALATION):
        return ORGANISER
    if kind not in TABLE:
        raise ValueError(f"no recipients rule for {kind}")
    levels = TABLE[kind]
    return levels[min(max(level, 1), len(levels)) - 1]
