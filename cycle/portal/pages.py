"""Shared plumbing of the portal's routes: the contact's session, templates, CSRF-checked forms.

The portal reuses the web application's machinery: its secret and CSRF tokens
(``cycle.webbase.security``), its flash messages and form helpers (``cycle.web.pages``), its
stylesheet and macros. What differs: the session is a *contact's* portal session (cookie
``zyklus_portal``, path ``/portal``), every page names only the contact's pairings, and a
pairing outside them answers the same 404 as one that does not exist.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping
from pathlib import Path
from typing import Any

from jinja2 import Environment
from starlette.concurrency import run_in_threadpool
from starlette.datastructures import FormData
from starlette.requests import Request
from starlette.responses import HTMLResponse, RedirectResponse, Response

from cycle import german
from cycle.errors import Forbidden
from cycle.persistence import portal_store
from cycle.persistence.portal_store import Access
from cycle.persistence.uow import reading
from cycle.service import permissions
from cycle.service.outcomes import Outcome
from cycle.service.principal import Principal
from cycle.webbase.body import BodyRefused, form_of
from cycle.webbase.pages import Web, environment, web
from cycle.webbase.security import CSRF_COOKIE, CSRF_FIELD, FLASH_COOKIE, csrf_cookie

COOKIE = "zyklus_portal"
COOKIE_PATH = "/portal"
NAV = (
    ("/portal/", "Meine Fristen"),
    ("/portal/termine", "Termine"),
    ("/portal/jahresbericht", "Jahresbericht"),
    ("/portal/verwendungsnachweis", "Verwendungsnachweis"),
    ("/portal/kalender", "Kalender"),
)
TEMPLATES = Path(__file__).parent / "templates"


def principal(access: Access) -> Principal:
    """The contact as the service layer's principal: actor ``<email> via Portal``."""
    return Principal.contact(access.email, access.pairings)


def templates(request: Request) -> Environment:
    env: Environment | None = getattr(request.app.state, "portal_templates", None)
    if env is None:
        env = environment(TEMPLATES)
        request.app.state.portal_templates = env
    return env


def render(
    request: Request, template: str, context: Mapping[str, Any], status: int = 200
) -> HTMLResponse:
    w = web(request)
    tz = w.app.calendar.timezone
    flash = w.secret.unpack(request.cookies.get(FLASH_COOKIE))
    access: Access | None = getattr(request.state, "contact", None)
    html = (
        templates(request)
        .get_template(template)
        .render(
            {
                "request": request,
                "nav": NAV if access else (),
                "path": request.url.path,
                "contact": access,
                "csrf_token": w.secret.csrf_token(csrf_cookie(request)),
                "flash": flash,
                "zeit": lambda v: german.zeit(v, tz),
                "errors": {},
                "values": {},
                **context,
            }
        )
    )
    response = HTMLResponse(html, status_code=status)
    if flash is not None:
        response.delete_cookie(FLASH_COOKIE, path="/")
    return response


def problem(request: Request, status: int, title: str, lines: list[str]) -> HTMLResponse:
    return render(request, "portal_problem.html", {"title": title, "lines": lines}, status)


def not_found(request: Request) -> HTMLResponse:
    """The one answer for a pairing, year or file that is not the contact's (or not there)."""
    return problem(request, 404, "Nicht gefunden", ["Diese Seite gibt es in Ihrem Portal nicht."])


def _lookup(w: Web, cookie: str) -> Access | None:
    with reading(w.app.engine) as session:
        return portal_store.session_access(session, w.settings, cookie, w.app.clock.now())


async def contact(request: Request) -> Access | None:
    """The contact of the request's portal session (and ``request.state.contact``), or None."""
    cookie = request.cookies.get(COOKIE)
    found = await run_in_threadpool(_lookup, web(request), cookie) if cookie else None
    request.state.contact = found
    return found


def expired(request: Request) -> Response:
    """Without a valid session: to the page where a new link can be requested."""
    return RedirectResponse("/portal/neuer-link?sitzung=abgelaufen", status_code=303)


ContactPage = Callable[[Request, Access], Awaitable[Response]]
ContactForm = Callable[[Request, Access, FormData], Awaitable[Response]]
PublicForm = Callable[[Request, FormData], Awaitable[Response]]


def page(handler: ContactPage) -> Callable[[Request], Awaitable[Response]]:
    """A GET that needs the contact's session."""

    async def endpoint(request: Request) -> Response:
        access = await contact(request)
        return expired(request) if access is None else await handler(request, access)

    return endpoint


async def _checked_form(
    request: Request, run: Callable[[FormData], Awaitable[Response]], files: int = 0
) -> Response:
    """Read the form within the limits (``cycle.webbase.body``), CSRF checked before any file."""
    w = web(request)
    cookie = request.cookies.get(CSRF_COOKIE)

    def gate(fields: FormData) -> None:
        if not w.secret.csrf_ok(cookie, fields.get(CSRF_FIELD)):
            raise BodyRefused(
                403,
                "Sicherheitsprüfung fehlgeschlagen",
                "Das Formular ist abgelaufen oder kam nicht von dieser Seite; nichts wurde "
                "geändert. Bitte die Seite neu laden und erneut senden.",
            )

    try:
        async with form_of(request, files, gate) as fields:
            gate(fields)
            return await run(fields)
    except BodyRefused as refused:
        return problem(request, refused.status, refused.title, refused.lines)
    except Forbidden:
        return not_found(request)


def form(
    handler: ContactForm, files: int = 0, kind: type | None = None
) -> Callable[[Request], Awaitable[Response]]:
    """A POST that needs the contact's session and a valid CSRF token.

    With ``kind`` (a form that takes files), the permission table and the contact's pairings
    are asked before the body is read: another pairing's upload answers 404 unread.
    """

    async def endpoint(request: Request) -> Response:
        access = await contact(request)
        if access is None:
            return expired(request)
        if kind is not None:
            who, pairing = principal(access), request.path_params.get("pairing")
            if not permissions.may(who, kind) or (pairing is not None and not who.sees(pairing)):
                return not_found(request)
        return await _checked_form(request, lambda f: handler(request, access, f), files)

    return endpoint


def public_form(handler: PublicForm) -> Callable[[Request], Awaitable[Response]]:
    """A POST without a session (link exchange, link request), CSRF-checked; no files."""

    async def endpoint(request: Request) -> Response:
        return await _checked_form(request, lambda f: handler(request, f))

    return endpoint


async def handle(request: Request, access: Access, command: object) -> Outcome:
    """``app.bus.handle(command, contact principal)`` off the event loop."""
    bus = web(request).app.bus
    return await run_in_threadpool(bus.handle, command, principal(access))


class NoReferrer:
    """Portal pages carry tokens in their URLs: never send them on as a Referer, never cache."""

    def __init__(self, app: Callable[..., Awaitable[None]]) -> None:
        self.app = app

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        async def send_with_headers(message: Any) -> None:
            if message["type"] == "http.response.start":
                headers = [
                    (k, v)
                    for k, v in message.get("headers", [])
                    if k.lower() not in (b"referrer-policy", b"cache-control")
                ]
                headers += [(b"referrer-policy", b"no-referrer"), (b"cache-control", b"no-store")]
                message["headers"] = headers
            await send(message)

        await self.app(scope, receive, send_with_headers)
