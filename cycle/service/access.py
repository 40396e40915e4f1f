"""Getting in and out (SPEC §13, §14): staff logins, portal links, portal sessions, feeds.

These are commands like every other: the web application and the portal build one and call
``handle(command, principal)`` — with an anonymous principal (``Principal.anonymous``) to log
in or ask for a link, with the logged-in person's principal to leave or make a calendar feed.
The unit of work commits the rows, the audit entries and the outbox mail together.

A handler that opens a session returns its token for the cookie: to its owner only, as an
outcome field that no ``repr`` shows; the tables keep only its SHA-256. Refusals that must not
tell whether a login or an address exists are no refusals: a failed login returns no token
(and the counted failure is committed), a link request answers the same for every address.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass, field
from typing import TypeVar

from cycle.config.values import is_email
from cycle.errors import Problem, UsageError
from cycle.mail import compose, links
from cycle.persistence import audit, portal_store
from cycle.persistence.portal_store import Access
from cycle.service import accounts
from cycle.service import commands as c
from cycle.service.accounts import User
from cycle.service.outcomes import Outcome
from cycle.service.principal import Principal
from cycle.service.uow import UnitOfWork

Kind = TypeVar("Kind", bound=Outcome)


@dataclass(frozen=True)
class LoggedIn(Outcome):
    """A staff login: the user and the session token for the cookie, or neither (refused)."""

    user: User | None = None
    token: str | None = field(default=None, repr=False)


@dataclass(frozen=True)
class PortalOpened(Outcome):
    """A used portal link: the contact's access and the session token, or neither (no link)."""

    access: Access | None = None
    token: str | None = field(default=None, repr=False)


@dataclass(frozen=True)
class FeedMade(Outcome):
    """The new calendar feed address (``None`` when the address is no contact any more)."""

    url: str | None = field(default=None, repr=False)


def expect(outcome: Outcome, kind: type[Kind]) -> Kind:
    """The outcome as the kind its command's handler returns (for the adapters' typing)."""
    if not isinstance(outcome, kind):
        raise TypeError(f"expected {kind.__name__}, got {type(outcome).__name__}")
    return outcome


# --- staff (web application) -----------------------------------------------------------------


def log_in(cmd: c.LogIn, uow: UnitOfWork, _principal: Principal) -> LoggedIn:
    """Check the password within the limits (``accounts.authenticate``); open a session.
    With ``[web.oidc] local_login = false`` no password opens a session (SPEC §17)."""
    oidc = uow.settings.web.oidc
    if oidc is not None and not oidc.local_login:
        return LoggedIn()
    found = accounts.authenticate(uow, cmd.login, cmd.password, cmd.address)
    if found is None:
        return LoggedIn()
    return LoggedIn(
        user=found, token=accounts.open_session(uow, found, uow.settings.web.session_minutes)
    )


def log_out(cmd: c.LogOut, uow: UnitOfWork, _principal: Principal) -> Outcome:
    accounts.close_session(uow, cmd.token)
    return Outcome()


# --- the Träger portal -----------------------------------------------------------------------


def use_portal_link(cmd: c.UsePortalLink, uow: UnitOfWork, _principal: Principal) -> PortalOpened:
    """Use a login link once and open a portal session, audited as the contact."""
    settings = uow.settings
    opened = portal_store.exchange(
        uow.session, settings, cmd.token, uow.now, settings.web.session_minutes
    )
    if opened is None:
        return PortalOpened()
    token, access = opened
    audit.record(
        uow.session,
        uow.now,
        Principal.contact(access.email, access.pairings).actor,
        audit.Change("portal_anmeldung", payload={"partnerschaften": sorted(access.pairings)}),
    )
    return PortalOpened(access=access, token=token)


def leave_portal(cmd: c.LeavePortal, uow: UnitOfWork, principal: Principal) -> Outcome:
    """End the contact's own portal session (another contact's cookie changes nothing)."""
    access = portal_store.session_access(uow.session, uow.settings, cmd.cookie, uow.now)
    if access is None or access.email != principal.name:
        return Outcome()
    portal_store.close_session(uow.session, cmd.cookie, uow.now)
    audit.record(uow.session, uow.now, principal.actor, audit.Change("portal_abmeldung"))
    return Outcome()


def new_calendar_feed(cmd: c.NewCalendarFeed, uow: UnitOfWork, principal: Principal) -> FeedMade:
    settings = uow.settings
    token = portal_store.new_feed(uow.session, settings, principal.name, uow.now)
    audit.record(uow.session, uow.now, principal.actor, audit.Change("portal_kalender_neu"))
    return FeedMade(url=portal_store.url_of(settings, f"kalender/{token}.ics") if token else None)


def request_portal_link(
    cmd: c.RequestPortalLink, uow: UnitOfWork, _principal: Principal
) -> Outcome:
    """Count the request; mail a new link only within the limits and to a known contact.

    The same work for every address, so the time of the answer does not tell whether an
    address is known: the mail is built and stored by the same path for an unknown address
    too, in a savepoint that is then rolled back (nothing of it stays); and the audit head is
    published after the commit for either (a known address's mail writes an audit entry, and
    the anchor file is written with fsync: ~10 ms that would tell the two apart).
    """
    if not is_email(cmd.email):
        raise UsageError(
            Problem(
                "email",
                "ungueltig",
                "Bitte eine E-Mail-Adresse angeben, z. B. name@traeger.example.org.",
            )
        )
    if not portal_store.allow_request(uow.session, cmd.email, cmd.client, uow.now):
        return Outcome()
    uow.confirm_anchor = True
    known = bool(portal_store.contact_pairings(uow.settings, cmd.email))
    savepoint = uow.session.begin_nested()
    _enqueue(uow, cmd.email)
    if known:
        savepoint.commit()
    else:
        savepoint.rollback()
    return Outcome()


def _enqueue(uow: UnitOfWork, email: str) -> None:
    """The mail with the new link: stored with a placeholder, the link minted at delivery
    (``cycle.mail.links``), so the Postausgang never shows a live one."""
    settings, address, renderer = uow.settings, portal_store.normal(email), uow.mail.renderer
    names = [
        contact.name
        for p in settings.pairings.values()
        for contact in p.contacts
        if portal_store.normal(contact.email) == address
    ]
    k = settings.koordinierungsstelle
    context = {
        "name": names[0] if names else "",
        "link": links.PLACEHOLDER,
        "link_days": settings.portal.link_days,
        "koordinierungsstelle": {"name": k.name, "email": k.email},
    }
    draft = compose.Draft(
        key=f"portal-link/{address}/{secrets.token_hex(8)}",
        kind=compose.PORTAL_LINK,
        level=0,
        send_at=uow.now,
        to=(f"{names[0]} <{address}>" if names else address,),
        rendered=renderer.render("portal-link", context),
        bundle=False,
    )
    compose.store(uow.session, [draft], settings, renderer, uow.now, f"{address} via Portal")
