"""One-time links to set a staff password (SPEC §16): the same rules as the portal's links.

Tokens are ``secrets.token_urlsafe(32)``; only their SHA-256 is stored, with the user, the
expiry (``VALID``, 24 hours) and the time of use. A link is minted as its mail is handed to
the transport (``mint_for_message``, from ``cycle.mail.password_links`` in the outbox claim),
so the stored mail holds only a placeholder; a retried mail revokes the link of its earlier
attempt. Opening the page changes nothing (mail scanners follow links); setting the password
uses the link and revokes the user's other unused links.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from datetime import datetime, timedelta

from sqlalchemy import Connection, insert, select, update
from sqlmodel import Session, col
from sqlmodel import select as select_rows

from cycle.persistence.tables import PasswordToken, UserRow

VALID = timedelta(hours=24)


def digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def mint_for_message(
    connection: Connection, outbox_id: int, login: str, now: datetime
) -> str | None:
    """A new raw token for the active user ``login`` and outbox message ``outbox_id`` (the
    message's earlier unused links are revoked); ``None`` for an unknown or disabled login."""
    users = UserRow.__table__  # type: ignore[attr-defined]
    user_id = connection.execute(
        select(users.c.id).where(users.c.login == login).where(users.c.active)
    ).scalar()
    if user_id is None:
        return None
    table = PasswordToken.__table__  # type: ignore[attr-defined]
    connection.execute(
        update(table)
        .where(table.c.outbox_id == outbox_id)
        .where(table.c.used_at.is_(None))
        .where(table.c.revoked_at.is_(None))
        .values(revoked_at=now)
    )
    token = secrets.token_urlsafe(32)
    connection.execute(
        insert(table).values(
            token_hash=digest(token),
            user_id=user_id,
            created_at=now,
            expires_at=now + VALID,
            outbox_id=outbox_id,
        )
    )
    return token


def valid(session: Session, token: str, now: datetime) -> tuple[PasswordToken, UserRow] | None:
    """The unused, unrevoked, unexpired link ``token`` of an active user; else ``None``."""
    if not token or len(token) > 200:
        return None
    found = session.exec(
        select_rows(PasswordToken).where(col(PasswordToken.token_hash) == digest(token))
    ).first()
    if found is None or not hmac.compare_digest(found.token_hash, digest(token)):
        return None
    if found.used_at is not None or found.revoked_at is not None or found.expires_at <= now:
        return None
    user = session.get(UserRow, found.user_id)
    return (found, user) if user is not None and user.active else None


def use(session: Session, token: PasswordToken, now: datetime) -> None:
    """Mark ``token`` used and revoke every other unused link of its user."""
    table = PasswordToken.__table__  # type: ignore[attr-defined]
    session.execute(
        update(table)
        .where(table.c.user_id == token.user_id)
        .where(table.c.used_at.is_(None))
        .where(table.c.revoked_at.is_(None))
        .where(table.c.id != token.id)
        .values(revoked_at=now)
    )
    token.used_at = now
    session.add(token)
