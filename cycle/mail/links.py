"""Personal portal links in mails (SPEC §14 "Who sees a link"): stored as a placeholder, minted
as the message is handed to the transport.

A stored mail never holds a live link, so nobody who can read the outbox (the Postausgang,
``zyklus outbox``, exports, a database dump) can act as a contact. One rule for every kind:

- **Composing** (``compose.store`` → ``portal_part``): a message addressed To exactly one contact
  of a pairing, with no Cc, gets the footer with the personal link written as ``PLACEHOLDER``, and
  its payload names the contact under ``MARK``. Any other message that reaches a contact (To or
  Cc: escalations, invitations, cancellations, receipts) says where a contact requests their own
  link (``<base_url>/portal/``). Messages to nobody of the portal get no footer. A requested link
  (kind ``portal-link``) writes the placeholder in its own body and gets no footer.
- **Delivering** (``SqlOutbox.claim`` → ``Minter``): in the claim's transaction a new login
  token is stored (as its hash, bound to the contact, their pairings, the expiry and this outbox
  row; every earlier unused link of the same row is revoked, so a retried message carries a new
  link and the old one stops working), and the placeholder is replaced in the message that goes
  to the transport only. A placeholder without a named contact (a message stored before links
  were minted at delivery), or for an address that is no contact any more, becomes the portal's
  address.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import replace
from datetime import datetime
from html import escape
from typing import Any

from sqlalchemy import Connection

from cycle.config.settings import Settings
from cycle.mail import password_links
from cycle.persistence import portal_store
from notifications.message import OutgoingEmail, split_address

PLACEHOLDER = "[persönlicher Zugangslink]"
MARK = "zugangslink"  # payload key: the contact whose login link replaces the placeholder
WEITER = "weiter"  # query key of a login link: the portal page to open after the login


def portal_address(settings: Settings) -> str:
    """Where a contact requests their own link: ``<base_url>/portal/``."""
    return portal_store.url_of(settings, "")


def personal_contact(
    settings: Settings, to: Sequence[str], cc: Sequence[str]
) -> tuple[str, str] | None:
    """(name, address) of the one contact a message may carry a personal link for: To exactly
    one address, which is a pairing's contact, and no Cc. ``None`` otherwise."""
    if len(to) != 1 or cc:
        return None
    name, address = split_address(to[0])
    if not portal_store.contact_pairings(settings, address):
        return None
    return name, portal_store.normal(address)


def reaches_contact(settings: Settings, addresses: Sequence[str]) -> bool:
    return any(portal_store.contact_pairings(settings, split_address(a)[1]) for a in addresses)


def footer(
    settings: Settings, to: Sequence[str], cc: Sequence[str], target: str | None = None
) -> tuple[str, str]:
    """The portal paragraph of a message as (text, HTML); ``("", "")`` for no contact.

    The text starts with a newline: appended to a rendered body (which ends with one), it
    leaves one blank line; the HTML is a paragraph for the end of ``<body>``. ``target`` (a
    portal path such as ``verwendungsnachweis/kaltenmoor/2026``) makes the personal link lead
    there after the login (``?weiter=``; the portal checks the path and the contact's scope).
    """
    days = settings.portal.link_days
    intro = (
        "Ihre Fristen, den Jahresbericht, den Verwendungsnachweis und Ihre Termine finden Sie im "
        "Träger-Portal."
    )
    if personal_contact(settings, to, cc) is not None:
        own = (
            f"Ihr persönlicher Link (gültig {days} Tage, einmal verwendbar, bitte nicht "
            "weitergeben):"
        )
        link = PLACEHOLDER + (f"?{WEITER}=/portal/{target}" if target else "")
        return (
            f"\n{intro} {own}\n{link}\n",
            f'<p>{escape(intro)} {escape(own)}<br><a href="{escape(link)}">{escape(link)}</a></p>',
        )
    if not reaches_contact(settings, [*to, *cc]):
        return "", ""
    url = portal_address(settings)
    shared = (
        "Diese Nachricht geht an mehrere Personen und enthält daher keinen persönlichen Link. "
        "Ihren eigenen Link erhalten Sie, wenn Sie dort Ihre E-Mail-Adresse eingeben:"
    )
    return (
        f"\n{intro} {shared}\n{url}\n",
        f'<p>{escape(intro)} {escape(shared)}<br><a href="{escape(url)}">{escape(url)}</a></p>',
    )


def mark(payload: dict[str, Any], settings: Settings) -> dict[str, Any]:
    """``payload`` naming its contact under ``MARK`` when it holds the placeholder and may carry
    a personal link (see ``personal_contact``)."""
    text, html = payload.get("text"), payload.get("html")
    if PLACEHOLDER not in f"{text}{html}":
        return payload
    contact = personal_contact(settings, payload.get("to") or (), payload.get("cc") or ())
    return payload if contact is None else {**payload, MARK: contact[1]}


def fill(email: OutgoingEmail, url: str) -> OutgoingEmail:
    """The message with every placeholder replaced by ``url`` (HTML-escaped in the HTML)."""
    html = email.html.replace(PLACEHOLDER, escape(url)) if email.html is not None else None
    return replace(email, text=email.text.replace(PLACEHOLDER, url), html=html)


class Minter:
    """Mints the login link of a claimed message in the claim's transaction (``SqlOutbox``)."""

    def __init__(self, settings: Settings) -> None:
        self.settings = settings

    def __call__(
        self,
        connection: Connection,
        outbox_id: int,
        payload: Mapping[str, Any],
        email: OutgoingEmail,
        now: datetime,
    ) -> OutgoingEmail:
        if password_links.holds_placeholder(email):  # a new user's set-password link
            email = password_links.fill(connection, self.settings, outbox_id, payload, email, now)
        if PLACEHOLDER not in email.text and PLACEHOLDER not in (email.html or ""):
            return email
        named, url = payload.get(MARK), None
        contact = personal_contact(self.settings, email.to, email.cc)
        if contact is not None and contact[1] == named:  # the rule is checked again, as sent
            url = portal_store.mint_for_message(
                connection, self.settings, outbox_id, contact[1], now
            )
        return fill(email, url or portal_address(self.settings))
