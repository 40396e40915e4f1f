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
from typing import Any

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from sqlalchemy import delete, func
from sqlmodel import Session, col, select

from cycle.config.values import is_email
from cycle.errors import Problem, Refused, UsageError
from cycle.persistence import audit, password_store
from cycle.persistence.tables import LoginAttempt, UserRow, WebSession
from cycle.service import password_links
from cycle.service.commands import (
    AddUser,
    ChangePassword,
    ChangeRole,
    DisableUser,
    EnableUser,
    SetPasswordByLink,
)
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
    sso: bool = False  # signed in through the city's provider (SPEC §17)

    @property
    def principal(self) -> Principal:
        return Principal(name=self.login, role=self.role)


def _user(row: UserRow) -> User:
    assert row.id is not None
    return User(row.id, row.login, row.name, Role(row.role), row.email, row.sso_subject is not None)


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
    """A new account: with a password (the CLI), or with a one-time link to set it by mail."""
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
    if command.password is not None:
        problems += password_problems(command.password)
    elif not command.email:
        problems.append(
            Problem(
                "email",
                "fehlt",
                "Die E-Mail-Adresse fehlt: an sie geht der Link zum Festlegen des Passworts.",
            )
        )
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
        password_hash=_hasher.hash(command.password) if command.password is not None else "",
        created_at=uow.now,
        updated_at=uow.now,
    )
    session.add(row)
    session.flush()
    details = {"login": row.login, "name": row.name, "rolle": row.role, "email": row.email}
    done = _recorded(uow, principal.actor, "benutzer_angelegt", "benutzer_angelegt", details)
    if command.password is None:
        password_links.enqueue(uow, row, principal.actor)
    return done


def _recorded(
    uow: UnitOfWork,
    actor: str,
    action: str,
    event: str,
    details: dict[str, Any],
    before: str | None = None,
    after: str | None = None,
) -> Outcome:
    """The audit entry ``action`` of an account change, and the outcome naming ``event``."""
    change = audit.Change(action, before=before, after=after, payload=details)
    audit.record(uow.session, uow.now, actor, change)
    return Outcome(cycle_changes=(CycleChange(event, None, None, details),))


def change_password(command: ChangePassword, uow: UnitOfWork, principal: Principal) -> Outcome:
    problems = password_problems(command.password)
    if problems:
        raise UsageError(*problems)
    row = _find(uow.session, command.login)
    row.password_hash, row.updated_at = _hasher.hash(command.password), uow.now
    uow.session.add(row)
    end_sessions(uow.session, row)
    details = {"login": row.login}
    return _recorded(
        uow, principal.actor, "benutzer_passwort_geaendert", "passwort_geaendert", details
    )


def set_password_by_link(cmd: SetPasswordByLink, uow: UnitOfWork, _principal: Principal) -> Outcome:
    """The page of a set-password link: the link is used once and ends the user's sessions."""
    found = password_store.valid(uow.session, cmd.token, uow.now)
    if found is None:
        raise Refused(Problem(None, "link_ungueltig", password_links.NEUTRAL))
    problems = password_problems(cmd.password)
    if problems:
        raise UsageError(*problems)
    token, row = found
    password_store.use(uow.session, token, uow.now)
    row.password_hash, row.updated_at = _hasher.hash(cmd.password), uow.now
    uow.session.add(row)
    end_sessions(uow.session, row)
    details = {"login": row.login}
    actor = f"{row.login} via Link"
    return _recorded(uow, actor, "benutzer_passwort_festgelegt", "passwort_festgelegt", details)


def disable_user(command: DisableUser, uow: UnitOfWork, principal: Principal) -> Outcome:
    row = _find(uow.session, command.login)
    if not row.active:
        raise Refused(Problem("login", "gesperrt", f"Benutzer „{row.login}“ ist bereits gesperrt."))
    _keep_a_coordinator(uow.session, row)
    row.active, row.updated_at = False, uow.now
    uow.session.add(row)
    end_sessions(uow.session, row)
    details = {"login": row.login}
    return _recorded(
        uow, principal.actor, "benutzer_gesperrt", "benutzer_gesperrt", details, "aktiv", "gesperrt"
    )


def enable_user(command: EnableUser, uow: UnitOfWork, principal: Principal) -> Outcome:
    row = _find(uow.session, command.login)
    if row.active:
        raise Refused(Problem("login", "aktiv", f"Benutzer „{row.login}“ ist nicht gesperrt."))
    row.active, row.updated_at = True, uow.now
    uow.session.add(row)
    details = {"login": row.login}
    action = "benutzer_entsperrt"
    return _recorded(uow, principal.actor, action, action, details, "gesperrt", "aktiv")


def change_role(command: ChangeRole, uow: UnitOfWork, principal: Principal) -> Outcome:
    """A new role; one that takes rights away ends the user's open sessions at once."""
    if command.role not in {r.value for r in STAFF_ROLES}:
        allowed = ", ".join(r.value for r in STAFF_ROLES)
        raise UsageError(
            Problem("role", "ungueltig", f"Unbekannte Rolle „{command.role}“ (erlaubt: {allowed}).")
        )
    row = _find(uow.session, command.login)
    if row.role == command.role:
        raise Refused(
            Problem("role", "unveraendert", f"„{row.login}“ hat die Rolle schon; nichts geändert.")
        )
    if command.role != Role.KOORDINIERUNGSSTELLE:
        _keep_a_coordinator(uow.session, row)
    set_role(uow, row, command.role, principal.actor)
    details = {"login": row.login, "rolle": command.role}
    return Outcome(cycle_changes=(CycleChange("rolle_geaendert", None, None, details),))


def set_role(uow: UnitOfWork, row: UserRow, role: str, actor: str) -> None:
    """Store ``role`` (audited); lowering it ends the user's sessions in this transaction."""
    before = row.role
    row.role, row.updated_at = role, uow.now
    uow.session.add(row)
    if lowered(before, role):
        end_sessions(uow.session, row)
    audit.record(
        uow.session,
        uow.now,
        actor,
        audit.Change(
            "benutzer_rolle_geaendert", before=before, after=role, payload={"login": row.login}
        ),
    )


RANK = {
    Role.KOORDINIERUNGSSTELLE: 4,
    Role.STABSSTELLENLEITUNG: 3,
    Role.ABLAGE: 2,
    Role.LESEND: 1,
}


def lowered(before: str, after: str) -> bool:
    """Whether ``after`` may do less than ``before``: any change except to the
    Koordinierungsstelle (Stabsstellenleitung and Ablage each have a right the other lacks)."""
    return before != after and after != Role.KOORDINIERUNGSSTELLE


def end_sessions(session: Session, row: UserRow) -> None:
    session.execute(delete(WebSession).where(col(WebSession.user_id) == row.id))


def _keep_a_coordinator(session: Session, row: UserRow) -> None:
    """Refuse to disable or demote the last active account of the Koordinierungsstelle."""
    if row.role != Role.KOORDINIERUNGSSTELLE or not row.active:
        return
    others = session.exec(
        select(func.count())
        .select_from(UserRow)
        .where(col(UserRow.role) == Role.KOORDINIERUNGSSTELLE.value)
        .where(col(UserRow.active))
        .where(col(UserRow.id) != row.id)
    ).one()
    if int(others) == 0:
        raise Refused(
            Problem(
                "login",
                "letzte_koordinierungsstelle",
                f"„{row.login}“ ist das letzte aktive Konto der Koordinierungsstelle: Es kann "
                "weder gesperrt noch herabgestuft werden. Bitte zuerst ein weiteres Konto der "
                "Koordinierungsstelle anlegen.",
            )
        )


@dataclass(frozen=True)
class Listed:
    login: str
    name: str
    role: str
    email: str | None
    active: bool
    sso: bool = False

    @property
    def role_label(self) -> str:
        return ROLE_LABELS[Role(self.role)]


def list_users(session: Session) -> list[Listed]:
    rows = session.exec(select(UserRow).order_by(col(UserRow.login)))
    return [
        Listed(r.login, r.name, r.role, r.email, r.active, r.sso_subject is not None) for r in rows
    ]


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
