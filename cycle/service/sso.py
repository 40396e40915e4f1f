"""Single sign-on for staff (SPEC §17): the server-side attempts and the account logic.

The web adapter (``cycle.web.sso``) talks to the provider; everything that reads or changes
our data is a command here, with an anonymous principal (nobody is logged in yet):

- ``begin`` keeps a started sign-on: the SHA-256 of ``state`` as key, bound to the browser by
  the SHA-256 of a cookie, with the nonce and the PKCE verifier, for ``ATTEMPT_MINUTES``. Every
  worker process sees it (the database), and it can be taken once.
- ``take`` takes it when the provider sends the browser back; an unknown, expired, used or
  other browser's ``state`` is refused (audited) — the attempt is gone either way.
- ``log_in`` gets the verified claims of the ID token: the first login creates the account,
  each login updates name, e-mail and role from the claims (highest mapped role wins; a role
  lowered ends the user's open sessions first; no mapped role any more disables the account).
  A disabled account stays disabled. Success opens the same server-side session as a password.
- ``refuse`` audits a sign-on refused before any account was looked at (token checks, provider).
"""

from __future__ import annotations

import hashlib
import json
import re
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

from sqlalchemy import delete
from sqlmodel import col, select

from cycle.config.settings import OidcSettings
from cycle.config.values import is_email
from cycle.persistence import audit
from cycle.persistence.tables import SsoAttempt, UserRow
from cycle.service import accounts
from cycle.service import commands as c
from cycle.service.accounts import RANK, User
from cycle.service.outcomes import Outcome
from cycle.service.principal import Principal, Role
from cycle.service.uow import UnitOfWork
from cycle.views import labels

ATTEMPT_MINUTES = 10
VIA = "SSO"
LOGIN = re.compile(r"^[a-z0-9][a-z0-9._@-]{1,63}$")


def _digest(value: str) -> str:
    return hashlib.sha256(value.encode()).hexdigest()


@dataclass(frozen=True)
class Taken(Outcome):
    """The attempt the provider's answer belongs to, or nothing (refused)."""

    nonce: str | None = field(default=None, repr=False)
    verifier: str | None = field(default=None, repr=False)
    weiter: str = "/"


@dataclass(frozen=True)
class SignedIn(Outcome):
    """A session for ``user``, or the German reason why not (``refusal``)."""

    user: User | None = None
    token: str | None = field(default=None, repr=False)
    refusal: str | None = None


def _refused(uow: UnitOfWork, reason: str, actor: str, **details: Any) -> None:
    text = labels.sso_refusal(reason)
    change = audit.Change("sso_abgelehnt", after=reason, payload={"grund": text, **details})
    audit.record(uow.session, uow.now, actor, change)


def begin(cmd: c.BeginSso, uow: UnitOfWork, _principal: Principal) -> Outcome:
    uow.session.execute(delete(SsoAttempt).where(col(SsoAttempt.expires_at) <= uow.now))
    uow.session.add(
        SsoAttempt(
            id=_digest(cmd.state),
            browser=_digest(cmd.browser),
            nonce=cmd.nonce,
            verifier=cmd.verifier,
            weiter=cmd.weiter,
            created_at=uow.now,
            expires_at=uow.now + timedelta(minutes=ATTEMPT_MINUTES),
        )
    )
    return Outcome()


def take(cmd: c.TakeSso, uow: UnitOfWork, principal: Principal) -> Taken:
    found = uow.session.get(SsoAttempt, _digest(cmd.state)) if cmd.state else None
    if found is not None:
        uow.session.delete(found)  # single use, whoever presents it
    if found is None or found.expires_at <= uow.now or found.browser != _digest(cmd.browser):
        _refused(uow, "state", principal.actor)
        return Taken()
    return Taken(nonce=found.nonce, verifier=found.verifier, weiter=found.weiter)


def refuse(cmd: c.RefuseSso, uow: UnitOfWork, principal: Principal) -> Outcome:
    _refused(uow, cmd.reason, principal.actor, **({"detail": cmd.detail} if cmd.detail else {}))
    return Outcome()


def mapped_role(oidc: OidcSettings, claims: dict[str, Any]) -> str | None:
    """The highest role the claim ``role_claim`` maps to (SPEC §15), or ``None``."""
    raw = claims.get(oidc.role_claim)
    values = (
        {raw}
        if isinstance(raw, str)
        else {v for v in raw if isinstance(v, str)}
        if isinstance(raw, list)
        else set()
    )
    roles = [Role(role) for value, role in oidc.roles if value in values]
    return max(roles, key=RANK.__getitem__).value if roles else None


def login_of(oidc: OidcSettings, claims: dict[str, Any]) -> str | None:
    for key in (oidc.login_claim, "email"):
        value = claims.get(key)
        if isinstance(value, str) and LOGIN.match(value.strip().lower()):
            return value.strip().lower()
    return None


def _text(claims: dict[str, Any], key: str) -> str | None:
    value = claims.get(key)
    return value.strip()[:200] if isinstance(value, str) and value.strip() else None


def log_in(cmd: c.SsoLogIn, uow: UnitOfWork, principal: Principal) -> SignedIn:
    oidc = uow.settings.web.oidc
    if oidc is None:
        return SignedIn(refusal=NOT_CONFIGURED)
    claims: dict[str, Any] = json.loads(cmd.claims)
    subject = f"{claims.get('iss')} {claims.get('sub')}"
    login = login_of(oidc, claims)
    if login is None:
        _refused(uow, "kein_benutzername", principal.actor, claim=oidc.login_claim)
        return SignedIn(refusal=NO_LOGIN.format(claim=oidc.login_claim))
    actor = f"{login} via {VIA}"
    session = uow.session
    row = session.exec(select(UserRow).where(col(UserRow.sso_subject) == subject)).first()
    if row is None:
        row = session.exec(select(UserRow).where(col(UserRow.login) == login)).first()
        if row is not None and row.sso_subject is not None:
            _refused(uow, "anderes_konto", actor, login=login)
            return SignedIn(refusal=TAKEN.format(login=login))
    role = mapped_role(oidc, claims)
    if row is not None and not row.active:
        _refused(uow, "gesperrt", actor, login=row.login)
        return SignedIn(refusal=DISABLED.format(contact=_contact(uow)))
    if role is None:
        if row is not None:  # the provider took the role away: so does zyklus, at once
            row.active, row.updated_at = False, uow.now
            session.add(row)
            accounts.end_sessions(session, row)
            change = audit.Change(
                "benutzer_rolle_geaendert",
                before=row.role,
                after=None,
                payload={"login": row.login},
            )
            audit.record(session, uow.now, actor, change)
            gone = audit.Change(
                "benutzer_gesperrt",
                before="aktiv",
                after="gesperrt",
                payload={"login": row.login, "grund": "keine Rolle beim Anbieter"},
            )
            audit.record(session, uow.now, actor, gone)
        _refused(uow, "keine_rolle", actor, login=login, werte=_values(oidc, claims))
        return SignedIn(refusal=NO_ROLE.format(contact=_contact(uow)))
    name = _text(claims, "name") or login
    email = _text(claims, "email")
    email = email if email is not None and is_email(email) else None
    if row is None:
        row = _create(uow, login, name, email, role, subject, actor)
    else:
        _update(uow, row, name, email, role, subject, actor)
    user = User(row.id or 0, row.login, row.name, Role(row.role), row.email, True)
    token = accounts.open_session(uow, user, uow.settings.web.session_minutes)
    audit.record(
        session,
        uow.now,
        actor,
        audit.Change("sso_anmeldung", after=row.role, payload={"login": row.login}),
    )
    return SignedIn(user=user, token=token)


def _create(
    uow: UnitOfWork, login: str, name: str, email: str | None, role: str, subject: str, actor: str
) -> UserRow:
    row = UserRow(
        login=login,
        name=name,
        email=email,
        role=role,
        password_hash="",
        sso_subject=subject,
        created_at=uow.now,
        updated_at=uow.now,
    )
    uow.session.add(row)
    uow.session.flush()
    details = {"login": login, "name": name, "rolle": role, "email": email}
    audit.record(uow.session, uow.now, actor, audit.Change("benutzer_angelegt", payload=details))
    return row


def _update(
    uow: UnitOfWork,
    row: UserRow,
    name: str,
    email: str | None,
    role: str,
    subject: str,
    actor: str,
) -> None:
    changed = {
        key: {"vorher": old, "nachher": new}
        for key, old, new in (("name", row.name, name), ("email", row.email, email))
        if old != new
    }
    if row.sso_subject is None:
        changed["sso"] = {"vorher": None, "nachher": subject}
    if changed:
        row.name, row.email, row.sso_subject, row.updated_at = name, email, subject, uow.now
        uow.session.add(row)
        payload = {"login": row.login, "aenderungen": changed}
        audit.record(
            uow.session, uow.now, actor, audit.Change("benutzer_geaendert", payload=payload)
        )
    if row.role != role:
        accounts.set_role(uow, row, role, actor)


def _values(oidc: OidcSettings, claims: dict[str, Any]) -> list[str]:
    raw = claims.get(oidc.role_claim)
    values = [raw] if isinstance(raw, str) else raw if isinstance(raw, list) else []
    return [str(v)[:100] for v in values[:20]]


def _contact(uow: UnitOfWork) -> str:
    k = uow.settings.koordinierungsstelle
    return f"{k.name} ({k.email})"


NOT_CONFIGURED = "Die Anmeldung über das Konto der Stadt ist nicht eingerichtet."
NO_LOGIN = (
    "Ihr Konto der Stadt übermittelt keinen Benutzernamen (Angabe „{claim}“ oder „email“). "
    "Bitte wenden Sie sich an die IT der Stadt."
)
TAKEN = (
    "Der Benutzername „{login}“ gehört in zyklus schon zu einem anderen Konto der Stadt. "
    "Bitte wenden Sie sich an die Koordinierungsstelle."
)
DISABLED = (
    "Ihr Zugang zu zyklus ist gesperrt. Wenn Sie ihn wieder brauchen, wenden Sie sich bitte an "
    "die Koordinierungsstelle: {contact}."
)
NO_ROLE = (
    "Ihr Konto der Stadt ist keiner Rolle in zyklus zugeordnet, deshalb können Sie sich nicht "
    "anmelden. Bitte wenden Sie sich an die Koordinierungsstelle: {contact}. Sie kann Ihre "
    "Gruppe bei der IT der Stadt für zyklus freischalten lassen."
)
