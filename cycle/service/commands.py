"""Commands as data: one frozen dataclass per state-changing command of SPEC §11.

Every interface builds one of these and calls ``handle(command, principal)`` (``bus.py``); the
CLI from its arguments, ``simulate`` from scenario events, the web application and the portal
from their forms. Field names are the names refusals point at (``Problem.field``).

``pairing`` is one pairing id, several separated by commas, or ``alle`` (meetings held
together); it expands only within the principal's pairings.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime
from typing import TYPE_CHECKING

if TYPE_CHECKING:  # annotations only: ``zyklus --help`` need not import the config package
    from cycle.config.settings import MasterData


@dataclass(frozen=True)
class Upload:
    """A file as the command carries it: its name and its bytes (never a path)."""

    filename: str
    content: bytes


@dataclass(frozen=True)
class StageCommand:
    pairing: str
    year: int
    stage: str


@dataclass(frozen=True)
class Schedule(StageCommand):
    at: datetime
    location: str | None = None
    trotzdem: bool = False  # a date outside the stage's window, with ``reason`` (audited)
    reason: str | None = None


@dataclass(frozen=True)
class Complete(StageCommand):
    on: date | None = None
    note: str | None = None
    evidence: Upload | None = None
    participants: tuple[str, ...] = ()
    trotzdem: bool = False  # a day outside the stage's window, with ``reason`` (audited)
    reason: str | None = None


@dataclass(frozen=True)
class Submit(StageCommand):
    upload: Upload
    on: date | None = None
    trotzdem: bool = False  # gaps in a Jahresbericht, or a day outside the window (audited)
    reason: str | None = None


@dataclass(frozen=True)
class Accept(StageCommand):
    on: date | None = None
    reason: str | None = None


@dataclass(frozen=True)
class Check(StageCommand):
    on: date | None = None
    reason: str | None = None


@dataclass(frozen=True)
class Acknowledge(StageCommand):
    on: date | None = None
    reason: str | None = None


@dataclass(frozen=True)
class File(StageCommand):
    on: date | None = None
    reason: str | None = None


@dataclass(frozen=True)
class Return(StageCommand):
    reason: str
    due: date | None = None


@dataclass(frozen=True)
class Extend(StageCommand):
    until: date
    reason: str


@dataclass(frozen=True)
class Waive(StageCommand):
    reason: str


@dataclass(frozen=True)
class Note:
    """A free note on a cycle or one of its stages (audited, shown in the Abschlussnachweis)."""

    pairing: str
    year: int
    stage: str | None
    text: str


@dataclass(frozen=True)
class Correct(StageCommand):
    """Fix a mistaken record: reopen the stage, or set the recorded day or meeting time."""

    reason: str
    reopen: bool = False
    on: date | None = None
    at: datetime | None = None


@dataclass(frozen=True)
class CancelCycle:
    """Cancel a cycle opened by mistake (a wrong year, a wrong pairing) — only while nothing was
    recorded or sent for it. The cycle is closed with the reason; the log keeps all of it."""

    pairing: str
    year: int
    reason: str


@dataclass(frozen=True)
class End:
    pairing: str
    on: date
    reason: str
    successor: str | None = None


@dataclass(frozen=True)
class RetryOutbox:
    """Put one failed message (``message_id``) or every failed one back into the queue."""

    message_id: int | None = None
    all_failed: bool = False


@dataclass(frozen=True)
class SyncMasterData:
    """``init``: upgrade the schema, import ``seed`` (the config's master data; ``None``: the
    settings' own) while the database holds none, open the year's cycles. Later the database's
    master data stays. ``seed_digest``: the SHA-256 of the config file the seed was read from."""

    seed: MasterData | None = None
    seed_digest: str | None = None


@dataclass(frozen=True)
class ApplyMasterData:
    """Make ``desired`` the master data (SPEC §16; ``cycle/service/stammdaten.py``).

    ``base_version``: the stored version a preview was shown for (``App.master_version``;
    refused when the master data changed since); ``reason`` and ``successors`` (pairing →
    successor) for the pairings it ends.
    """

    desired: MasterData
    base_version: str | None = None
    reason: str = ""
    successors: tuple[tuple[str, str], ...] = ()


@dataclass(frozen=True)
class Tick:
    """One reconciliation pass: open cycles, enqueue what is due, deliver unless told not to."""

    deliver: bool = True
    # False: the mails without the documents generated per pairing (the prefilled Jahresbericht
    # skeleton); a simulation lists mails and never sends them.
    documents: bool = True


@dataclass(frozen=True)
class Heartbeat:
    """``zyklus run`` (or a delivering ``zyklus tick``) is alive: each wake-up records it, a tick
    with its duration (SPEC §19: ``/readyz``, the banner, ``/metrics``)."""

    tick_seconds: float | None = None


# The steps of the sign-off chain by their event name (CLI commands, scenario events, audit).
SIGN_OFF: dict[str, type[Accept | Check | Acknowledge | File]] = {
    "accept": Accept,
    "check": Check,
    "acknowledge": Acknowledge,
    "file": File,
}


# --- staff accounts of the web application (SPEC §13) ------------------------------------------


@dataclass(frozen=True)
class AddUser:
    """A new account; without ``password`` it gets a one-time link by mail (to ``email``)."""

    login: str
    role: str
    name: str
    password: str | None = field(repr=False)
    email: str | None = None


@dataclass(frozen=True)
class ChangePassword:
    login: str
    password: str = field(repr=False)


@dataclass(frozen=True)
class DisableUser:
    login: str


@dataclass(frozen=True)
class EnableUser:
    login: str


@dataclass(frozen=True)
class ChangeRole:
    login: str
    role: str


@dataclass(frozen=True)
class SetPasswordByLink:
    """A new user sets their password with the one-time link of their mail."""

    token: str = field(repr=False)
    password: str = field(repr=False)


# --- single sign-on for staff (SPEC §17) -------------------------------------------------------


@dataclass(frozen=True)
class BeginSso:
    """Keep a started sign-on server-side: ``state``, the browser's cookie, nonce, PKCE."""

    state: str = field(repr=False)
    browser: str = field(repr=False)
    nonce: str = field(repr=False)
    verifier: str = field(repr=False)
    weiter: str = "/"


@dataclass(frozen=True)
class TakeSso:
    """The provider sent the browser back with ``state``: take its sign-on (once)."""

    state: str = field(repr=False)
    browser: str = field(repr=False)


@dataclass(frozen=True)
class SsoLogIn:
    """The verified claims of an ID token (JSON): create or update the account, open a session."""

    claims: str = field(repr=False)


@dataclass(frozen=True)
class RefuseSso:
    """A sign-on that failed before any account was looked at (token, provider): audited."""

    reason: str
    detail: str = ""


# --- getting in and out (SPEC §13, §14) ---------------------------------------------------------
# Secrets (a password, a token) are carried to the handler, never shown in a ``repr``.


@dataclass(frozen=True)
class LogIn:
    """A staff login at ``/anmelden`` from client ``address`` (counted for the limits)."""

    login: str
    password: str = field(repr=False)
    address: str


@dataclass(frozen=True)
class LogOut:
    """End the web session whose cookie is ``token``."""

    token: str = field(repr=False)


@dataclass(frozen=True)
class RequestPortalLink:
    """Someone asks for a new portal link for ``email`` from client ``client``."""

    email: str
    client: str


@dataclass(frozen=True)
class UsePortalLink:
    """A login link from a mail is used (once): it opens a portal session."""

    token: str = field(repr=False)


@dataclass(frozen=True)
class LeavePortal:
    """A contact ends the portal session whose cookie is ``cookie``."""

    cookie: str = field(repr=False)


@dataclass(frozen=True)
class NewCalendarFeed:
    """A contact makes a new private calendar feed address; the old one stops working."""


# --- the Träger portal (SPEC §14) --------------------------------------------------------------


@dataclass(frozen=True)
class ConfirmMeeting(StageCommand):
    """A contact confirms the scheduled date ``at`` (refused when it was re-scheduled since)."""

    at: datetime


@dataclass(frozen=True)
class ProposeDates(StageCommand):
    """A contact proposes one to three other dates, with a note; the coordinator decides."""

    dates: tuple[datetime, ...]
    note: str | None = None


@dataclass(frozen=True)
class RevokePortal:
    """``zyklus portal revoke ADDR``: end every link, session and calendar feed of a contact."""

    email: str


@dataclass(frozen=True)
class ConvertAudit:
    """``zyklus audit umstellen``: move personal values of an older chain beside it (SPEC §9)."""


@dataclass(frozen=True)
class DeleteExpired:
    """``zyklus loeschen [--probelauf] [--person ADDR]`` (SPEC §18): apply the retention rules,
    or erase one person where no duty to keep applies; ``probelauf`` changes nothing."""

    probelauf: bool = False
    person: str | None = None


@dataclass(frozen=True)
class RecordAccessRequest:
    """``zyklus auskunft ADDR`` and the page Auskunft (SPEC §18): an access request under
    Art. 15 DSGVO is answered and recorded in the log (the address as a pseudonym)."""

    email: str
