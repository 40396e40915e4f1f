"""One log line per request (SPEC §19): method, route template, status, ms, user, request id.

``RequestLog`` is the outermost middleware but the security headers: it gives each request its
id (``R-`` and eight hex digits, in ``scope["state"]["request_id"]``; the last resort shows it on
the 500 page) and, when the answer is complete, logs the route's *template*
(``/portal/anmelden/{token}``, ``/zyklus/{pairing}/{year}``) — never the path itself, which may
hold a portal token or a calendar address. A path no route matches is logged as ``-``. The user is
the staff user's id (``u17``) or ``portal`` for a Träger contact; never a name or an address.
The duration is measured with ``cycle.clock.stopwatch`` (a monotonic counter, not the clock).
"""

from __future__ import annotations

import logging
import secrets
from collections.abc import Callable, Iterable
from typing import Any

from starlette.routing import BaseRoute, Match, Mount

from cycle.clock import stopwatch
from cycle.webbase.security import ASGIApp, Message, Receive, Scope, Send

log = logging.getLogger("zyklus.web.request")


def new_request_id() -> str:
    return f"R-{secrets.token_hex(4).upper()}"


def request_id(scope: Scope) -> str:
    """The id ``RequestLog`` gave this request (a fresh one outside of it)."""
    state = scope.setdefault("state", {})
    if "request_id" not in state:
        state["request_id"] = new_request_id()
    return str(state["request_id"])


def route_template(routes: Iterable[BaseRoute], scope: Scope, prefix: str = "") -> str | None:
    """The template of the route that serves ``scope`` (searched as the router does)."""
    for route in routes:
        match, child = route.matches(scope)
        if match is not Match.FULL:
            continue
        path = str(getattr(route, "path", ""))
        if isinstance(route, Mount):
            inner = {**scope, **child}
            found = route_template(_inner_routes(route), inner, prefix + path)
            return found if found is not None else prefix + path + "/…"
        return prefix + path
    return None


def _inner_routes(mount: Mount) -> list[BaseRoute]:
    """The routes of a mounted router, also inside a middleware that wraps it (the portal's)."""
    inner: object = mount.app
    while inner is not None and not hasattr(inner, "routes"):
        inner = getattr(inner, "app", None)
    return list(getattr(inner, "routes", ()))


def _user(scope: Scope) -> str:
    state: dict[str, Any] = scope.get("state", {})
    user = state.get("user")
    if user is not None:
        return f"u{user.id}"
    return "portal" if state.get("contact") is not None else "-"


Observer = Callable[[str, str, int], None]  # route template, method, status (the metrics)


class RequestLog:
    def __init__(self, app: ASGIApp, observe: Observer | None = None) -> None:
        self.app, self.observe = app, observe

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        rid = request_id(scope)
        elapsed = stopwatch()
        # Matched before the router runs: it rewrites root_path for mounted applications.
        routes = getattr(scope.get("app"), "routes", ())
        route = route_template(routes, dict(scope)) or "-"
        status = 500

        async def watched(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = int(message["status"])
                message.setdefault("headers", [])
                message["headers"] = [*message["headers"], (b"x-request-id", rid.encode())]
            await send(message)

        try:
            await self.app(scope, receive, watched)
        finally:
            self.record(scope, route, status, elapsed())
            if self.observe is not None:
                self.observe(route, str(scope.get("method", "")), status)

    @staticmethod
    def record(scope: Scope, route: str, status: int, seconds: float) -> None:
        method = str(scope.get("method", ""))
        ms = round(seconds * 1000)
        user, rid = _user(scope), request_id(scope)
        log.info(
            "%s %s %d %d ms %s %s",
            method,
            route,
            status,
            ms,
            user,
            rid,
            extra={
                "method": method,
                "route": route,
                "status": status,
                "ms": ms,
                "user": user,
                "request_id": rid,
            },
        )
