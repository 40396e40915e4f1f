"""``/anmelden/oidc`` and its callback (SPEC §17): single sign-on through the city's provider.

A thin adapter: ``oidc.Provider`` talks to the provider (off the event loop), the commands of
``cycle.service.sso`` keep the attempt and decide about the account. The attempt is bound to
the browser by the cookie ``SSO_COOKIE`` (random, HttpOnly, only for these two paths, gone
after ``ATTEMPT_MINUTES``); the result is the same session cookie as a password login's.
"""

from __future__ import annotations

import json
import secrets

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response
from starlette.routing import Route

from cycle.config.settings import OidcSettings
from cycle.service import commands as c
from cycle.service.access import expect
from cycle.service.principal import Principal
from cycle.service.sso import ATTEMPT_MINUTES, SignedIn, Taken
from cycle.web.auth import set_login_cookies, target
from cycle.web.oidc import Failure, provider
from cycle.web.pages import problem_page
from cycle.webbase.pages import Web, web

SSO_COOKIE = "zyklus_sso"
DOWN = [
    "Der Anmeldedienst der Stadt antwortet gerade nicht. Bitte versuchen Sie es in einigen "
    "Minuten erneut; hält die Störung an, hilft die IT der Stadt."
]
REFUSED = [
    "Die Anmeldung über das Konto der Stadt wurde abgelehnt; Sie sind nicht angemeldet. "
    "Bitte starten Sie die Anmeldung erneut über die Seite „Anmelden“."
]


def _oidc(w: Web) -> OidcSettings | None:
    return w.settings.web.oidc


async def _bus(request: Request, command: object) -> object:
    return await run_in_threadpool(web(request).app.bus.handle, command, Principal.anonymous("Web"))


async def _refuse(request: Request, failure: Failure) -> Response:
    await _bus(request, c.RefuseSso(failure.reason, failure.detail[:300]))
    if failure.down:
        return problem_page(request, 503, "Anmeldedienst nicht erreichbar", DOWN)
    return problem_page(request, 403, "Anmeldung abgelehnt", REFUSED)


async def start(request: Request) -> Response:
    oidc = _oidc(web(request))
    if oidc is None:
        return problem_page(request, 404, "Nicht gefunden", ["Diese Seite gibt es nicht."])
    try:
        begun = await run_in_threadpool(provider(request, oidc).start)
    except Failure as failure:
        return await _refuse(request, failure)
    browser = secrets.token_urlsafe(32)
    weiter = target(request.query_params.get("weiter", "/"))
    await _bus(request, c.BeginSso(begun.state, browser, begun.nonce, begun.verifier, weiter))
    response = RedirectResponse(begun.url, status_code=303)
    response.set_cookie(
        SSO_COOKIE,
        browser,
        max_age=ATTEMPT_MINUTES * 60,
        path="/anmelden/oidc",
        httponly=True,
        samesite="lax",
        secure=web(request).settings.web.secure,
    )
    return response


async def callback(request: Request) -> Response:
    w = web(request)
    oidc = _oidc(w)
    if oidc is None:
        return problem_page(request, 404, "Nicht gefunden", ["Diese Seite gibt es nicht."])
    query = request.query_params
    browser = request.cookies.get(SSO_COOKIE, "")
    taken = expect(await _bus(request, c.TakeSso(query.get("state", ""), browser)), Taken)  # type: ignore[arg-type]
    if taken.nonce is None or taken.verifier is None:
        return _forget(problem_page(request, 400, "Anmeldung abgelehnt", REFUSED))
    if query.get("error") or not query.get("code"):
        detail = f"{query.get('error', 'kein code')}: {query.get('error_description', '')}"
        return _forget(await _refuse(request, Failure("anbieter_fehler", detail)))
    client = provider(request, oidc)
    now = w.app.clock.now()

    def finish() -> dict[str, object]:
        assert taken.nonce is not None and taken.verifier is not None
        return client.verify(client.exchange(query["code"], taken.verifier), taken.nonce, now)

    try:
        claims = await run_in_threadpool(finish)
    except Failure as failure:
        return _forget(await _refuse(request, failure))
    done = expect(await _bus(request, c.SsoLogIn(json.dumps(claims))), SignedIn)  # type: ignore[arg-type]
    if done.token is None:
        return _forget(problem_page(request, 403, "Keine Berechtigung", [done.refusal or ""]))
    response = RedirectResponse(taken.weiter, status_code=303)
    set_login_cookies(
        response, w.settings.web.secure, done.token, w.settings.web.session_minutes * 60
    )
    return _forget(response)


def _forget(response: Response) -> Response:
    response.delete_cookie(SSO_COOKIE, path="/anmelden/oidc", httponly=True, samesite="lax")
    return response


ROUTES = [
    Route("/anmelden/oidc", start, methods=["GET"]),
    Route("/anmelden/oidc/callback", callback, methods=["GET"]),
]
