"""``create_app(app)``: the Starlette application on one composition root (``cycle.bootstrap``).

Middleware order (outermost first): security headers on every answer, the request log (its id
and one line per request, SPEC §19), the last resort (a German
500/503 page with a reference for any exception, ``failures``), the body limit before anything
reads a body, the master data brought up to date (``freshness``), then the login check. The
secret comes from ``[web] secret_env``. At start, partial evidence files that a crash or a full
disk left behind are removed.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import anyio.to_thread
from starlette.applications import Starlette
from starlette.middleware import Middleware
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute, Mount
from starlette.staticfiles import StaticFiles

from cycle import portal
from cycle.bootstrap import App
from cycle.persistence import evidence
from cycle.portal import pages as portal_pages
from cycle.server import health
from cycle.server.secret import secret_of
from cycle.web import (
    auskunft,
    auth,
    outbox,
    overview,
    preview,
    protocol,
    reports,
    sso,
    stammdaten,
    stammdaten_import,
    users,
)
from cycle.web.cycle_page import ROUTES as CYCLE_ROUTES
from cycle.web.group import ROUTES as GROUP_ROUTES
from cycle.web.pages import TEMPLATES as WEB_TEMPLATES
from cycle.web.pages import problem_page
from cycle.web.sessions import RequireLogin
from cycle.web.vn import ROUTES as VN_ROUTES
from cycle.webbase import legal
from cycle.webbase.failures import LastResort, bad_parameter, configure_logging, log
from cycle.webbase.freshness import FreshMasterData
from cycle.webbase.pages import STATIC, Web, environment
from cycle.webbase.params import BadParameter
from cycle.webbase.requestlog import RequestLog
from cycle.webbase.security import BodyLimit, Secret, SecurityHeaders


def problem(request: Request, status: int, title: str, lines: list[str]) -> Response:
    """A German problem page in the style of the site the request is on."""
    if request.url.path.startswith("/portal/"):
        return portal_pages.problem(request, status, title, lines)
    return problem_page(request, status, title, lines)


async def not_found(request: Request, _exc: Exception) -> Response:
    return problem_page(request, 404, "Nicht gefunden", ["Diese Seite gibt es nicht."])


def routes() -> list[BaseRoute]:
    """The pages of the web application and the portal (the health routes come on top)."""
    return [
        *auth.ROUTES,
        *sso.ROUTES,
        *users.ROUTES,
        *overview.ROUTES,
        *CYCLE_ROUTES,
        *GROUP_ROUTES,
        *VN_ROUTES,
        *outbox.ROUTES,
        *preview.ROUTES,
        *protocol.ROUTES,
        *reports.ROUTES,
        *auskunft.ROUTES,
        *legal.ROUTES,  # Datenschutz, Impressum, Barrierefreiheit (SPEC §18), public
        *stammdaten_import.ROUTES,  # /stammdaten/import, /stammdaten/export before …/{art}
        *stammdaten.ROUTES,
        portal.mount(),  # the Träger portal under /portal (SPEC §14)
        Mount("/static", StaticFiles(directory=STATIC), name="static"),
    ]


# Worker threads for database reads. Each holds one pooled connection at a time; kept below
# SQLAlchemy's default pool (5 + 10 overflow), so a burst of requests queues for a thread
# instead of waiting 30 s for a connection and failing with 500 (measured: 20 clients, bench/).
THREADS = 12


@asynccontextmanager
async def lifespan(starlette: Starlette) -> AsyncIterator[None]:
    web: Web = starlette.state.web
    database = web.app.settings.database  # never more threads than pooled connections
    threads = min(THREADS, database.pool_size + database.max_overflow)
    anyio.to_thread.current_default_thread_limiter().total_tokens = threads
    for path in evidence.sweep_partials(web.app.settings.var_dir):  # left by a killed writer
        log.info("unvollständige Nachweisdatei entfernt: %s", path)
    yield


def create_app(app: App) -> Starlette:
    """The web application; refuses (``UsageError``) without the secret key."""
    web = Web(app, Secret(secret_of(app)))
    limit = app.settings.web.upload_max_mb * 1024 * 1024
    metrics = health.Metrics(app) if app.settings.web.metrics else None
    starlette = Starlette(
        routes=[*health.routes(metrics), *routes()],  # health: no session (SPEC §19)
        middleware=[
            Middleware(SecurityHeaders),
            Middleware(RequestLog, observe=metrics.observe if metrics else None),
            Middleware(LastResort),
            Middleware(  # room for the other form fields; a slow body is cut off
                BodyLimit, limit=limit + 64 * 1024, timeout_s=app.settings.web.body_timeout_s
            ),
            Middleware(FreshMasterData, zyklus=app),  # the database's master data (SPEC §16)
            Middleware(RequireLogin, web=web),
        ],
        exception_handlers={404: not_found, BadParameter: bad_parameter},
        lifespan=lifespan,
    )
    starlette.state.web = web
    configure_logging(app.settings.log.format)
    starlette.state.templates = environment(WEB_TEMPLATES)
    starlette.state.problem = problem
    return starlette


def from_environment() -> Starlette:
    """The factory uvicorn calls in each worker process (``zyklus web --workers N``): the config
    path, a frozen clock and the secrets come from the environment ``serve`` prepared."""
    from cycle.bootstrap import bootstrap

    return create_app(bootstrap(None, None))
