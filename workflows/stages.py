"""Stage types and their status graphs, as data.

Each stage type has a small graph of statuses; the events that move between them are the CLI
commands of SPEC §11. ``waive`` (-> ``entfallen``) is allowed from every status that is not done.
"""

from __future__ import annotations

from enum import StrEnum


class StageType(StrEnum):
    MEETING = "meeting"
    GROUP_MEETING = "group_meeting"
    REPORT = "report"
    PROOF_OF_FUNDS = "proof_of_funds"


OFFEN = "offen"
ENTFALLEN = "entfallen"
DONE_STATUSES = frozenset({"durchgefuehrt", "angenommen", "abgelegt", ENTFALLEN})
# Statuses in which the Träger has to act: only these get reminders and escalations. A scheduled
# meeting gets meeting reminders instead; a submission waits for the Koordinierungsstelle.
AWAITING_TRAEGER = frozenset({OFFEN, "zurueckgegeben"})
# Statuses in which a stage waits for the city's side, and for which step (SPEC §15 roles).
# Such a stage is never overdue for the Träger; the overview says how long it has waited.
AWAITING_CITY: dict[str, str] = {
    "eingereicht": "Prüfung",
    "geprueft": "Kenntnisnahme",
    "zur_kenntnis_genommen": "Ablage",
}

STATUSES: dict[StageType, tuple[str, ...]] = {
    StageType.MEETING: (OFFEN, "terminiert", "durchgefuehrt", ENTFALLEN),
    StageType.GROUP_MEETING: (OFFEN, "terminiert", "durchgefuehrt", ENTFALLEN),
    StageType.REPORT: (OFFEN, "eingereicht", "zurueckgegeben", "angenommen", ENTFALLEN),
    StageType.PROOF_OF_FUNDS: (
        OFFEN,
        "eingereicht",
        "zurueckgegeben",
        "geprueft",
        "zur_kenntnis_genommen",
        "abgelegt",
        ENTFALLEN,
    ),
}

# (event, sources, destination)
Transition = tuple[str, tuple[str, ...], str]

_MEETING: tuple[Transition, ...] = (
    ("schedule", (OFFEN, "terminiert"), "terminiert"),
    ("complete", (OFFEN, "terminiert"), "durchgefuehrt"),
)
_SUBMISSION: tuple[Transition, ...] = (
    ("submit", (OFFEN, "zurueckgegeben"), "eingereicht"),
    ("return", ("eingereicht",), "zurueckgegeben"),
)
TRANSITIONS: dict[StageType, tuple[Transition, ...]] = {
    StageType.MEETING: _MEETING,
    StageType.GROUP_MEETING: _MEETING,
    StageType.REPORT: (*_SUBMISSION, ("accept", ("eingereicht",), "angenommen")),
    StageType.PROOF_OF_FUNDS: (
        *_SUBMISSION,
        ("check", ("eingereicht",), "geprueft"),
        ("acknowledge", ("geprueft",), "zur_kenntnis_genommen"),
        ("file", ("zur_kenntnis_genommen",), "abgelegt"),
    ),
}

# Undoing a mistaken event (``korrigieren``, ``correct --reopen``): the status one step back,
# as (from, to). A held meeting goes back to ``terminiert`` when it had a date (condition
# ``scheduled``), else to ``offen``. A waived stage is open again (``ENTFALLEN`` -> ``OFFEN``).
STEP_BACK: dict[StageType, tuple[tuple[str, str], ...]] = {
    StageType.MEETING: (
        ("durchgefuehrt", "terminiert"),
        ("durchgefuehrt", OFFEN),
        ("terminiert", OFFEN),
    ),
    StageType.GROUP_MEETING: (
        ("durchgefuehrt", "terminiert"),
        ("durchgefuehrt", OFFEN),
        ("terminiert", OFFEN),
    ),
    StageType.REPORT: (
        ("eingereicht", OFFEN),
        ("zurueckgegeben", "eingereicht"),
        ("angenommen", "eingereicht"),
    ),
    StageType.PROOF_OF_FUNDS: (
        ("eingereicht", OFFEN),
        ("zurueckgegeben", "eingereicht"),
        ("geprueft", "eingereicht"),
        ("zur_kenntnis_genommen", "geprueft"),
        ("abgelegt", "zur_kenntnis_genommen"),
    ),
}

# Events that only prepare a stage; they do not need the prerequisites to be done.
# ``extend`` moves no status (an internal transition of every status not done), ``korrigieren``
# and ``uebernehmen`` are corrections and hand-overs of what was recorded.
PREPARATORY_EVENTS = frozenset(
    {"schedule", "waive", "extend", "korrigieren", "datum_korrigieren", "uebernehmen"}
)

STATUS_LABELS: dict[str, str] = {
    OFFEN: "offen",
    "terminiert": "terminiert",
    "durchgefuehrt": "durchgeführt",
    "eingereicht": "eingereicht",
    "zurueckgegeben": "zurückgegeben",
    "angenommen": "angenommen",
    "geprueft": "geprüft",
    "zur_kenntnis_genommen": "zur Kenntnis genommen",
    "abgelegt": "abgelegt",
    ENTFALLEN: "entfallen",
}

EVENT_LABELS: dict[str, str] = {
    "schedule": "terminieren",
    "complete": "als durchgeführt erfassen",
    "submit": "einreichen",
    "return": "zurückgeben",
    "accept": "annehmen",
    "check": "rechnerisch prüfen",
    "acknowledge": "zur Kenntnis nehmen",
    "file": "ablegen",
    "waive": "entfallen lassen",
    "extend": "Frist verlängern",
    "korrigieren": "korrigieren",
    "datum_korrigieren": "Datum korrigieren",
    "uebernehmen": "übernehmen",
    "uebernahme": "übernommen",
}


def is_done(status: str) -> bool:
    return status in DONE_STATUSES
