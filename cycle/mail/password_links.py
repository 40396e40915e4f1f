"""The one-time link to set a password (SPEC §16) in its mail: stored as a placeholder, minted
as the message is handed to the transport — the rule of the portal links (``links.py``).

The stored mail (Postausgang, ``zyklus outbox``, a database dump) never holds a live link: its
payload names the user under ``MARK``; the claim's transaction mints the token
(``password_store.mint_for_message``) and fills it into the message that goes out only.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import replace
from datetime import datetime
from html import escape
from typing import Any

from sqlalchemy import Connection

from cycle.config.settings import Settings
from cycle.persistence import password_store
from notifications.message import OutgoingEmail

PLACEHOLDER = "[persönlicher Link zum Festlegen des Passworts]"
MARK = "passwort_fuer"  # payload key: the login whose link replaces the placeholder
KIND = "passwort-link"


def url_of(settings: Settings, token: str) -> str:
    return f"{settings.web.base_url}/passwort/{token}"


def holds_placeholder(email: OutgoingEmail) -> bool:
    return PLACEHOLDER in email.text or PLACEHOLDER in (email.html or "")


def fill(
    connection: Connection,
    settings: Settings,
    outbox_id: int,
    payload: Mapping[str, Any],
    email: OutgoingEmail,
    now: datetime,
) -> OutgoingEmail:
    """The message with a freshly minted link; the login page's address when the user is gone
    or disabled (they can ask the Koordinierungsstelle for a new link)."""
    login = payload.get(MARK)
    token = (
        password_store.mint_for_message(connection, outbox_id, login, now)
        if isinstance(login, str)
        else None
    )
    url = url_of(settings, token) if token else f"{settings.web.base_url}/anmelden"
    html = email.html.replace(PLACEHOLDER, escape(url)) if email.html is not None else None
    return replace(email, text=email.text.replace(PLACEHOLDER, url), html=html)
