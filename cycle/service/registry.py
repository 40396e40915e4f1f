"""The event registry: one definition per command, from which every surface is derived.

An ``Event`` names its command class, its handler, the roles that may give it (SPEC §15), its
German labels and its fields. From this one table come

- the bus's handler table and the permission table (``bus.py``, ``permissions.py``),
- the CLI subcommands and their options (``cycle/cli/event_parsers.py``),
- the web application's event forms and their parsing (``cycle/web/forms.py``, the macro
  ``event_fields`` in ``cycle/web/templates/macros.html``),
- the scenario language of ``simulate`` (``cycle/simulation/scenario.py``, ``scenario_events.py``).

Adding an event is one entry here plus its handler. A field's ``name`` is the command's field
name, the form field's name, the scenario key and (as ``--name``) the CLI option, so a refusal
that names a field lands beside that input on every surface.

The handler is named as ``"module:function"`` inside ``cycle.service`` and imported when the bus
is built: the CLI reads this table to build its parser, and ``zyklus --help`` or ``status`` must
not import every handler with SQLModel and the mail pipeline behind it
(``tests/test_registry.py`` resolves each).
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from cycle.service import commands as c
from cycle.service.principal import Role
from workflows.stages import StageType


class Kind(StrEnum):
    TEXT = "text"
    DATE = "date"
    INSTANT = "instant"  # a date and a time of day (Europe/Berlin unless an offset is given)
    NAMES = "names"  # one or more names (participants)
    UPLOAD = "upload"  # a file: a path on the CLI and in a scenario, a file field in a form
    FLAG = "flag"  # yes/no: a CLI switch, a checkbox
    STAGE = "stage"  # one of the configured stages
    PAIRING = "pairing"  # one of the configured pairings


class Target(StrEnum):
    """What an event is about: the arguments before its fields."""

    STAGE = "stage"  # PAIRING YEAR STAGE
    CYCLE = "cycle"  # PAIRING YEAR
    PAIRING = "pairing"  # PAIRING
    NONE = "none"


class Surface(StrEnum):
    CLI = "cli"
    WEB = "web"  # a form on the Zyklus page (stage events) or in its cycle section
    SCENARIO = "scenario"


EVERYWHERE = frozenset(Surface)
MEETINGS = frozenset({StageType.MEETING, StageType.GROUP_MEETING})


@dataclass(frozen=True)
class Field:
    name: str  # the command's field, the form field, the scenario key, ``--name`` on the CLI
    kind: Kind
    label: str  # German label of the form field
    required: bool = False
    hint: str = ""  # shown under the form field
    help: str = ""  # CLI help
    metavar: str = ""  # CLI (default: TEXT, DATE, DATETIME, FILE, NAME, STAGE, PAIRING)
    positional: bool = False  # CLI: an argument, not an option
    surfaces: frozenset[Surface] = EVERYWHERE
    only_for: frozenset[StageType] | None = None  # web form: only for stages of these types
    event_day: bool = False  # scenario: the event's day (its ``on``) fills this field
    key: str = ""  # the scenario key when it is not ``name`` (``file`` for an upload)
    choice: str = ""  # the option's text when it is one of an event's ``exclusive`` fields

    @property
    def scenario_key(self) -> str:
        return self.key or self.name


@dataclass(frozen=True)
class Event:
    name: str  # CLI subcommand, scenario command, form name, audit action
    command: type
    handler: str  # "module:function" in cycle.service, e.g. "handlers:schedule"
    roles: frozenset[Role]
    action: str  # what a role may not do, for the refusal: "Termine festlegen"
    title: str = ""  # the form's heading and button
    help: str = ""  # CLI help
    target: Target = Target.NONE
    fields: tuple[Field, ...] = ()
    surfaces: frozenset[Surface] = frozenset()
    before: str = ""  # "module:function" run with the service context before the unit of work
    exclusive: tuple[str, ...] = ()  # exactly one of these fields must be given (``correct``)
    exclusive_label: str = ""  # the web form's question for the choice among them
    pairing_help: str = "Partnerschaft (Kennung)"

    def shown_on(self, surface: Surface) -> bool:
        return surface in self.surfaces

    def fields_on(self, surface: Surface) -> tuple[Field, ...]:
        return tuple(f for f in self.fields if surface in f.surfaces)

    def form_fields(self, stage_type: StageType | None = None) -> tuple[Field, ...]:
        """The fields of its web form for a stage of ``stage_type`` (all for ``None``)."""
        return tuple(
            f
            for f in self.fields_on(Surface.WEB)
            if f.only_for is None or stage_type is None or stage_type in f.only_for
        )

    @property
    def multipart(self) -> bool:
        """Its form carries a file."""
        return any(f.kind is Kind.UPLOAD for f in self.fields_on(Surface.WEB))

    @property
    def base(self) -> tuple[str, ...]:
        """The names of the arguments before the fields: ``pairing``, ``year``, ``stage``."""
        return BASE[self.target]


BASE: dict[Target, tuple[str, ...]] = {
    Target.STAGE: ("pairing", "year", "stage"),
    Target.CYCLE: ("pairing", "year"),
    Target.PAIRING: ("pairing",),
    Target.NONE: (),
}


_K = frozenset({Role.KOORDINIERUNGSSTELLE})
_ANONYM = frozenset({Role.ANONYM})
_TRAEGER = frozenset({Role.TRAEGER})
_STAFF = frozenset(Role) - _ANONYM - _TRAEGER
_CLI_SCENARIO = frozenset({Surface.CLI, Surface.SCENARIO})
_ON_DAY = Field("on", Kind.DATE, "am", hint="leer: heute", event_day=True)
_REMARK = Field("reason", Kind.TEXT, "Vermerk", help="Vermerk")
_REASON = Field("reason", Kind.TEXT, "Grund", required=True)
_TROTZDEM = Field(
    "trotzdem",
    Kind.FLAG,
    "außerhalb des Zeitraums",
    help="außerhalb des Zeitraums der Stufe erfassen (mit --reason; protokolliert)",
    surfaces=_CLI_SCENARIO,
)
_TROTZDEM_REASON = Field(
    "reason", Kind.TEXT, "Begründung", help="Begründung für --trotzdem", surfaces=_CLI_SCENARIO
)
_SEVERAL = "Partnerschaft, mehrere mit Komma oder „alle“"


def _sign_off(name: str, command: type, roles: frozenset[Role], action: str, title: str) -> Event:
    return Event(
        name,
        command,
        "handlers:sign_off",
        roles,
        action,
        title,
        help=title if name != "file" else "ablegen (zum Vorgang)",
        target=Target.STAGE,
        fields=(_ON_DAY, _REMARK),
        surfaces=EVERYWHERE,
    )


EVENTS: tuple[Event, ...] = (
    Event(
        "schedule",
        c.Schedule,
        "handlers:schedule",
        _K,
        "Termine festlegen",
        "Termin festlegen",
        help="Termin für ein Gespräch oder den Fachtag festlegen",
        target=Target.STAGE,
        pairing_help=_SEVERAL,
        fields=(
            Field(
                "at", Kind.INSTANT, "Datum und Uhrzeit", True, help="Beginn, z. B. 2026-03-10T10:00"
            ),
            Field("location", Kind.TEXT, "Ort", help="Ort"),
            _TROTZDEM,
            _TROTZDEM_REASON,
        ),
        surfaces=EVERYWHERE,
    ),
    Event(
        "complete",
        c.Complete,
        "handlers:complete",
        _K,
        "Termine als durchgeführt erfassen",
        "Als durchgeführt erfassen",
        help="Gespräch/Fachtag als durchgeführt erfassen",
        target=Target.STAGE,
        pairing_help=_SEVERAL,
        fields=(
            Field("on", Kind.DATE, "Durchgeführt am", hint="leer: heute", event_day=True),
            Field(
                "participants",
                Kind.NAMES,
                "Teilnehmende",
                hint="Namen mit Komma getrennt, oder eine Anzahl",
                help="Teilnehmende (Namen, mit Komma getrennt, oder eine Anzahl)",
            ),
            Field("note", Kind.TEXT, "Notiz"),
            Field("evidence", Kind.UPLOAD, "Nachweis (z. B. Protokoll)", help="Protokoll o. Ä."),
            _TROTZDEM,
            _TROTZDEM_REASON,
        ),
        surfaces=EVERYWHERE,
    ),
    Event(
        "submit",
        c.Submit,
        "handlers:submit",
        frozenset({Role.KOORDINIERUNGSSTELLE, Role.TRAEGER}),
        "einreichen",
        "Einreichung erfassen",
        help="Jahresbericht oder Verwendungsnachweis einreichen",
        target=Target.STAGE,
        fields=(
            Field(
                "upload", Kind.UPLOAD, "Datei", True, metavar="FILE", positional=True, key="file"
            ),
            Field("on", Kind.DATE, "Eingegangen am", hint="leer: heute", event_day=True),
            Field(
                "trotzdem",
                Kind.FLAG,
                "trotz fehlender Abschnitte annehmen",
                help="trotz Lücken oder außerhalb des Zeitraums einreichen (mit --reason; "
                "protokolliert)",
                only_for=frozenset({StageType.REPORT}),
            ),
            _TROTZDEM_REASON,
        ),
        surfaces=EVERYWHERE,
    ),
    _sign_off("accept", c.Accept, _K, "Berichte annehmen", "Annehmen"),
    _sign_off(
        "check", c.Check, _K, "Verwendungsnachweise rechnerisch prüfen", "Rechnerisch prüfen"
    ),
    _sign_off(
        "acknowledge",
        c.Acknowledge,
        frozenset({Role.KOORDINIERUNGSSTELLE, Role.STABSSTELLENLEITUNG}),
        "Verwendungsnachweise zur Kenntnis nehmen",
        "Zur Kenntnis nehmen",
    ),
    _sign_off(
        "file",
        c.File,
        frozenset({Role.KOORDINIERUNGSSTELLE, Role.ABLAGE}),
        "Verwendungsnachweise ablegen",
        "Ablegen (zum Vorgang)",
    ),
    Event(
        "return",
        c.Return,
        "handlers:give_back",
        _K,
        "Einreichungen zurückgeben",
        "Zurückgeben",
        help="Einreichung zur Überarbeitung zurückgeben",
        target=Target.STAGE,
        fields=(_REASON, Field("due", Kind.DATE, "Neue Frist", help="neue Frist")),
        surfaces=EVERYWHERE,
    ),
    Event(
        "extend",
        c.Extend,
        "handlers:extend",
        _K,
        "Fristen verlängern",
        "Frist verlängern",
        help="Frist verlängern",
        target=Target.STAGE,
        fields=(Field("until", Kind.DATE, "Neue Frist", True), _REASON),
        surfaces=EVERYWHERE,
    ),
    Event(
        "waive",
        c.Waive,
        "handlers:waive",
        _K,
        "Stufen entfallen lassen",
        "Entfallen lassen",
        help="Stufe entfallen lassen",
        target=Target.STAGE,
        fields=(_REASON,),
        surfaces=EVERYWHERE,
    ),
    Event(
        "end",
        c.End,
        "ending:end",
        _K,
        "Partnerschaften beenden",
        "Partnerschaft beenden",
        help="Partnerschaft beenden (mit Nachfolge)",
        target=Target.PAIRING,
        fields=(
            Field("on", Kind.DATE, "Beendet am", True, event_day=True),
            _REASON,
            Field("successor", Kind.PAIRING, "Nachfolge (übernimmt offene Stufen)"),
        ),
        surfaces=EVERYWHERE,
    ),
    Event(
        "note",
        c.Note,
        "corrections:note",
        _K,
        "Notizen erfassen",
        "Notiz erfassen",
        help="freie Notiz zu einem Zyklus oder einer Stufe (protokolliert)",
        target=Target.CYCLE,
        fields=(
            Field("stage", Kind.STAGE, "Stufe", positional=True, help="Stufe (optional)"),
            Field("text", Kind.TEXT, "Notiz", True, positional=True, help="Text"),
        ),
        surfaces=frozenset({Surface.CLI, Surface.WEB}),
    ),
    Event(
        "correct",
        c.Correct,
        "corrections:correct",
        _K,
        "Einträge korrigieren",
        "Eintrag korrigieren",
        help="eine falsche Erfassung korrigieren (protokolliert)",
        target=Target.STAGE,
        fields=(
            Field(
                "reopen",
                Kind.FLAG,
                "letzten Schritt zurücknehmen",
                help="letzten Schritt zurücknehmen",
                choice="letzten Schritt zurücknehmen",
            ),
            Field(
                "on",
                Kind.DATE,
                "Richtiges Datum",
                help="erfasstes Datum berichtigen",
                choice="Datum ändern",
            ),
            Field(
                "at",
                Kind.INSTANT,
                "Richtiger Termin",
                help="Termin berichtigen",
                only_for=MEETINGS,
                choice="Termin ändern",
            ),
            Field("reason", Kind.TEXT, "Grund", True, help="Grund der Korrektur"),
        ),
        exclusive=("reopen", "on", "at"),
        exclusive_label="Was korrigieren?",
        surfaces=frozenset({Surface.CLI, Surface.WEB}),
    ),
    Event(
        "cancel-cycle",
        c.CancelCycle,
        "corrections:cancel_cycle",
        _K,
        "Zyklen stornieren",
        "Zyklus stornieren",
        help="irrtümlich eröffneten Zyklus stornieren (nur ohne Ereignisse)",
        target=Target.CYCLE,
        fields=(Field("reason", Kind.TEXT, "Grund", True, help="Grund (wird protokolliert)"),),
        surfaces=frozenset({Surface.CLI}),
    ),
    # The Träger portal (SPEC §14): contacts answer meeting dates; only the Koordinierungsstelle
    # revokes a contact's access. Their forms are the portal's own.
    Event(
        "confirm",
        c.ConfirmMeeting,
        "portal_handlers:confirm_meeting",
        frozenset({Role.KOORDINIERUNGSSTELLE, Role.TRAEGER}),
        "Termine bestätigen",
    ),
    Event(
        "propose",
        c.ProposeDates,
        "portal_handlers:propose_dates",
        frozenset({Role.KOORDINIERUNGSSTELLE, Role.TRAEGER}),
        "Termine vorschlagen",
    ),
    Event(
        "revoke-portal",
        c.RevokePortal,
        "portal_handlers:revoke_portal",
        _K,
        "Portalzugänge widerrufen",
    ),
    # Getting in and out (SPEC §13, §14): logins and link requests come from someone not yet
    # known (an anonymous principal); their pages are the web application's and the portal's own.
    Event("login", c.LogIn, "access:log_in", _ANONYM, "Anmeldungen mit Passwort vornehmen"),
    Event("logout", c.LogOut, "access:log_out", _STAFF, "Sitzungen beenden"),
    Event(
        "portal-link-request",
        c.RequestPortalLink,
        "access:request_portal_link",
        _ANONYM,
        "Portal-Links anfordern",
    ),
    Event(
        "portal-login", c.UsePortalLink, "access:use_portal_link", _ANONYM, "Portal-Links einlösen"
    ),
    Event(
        "portal-logout", c.LeavePortal, "access:leave_portal", _TRAEGER, "Portal-Sitzungen beenden"
    ),
    Event(
        "portal-feed",
        c.NewCalendarFeed,
        "access:new_calendar_feed",
        _TRAEGER,
        "Kalender-Abonnements anlegen",
    ),
    # Operation and accounts: their CLI commands are ``tick``, ``init``, ``outbox retry``, ``user``.
    Event(
        "retry-outbox", c.RetryOutbox, "maintenance:retry_outbox", _K, "Nachrichten erneut senden"
    ),
    Event(
        "init",
        c.SyncMasterData,
        "maintenance:sync_master_data",
        _K,
        "Stammdaten übernehmen",
        before="maintenance:upgrade_schema",  # the migrations take their own transactions
    ),
    Event("tick", c.Tick, "maintenance:tick", _K, "Durchläufe starten"),
    Event("heartbeat", c.Heartbeat, "maintenance:heartbeat", _K, "Lebenszeichen geben"),
    Event(
        "audit-umstellen", c.ConvertAudit, "privacy:convert_audit", _K, "das Protokoll umstellen"
    ),
    Event("loeschen", c.DeleteExpired, "privacy:delete_expired", _K, "Daten löschen"),
    Event(
        "auskunft",
        c.RecordAccessRequest,
        "privacy:record_access_request",
        _K,
        "Auskünfte über Personen erteilen",
    ),
    # Master data (SPEC §16): the Stammdaten pages and ``zyklus stammdaten import``.
    Event(
        "stammdaten",
        c.ApplyMasterData,
        "stammdaten:apply_master_data",
        _K,
        "Stammdaten ändern",
        "Speichern",
    ),
    Event("user-add", c.AddUser, "accounts:add_user", _K, "Benutzer anlegen"),
    Event(
        "user-passwd",
        c.ChangePassword,
        "accounts:change_password",
        _K,
        "Passwörter ändern",
    ),
    Event("user-disable", c.DisableUser, "accounts:disable_user", _K, "Benutzer sperren"),
    Event("user-enable", c.EnableUser, "accounts:enable_user", _K, "Benutzer entsperren"),
    Event("user-role", c.ChangeRole, "accounts:change_role", _K, "Rollen ändern"),
    Event(
        "password-link",
        c.SetPasswordByLink,
        "accounts:set_password_by_link",
        _ANONYM,
        "Passwörter mit einem Link festlegen",
    ),
    # Single sign-on (SPEC §17): the provider's answers arrive before anyone is logged in.
    Event("sso-begin", c.BeginSso, "sso:begin", _ANONYM, "Anmeldungen über SSO beginnen"),
    Event("sso-take", c.TakeSso, "sso:take", _ANONYM, "Anmeldungen über SSO fortsetzen"),
    Event("sso-login", c.SsoLogIn, "sso:log_in", _ANONYM, "Anmeldungen über SSO abschließen"),
    Event("sso-refuse", c.RefuseSso, "sso:refuse", _ANONYM, "Anmeldungen über SSO ablehnen"),
)

BY_NAME: dict[str, Event] = {e.name: e for e in EVENTS}
BY_COMMAND: dict[type, Event] = {e.command: e for e in EVENTS}


def on(surface: Surface) -> tuple[Event, ...]:
    """The events a surface offers, in the order of the registry."""
    return tuple(e for e in EVENTS if e.shown_on(surface))


def stage_events(surface: Surface) -> dict[str, Event]:
    """The events about one stage that a surface offers, by name."""
    return {e.name: e for e in on(surface) if e.target is Target.STAGE}
