"""Getting in: the link from a mail, a new link by e-mail address, leaving (SPEC §14).

- ``GET /portal/anmelden/{token}`` shows a page with the button ``Weiter`` and changes nothing
  (mail scanners open links). ``POST`` uses the link once and opens a portal session.
- An expired, used, revoked or unknown link gets one neutral page (same text, same status)
  where a new link can be requested.
- ``POST /portal/neuer-link`` answers the same whether or not the address is known; requests
  are rate-limited per address and per client; the link is mailed (through the outbox) only to
  an address of the master data.
"""

from __future__ import annotations

import secrets
from datetime import datetime

from starlette.concurrency import run_in_threadpool
from starlette.datastructures import FormData
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response
from starlette.routing import Route

from cycle.config.values import is_email
from cycle.mail import compose, links
from cycle.persistence import audit, portal_store
from cycle.persistence.portal_store import Access
from cycle.persistence.uow import reading
from cycle.portal.pages import COOKIE, COOKIE_PATH, principal, public_form, render
from cycle.service.uow import UnitOfWork
from cycle.web.pages import Web, text, web, writing
from cycle.web.security import CSRF_COOKIE, new_token

GONE = 410  # one status for every link that does not (or no longer) work


def _peek(w: Web, token: str) -> Access | None:
    with reading(w.app.engine) as session:
        return portal_store.peek(session, w.settings, token, w.app.clock.now())


async def show_link(request: Request) -> Response:
    token = request.path_params["token"]
    if await run_in_threadpool(_peek, web(request), token) is None:
        return invalid(request)
    return render(request, "weiter.html", {"title": "Anmelden", "token": token})


def invalid(request: Request) -> Response:
    return render(request, "link_ungueltig.html", {"title": "Link nicht mehr gültig"}, GONE)


def _exchange(w: Web, token: str) -> tuple[str, Access] | None:
    with writing(w) as uow:
        opened = portal_store.exchange(
            uow.session, w.settings, token, uow.now, w.settings.web.session_minutes
        )
        if opened is not None:
            audit.record(
                uow.session,
                uow.now,
                principal(opened[1]).actor,
                audit.Change(
                    "portal_anmeldung", payload={"partnerschaften": sorted(opened[1].pairings)}
                ),
            )
    return opened


async def use_link(request: Request, _form: FormData) -> Response:
    w = web(request)
    opened = await run_in_threadpool(_exchange, w, request.path_params["token"])
    if opened is None:
        return invalid(request)
    response = RedirectResponse("/portal/", status_code=303)
    secure = w.settings.web.secure
    response.set_cookie(
        COOKIE,
        opened[0],
        max_age=w.settings.web.session_minutes * 60,
        path=COOKIE_PATH,
        httponly=True,
        samesite="lax",
        secure=secure,
    )
    response.set_cookie(CSRF_COOKIE, new_token(), httponly=True, samesite="lax", secure=secure)
    return response


async def request_page(request: Request) -> Response:
    expired = request.query_params.get("sitzung") == "abgelaufen"
    return render(request, "neuer_link.html", {"title": "Neuen Link anfordern", "expired": expired})


def _send_link(w: Web, email: str, client: str) -> None:
    """Count the request; mail a new link only within the limits and to a known contact.

    The same work for every address, so the time of the answer does not tell whether an
    address is known: the mail is built and stored by the same path for an unknown address
    too, in a savepoint that is then rolled back (nothing of it stays); and the audit head is
    published after the commit for either (a known address's mail writes an audit entry, and
    the anchor file is written with fsync: ~10 ms that would tell the two apart).
    """
    with writing(w) as uow:
        if not portal_store.allow_request(uow.session, email, client, uow.now):
            return
        uow.confirm_anchor = True
        known = bool(portal_store.contact_pairings(w.settings, email))
        savepoint = uow.session.begin_nested()
        _enqueue(uow, w, email, uow.now)
        if known:
            savepoint.commit()
        else:
            savepoint.rollback()


def _enqueue(uow: UnitOfWork, w: Web, email: str, now: datetime) -> None:
    """The mail with the new link: stored with a placeholder, the link minted at delivery
    (``cycle.mail.links``), so the Postausgang never shows a live one."""
    settings, address = w.settings, portal_store.normal(email)
    names = [
        c.name
        for p in settings.pairings.values()
        for c in p.contacts
        if portal_store.normal(c.email) == address
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
        send_at=now,
        to=(f"{names[0]} <{address}>" if names else address,),
        rendered=w.app.renderer.render("portal-link", context),
        bundle=False,
    )
    compose.store(uow.session, [draft], settings, w.app.renderer, now, f"{address} via Portal")


async def request_link(request: Request, form: FormData) -> Response:
    email = text(form, "email")
    if not is_email(email):
        errors = {"email": ["Bitte eine E-Mail-Adresse angeben, z. B. name@traeger.example.org."]}
        context = {
            "title": "Neuen Link anfordern",
            "expired": False,
            "errors": errors,
            "values": {"email": email},
        }
        return render(request, "neuer_link.html", context, 400)
    client = request.client.host if request.client else "unbekannt"
    await run_in_threadpool(_send_link, web(request), email, client)
    return render(request, "link_angefordert.html", {"title": "Link angefordert"})


def _close(w: Web, cookie: str) -> None:
    with writing(w) as uow:
        access = portal_store.session_access(uow.session, w.settings, cookie, uow.now)
        portal_store.close_session(uow.session, cookie, uow.now)
        if access is not None:
            audit.record(
                uow.session, uow.now, principal(access).actor, audit.Change("portal_abmeldung")
            )


async def logout(request: Request, _form: FormData) -> Response:
    cookie = request.cookies.get(COOKIE)
    if cookie:
        await run_in_threadpool(_close, web(request), cookie)
    response = RedirectResponse("/portal/abgemeldet", status_code=303)
    response.delete_cookie(COOKIE, path=COOKIE_PATH, httponly=True, samesite="lax")
    return response


async def logged_out(request: Request) -> Response:
    return render(request, "abgemeldet.html", {"title": "Abgemeldet"})


ROUTES = [
    Route("/anmelden/{token}", show_link, methods=["GET"]),
    Route("/anmelden/{token}", public_form(use_link), methods=["POST"]),
    Route("/neuer-link", request_page, methods=["GET"]),
    Route("/neuer-link", public_form(request_link), methods=["POST"]),
    Route("/abmelden", public_form(logout), methods=["POST"]),
    Route("/abgemeldet", logged_out, methods=["GET"]),
]
