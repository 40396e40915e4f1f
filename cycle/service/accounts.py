"""Staff accounts of the web application (SPEC §15): commands, handlers, login and sessions.

Passwords are stored only as argon2 hashes (``argon2-cffi``), at least ``MIN_PASSWORD``
characters. Every change of an account is written to the audit log in the same transaction;
the log never sees a password or a hash. Only the Koordinierungsstelle manages accounts
(the event's roles in ``registry.py``).

Logins: ``authenticate`` checks a password and counts failures per login name and per client
address (``LoginAttempt``); beyond the limits it refuses with the same neutral message as a
wrong password, so an attacker learns nothing about which logins exist. A successful login
opens a ``WebSession``: the browser gets a random token, the table keeps only its SHA-256.
"""

from __future__ import annotations

import hashlib
import re
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta
from functools import cache

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from sqlalchemy import delete, func
from sqlmodel import Session, col, select

from cycle.config.values import is_email
from cycle.errors import Problem, Refused, UsageError
from cycle.persistence import audit
from cycle.persistence.tables import LoginAttempt, UserRow, WebSession
from cycle.service.commands import AddUser, ChangePassword, DisableUser
from cycle.service.outcomes import CycleChange, Outcome
from cycle.service.principal import ROLE_LABELS, Principal, Role
from cycle.service.uow import UnitOfWork

MIN_PASSWORD = 12
STAFF_ROLES = tuple(r for r in Role if r not in (Role.TRAEGER, Role.ANONYM))
LOGIN = re.compile(r"^[a-z0-9][a-z0-9._@-]{1,63}$")
WINDOW = timedelta(minutes=15)
MAX_FAILURES_PER_LOGIN = 5
MAX_FAILURES_PER_ADDRESS = 20
NEUTRAL = "Anmeldung fehlgeschlagen: Benutzername oder Passwort falsch, oder zu viele Versuche. "
NEUTRAL += "Bitte später erneut versuchen."

_hasher = PasswordHasher()


@dataclass(frozen=True)
class User:
    """What the web application knows of the logged-in person."""

    id: int
    login: str
    name: str
    role: Role
    email: str | None = None

    @property
    def principal(self) -> Principal:
        return Principal(name=self.login, role=self.role)


def _user(row: UserRow) -> User:
    assert row.id is not None
    return User(row.id, row.login, row.name, Role(row.role), row.email)


def password_problems(password: str) -> list[Problem]:
    if len(password) < MIN_PASSWORD:
        return [
            Problem(
                "password",
                "passwort_zu_kurz",
                f"Das Passwort ist zu kurz: mindestens {MIN_PASSWORD} Zeichen.",
            )
        ]
    return []


def _find(session: Session, login: str) -> UserRow:
    row = session.exec(select(UserRow).where(UserRow.login == login)).first()
    if row is None:
        raise UsageError(
            Problem("login", "unbekannt", f"Benutzer „{login}“ gibt es nicht (zyklus user list).")
        )
    return row


def add_user(command: AddUser, uow: UnitOfWork, principal: Principal) -> Outcome:
    problems: list[Problem] = []
    if not LOGIN.match(command.login):
        problems.append(
            Problem(
                "login",
                "ungueltig",
                f"„{command.login}“ ist kein gültiger Benutzername (Kleinbuchstaben, Ziffern, "
                "Punkt, Bindestrich, 2–64 Zeichen).",
            )
        )
    if command.role not in {r.value for r in STAFF_ROLES}:
        allowed = ", ".join(r.value for r in STAFF_ROLES)
        problems.append(
            Problem("role", "ungueltig", f"Unbekannte Rolle „{command.role}“ (erlaubt: {allowed}).")
        )
    if not command.name.strip():
        problems.append(Problem("name", "fehlt", "Der Name darf nicht leer sein."))
    if command.email and not is_email(command.email):
        problems.append(
            Problem("email", "ungueltig", f"„{command.email}“ ist keine gültige E-Mail-Adresse.")
        )
    problems += password_problems(command.password)
    if problems:
        raise UsageError(*problems)
    session = uow.session
    if session.exec(select(UserRow).where(UserRow.login == command.login)).first():
        raise Refused(Problem("login", "vorhanden", f"Benutzer „{command.login}“ gibt es schon."))
    row = UserRow(
        login=command.login,
        name=command.name.strip(),
        email=command.email or None,
        role=command.role,
        password_hash=_hasher.hash(command.password),
        created_at=uow.now,
        updated_at=uow.now,
    )
    session.add(row)
    details = {"login": row.login, "name": row.name, "rolle": row.role, "email": row.email}
    audit.record(
        session, uow.now, principal.actor, audit.Change("benutzer_angelegt", payload=details)
    )
    return Outcome(cycle_changes=(CycleChange("benutzer_angelegt", None, None, details),))


def change_password(command: ChangePassword, uow: UnitOfWork, principal: Principal) -> Outcome:
    problems = password_problems(command.password)
    if problems:
        raise UsageError(*problems)
    row = _find(uow.session, command.login)
    row.password_hash, row.updated_at = _hasher.hash(command.password), uow.now
    uow.session.add(row)
    uow.session.execute(delete(WebSession).where(col(WebSession.user_id) == row.id))
    details = {"login": row.login}
    audit.record(
        uow.session,
        uow.now,
        principal.actor,
        audit.Change("benutzer_passwort_geaendert", payload=details),
    )
    return Outcome(cycle_changes=(CycleChange("passwort_geaendert", None, None, details),))


def disable_user(command: DisableUser, uow: UnitOfWork, principal: Principal) -> Outcome:
    row = _find(uow.session, command.login)
    if not row.active:
        raise Refused(Problem("login", "gesperrt", f"Benutzer „{row.login}“ ist bereits gesperrt."))
    row.active, row.updated_at = False, uow.now
    uow.session.add(row)
    uow.session.execute(delete(WebSession).where(col(WebSession.user_id) == row.id))
    details = {"login": row.login}
    audit.record(
        uow.session,
        uow.now,
        principal.actor,
        audit.Change("benutzer_gesperrt", before="aktiv", after="gesperrt", payload=details),
    )
    return Outcome(cycle_changes=(CycleChange("benutzer_gesperrt", None, None, details),))


@dataclass(frozen=True)
class Listed:
    login: str
    name: str
    role: str
    email: str | None
    active: bool

    @property
    def role_label(self) -> str:
        return ROLE_LABELS[Role(self.role)]


def list_users(session: Session) -> list[Listed]:
    rows = session.exec(select(UserRow).order_by(col(UserRow.login)))
    return [Listed(r.login, r.name, r.role, r.email, r.active) for r in rows]


# --- logins and sessions --------------------------------------------------------------------


def _failures(session: Session, key: str, since: datetime) -> int:
    query = (
        select(func.count())
        .select_from(LoginAttempt)
        .where(col(LoginAttempt.key) == key)
        .where(col(LoginAttempt.at) > since)
    )
    return int(session.exec(query).one())


def authenticate(uow: UnitOfWork, login: str, password: str, address: str) -> User | None:
    """The active user with this login and password; else ``None`` (show ``NEUTRAL``).

    Failures are counted (and kept) even when the limit is reached; a success clears the
    failures of that login, not those of the address. Returns instead of raising, so the unit
    of work commits the counted failure.
    """
    session, now = uow.session, uow.now
    keys = (f"login:{login.lower()[:100]}", f"addr:{address}")
    since = now - WINDOW
    limited = (
        _failures(session, keys[0], since) >= MAX_FAILURES_PER_LOGIN
        or _failures(session, keys[1], since) >= MAX_FAILURES_PER_ADDRESS
    )
    row = session.exec(select(UserRow).where(UserRow.login == login)).first()
    # Every attempt costs one argon2 verification — against a dummy hash for an unknown or
    # disabled login, or when limited — so the time of the answer does not tell who exists.
    known = row is not None and row.active
    matches = _verify(row.password_hash if row is not None and known else _dummy(), password)
    ok = matches and known and not limited
    if not ok or row is None:
        session.add_all([LoginAttempt(key=key, at=now) for key in keys])
        return None
    session.execute(delete(LoginAttempt).where(col(LoginAttempt.key) == keys[0]))
    session.execute(delete(LoginAttempt).where(col(LoginAttempt.at) <= since))
    if _hasher.check_needs_rehash(row.password_hash):
        row.password_hash = _hasher.hash(password)
        session.add(row)
    return _user(row)


def _verify(password_hash: str, password: str) -> bool:
    try:
        return _hasher.verify(password_hash, password)
    except (VerificationError, InvalidHashError):
        return False


@cache
def _dummy() -> str:
    """A hash with the hasher's parameters of a random password nobody knows (made once)."""
    return _hasher.hash(secrets.token_urlsafe(32))


def _digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def open_session(uow: UnitOfWork, user: User, minutes: int) -> str:
    """A new session for ``user``; returns the token for the cookie (never stored)."""
    token = secrets.token_urlsafe(32)
    uow.session.execute(delete(WebSession).where(col(WebSession.expires_at) <= uow.now))
    uow.session.add(
        WebSession(
            id=_digest(token),
            user_id=user.id,
            created_at=uow.now,
            expires_at=uow.now + timedelta(minutes=minutes),
        )
    )
    return token


def session_user(session: Session, token: str, now: datetime) -> User | None:
    """The active user of an unexpired session token, else ``None``."""
    query = (
        select(UserRow)
        .join(WebSession, col(WebSession.user_id) == col(UserRow.id))
        .where(col(WebSession.id) == _digest(token))
        .where(col(WebSession.expires_at) > now)
        .where(col(UserRow.active))
    )
    row = session.exec(query).first()
    return _user(row) if row is not None else None


def close_session(uow: UnitOfWork, token: str) -> None:
    uow.session.execute(delete(WebSession).where(col(WebSession.id) == _digest(token)))
