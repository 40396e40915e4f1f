"""Shared page plumbing: templates, the logged-in user, CSRF-checked POSTs, refusals as pages.

Every POST endpoint is built by ``post``: it reads the form within the limits of
``cycle.web.body``, checks the CSRF token (403 and nothing runs when it is wrong; before any file
is read) and turns a ``Forbidden`` from the bus into a 403 page. A route module never touches
cookies or tokens itself.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path
from typing import Any
from urllib.parse import quote

from jinja2 import Environment, FileSystemLoader, StrictUndefined, select_autoescape
from markupsafe import Markup
from starlette.concurrency import run_in_threadpool
from starlette.datastructures import FormData
from starlette.requests import Request
from starlette.responses import HTMLResponse, RedirectResponse, Response

from cycle.bootstrap import App
from cycle.config.settings import Settings
from cycle.errors import Forbidden, UserError
from cycle.service import permissions
from cycle.service.accounts import User
from cycle.service.outcomes import Outcome
from cycle.service.principal import ROLE_LABELS
from cycle.text import has_bidi, strip_bidi
from cycle.web import params  # noqa: F401 - registers the path convertors jahr, nummer
from cycle.web.body import BodyRefused, form_of
from cycle.web.security import CSRF_COOKIE, CSRF_FIELD, FLASH_COOKIE, Secret, csrf_cookie
from workflows.stages import EVENT_LABELS, STATUS_LABELS

# Audit actions and mail kinds as stored (ASCII ids) → German for the pages, umlauts restored.
ACTION_LABELS = {
    "zyklus_eroeffnet": "Zyklus eröffnet",
    "zyklus_beendet": "Zyklus beendet",
    "notiz": "Notiz",
    "datum_korrigieren": "Datum korrigiert",
    "uebernehmen": "übernommen",
    "erneut_eingereiht": "erneut eingereiht",
    "benutzer_angelegt": "Benutzer angelegt",
    "benutzer_gesperrt": "Benutzer gesperrt",
    "benutzer_passwort_geaendert": "Passwort geändert",
    "passwort_geaendert": "Passwort geändert",
}
KIND_LABELS = {
    "erinnerung": "Erinnerung",
    "eskalation": "Eskalation",
    "einladung": "Einladung",
    "absage": "Absage",
    "terminerinnerung": "Terminerinnerung",
    "eingangsbestaetigung": "Eingangsbestätigung",
    "aufgabe": "Aufgabe",
    "wochenuebersicht": "Wochenübersicht",
    "zustellfehler": "Zustellfehler",
    "sammelnachricht": "Sammelnachricht",
}


def _action(name: object) -> str:
    text = str(name)
    return ACTION_LABELS.get(text) or EVENT_LABELS.get(text) or text.replace("_", " ")


NAV = (
    ("/", "Übersicht"),
    ("/termin", "Gemeinsamer Termin"),
    ("/postausgang", "Postausgang"),
    ("/vorschau", "Vorschau"),
    ("/protokoll", "Protokoll"),
    ("/berichte", "Berichte"),
)


@dataclass
class Web:
    """What the routes share: the composition root and the secret."""

    app: App
    secret: Secret

    @property
    def settings(self) -> Settings:
        return self.app.settings


def web(request: Request) -> Web:
    found: Web = request.app.state.web
    return found


def user(request: Request) -> User:
    found: User = request.state.user
    return found


def _datum(value: date | datetime | None) -> str:
    return f"{value:%d.%m.%Y}" if value else ""


def _shown(value: object) -> object:
    """Every ``{{ … }}`` of the staff pages and the portal: no bidi controls (``cycle.text``),
    also in what was stored before they were removed at input; markup stays markup."""
    if isinstance(value, str) and has_bidi(value):
        return Markup(strip_bidi(value)) if isinstance(value, Markup) else strip_bidi(value)
    return value


def environment() -> Environment:
    env = Environment(
        loader=FileSystemLoader(Path(__file__).parent / "templates"),
        autoescape=select_autoescape(default=True),
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        finalize=_shown,
    )
    env.filters["datum"] = _datum
    env.filters["status"] = lambda s: STATUS_LABELS.get(s, s)
    env.filters["ereignis"] = _action
    env.filters["art"] = lambda s: KIND_LABELS.get(str(s), str(s))
    env.filters["urlq"] = lambda s: quote(str(s), safe="")
    return env


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
            "nav": NAV,
            "path": request.url.path,
            "user": who,
            "role_label": ROLE_LABELS[who.role] if who else "",
            "csrf_token": w.secret.csrf_token(csrf_cookie(request)),
            "flash": flash,
            "zeit": lambda value: f"{value.astimezone(tz):%d.%m.%Y, %H:%M} Uhr" if value else "",
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


def done(request: Request, target: str, message: str) -> RedirectResponse:
    """POST → redirect → GET, with a German confirmation shown once on the next page."""
    response = RedirectResponse(target, status_code=303)
    response.set_cookie(
        FLASH_COOKIE,
        web(request).secret.pack(message),
        httponly=True,
        samesite="lax",
        secure=web(request).settings.web.secure,
        path="/",
    )
    return response


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

    ``files``: how many file parts the form takes (``cycle.web.body``). ``kind``: the command
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


def text(form: FormData, key: str) -> str:
    value = form.get(key)
    return value.strip() if isinstance(value, str) else ""


def errors_of(exc: UserError, known: set[str]) -> dict[str | None, list[str]]:
    """Messages by form field; a problem about a field the form does not show goes on top."""
    found: dict[str | None, list[str]] = {}
    for p in exc.problems:
        key = p.field if p.field in known else None
        found.setdefault(key, []).append(p.message)
    return found
