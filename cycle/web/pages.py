"""The staff pages' plumbing: the logged-in user, rendering with the navigation, CSRF-checked
POSTs, refusals as pages (what both sites share is in ``cycle.webbase.pages``).

Every POST endpoint is built by ``post``: it reads the form within the limits of
``cycle.webbase.body``, checks the CSRF token (403 and nothing runs when it is wrong; before any
file is read) and turns a ``Forbidden`` from the bus into a 403 page. A route module never
touches cookies or tokens itself.
"""

from __future__ import annotations

import hashlib
from collections.abc import Awaitable, Callable, Mapping
from datetime import datetime, tzinfo
from pathlib import Path
from typing import Any

from jinja2 import Environment
from starlette.concurrency import run_in_threadpool
from starlette.datastructures import FormData
from starlette.requests import Request
from starlette.responses import HTMLResponse, Response

from cycle import german
from cycle.config.settings import StageSpec
from cycle.errors import Forbidden
from cycle.service import permissions
from cycle.service.accounts import User
from cycle.service.outcomes import Outcome
from cycle.service.principal import ROLE_LABELS, Role
from cycle.views import labels
from cycle.webbase import (
    etag,
    params,  # noqa: F401 - registers the path convertors jahr, nummer
)
from cycle.webbase.body import BodyRefused, form_of
from cycle.webbase.pages import web
from cycle.webbase.security import CSRF_COOKIE, CSRF_FIELD, FLASH_COOKIE, csrf_cookie

NAV = (
    ("/", "Übersicht"),
    ("/termin", "Gemeinsamer Termin"),
    ("/postausgang", "Postausgang"),
    ("/vorschau", "Vorschau"),
    ("/protokoll", "Protokoll"),
    ("/berichte", "Berichte"),
    ("/stammdaten", "Stammdaten"),
    ("/benutzer", "Benutzer"),  # shown to the Koordinierungsstelle only (ONLY_COORDINATION)
)
ONLY_COORDINATION = ("/benutzer",)


def user(request: Request) -> User:
    found: User = request.state.user
    return found


TEMPLATES = Path(__file__).parent / "templates"


def zeit_in(tz: tzinfo) -> Callable[[datetime | None], str]:
    """The pages' ``zeit(…)``: an instant as "20.03.2026, 10:00 Uhr" in ``tz``."""
    return lambda value: german.zeit(value, tz)


def render(
    request: Request, template: str, context: Mapping[str, Any], status: int = 200
) -> HTMLResponse:
    w = web(request)
    env: Environment = request.app.state.templates
    who: User | None = getattr(request.state, "user", None)
    tz = w.app.calendar.timezone
    flash = w.secret.unpack(request.cookies.get(FLASH_COOKIE))
    html = env.get_template(template).render(
        {
            "request": request,
            "nav": [
                (href, label)
                for href, label in NAV
                if href not in ONLY_COORDINATION
                or (who is not None and who.role is Role.KOORDINIERUNGSSTELLE)
            ],
            "path": request.url.path,
            "user": who,
            "role_label": ROLE_LABELS[who.role] if who else "",
            "csrf_token": w.secret.csrf_token(csrf_cookie(request)),
            "flash": flash,
            "zeit": zeit_in(tz),
            "payload_text": lambda entry: labels.payload_text(entry.payload, tz),
            "stufe": lambda stage: _stage_name(w.app.settings.stage(stage), stage),
            "errors": {},
            "values": {},
            "form_id": None,
            **context,
        }
    )
    response = HTMLResponse(html, status_code=status)
    if flash is not None:
        response.delete_cookie(FLASH_COOKIE, path="/")
    return response


def _stage_name(spec: StageSpec | None, stage_id: str | None) -> str:
    return spec.name if spec is not None else (stage_id or "")


def page_tag(request: Request, version: str, *extra: object) -> str | None:
    """The entity tag of a staff page (``cycle.webbase.etag``) for ``version`` of the data, or
    ``None`` when the answer must not be reused: a flash message is shown once, and without a
    CSRF cookie the page hands out a new one."""
    cookie = request.cookies.get(CSRF_COOKIE)
    if not cookie or request.cookies.get(FLASH_COOKIE):
        return None
    w, who = web(request), user(request)
    return etag.tag(
        request.url.path,
        request.url.query,
        version,
        w.app.today(),
        who.id,
        who.login,
        who.name,
        who.role,
        hashlib.sha256(cookie.encode()).hexdigest(),
        etag.config_tag(w.settings),
        *extra,
    )


def problem_page(request: Request, status: int, title: str, lines: list[str]) -> HTMLResponse:
    return render(request, "problem.html", {"title": title, "lines": lines}, status)


async def handle(request: Request, command: object) -> Outcome:
    """``app.bus.handle(command, principal)`` off the event loop, as the logged-in user."""
    return await run_in_threadpool(web(request).app.bus.handle, command, user(request).principal)


Endpoint = Callable[[Request], Awaitable[Response]]
FormEndpoint = Callable[[Request, FormData], Awaitable[Response]]


CSRF_LINES = [
    "Das Formular ist abgelaufen oder kam nicht von dieser Anwendung; "
    "nichts wurde geändert. Bitte die Seite neu laden und erneut senden."
]


def post(
    handler: FormEndpoint,
    files: int = 0,
    kind: type | Callable[[Request], type | None] | None = None,
) -> Endpoint:
    """A POST endpoint: form read within the limits, CSRF checked, refusals as pages.

    ``files``: how many file parts the form takes (``cycle.webbase.body``). ``kind``: the command
    type the request will give (or a function of the request naming it), asked of the
    permission table before the body is read; the CSRF token is checked before the first file
    part is read.
    """

    async def endpoint(request: Request) -> Response:
        w = web(request)
        cookie = request.cookies.get(CSRF_COOKIE)

        def gate(fields: FormData) -> None:
            if not w.secret.csrf_ok(cookie, fields.get(CSRF_FIELD)):
                raise BodyRefused(403, "Sicherheitsprüfung fehlgeschlagen", *CSRF_LINES)

        try:
            command_type = kind if isinstance(kind, type) or kind is None else kind(request)
            if command_type is not None:
                permissions.require_kind(user(request).principal, command_type)
            async with form_of(request, files, gate) as form:
                gate(form)
                return await handler(request, form)
        except BodyRefused as refused:
            return problem_page(request, refused.status, refused.title, refused.lines)
        except Forbidden as exc:
            return problem_page(request, 403, "Keine Berechtigung", exc.lines)

    return endpoint
