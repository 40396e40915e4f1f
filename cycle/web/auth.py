"""``/anmelden`` and ``/abmelden`` (SPEC §13): login form, rate-limited, session renewed."""

from __future__ import annotations

from starlette.concurrency import run_in_threadpool
from starlette.datastructures import FormData
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response
from starlette.routing import Route

from cycle.service import accounts
from cycle.service.access import LoggedIn, expect
from cycle.service.commands import LogIn, LogOut
from cycle.service.principal import Principal
from cycle.web.oidc import provider
from cycle.web.pages import handle, post, problem_page, render, user
from cycle.webbase.pages import text, web
from cycle.webbase.security import CSRF_COOKIE, SESSION_COOKIE, new_token


def target(value: str) -> str:
    """Only paths of this application (no ``//host`` or ``https://…``): no open redirect."""
    return value if value.startswith("/") and not value.startswith("//") else "/"


LOCAL_OFF = [
    "Die Anmeldung mit Passwort ist abgeschaltet. Bitte melden Sie sich mit dem Konto der "
    "Stadt an (Seite „Anmelden“)."
]


async def login_page(request: Request) -> Response:
    weiter = target(request.query_params.get("weiter", "/"))
    context = {"weiter": weiter, "login": "", "error": None, "oidc": web(request).settings.web.oidc}
    return render(request, "login.html", context)


async def login(request: Request, form: FormData) -> Response:
    w = web(request)
    oidc = w.settings.web.oidc
    if oidc is not None and not oidc.local_login:  # the service refuses it too (access.log_in)
        return problem_page(request, 403, "Anmeldung mit Passwort abgeschaltet", LOCAL_OFF)
    login_name, password = text(form, "benutzername"), str(form.get("passwort") or "")
    address = request.client.host if request.client else "unbekannt"
    command = LogIn(login_name, password, address)
    done = await run_in_threadpool(w.app.bus.handle, command, Principal.anonymous("Web"))
    token = expect(done, LoggedIn).token
    if token is None:
        context = {
            "weiter": target(text(form, "weiter")),
            "login": login_name,
            "error": accounts.NEUTRAL,
            "oidc": oidc,
        }
        return render(request, "login.html", context, 401)
    response = RedirectResponse(target(text(form, "weiter")), status_code=303)
    set_login_cookies(response, w.settings.web.secure, token, w.settings.web.session_minutes * 60)
    return response


def set_login_cookies(response: Response, secure: bool, session: str, max_age: int) -> None:
    """A new session token and a new CSRF cookie: nothing from before the login survives."""
    response.set_cookie(
        SESSION_COOKIE, session, max_age=max_age, httponly=True, samesite="lax", secure=secure
    )
    response.set_cookie(CSRF_COOKIE, new_token(), httponly=True, samesite="lax", secure=secure)


async def logout(request: Request, _form: FormData) -> Response:
    """End our session; an SSO user's browser then goes to the provider's logout, if offered."""
    w = web(request)
    await handle(request, LogOut(request.cookies.get(SESSION_COOKIE, "")))
    after = "/anmelden?abgemeldet=1"
    oidc = w.settings.web.oidc
    ending = None
    if oidc is not None and user(request).sso:
        client = provider(request, oidc)
        ending = await run_in_threadpool(client.end_session, w.settings.web.base_url + after)
    request.state.user = None  # the page after this shows no navigation
    # The provider's logout by a page that refreshes to it, not a redirect: a redirect after a
    # form's POST to another origin is blocked by the CSP's form-action 'self'.
    response: Response = (
        render(request, "logged_out_sso.html", {"ending": ending})
        if ending
        else RedirectResponse(after, status_code=303)
    )
    response.delete_cookie(SESSION_COOKIE, httponly=True, samesite="lax")
    response.set_cookie(
        CSRF_COOKIE, new_token(), httponly=True, samesite="lax", secure=w.settings.web.secure
    )
    return response


ROUTES = [
    Route("/anmelden", login_page, methods=["GET"]),
    Route("/anmelden", post(login), methods=["POST"]),
    Route("/abmelden", post(logout), methods=["POST"]),
]
