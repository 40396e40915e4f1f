"""Who is logged in: every request but the login page and the stylesheet needs a session.

Without a valid session (cookie token → ``WebSession`` row, unexpired, active user) a request
is answered with 303 to ``/anmelden``, before any route runs. The middleware also sets the
CSRF cookie when a page handed out a new one.
"""

from __future__ import annotations

from urllib.parse import quote

from starlette.concurrency import run_in_threadpool
from starlette.datastructures import MutableHeaders
from starlette.requests import Request
from starlette.responses import RedirectResponse

from cycle.persistence.uow import reading
from cycle.service.accounts import User, session_user
from cycle.webbase.pages import Web
from cycle.webbase.security import (
    CSRF_COOKIE,
    SESSION_COOKIE,
    ASGIApp,
    Message,
    Receive,
    Scope,
    Send,
)

# The portal checks its own sessions; health and metrics show no data (cycle/server/health.py);
# a set-password link is its own credential.
PUBLIC = ("/anmelden", "/static/", "/portal/", "/healthz", "/readyz", "/metrics", "/passwort/")
LEGAL = frozenset({"/datenschutz", "/impressum", "/barrierefreiheit"})  # SPEC §18, public


class RequireLogin:
    def __init__(self, app: ASGIApp, web: Web) -> None:
        self.app, self.web = app, web

    def lookup(self, token: str) -> User | None:
        with reading(self.web.app.engine) as session:
            return session_user(session, token, self.web.app.clock.now())

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        request = Request(scope)
        path = request.url.path
        if not path.startswith(PUBLIC) and path not in LEGAL:
            token = request.cookies.get(SESSION_COOKIE)
            found = await run_in_threadpool(self.lookup, token) if token else None
            if found is None:
                target = path + (f"?{request.url.query}" if request.url.query else "")
                redirect = RedirectResponse(f"/anmelden?weiter={quote(target)}", status_code=303)
                await redirect(scope, receive, send)
                return
            request.state.user = found
        secure = self.web.settings.web.secure

        async def send_cookie(message: Message) -> None:
            fresh = scope.get("state", {}).get("new_csrf")
            if message["type"] == "http.response.start" and fresh:
                headers = MutableHeaders(scope=message)
                flags = "; HttpOnly; SameSite=Lax; Path=/" + ("; Secure" if secure else "")
                headers.append("set-cookie", f"{CSRF_COOKIE}={fresh}{flags}")
            await send(message)

        await self.app(scope, receive, send_cookie)
