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

import re
from collections.abc import Callable

from starlette.background import BackgroundTask, BackgroundTasks
from starlette.concurrency import run_in_threadpool
from starlette.datastructures import FormData
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response
from starlette.routing import Route

from cycle.errors import UserError
from cycle.mail.links import WEITER
from cycle.persistence import portal_store
from cycle.persistence.portal_store import Access
from cycle.persistence.uow import reading
from cycle.portal.pages import COOKIE, COOKIE_PATH, contact, handle, public_form, render
from cycle.service.access import PortalOpened, expect
from cycle.service.commands import LeavePortal, RequestPortalLink, UsePortalLink
from cycle.service.principal import Principal
from cycle.webbase.pages import Web, errors_of, text, web
from cycle.webbase.security import CSRF_COOKIE, new_token

GONE = 410  # one status for every link that does not (or no longer) work


def _peek(w: Web, token: str) -> Access | None:
    with reading(w.app.engine) as session:
        return portal_store.peek(session, w.settings, token, w.app.clock.now())


# A login link may name the portal page to open after the login (``?weiter=``, e.g. the
# Verwendungsnachweis form of a reminder): only a portal path of plain characters, never another
# site (no open redirect); the page itself checks the contact's scope.
NEXT = re.compile(r"/portal/[a-z0-9][a-z0-9/_-]{0,120}")


def next_page(wanted: str) -> str:
    return wanted if NEXT.fullmatch(wanted) and "//" not in wanted else "/portal/"


async def show_link(request: Request) -> Response:
    token = request.path_params["token"]
    if await run_in_threadpool(_peek, web(request), token) is None:
        return invalid(request)
    wanted = next_page(request.query_params.get(WEITER, ""))
    context = {"title": "Anmelden", "token": token, "weiter": wanted}
    return render(request, "weiter.html", context)


def invalid(request: Request) -> Response:
    return render(request, "link_ungueltig.html", {"title": "Link nicht mehr gültig"}, GONE)


async def use_link(request: Request, _form: FormData) -> Response:
    w = web(request)
    command = UsePortalLink(request.path_params["token"])
    done = await run_in_threadpool(w.app.bus.handle, command, Principal.anonymous("Portal"))
    token = expect(done, PortalOpened).token
    if token is None:
        return invalid(request)
    response = RedirectResponse(next_page(text(_form, WEITER)), status_code=303)
    secure = w.settings.web.secure
    response.set_cookie(
        COOKIE,
        token,
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


async def request_link(request: Request, form: FormData) -> Response:
    email = text(form, "email")
    client = request.client.host if request.client else "unbekannt"
    command = RequestPortalLink(email, client)
    later: list[Callable[[], None]] = []  # the anchor's fsync, after the answer (equal time)
    try:
        await run_in_threadpool(
            web(request).app.bus.handle, command, Principal.anonymous("Portal"), later
        )
    except UserError as refused:
        context = {
            "title": "Neuen Link anfordern",
            "expired": False,
            "errors": errors_of(refused, {"email"}),
            "form_id": "link",  # the error summary links to ``link-email``
            "values": {"email": email},
        }
        return render(request, "neuer_link.html", context, 400)
    response = render(request, "link_angefordert.html", {"title": "Link angefordert"})
    response.background = BackgroundTasks([BackgroundTask(run) for run in later])
    return response


async def logout(request: Request, _form: FormData) -> Response:
    cookie = request.cookies.get(COOKIE)
    access = await contact(request) if cookie else None
    if cookie and access is not None:
        await handle(request, access, LeavePortal(cookie))
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
