"""The landing page's "Wartet auf mich" and the Übersicht's year with open work (issue 23 item 12).

What waits for a role follows from the registry: the city's steps (``accept``, ``check``,
``acknowledge``, ``file`` — the transitions out of a status in ``AWAITING_CITY``) the role may
give, and, for a role that may ``schedule``, the dates proposed in the portal and not answered.
A step several roles may do waits for the specific one (filing: the Ablage). The read itself
is one query (``cycle.views.daily``).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from cycle.config.settings import Settings
from cycle.service import commands as c
from cycle.service.permissions import may
from cycle.service.principal import Principal, Role
from cycle.service.registry import BY_NAME
from cycle.views.daily import Waiting
from workflows.stages import AWAITING_CITY, EVENT_LABELS, TRANSITIONS, StageType


def steps_of(settings: Settings, who: Principal) -> set[tuple[str, str]]:
    """The (stage id, status) pairs in which a stage waits for a step ``who`` may do."""
    found = set()
    for spec in settings.stages:
        for event, sources, _ in TRANSITIONS[spec.type]:
            known = BY_NAME.get(event)
            if known is None:
                continue
            # a step several roles may do waits for the specific one (filing: the Ablage; the
            # Koordinierungsstelle may stand in, but it is not its task)
            owners = known.roles - {Role.KOORDINIERUNGSSTELLE} or known.roles
            if who.role not in owners:
                continue
            found |= {(spec.id, s) for s in sources if s in AWAITING_CITY}
    return found


def meetings_of(settings: Settings, who: Principal) -> set[str]:
    """The meeting stages whose proposed dates ``who`` answers (by scheduling)."""
    if not may(who, c.Schedule):
        return set()
    return {s.id for s in settings.stages if s.type is StageType.MEETING}


@dataclass(frozen=True)
class Item:
    text: str  # "Jahresbericht 2026 · Kaltenmoor: annehmen"
    href: str
    since: datetime


def items(settings: Settings, found: list[Waiting]) -> list[Item]:
    result = []
    for w in found:
        spec = settings.stage(w.stage_id)
        pairing = settings.pairings.get(w.pairing)
        if spec is None or pairing is None:
            continue
        place = settings.stadtteile[pairing.stadtteil].name
        base = f"/zyklus/{w.pairing}/{w.year}"
        if w.proposal:
            what, href = "Terminvorschlag beantworten", f"{base}#antworten-{spec.id}"
        else:
            # the step forward (``accept``, ``check``, …): the last transition out of the status
            event = [
                e
                for e, sources, _ in TRANSITIONS[spec.type]
                if w.status in sources and e in BY_NAME
            ][-1]
            what = EVENT_LABELS.get(event, event)
            href = (
                f"{base}/verwendungsnachweis"
                if spec.type is StageType.PROOF_OF_FUNDS
                else f"{base}#{spec.id}"
            )
        result.append(Item(f"{spec.name} {w.year} · {place}: {what}", href, w.since))
    return result
