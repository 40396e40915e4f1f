"""The Träger portal's token store (SPEC §14): login links, sessions, calendar feeds, rate limits.

Tokens are ``secrets.token_urlsafe(32)`` (256 random bits); only their SHA-256 is stored, with
the contact's e-mail address, the pairings it covered when minted, the purpose (``login`` or
``feed``) and, for logins, the expiry (``[portal] link_days``) and the time of use.

Access is always the intersection of what was stored with the *current* master data
(``Pairing.contacts`` in the loaded settings): a contact removed from the config (or from one
pairing) loses that access as soon as a process runs with the new config — at the latest at the
next ``init`` — without touching the rows.

Links in mails are minted as a message is delivered, never when it is composed
(``mint_for_message``, called by ``cycle.mail.links`` from the outbox claim): the stored mail
holds a placeholder, so no one who can read the outbox ever sees a live link. Each link is
valid ``link_days`` and works once; older unused links of other mails stay valid until they
expire, are used, or are revoked; a retried message revokes the link of its earlier attempt.

This module sits in the persistence layer because the mail pipeline, which may not import an
interface, puts links into mails; the portal's routes use it too.
"""

from __future__ import annotations

import functools
import hashlib
import hmac
import secrets
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import Connection, Insert, Update, bindparam, delete, func, insert, update
from sqlmodel import Session, col, select

from cycle.config.settings import Settings
from cycle.persistence.tables import PortalRequest, PortalSession, PortalToken

LOGIN, FEED = "login", "feed"
REQUEST_WINDOW = timedelta(hours=1)
MAX_REQUESTS_PER_ADDRESS = 3
MAX_REQUESTS_PER_CLIENT = 10
PRUNE_AFTER = timedelta(days=30)


@dataclass(frozen=True)
class Access:
    """Who holds a valid token or session: the contact and the pairings it may see now."""

    email: str
    pairings: frozenset[str]


@dataclass(frozen=True)
class Revoked:
    links: int
    sessions: int
    feeds: int


def digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def normal(email: str) -> str:
    return email.strip().lower()


_indexes: dict[int, tuple[Settings, dict[str, frozenset[str]]]] = {}


def _contacts(settings: Settings) -> dict[str, frozenset[str]]:
    """Contact address → its pairings; built once per settings object (a tick asks per mail)."""
    cached = _indexes.get(id(settings))
    if cached is not None and cached[0] is settings:
        return cached[1]
    index: dict[str, set[str]] = {}
    for pairing in settings.pairings.values():
        for contact in pairing.contacts:
            index.setdefault(normal(contact.email), set()).add(pairing.id)
    frozen = {email: frozenset(ids) for email, ids in index.items()}
    _indexes.clear()  # one config per process; keep no stale settings alive
    _indexes[id(settings)] = (settings, frozen)
    return frozen


def contact_pairings(settings: Settings, email: str) -> frozenset[str]:
    """The pairings whose contacts include ``email`` in the master data (case-insensitive)."""
    return _contacts(settings).get(normal(email), frozenset())


def _current(settings: Settings, email: str, stored: Iterable[str]) -> Access | None:
    pairings = frozenset(stored) & contact_pairings(settings, email)
    return Access(email, pairings) if pairings else None


def url_of(settings: Settings, path: str) -> str:
    return f"{settings.web.base_url}/portal/{path}"


def _row(
    settings: Settings, address: str, purpose: str, now: datetime
) -> tuple[str, dict[str, Any]]:
    token = secrets.token_urlsafe(32)
    expires = now + timedelta(days=settings.portal.link_days) if purpose == LOGIN else None
    return token, {
        "token_hash": digest(token),
        "email": address,
        "pairings": sorted(contact_pairings(settings, address)),
        "purpose": purpose,
        "created_at": now,
        "expires_at": expires,
        "used_at": None,
        "revoked_at": None,
    }


def _insert(session: Session, rows: list[dict[str, Any]]) -> None:
    if rows:  # Core executemany: a tick mints one link per contact, thousands at a time
        table = PortalToken.__table__  # type: ignore[attr-defined]
        session.connection().execute(insert(table), rows)


def mint(
    session: Session, settings: Settings, email: str, purpose: str, now: datetime
) -> str | None:
    """A new raw token for a contact of the master data (``None`` for any other address)."""
    address = normal(email)
    if not contact_pairings(settings, address):
        return None
    token, row = _row(settings, address, purpose, now)
    _insert(session, [row])
    return token


def mint_for_message(
    connection: Connection, settings: Settings, outbox_id: int, email: str, now: datetime
) -> str | None:
    """The login link of outbox message ``outbox_id`` for the contact ``email``, minted as the
    message is handed to the transport (in the claim's transaction).

    Every earlier unused link of the same message is revoked first: a message sent again (a
    retry, or a claim after a crash) carries a new link, and the one of the attempt before stops
    working. ``None`` when ``email`` is no contact of any pairing now.
    """
    address = normal(email)
    if not contact_pairings(settings, address):
        return None
    connection.execute(_revoke_of_message(), {"b_outbox_id": outbox_id, "v_revoked_at": now})
    token, row = _row(settings, address, LOGIN, now)
    connection.execute(_insert_statement(), {**row, "outbox_id": outbox_id})
    return url_of(settings, f"anmelden/{token}")


@functools.cache
def _revoke_of_message() -> Update:
    table = PortalToken.__table__  # type: ignore[attr-defined]
    c = table.c
    return (
        update(table)
        .where(c.outbox_id == bindparam("b_outbox_id"))
        .where(c.used_at.is_(None))
        .where(c.revoked_at.is_(None))
        .values(revoked_at=bindparam("v_revoked_at", type_=c.revoked_at.type))
    )


@functools.cache
def _insert_statement() -> Insert:
    return insert(PortalToken.__table__)  # type: ignore[attr-defined]


def _login_token(session: Session, token: str, now: datetime) -> PortalToken | None:
    row = session.exec(
        select(PortalToken)
        .where(col(PortalToken.token_hash) == digest(token))
        .where(col(PortalToken.purpose) == LOGIN)
    ).first()
    if row is None or not hmac.compare_digest(row.token_hash, digest(token)):
        return None
    if row.used_at is not None or row.revoked_at is not None:
        return None
    if row.expires_at is None or row.expires_at <= now:
        return None
    return row


def peek(session: Session, settings: Settings, token: str, now: datetime) -> Access | None:
    """Who a login link is for, if it is still valid; changes nothing (mail scanners GET it)."""
    row = _login_token(session, token, now)
    return _current(settings, row.email, row.pairings) if row is not None else None


def exchange(
    session: Session, settings: Settings, token: str, now: datetime, minutes: int
) -> tuple[str, Access] | None:
    """Use a login link once: mark it used and open a session; returns the cookie token."""
    row = _login_token(session, token, now)
    access = _current(settings, row.email, row.pairings) if row is not None else None
    if row is None or access is None:
        return None
    used = session.execute(
        update(PortalToken)
        .where(col(PortalToken.id) == row.id)
        .where(col(PortalToken.used_at).is_(None))
        .where(col(PortalToken.revoked_at).is_(None))
        .values(used_at=now)
    )
    if getattr(used, "rowcount", 0) != 1:  # another request used it first
        return None
    cookie = secrets.token_urlsafe(32)
    # Housekeeping at each login (not per mail: a tick mints thousands of links): expired
    # sessions go, and links expired for a while (they answer like unknown ones anyway).
    session.execute(delete(PortalSession).where(col(PortalSession.expires_at) <= now))
    session.execute(
        delete(PortalToken)
        .where(col(PortalToken.purpose) == LOGIN)
        .where(col(PortalToken.expires_at) < now - PRUNE_AFTER)
    )
    session.add(
        PortalSession(
            id=digest(cookie),
            email=access.email,
            pairings=sorted(access.pairings),
            created_at=now,
            expires_at=now + timedelta(minutes=minutes),
        )
    )
    return cookie, access


def session_access(
    session: Session, settings: Settings, cookie: str, now: datetime
) -> Access | None:
    row = session.get(PortalSession, digest(cookie))
    if row is None or row.revoked_at is not None or row.expires_at <= now:
        return None
    return _current(settings, row.email, row.pairings)


def close_session(session: Session, cookie: str, now: datetime) -> None:
    session.execute(
        update(PortalSession).where(col(PortalSession.id) == digest(cookie)).values(revoked_at=now)
    )


def feed_access(session: Session, settings: Settings, token: str, now: datetime) -> Access | None:
    row = session.exec(
        select(PortalToken)
        .where(col(PortalToken.token_hash) == digest(token))
        .where(col(PortalToken.purpose) == FEED)
        .where(col(PortalToken.revoked_at).is_(None))
    ).first()
    return _current(settings, row.email, row.pairings) if row is not None else None


def new_feed(session: Session, settings: Settings, email: str, now: datetime) -> str | None:
    """A new calendar feed token; the contact's earlier feed addresses stop working."""
    session.execute(
        update(PortalToken)
        .where(col(PortalToken.email) == normal(email))
        .where(col(PortalToken.purpose) == FEED)
        .where(col(PortalToken.revoked_at).is_(None))
        .values(revoked_at=now)
    )
    return mint(session, settings, email, FEED, now)


def revoke(session: Session, email: str, now: datetime) -> Revoked:
    """Invalidate every link, session and feed of a contact (``zyklus portal revoke``)."""
    address = normal(email)
    counts = []
    for purpose in (LOGIN, FEED):
        result = session.execute(
            update(PortalToken)
            .where(col(PortalToken.email) == address)
            .where(col(PortalToken.purpose) == purpose)
            .where(col(PortalToken.revoked_at).is_(None))
            .where(col(PortalToken.used_at).is_(None))
            .values(revoked_at=now)
        )
        counts.append(int(getattr(result, "rowcount", 0)))
    result = session.execute(
        update(PortalSession)
        .where(col(PortalSession.email) == address)
        .where(col(PortalSession.revoked_at).is_(None))
        .where(col(PortalSession.expires_at) > now)
        .values(revoked_at=now)
    )
    return Revoked(counts[0], int(getattr(result, "rowcount", 0)), counts[1])


def allow_request(session: Session, email: str, client: str, now: datetime) -> bool:
    """Count a request for a new link; ``False`` beyond the limits per address or per client.

    Every request is counted, allowed or not, so hammering does not reset the window.
    """
    keys = (
        (f"addr:{normal(email)[:200]}", MAX_REQUESTS_PER_ADDRESS),
        (f"client:{client}", MAX_REQUESTS_PER_CLIENT),
    )
    since = now - REQUEST_WINDOW
    session.execute(delete(PortalRequest).where(col(PortalRequest.at) <= since))
    allowed = True
    for key, limit in keys:
        seen = session.exec(
            select(func.count())
            .select_from(PortalRequest)
            .where(col(PortalRequest.key) == key)
            .where(col(PortalRequest.at) > since)
        ).one()
        allowed = allowed and int(seen) < limit
    session.add_all([PortalRequest(key=key, at=now) for key, _ in keys])
    return allowed
