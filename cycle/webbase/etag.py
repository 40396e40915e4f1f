"""Conditional GET for pages: ``ETag`` and ``If-None-Match`` → 304, keyed by the data version.

A page's tag is a hash of everything its HTML depends on: the page and its query, the **data
version** of the database, the day (overdue counts move at midnight), who asks (id, login, name,
role), the browser's CSRF cookie (the forms carry a token derived from it) and the running
configuration (stage names, master data, labels).

**The data version is the audit head** (its count and hash, one row read by primary key). Every
change of a stage, a cycle, master data, an account, a portal reply or a message's delivery
outcome commits together with its audit entry (the project's rule, docs/architecture.md), so the
head moves with every change the tagged pages show. Delivery bookkeeping without an audit entry
(a claim's lease, the hand-over to the server, a deferral) changes nothing they show: ``pending``
and ``ungewiss`` both read "ausstehend". A page that shows anything else (a clock, the state of
another process) must add it to its tag (``extra``) or not be tagged.

The version is read **before** the page's data: the data is then at least as new as its tag, so
a 304 never keeps a browser on a page older than the database it was tagged with.
Tagged answers say ``Cache-Control: private, no-cache``: kept by the browser only, asked again
every time.
"""

from __future__ import annotations

import hashlib
import threading
from typing import TYPE_CHECKING

from sqlalchemy import column, select, table
from starlette.requests import Request
from starlette.responses import Response

if TYPE_CHECKING:
    from sqlalchemy.orm import Session

    from cycle.config.settings import Settings

CACHE_CONTROL = "private, no-cache"
_HEAD = table("audit_head", column("id"), column("count"), column("hash"))
_configs: dict[int, tuple[object, str]] = {}
_lock = threading.Lock()


def data_version(session: Session) -> str:
    """The audit head as ``count:hash`` (``0:`` before the first entry)."""
    found = session.execute(select(_HEAD.c.count, _HEAD.c.hash).where(_HEAD.c.id == 1)).first()
    return "0:" if found is None else f"{found[0]}:{found[1]}"


def config_tag(settings: Settings) -> str:
    """A hash of the loaded configuration, once per settings object (``repr`` is stable)."""
    with _lock:
        cached = _configs.get(id(settings))
        if cached is not None and cached[0] is settings:
            return cached[1]
    digest = hashlib.sha256(repr(settings).encode()).hexdigest()[:16]
    with _lock:
        _configs[id(settings)] = (settings, digest)
    return digest


def tag(*parts: object) -> str:
    """A weak entity tag over ``parts`` (the page is equivalent, not byte-compared)."""
    digest = hashlib.sha256("\x1f".join(map(str, parts)).encode()).hexdigest()[:32]
    return f'W/"{digest}"'


def _opaque(value: str) -> str:
    value = value.strip()
    return value[2:] if value.startswith("W/") else value


def matches(request: Request, etag: str) -> bool:
    """``If-None-Match`` names ``etag`` (weak comparison, RFC 9110 §13.1.2) or is ``*``."""
    header = request.headers.get("if-none-match")
    if not header:
        return False
    wanted = _opaque(etag)
    return any(v.strip() == "*" or _opaque(v) == wanted for v in header.split(","))


def not_modified(etag: str) -> Response:
    return Response(status_code=304, headers={"etag": etag, "cache-control": CACHE_CONTROL})


def tagged(response: Response, etag: str) -> Response:
    response.headers["etag"] = etag
    response.headers["cache-control"] = CACHE_CONTROL
    return response
