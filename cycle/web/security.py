"""Security plumbing of the web application (SPEC §13): headers, body limits, CSRF, cookies.

CSRF: a signed double-submit token. Every browser gets a random ``zyklus_csrf`` cookie
(HttpOnly, SameSite=Lax); forms carry ``HMAC(secret, cookie)`` as the hidden field ``csrftoken``.
A POST whose field does not match its cookie is refused with 403 before anything runs
(``pages.post``). The cookie is renewed at login and logout.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import secrets
from collections.abc import Awaitable, Callable, MutableMapping
from typing import Any

from starlette.datastructures import MutableHeaders
from starlette.requests import Request

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]
ASGIApp = Callable[[Scope, Receive, Send], Awaitable[None]]

SESSION_COOKIE = "zyklus_sitzung"
CSRF_COOKIE = "zyklus_csrf"
FLASH_COOKIE = "zyklus_meldung"
CSRF_FIELD = "csrftoken"

HEADERS = {
    "content-security-policy": (
        "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
        "form-action 'self'; frame-ancestors 'none'; base-uri 'none'; object-src 'none'"
    ),
    "referrer-policy": "same-origin",
    "x-content-type-options": "nosniff",
    "x-frame-options": "DENY",
    "cross-origin-opener-policy": "same-origin",
}


class Secret:
    """The key from ``[web] secret_env``; signs CSRF tokens and flash messages."""

    def __init__(self, key: str) -> None:
        self._key = key.encode()

    def sign(self, purpose: str, value: str) -> str:
        mac = hmac.new(self._key, f"{purpose}:{value}".encode(), hashlib.sha256)
        return mac.hexdigest()

    def csrf_token(self, cookie: str) -> str:
        return self.sign("csrf", cookie)

    def csrf_ok(self, cookie: str | None, token: object) -> bool:
        if not cookie or not isinstance(token, str):
            return False
        return hmac.compare_digest(self.csrf_token(cookie), token)

    def pack(self, message: str) -> str:
        """A flash message as a signed cookie value."""
        text = base64.urlsafe_b64encode(message.encode()).decode()
        return f"{text}.{self.sign('flash', text)}"

    def unpack(self, value: str | None) -> str | None:
        text, _, mac = (value or "").partition(".")
        if not text or not hmac.compare_digest(self.sign("flash", text), mac):
            return None
        try:
            return base64.urlsafe_b64decode(text.encode()).decode()
        except ValueError:
            return None


def new_token() -> str:
    return secrets.token_urlsafe(32)


def csrf_cookie(request: Request) -> str:
    """The browser's CSRF cookie, or a new one (set on the response by ``CsrfCookie``)."""
    value = request.cookies.get(CSRF_COOKIE) or getattr(request.state, "new_csrf", None)
    if not value:
        value = new_token()
        request.state.new_csrf = value
    return str(value)


class SecurityHeaders:
    """Adds the headers of SPEC §13 to every response; HTML pages are not cached."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = MutableHeaders(scope=message)
                for name, value in HEADERS.items():
                    headers.setdefault(name, value)
                if headers.get("content-type", "").startswith("text/html"):
                    headers.setdefault("cache-control", "no-store")
            await send(message)

        await self.app(scope, receive, send_with_headers)


class BodyLimit:
    """Refuses request bodies over ``limit`` bytes (413) before the application reads them.

    A ``Content-Length`` over the limit is refused at once; a body without one (chunked) is
    counted while it streams and cut off when it passes the limit.
    """

    def __init__(self, app: ASGIApp, limit: int) -> None:
        self.app, self.limit = app, limit

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        length = dict(scope.get("headers") or []).get(b"content-length")
        if length is not None and (not length.isdigit() or int(length) > self.limit):
            await _too_large(send, self.limit)
            return
        seen = 0

        async def counted() -> Message:
            nonlocal seen
            message = await receive()
            if message["type"] == "http.request":
                seen += len(message.get("body", b""))
                if seen > self.limit:
                    raise TooLarge()
            return message

        try:
            await self.app(scope, counted, send)
        except TooLarge:
            await _too_large(send, self.limit)


class TooLarge(Exception):
    pass


async def _too_large(send: Send, limit: int) -> None:
    mb = limit // (1024 * 1024)
    body = (
        '<!doctype html><html lang="de"><head><meta charset="utf-8"><title>Datei zu groß – '
        f"zyklus</title></head><body><main><h1>Datei zu groß</h1><p>Die Anfrage ist größer als "
        f"{mb} MB und wurde nicht angenommen; nichts wurde geändert.</p>"
        '<p><a href="/">Zur Übersicht</a></p></main></body></html>'
    )
    await send(
        {
            "type": "http.response.start",
            "status": 413,
            "headers": [(b"content-type", b"text/html; charset=utf-8"), (b"connection", b"close")],
        }
    )
    await send({"type": "http.response.body", "body": body.encode()})
