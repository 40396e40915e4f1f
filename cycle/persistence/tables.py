"""SQLModel tables. Instants are aware UTC, deadlines are DATE, money is integer cents.

The database is the source of truth: master data imported from the config, one ``Cycle`` per
pairing and year, one ``StageState`` per cycle and stage, the hash-chained ``AuditEntry`` log,
logical ``Notification`` rows (one per idempotency key) and the ``OutboxMessage`` rows that
bundle them for delivery.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlalchemy import JSON, Column, Index, UniqueConstraint
from sqlmodel import Field, SQLModel

NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}
SQLModel.metadata.naming_convention = NAMING_CONVENTION


def _json() -> Any:
    return Field(default_factory=dict, sa_column=Column(JSON, nullable=False))


class TraegerRow(SQLModel, table=True):
    __tablename__ = "traeger"
    id: str = Field(primary_key=True)
    name: str
    data: dict[str, Any] = _json()


class StadtteilRow(SQLModel, table=True):
    __tablename__ = "stadtteil"
    id: str = Field(primary_key=True)
    name: str
    data: dict[str, Any] = _json()


class PairingRow(SQLModel, table=True):
    __tablename__ = "pairing"
    id: str = Field(primary_key=True)
    traeger_id: str = Field(foreign_key="traeger.id")
    stadtteil_id: str = Field(foreign_key="stadtteil.id")
    handlungsfeld: str
    start: date
    end: date | None = None  # contract end from the config
    ended_on: date | None = None  # set by `zyklus end`
    end_reason: str | None = None
    successor_id: str | None = None
    data: dict[str, Any] = _json()


class Cycle(SQLModel, table=True):
    __tablename__ = "cycle"
    __table_args__ = (UniqueConstraint("pairing_id", "year"),)
    id: int | None = Field(default=None, primary_key=True)
    pairing_id: str = Field(foreign_key="pairing.id", index=True)
    year: int = Field(index=True)
    ended_on: date | None = None
    created_at: datetime


class StageState(SQLModel, table=True):
    __tablename__ = "stage_state"
    __table_args__ = (
        UniqueConstraint("cycle_id", "stage_id"),
        Index("ix_stage_state_open_due", "status", "due"),
    )
    id: int | None = Field(default=None, primary_key=True)
    cycle_id: int = Field(foreign_key="cycle.id")
    stage_id: str
    position: int
    status: str = "offen"
    due: date  # the effective due date (after § 193 BGB, or the extension)
    extended_until: date | None = None
    scheduled_at: datetime | None = None
    location: str | None = None
    sequence: int = 0  # iCalendar SEQUENCE, raised on every re-scheduling
    done_on: date | None = None
    updated_at: datetime
    facts: dict[str, Any] = _json()  # participants, evidence, submission, gaps …


class Evidence(SQLModel, table=True):
    __tablename__ = "evidence"
    sha256: str = Field(primary_key=True)
    filename: str
    size: int
    stored_at: datetime


class AuditEntry(SQLModel, table=True):
    __tablename__ = "audit"
    id: int | None = Field(default=None, primary_key=True)
    at: datetime
    actor: str
    action: str
    pairing_id: str | None = Field(default=None, index=True)
    year: int | None = None
    stage_id: str | None = None
    before: str | None = None
    after: str | None = None
    payload: str = "{}"  # canonical JSON
    prev_hash: str
    hash: str = Field(unique=True)


class AuditKlartext(SQLModel, table=True):
    """The clear value behind one pseudonym of the audit log (``cycle.persistence.personal``).

    Outside the chain: deleting a row (retention, erasure) keeps the log verifiable. ``salt``
    and ``value`` (canonical JSON ``{"v": …}``) give the pseudonym again; ``entry_id``,
    ``pairing_id`` and ``year`` say which entry (the first of its batch) and cycle it belongs to.
    """

    __tablename__ = "audit_klartext"
    __table_args__ = (Index("ix_audit_klartext_cycle", "pairing_id", "year"),)
    pseudonym: str = Field(primary_key=True)
    entry_id: int = Field(index=True)
    pairing_id: str | None = None
    year: int | None = None
    salt: str
    value: str


class AuditHead(SQLModel, table=True):
    """One row: the count and hash of the newest audit entry. Doubles as the append lock.

    ``published_*`` is the newest head confirmed in the anchor file (SPEC §9), sealed with the
    audit key so that someone with write access cannot lower it to match a shortened file.
    """

    __tablename__ = "audit_head"
    id: int = Field(default=1, primary_key=True)
    count: int = 0
    hash: str
    published_count: int | None = None
    published_hash: str | None = None
    published_seal: str | None = None


class Notification(SQLModel, table=True):
    """One logical notification, unique by its idempotency key; bundled or skipped."""

    __tablename__ = "notification"
    __table_args__ = (
        Index("ix_notification_point", "cycle_id", "stage_id", "anchor", "kind", "level"),
    )
    id: int | None = Field(default=None, primary_key=True)
    key: str = Field(unique=True)
    kind: str
    level: int = 0
    cycle_id: int | None = Field(default=None, foreign_key="cycle.id")
    pairing_id: str | None = None
    year: int | None = None
    stage_id: str | None = None
    anchor: date | None = None  # effective due date or meeting date
    point_on: date | None = None  # the working day the point falls on
    send_at: datetime
    status: str = "bundled"  # bundled (into an outbox message) | skipped (catch-up, or ``reason``)
    reason: str | None = None  # why skipped: "wartet auf …", "Termin hat bereits begonnen", …
    message_id: int | None = Field(default=None, foreign_key="outbox.id", index=True)
    recipients: dict[str, Any] = _json()  # {"to": [...], "cc": [...]}
    subject: str = ""
    created_at: datetime


class OutboxMessage(SQLModel, table=True):
    """One e-mail to deliver (possibly a bundle of notifications), stored before sending.

    ``payload`` is ``notifications.message.to_payload`` of the complete message, so a resend
    after a crash is byte-for-byte the same message with the same Message-ID.
    """

    __tablename__ = "outbox"
    __table_args__ = (Index("ix_outbox_due", "status", "next_attempt_at"),)
    id: int | None = Field(default=None, primary_key=True)
    message_id: str = Field(unique=True)
    kind: str
    to: str  # for listings: the To and Cc addresses
    subject: str
    payload: dict[str, Any] = _json()
    status: str = "pending"  # pending | sent | failed | skipped (stale at delivery: last_error)
    attempts: int = 0
    next_attempt_at: datetime
    lease_until: datetime | None = None
    lease_owner: str | None = None
    last_error: str | None = None
    refused: dict[str, Any] = _json()
    created_at: datetime
    sent_at: datetime | None = None


class Meta(SQLModel, table=True):
    """Small key/value facts about the installation (e.g. the imported master-data fingerprint)."""

    __tablename__ = "meta"
    key: str = Field(primary_key=True)
    value: str


class UserRow(SQLModel, table=True):
    """A staff account of the web application (SPEC §15); the password only as an argon2 hash."""

    __tablename__ = "users"
    id: int | None = Field(default=None, primary_key=True)
    login: str = Field(unique=True)
    name: str
    email: str | None = None
    role: str  # cycle.service.principal.Role
    password_hash: str  # "" for an account without a password (SSO, or link not yet used)
    active: bool = True
    created_at: datetime
    updated_at: datetime
    sso_subject: str | None = Field(default=None, unique=True)  # "<issuer> <sub>" after SSO


class WebSession(SQLModel, table=True):
    """A login: the cookie holds a random token, the table only its SHA-256 (``id``)."""

    __tablename__ = "web_session"
    id: str = Field(primary_key=True)
    user_id: int = Field(foreign_key="users.id", index=True)
    created_at: datetime
    expires_at: datetime


class LoginAttempt(SQLModel, table=True):
    """Failed logins per ``key`` (``login:<name>`` or ``addr:<client>``) for the rate limit."""

    __tablename__ = "login_attempt"
    __table_args__ = (Index("ix_login_attempt_key_at", "key", "at"),)
    id: int | None = Field(default=None, primary_key=True)
    key: str
    at: datetime


class PasswordToken(SQLModel, table=True):
    """A one-time link to set a user's password (SPEC §16): only the SHA-256 of the token.

    Minted as its mail is delivered (``outbox_id``: a retried mail revokes its earlier link);
    valid 24 hours, used once.
    """

    __tablename__ = "password_token"
    id: int | None = Field(default=None, primary_key=True)
    token_hash: str = Field(unique=True)
    user_id: int = Field(foreign_key="users.id", index=True)
    created_at: datetime
    expires_at: datetime
    used_at: datetime | None = None
    revoked_at: datetime | None = None
    outbox_id: int | None = Field(default=None, index=True)


class SsoAttempt(SQLModel, table=True):
    """A started single sign-on (SPEC §17), kept server-side until the provider sends the
    browser back: ``id`` is the SHA-256 of ``state``, ``browser`` the SHA-256 of the cookie that
    binds it to the browser that started it. Used once; expires after a few minutes."""

    __tablename__ = "sso_attempt"
    id: str = Field(primary_key=True)
    browser: str
    nonce: str
    verifier: str  # the PKCE code verifier
    weiter: str
    created_at: datetime
    expires_at: datetime = Field(index=True)


# --- the Träger portal (SPEC §14) --------------------------------------------------------------


def _json_list() -> Any:
    return Field(default_factory=list, sa_column=Column(JSON, nullable=False))


class PortalToken(SQLModel, table=True):
    """A login link or a calendar feed of one contact: only the SHA-256 of the token is kept.

    ``purpose`` is ``login`` (single use, expires after ``[portal] link_days``) or ``feed``
    (no expiry; ends when revoked). ``pairings`` are the contact's pairings when it was minted;
    every use intersects them with the current master data. ``outbox_id``: the message a login
    link was minted for as it was delivered (a retry revokes the earlier link of the message).
    """

    __tablename__ = "portal_token"
    id: int | None = Field(default=None, primary_key=True)
    token_hash: str = Field(unique=True)
    email: str = Field(index=True)  # lower case
    pairings: list[str] = _json_list()
    purpose: str  # "login" | "feed"
    created_at: datetime
    expires_at: datetime | None = None
    used_at: datetime | None = None
    revoked_at: datetime | None = None
    outbox_id: int | None = Field(default=None, index=True)


class PortalSession(SQLModel, table=True):
    """A contact's portal session: the cookie holds a random token, the table its SHA-256."""

    __tablename__ = "portal_session"
    id: str = Field(primary_key=True)
    email: str = Field(index=True)
    pairings: list[str] = _json_list()
    created_at: datetime
    expires_at: datetime
    revoked_at: datetime | None = None


class PortalRequest(SQLModel, table=True):
    """Requests for a new link per ``key`` (``addr:<email>`` or ``client:<ip>``): rate limit."""

    __tablename__ = "portal_request"
    __table_args__ = (Index("ix_portal_request_key_at", "key", "at"),)
    id: int | None = Field(default=None, primary_key=True)
    key: str
    at: datetime


class MeetingReply(SQLModel, table=True):
    """A contact's answer to a meeting: the date confirmed, or up to three other dates proposed."""

    __tablename__ = "meeting_reply"
    __table_args__ = (Index("ix_meeting_reply_cycle", "pairing_id", "year", "stage_id"),)
    id: int | None = Field(default=None, primary_key=True)
    pairing_id: str = Field(foreign_key="pairing.id")
    year: int
    stage_id: str
    email: str
    kind: str  # "bestaetigt" | "vorgeschlagen"
    scheduled_at: datetime | None = None  # the date confirmed (or the one replaced)
    dates: list[str] = _json_list()  # proposed instants, ISO 8601 with offset
    note: str | None = None
    created_at: datetime
