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

import anyio
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
        return _same(self.csrf_token(cookie), token)

    def pack(self, message: str) -> str:
        """A flash message as a signed cookie value."""
        text = base64.urlsafe_b64encode(message.encode()).decode()
        return f"{text}.{self.sign('flash', text)}"

    def unpack(self, value: str | None) -> str | None:
        text, _, mac = (value or "").partition(".")
        if not text or not _same(self.sign("flash", text), mac):
            return None
        try:
            return base64.urlsafe_b64decode(text.encode()).decode()
        except ValueError:
            return None


def _same(expected: str, given: str) -> bool:
    """Constant-time comparison; ``compare_digest`` raises on non-ASCII ``str``, so compare
    bytes (a forged token with an umlaut is just wrong, not an error)."""
    return hmac.compare_digest(expected.encode(), given.encode("utf-8", "replace"))


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
    """Bounds a request body in size (413) and in time (408) before the application reads it.

    A ``Content-Length`` over ``limit`` is refused at once; a body without one (chunked) is
    counted while it streams and cut off when it passes the limit. The whole body must arrive
    within ``timeout_s`` seconds of the request (``[web] body_timeout_s``): a client that sends
    it slowly is cut off instead of holding a connection and a worker. Once the body is in,
    ``receive`` is passed through untouched (it then only reports a disconnect).
    """

    def __init__(self, app: ASGIApp, limit: int, timeout_s: float = 30) -> None:
        self.app, self.limit, self.timeout_s = app, limit, timeout_s

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        length = dict(scope.get("headers") or []).get(b"content-length")
        if length is not None and (not length.isdigit() or int(length) > self.limit):
            await _refuse(send, 413, *_too_large(self.limit))
            return
        seen, complete, started = 0, False, False
        deadline = anyio.current_time() + self.timeout_s

        async def counted() -> Message:
            nonlocal seen, complete
            if complete:
                return await receive()
            with anyio.move_on_after(deadline - anyio.current_time()):
                message = await receive()
                if message["type"] == "http.request":
                    seen += len(message.get("body", b""))
                    complete = not message.get("more_body", False)
                    if seen > self.limit:
                        raise TooLarge()
                return message
            raise TooSlow()

        async def watched(message: Message) -> None:
            nonlocal started
            started = started or message["type"] == "http.response.start"
            await send(message)

        try:
            await self.app(scope, counted, watched)
        except TooLarge:
            if not started:
                await _refuse(send, 413, *_too_large(self.limit))
        except TooSlow:
            if not started:
                await _refuse(send, 408, *_too_slow(self.timeout_s))


class TooLarge(Exception):
    pass


class TooSlow(Exception):
    pass


def _too_large(limit: int) -> tuple[str, str]:
    mb = limit // (1024 * 1024)
    return "Datei zu groß", f"Die Anfrage ist größer als {mb} MB und wurde nicht angenommen"


def _too_slow(timeout_s: float) -> tuple[str, str]:
    return (
        "Zeitüberschreitung",
        f"Die Anfrage kam nicht innerhalb von {timeout_s:g} Sekunden vollständig an "
        "(langsame Verbindung?) und wurde abgebrochen",
    )


# The footer of the last-resort pages (the templates include ``_fuss.html``): SPEC §18.
FOOTER_HTML = (
    '<footer><a href="/datenschutz">Datenschutz</a> · <a href="/impressum">Impressum</a> · '
    '<a href="/barrierefreiheit">Barrierefreiheit</a></footer>'
)


async def _refuse(send: Send, status: int, title: str, text: str) -> None:
    """A small German page that closes the connection (the rest of the body stays unread)."""
    body = (
        f'<!doctype html><html lang="de"><head><meta charset="utf-8"><title>{title} – '
        f"zyklus</title></head><body><main><h1>{title}</h1><p>{text}; nichts wurde "
        'geändert.</p><p><a href="/">Zur Übersicht</a></p></main>'
        f"{FOOTER_HTML}</body></html>"
    )
    data = body.encode()
    headers = [
        (b"content-type", b"text/html; charset=utf-8"),
        (b"content-length", str(len(data)).encode()),
        (b"connection", b"close"),
    ]
    await send({"type": "http.response.start", "status": status, "headers": headers})
    await send({"type": "http.response.body", "body": data})
