"""The last resort: no request ends in a plain 500 (SPEC §13, §14).

``LastResort`` wraps the application inside ``SecurityHeaders``, so whatever it answers carries
the security headers. An exception no route handled becomes a German page with a reference
number — the request's id (``R-`` and eight hex digits, ``requestlog``); the same number stands
in the log line that carries the traceback and in the request's own log line, so an operator
finds the cause from what the user reports. A database that refuses writes (read-only file or
file system, full disk, a lock held too long) or a full or read-only disk under the evidence
store is no programming error: the answer is 503 "vorübergehend nicht möglich". The unit of work
has rolled back and the evidence store removed its partial file by then, so nothing is
half-written.

``bad_parameter`` answers a ``BadParameter`` (``cycle.webbase.params``) with 400 and the field.
"""

from __future__ import annotations

import errno
import logging
import re
import sqlite3
from collections.abc import Callable, Iterator

from starlette.requests import Request
from starlette.responses import HTMLResponse, Response

from cycle.logs import to_stderr
from cycle.webbase.params import BadParameter
from cycle.webbase.requestlog import request_id
from cycle.webbase.security import FOOTER_HTML, ASGIApp, Message, Receive, Scope, Send

log = logging.getLogger("zyklus.web")

_UNAVAILABLE_TEXT = (
    "readonly database",
    "read-only",
    "disk i/o error",
    "database or disk is full",
    "database is locked",
    "unable to open database file",
)
_UNAVAILABLE_ERRNO = {errno.ENOSPC, errno.EROFS, errno.EDQUOT, errno.EIO}
# PostgreSQL: 25006 read_only_sql_transaction, class 53 insufficient resources (disk full, …),
# 55P03 lock_not_available ([database] lock_timeout_s ran out).
_UNAVAILABLE_SQLSTATE = re.compile(r"25006|53...|55P03")
_TOKEN_PATH = re.compile(r"^/portal/(anmelden|kalender)/[^/]+")


def _chain(exc: BaseException) -> Iterator[BaseException]:
    """``exc``, its causes and contexts, the driver errors SQLAlchemy wraps, group members."""
    seen: set[int] = set()
    todo = [exc]
    while todo:
        current = todo.pop()
        if id(current) in seen:
            continue
        seen.add(id(current))
        yield current
        todo += [e for e in (current.__cause__, current.__context__) if e is not None]
        orig = getattr(current, "orig", None)
        if isinstance(orig, BaseException):
            todo.append(orig)
        if isinstance(current, BaseExceptionGroup):
            todo += list(current.exceptions)


def unavailable(exc: BaseException) -> bool:
    """The storage refused the write for now (read-only, full, locked): 503, not a bug."""
    for e in _chain(exc):
        if isinstance(e, sqlite3.OperationalError) and any(
            t in str(e).lower() for t in _UNAVAILABLE_TEXT
        ):
            return True
        if isinstance(e, OSError) and e.errno in _UNAVAILABLE_ERRNO:
            return True
        sqlstate = getattr(e, "sqlstate", None)
        if isinstance(sqlstate, str) and _UNAVAILABLE_SQLSTATE.fullmatch(sqlstate):
            return True
    return False


def safe_path(path: str) -> str:
    """The path for the log, without a portal token in it."""
    return _TOKEN_PATH.sub(r"/portal/\1/…", path)


def _page(request: Request, status: int, title: str, lines: list[str]) -> Response:
    """The site's own problem page (``app.state.problem``, set by ``cycle.server.app``)."""
    page: Callable[[Request, int, str, list[str]], Response] = request.app.state.problem
    return page(request, status, title, lines)


def failure_page(request: Request, status: int, ref: str) -> Response:
    """The German 500 or 503 page; a plain one if even the templates fail."""
    if status == 503:
        title = "Vorübergehend nicht möglich"
        lines = [
            "Die Anfrage ist vorübergehend nicht möglich: die Datenbank nimmt gerade keine "
            "Änderungen an (schreibgeschützt oder Speicherplatz erschöpft). Ihre Eingabe wurde "
            "nicht gespeichert, nichts wurde geändert. Bitte versuchen Sie es später erneut.",
            f"Referenz für den Betrieb: {ref}",
        ]
    else:
        title = "Interner Fehler"
        lines = [
            "Bei dieser Anfrage ist ein unerwarteter Fehler aufgetreten.",
            f"Bitte nennen Sie dem Betrieb die Referenz {ref}; unter ihr steht der Fehler im "
            "Protokoll des Servers.",
        ]
    try:
        response = _page(request, status, title, lines)
    except Exception:
        body = "".join(f"<p>{line}</p>" for line in lines)
        response = HTMLResponse(
            f'<!doctype html><html lang="de"><head><meta charset="utf-8"><title>{title} – '
            f"zyklus</title></head><body><main><h1>{title}</h1>{body}</main>{FOOTER_HTML}"
            "</body></html>",
            status_code=status,
        )
    if status == 503:
        response.headers["retry-after"] = "60"
    return response


async def bad_parameter(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, BadParameter)
    return _page(request, 400, "Ungültige Angabe", [f"{exc.field}: {exc.message}"])


class LastResort:
    """Answers any exception that escaped the routes with a German 500 or 503 page."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = False

        async def watched(message: Message) -> None:
            nonlocal started
            started = started or message["type"] == "http.response.start"
            await send(message)

        try:
            await self.app(scope, receive, watched)
        except Exception as exc:
            ref, status = request_id(scope), 503 if unavailable(exc) else 500
            log.error(
                "Fehler %s: %s %s → %d",
                ref,
                scope.get("method", ""),
                safe_path(str(scope.get("path", ""))),
                status,
                exc_info=exc,
            )
            if not started:
                await failure_page(Request(scope), status, ref)(scope, receive, send)


def configure_logging(fmt: str = "text") -> None:
    """Errors of the web application (with their reference and traceback) and one line per
    request to stderr, in ``[log] format``."""
    to_stderr(log, "zyklus web", fmt)
    to_stderr(logging.getLogger("zyklus.web.request"), "zyklus web", fmt)
