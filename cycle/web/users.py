"""``/benutzer`` (SPEC §16, Koordinierungsstelle only) and ``/passwort/{token}`` (the page of a
new user's one-time link).

Thin adapters: every change is a command of ``cycle.service.accounts`` through the bus — the
same commands as ``zyklus user …`` —, so the permission table refuses any other role (403,
nothing changed) and a refusal comes back with the field it names. The set-password page is
public (the link is the credential): opening it changes nothing, a bad link gets one neutral
page, a refused password redisplays the form with the message at the field.
"""

from __future__ import annotations

from typing import Any

from starlette.concurrency import run_in_threadpool
from starlette.datastructures import FormData
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response
from starlette.routing import Route

from cycle.errors import Forbidden, Refused, UserError
from cycle.persistence import password_store
from cycle.persistence.uow import reading
from cycle.service import accounts
from cycle.service import commands as c
from cycle.service.password_links import NEUTRAL
from cycle.service.permissions import require_kind
from cycle.service.principal import ROLE_LABELS, Principal
from cycle.web.pages import handle, post, problem_page, render, user
from cycle.webbase.pages import done, errors_of, text, web

ROLES = [(r.value, ROLE_LABELS[r]) for r in accounts.STAFF_ROLES]


async def _page(
    request: Request,
    status: int = 200,
    errors: dict[str | None, list[str]] | None = None,
    values: dict[str, str] | None = None,
) -> Response:
    def load() -> list[accounts.Listed]:
        with reading(web(request).app.engine) as session:
            return accounts.list_users(session)

    context: dict[str, Any] = {
        "title": "Benutzer",
        "users": await run_in_threadpool(load),
        "roles": ROLES,
        "errors": errors or {},
        "values": values or {"role": "lesend"},
        "form_id": "neu",
        "me": user(request).login,
    }
    return render(request, "users.html", context, status)


async def listing(request: Request) -> Response:
    try:
        require_kind(user(request).principal, c.AddUser)
    except Forbidden as exc:
        return problem_page(request, 403, "Keine Berechtigung", exc.lines)
    return await _page(request)


async def add(request: Request, form: FormData) -> Response:
    values = {k: text(form, k) for k in ("login", "name", "email", "role")}
    command = c.AddUser(
        values["login"].lower(), values["role"], values["name"], None, values["email"] or None
    )
    try:
        await handle(request, command)
    except Forbidden:
        raise
    except UserError as exc:
        return await _page(
            request, 409 if isinstance(exc, Refused) else 422, errors_of(exc, set(values)), values
        )
    return done(
        request,
        "/benutzer",
        f"Benutzer „{command.login}“ angelegt; der Link zum Festlegen des Passworts geht per "
        f"E-Mail an {command.email}.",
    )


def _change(command_of: Any, message: str) -> Any:
    async def endpoint(request: Request, form: FormData) -> Response:
        login = str(request.path_params["login"])
        command = command_of(login, form)
        try:
            await handle(request, command)
        except Forbidden:
            raise
        except UserError as exc:
            lines: dict[str | None, list[str]] = {None: exc.lines}
            return await _page(request, 409 if isinstance(exc, Refused) else 422, lines)
        return done(request, "/benutzer", message.format(login=login))

    return endpoint


disable = _change(
    lambda login, _form: c.DisableUser(login),
    "Benutzer „{login}“ gesperrt; offene Sitzungen sind abgemeldet.",
)
enable = _change(lambda login, _form: c.EnableUser(login), "Benutzer „{login}“ entsperrt.")
role = _change(
    lambda login, form: c.ChangeRole(login, text(form, "role")),
    "Rolle von „{login}“ geändert.",
)


# --- the one-time link ---------------------------------------------------------------------------


def _link_valid(request: Request, token: str) -> bool:
    w = web(request)
    with reading(w.app.engine) as session:
        return password_store.valid(session, token, w.app.clock.now()) is not None


def _bad_link(request: Request) -> Response:
    return problem_page(request, 404, "Link nicht gültig", [NEUTRAL])


async def password_page(request: Request) -> Response:
    token = str(request.path_params["token"])
    if not await run_in_threadpool(_link_valid, request, token):
        return _bad_link(request)
    return render(request, "password.html", {"title": "Passwort festlegen", "form_id": "pw"})


async def set_password(request: Request, form: FormData) -> Response:
    token = str(request.path_params["token"])
    password = str(form.get("passwort") or "")
    errors: dict[str | None, list[str]] = {}
    if password != str(form.get("wiederholung") or ""):
        errors["wiederholung"] = ["Die beiden Eingaben stimmen nicht überein."]
    if not errors:
        command = c.SetPasswordByLink(token, password)
        principal = Principal.anonymous("Web")
        try:
            await run_in_threadpool(web(request).app.bus.handle, command, principal)
        except Refused:
            return _bad_link(request)
        except UserError as exc:
            errors = {"passwort": exc.lines}
        else:
            return RedirectResponse("/anmelden?passwort=1", status_code=303)
    context = {"title": "Passwort festlegen", "form_id": "pw", "errors": errors}
    return render(request, "password.html", context, 422)


ROUTES = [
    Route("/benutzer", listing, methods=["GET"]),
    Route("/benutzer", post(add, kind=c.AddUser), methods=["POST"]),
    Route("/benutzer/{login:str}/sperren", post(disable, kind=c.DisableUser), methods=["POST"]),
    Route("/benutzer/{login:str}/entsperren", post(enable, kind=c.EnableUser), methods=["POST"]),
    Route("/benutzer/{login:str}/rolle", post(role, kind=c.ChangeRole), methods=["POST"]),
    Route("/passwort/{token:str}", password_page, methods=["GET"]),
    Route("/passwort/{token:str}", post(set_password), methods=["POST"]),
]
