"""The permission table of SPEC §15, checked by the bus before any handler runs.

Reading is open to every staff role; a Träger contact reads only its own pairings (the scope is
applied where pairings are expanded, ``scope.py``). This table says who may *change* what.
"""

from __future__ import annotations

from cycle.errors import Forbidden, Problem
from cycle.service import accounts
from cycle.service import commands as c
from cycle.service.principal import ROLE_LABELS, Principal, Role

_K = Role.KOORDINIERUNGSSTELLE
PERMITTED: dict[type, frozenset[Role]] = {
    c.Schedule: frozenset({_K}),
    c.Complete: frozenset({_K}),
    c.Submit: frozenset({_K, Role.TRAEGER}),
    c.Accept: frozenset({_K}),
    c.Return: frozenset({_K}),
    c.Check: frozenset({_K}),
    c.Acknowledge: frozenset({_K, Role.STABSSTELLENLEITUNG}),
    c.File: frozenset({_K, Role.ABLAGE}),
    c.Extend: frozenset({_K}),
    c.Waive: frozenset({_K}),
    c.Note: frozenset({_K}),
    c.Correct: frozenset({_K}),
    c.End: frozenset({_K}),
    c.CancelCycle: frozenset({_K}),
    c.RetryOutbox: frozenset({_K}),
    c.SyncMasterData: frozenset({_K}),
    c.Tick: frozenset({_K}),
    accounts.AddUser: frozenset({_K}),
    accounts.ChangePassword: frozenset({_K}),
    accounts.DisableUser: frozenset({_K}),
}

ACTION_LABELS: dict[type, str] = {
    c.Schedule: "Termine festlegen",
    c.Complete: "Termine als durchgeführt erfassen",
    c.Submit: "einreichen",
    c.Accept: "Berichte annehmen",
    c.Return: "Einreichungen zurückgeben",
    c.Check: "Verwendungsnachweise rechnerisch prüfen",
    c.Acknowledge: "Verwendungsnachweise zur Kenntnis nehmen",
    c.File: "Verwendungsnachweise ablegen",
    c.Extend: "Fristen verlängern",
    c.Waive: "Stufen entfallen lassen",
    c.Note: "Notizen erfassen",
    c.Correct: "Einträge korrigieren",
    c.End: "Partnerschaften beenden",
    c.CancelCycle: "Zyklen stornieren",
    c.RetryOutbox: "Nachrichten erneut senden",
    c.SyncMasterData: "Stammdaten übernehmen",
    c.Tick: "Durchläufe starten",
    accounts.AddUser: "Benutzer anlegen",
    accounts.ChangePassword: "Passwörter ändern",
    accounts.DisableUser: "Benutzer sperren",
}


def may(principal: Principal, command_type: type) -> bool:
    return principal.role in PERMITTED.get(command_type, frozenset())


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
                f"{ACTION_LABELS.get(kind, kind.__name__)}.",
            )
        )


# The Träger portal (SPEC §14): contacts answer meeting dates; only the Koordinierungsstelle
# revokes a contact's access.
PERMITTED.update(
    {
        c.ConfirmMeeting: frozenset({_K, Role.TRAEGER}),
        c.ProposeDates: frozenset({_K, Role.TRAEGER}),
        c.RevokePortal: frozenset({_K}),
    }
)
ACTION_LABELS.update(
    {
        c.ConfirmMeeting: "Termine bestätigen",
        c.ProposeDates: "Termine vorschlagen",
        c.RevokePortal: "Portalzugänge widerrufen",
    }
)
