"""The typed, frozen deployment settings that ``config.load`` builds from ``config.toml``.

Everything else takes these objects; nothing reads the TOML file directly.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from datetime import date, time
from decimal import Decimal
from pathlib import Path

from workflows.calendar import DateSpec, WorkingCalendar
from workflows.deadlines import SeriesPolicy
from workflows.stages import StageType


@dataclass(frozen=True)
class SmtpSettings:
    host: str = "localhost"
    port: int = 587
    security: str = "starttls"  # "none" | "starttls" | "tls"
    username: str | None = None
    password_env: str | None = None
    timeout_seconds: float = 30.0
    data_timeout_seconds: float = 600.0  # reply to end-of-DATA (RFC 5321: 10 minutes)


@dataclass(frozen=True)
class MailSettings:
    transport: str = "maildir"  # "smtp" | "maildir"
    maildir: Path = Path("var/mail")
    sender: str = "Koordinierungsstelle Stadtteilarbeit <stadtteilarbeit@example.org>"
    smtp: SmtpSettings = field(default_factory=SmtpSettings)
    templates: Path | None = None  # folder with template overrides
    max_attempts: int = 8
    retry_base_seconds: int = 60
    ungewiss_wartezeit_minuten: int = 60  # wait before the one retry of an unknown outcome
    zustellstapel: int = 50  # messages a drain claims in one transaction (``cycle.mail.outbox``)


@dataclass(frozen=True)
class CalendarSettings:
    timezone: str = "Europe/Berlin"
    country: str = "DE"
    subdivision: str | None = "NI"
    send_time: time = time(8, 0)
    shift_due_to_working_day: bool = True

    def working_calendar(self) -> WorkingCalendar:
        from zoneinfo import ZoneInfo

        return WorkingCalendar(self.country, self.subdivision, ZoneInfo(self.timezone))


@dataclass(frozen=True)
class Koordinierungsstelle:
    name: str
    email: str
    stabsstellenleitung: str  # e-mail address
    stabsstellenleitung_name: str = "Stabsstellenleitung"
    ablage: str | None = None  # filing unit (51.12), e-mail address
    ort: str = "Lüneburg"
    anschrift: tuple[str, ...] = ()  # postal address lines for documents (Anlage 3)
    telefon: str | None = None


@dataclass(frozen=True)
class StageSpec:
    id: str
    name: str
    type: StageType
    due: DateSpec
    opens: DateSpec | None = None
    requires: tuple[str, ...] = ()  # resolved: default is the previous stage
    leitfaden: Path | None = None  # conversation guide, sent with invitations
    vorlage: Path | None = None  # template/form sent with reminders (report, proof of funds)
    remind_before_days: tuple[int, ...] | None = None  # None: the policy's default
    escalate_after_days: tuple[int, ...] | None = None
    meeting_reminder_days: tuple[int, ...] | None = None
    leitfaden_jahre: tuple[tuple[int, Path], ...] = ()  # (year, guide) replacing `leitfaden`

    def leitfaden_for(self, year: int) -> Path | None:
        """The guide for the cycle of ``year``: that year's replacement, else ``leitfaden``."""
        return next((guide for y, guide in self.leitfaden_jahre if y == year), self.leitfaden)


@dataclass(frozen=True)
class Policy:
    remind_before_days: tuple[int, ...] = (28, 7)
    escalate_after_days: tuple[int, ...] = (1, 14)
    meeting_reminder_days: tuple[int, ...] = (7,)
    digest: int | None = 0  # weekday of the weekly overview (0 = Monday), None = off
    # A sign-off step (Kenntnisnahme, Ablage) not done after this many working days is reminded.
    abzeichnung_erinnerung_tage: int = 5
    # Four eyes on a Verwendungsnachweis: check and acknowledge by two different people, and
    # a proof a staff member submitted is checked by someone else (``service.checks``).
    vier_augen: bool = True

    def series_for(self, stage: StageSpec) -> SeriesPolicy:
        return SeriesPolicy(
            remind_before_days=self.remind_before_days
            if stage.remind_before_days is None
            else stage.remind_before_days,
            escalate_after_days=self.escalate_after_days
            if stage.escalate_after_days is None
            else stage.escalate_after_days,
        )

    def meeting_days_for(self, stage: StageSpec) -> tuple[int, ...]:
        if stage.meeting_reminder_days is None:
            return self.meeting_reminder_days
        return stage.meeting_reminder_days


@dataclass(frozen=True)
class Traeger:
    id: str
    name: str
    leitung: str  # name of the management contact
    leitung_email: str
    rechtsform: str | None = None
    sitz: str | None = None
    anschrift: str | None = None
    telefon: str | None = None
    email: str | None = None
    vertretungsberechtigt: tuple[str, ...] = ()


@dataclass(frozen=True)
class Stadtteil:
    id: str
    name: str
    beschreibung: str | None = None


@dataclass(frozen=True)
class Contact:
    name: str
    email: str
    rolle: str = "Stadtteilmanagement"  # e.g. "Stadtteilmanagement", "Hansestadt (Tandem)"


@dataclass(frozen=True)
class Pairing:
    id: str
    traeger: str
    stadtteil: str
    contacts: tuple[Contact, ...]
    start: date
    end: date | None = None
    handlungsfeld: str = "Stadtteilmanagement"
    angebot: str | None = None  # offer name / type, e.g. "Stadtteilkoordination"
    tandem: bool = False

    def active_in(self, year: int) -> bool:
        return self.start.year <= year and (self.end is None or self.end.year >= year)


@dataclass(frozen=True)
class MasterData:
    """The master data (SPEC §3, §16): Träger, Stadtteile and pairings with their contacts.

    After the first ``zyklus init`` the database holds it (``cycle.persistence.masterdata_store``);
    ``config.toml`` only seeds it. ``Settings.master`` / ``Settings.with_master`` move it in and
    out of the settings every reader uses. The rules are ``cycle.config.master_rules.check``.
    """

    traeger: dict[str, Traeger] = field(default_factory=dict)
    stadtteile: dict[str, Stadtteil] = field(default_factory=dict)
    pairings: dict[str, Pairing] = field(default_factory=dict)

    def __bool__(self) -> bool:
        return bool(self.traeger or self.stadtteile or self.pairings)


@dataclass(frozen=True)
class VerwendungsnachweisRules:
    verwaltung_max_anteil: Decimal = Decimal("0.13")
    sachkosten_max: Decimal = Decimal("7000.00")
    gemeinwesenarbeit_max: Decimal = Decimal("6000.00")
    max_angebote: int = 12
    aufbewahrung_jahre: int = 10


@dataclass(frozen=True)
class OidcSettings:
    """``[web.oidc]``: single sign-on for staff through the city's OpenID provider (SPEC §17)."""

    issuer: str
    client_id: str
    client_secret_env: str = "ZYKLUS_OIDC_SECRET"  # name of the variable holding the secret
    scopes: str = "openid profile email"
    label: str = "Mit dem Konto der Stadt anmelden"
    role_claim: str = "groups"
    roles: tuple[tuple[str, str], ...] = ()  # (claim value, role of SPEC §15)
    login_claim: str = "preferred_username"
    local_login: bool = True
    timeout_s: float = 5.0  # the provider must answer within this time


@dataclass(frozen=True)
class WebSettings:
    """``[web]``: the coordinator's web application (SPEC §13)."""

    base_url: str = "http://127.0.0.1:8000"  # what links in mails use; https → Secure cookie
    host: str = "127.0.0.1"
    port: int = 8000
    secret_env: str = "ZYKLUS_WEB_SECRET"  # name of the variable holding the session secret
    session_minutes: int = 480
    upload_max_mb: int = 25
    body_timeout_s: int = 30  # a request body must arrive within this many seconds
    workers: int = 1  # uvicorn worker processes (SPEC §19)
    metrics: bool = False  # /metrics in Prometheus text (loopback, or the bearer token)
    metrics_token_env: str = "ZYKLUS_METRICS_TOKEN"  # variable holding that token
    oidc: OidcSettings | None = None  # ``[web.oidc]``: single sign-on, when configured

    @property
    def secure(self) -> bool:
        return self.base_url.startswith("https://")


@dataclass(frozen=True)
class BetriebSettings:
    """``[betrieb]``: when zyklus was adopted, and how long after a cycle events are plausible."""

    start: date | None = None  # nothing due before this day is sent or counted overdue
    nachlauf_tage: int = 90  # events up to this many days after the last stage's due date
    heartbeat_minuten: int = 15  # /readyz and the banner: `zyklus run` seen within this time


@dataclass(frozen=True)
class DatabaseSettings:
    """``[database]`` besides the URL: the connection pool and, on PostgreSQL, per-connection
    limits (SPEC §19) — a forgotten transaction must not make a web request wait for ever."""

    pool_size: int = 5
    max_overflow: int = 10
    application_name: str = "zyklus"  # shown in pg_stat_activity
    lock_timeout_s: int = 15  # PostgreSQL: wait at most this long for a row or table lock
    statement_timeout_s: int = 300  # PostgreSQL: cancel a statement running longer


@dataclass(frozen=True)
class LogSettings:
    """``[log]`` (SPEC §19): the form of the log lines on stderr."""

    format: str = "text"  # "text" | "json"


@dataclass(frozen=True)
class PortalSettings:
    """``[portal]``: the Träger portal (SPEC §14)."""

    link_days: int = 14  # a login link in a mail is valid this many days (and used once)


@dataclass(frozen=True)
class AuditSettings:
    """``[audit]`` (SPEC §9): the key that signs the log and where its head is published.

    The key itself never stands in the file: ``key_env`` names the environment variable. An
    ``anchor_file`` of ``None`` means ``<var>/audit-anker.txt`` (``Settings.anchor_path``), so a
    simulation with its own ``var`` folder never writes into the real anchor file.
    """

    key_env: str = "ZYKLUS_AUDIT_KEY"
    anchor_file: Path | None = None


@dataclass(frozen=True)
class RechtlichesSettings:
    """``[rechtliches]`` (SPEC §18): the Markdown texts of the legal pages.

    ``None``: the shipped German default (``cycle/webbase/rechtliches/*.md``), which names what
    the city must fill in. ``stand``: the date the accessibility statement was made or checked.
    """

    datenschutz: Path | None = None
    impressum: Path | None = None
    barrierefreiheit: Path | None = None
    stand: date | None = None


@dataclass(frozen=True)
class AufbewahrungSettings:
    """``[aufbewahrung]`` (SPEC §18): one period per data class after its start event (DIN 66398).

    Evidence, reports, the documents of a Verwendungsnachweis and the audit log's clear values
    of a cycle are kept to 31.12. of its year + ``[verwendungsnachweis] aufbewahrung_jahre``
    (the Fachkonzept's rule, one home: ``cycle.documents.model.aufbewahren_bis``).
    """

    postausgang_tage: int = 90  # mail texts, after sending (or giving up)
    zugang_tage: int = 30  # portal links, sessions, link requests, login attempts: after expiry
    kontakte_tage: int = 365  # ended contacts and pairings: after the contract's end
    konten_tage: int = 365  # staff accounts: after being disabled
    sonstige_jahre: int = 10  # the log's clear values of no cycle (accounts, portal, master data)


@dataclass(frozen=True)
class Settings:
    path: Path  # the config file
    base_dir: Path  # relative paths in the config are relative to this folder
    database_url: str
    mail: MailSettings
    calendar: CalendarSettings
    koordinierungsstelle: Koordinierungsstelle
    stages: tuple[StageSpec, ...]
    policy: Policy
    traeger: dict[str, Traeger]
    stadtteile: dict[str, Stadtteil]
    pairings: dict[str, Pairing]
    verwendungsnachweis: VerwendungsnachweisRules = field(default_factory=VerwendungsnachweisRules)
    var_dir: Path = Path("var")
    web: WebSettings = field(default_factory=WebSettings)
    portal: PortalSettings = field(default_factory=PortalSettings)
    betrieb: BetriebSettings = field(default_factory=BetriebSettings)
    audit: AuditSettings = field(default_factory=AuditSettings)
    log: LogSettings = field(default_factory=LogSettings)
    database: DatabaseSettings = field(default_factory=DatabaseSettings)
    rechtliches: RechtlichesSettings = field(default_factory=RechtlichesSettings)
    aufbewahrung: AufbewahrungSettings = field(default_factory=AufbewahrungSettings)

    @property
    def anchor_path(self) -> Path:
        """The file the audit head is appended to at every tick."""
        return self.audit.anchor_file or self.var_dir / "audit-anker.txt"

    @property
    def master(self) -> MasterData:
        return MasterData(self.traeger, self.stadtteile, self.pairings)

    def with_master(self, master: MasterData) -> Settings:
        """These settings with ``master`` as their master data (the database's, SPEC §16)."""
        return replace(
            self, traeger=master.traeger, stadtteile=master.stadtteile, pairings=master.pairings
        )

    def stage(self, stage_id: str) -> StageSpec | None:
        return next((s for s in self.stages if s.id == stage_id), None)
