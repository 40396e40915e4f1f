"""``/portal/`` — Meine Fristen: every stage of the contact's running cycles and what to do."""

from __future__ import annotations

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from cycle.persistence.portal_store import Access
from cycle.portal import cycles
from cycle.portal.pages import page, render
from cycle.webbase.pages import web


async def fristen(request: Request, access: Access) -> Response:
    app = web(request).app
    today = app.today()
    found = await run_in_threadpool(cycles.running, app, access, today)
    return render(
        request, "fristen.html", {"title": "Meine Fristen", "cycles": found, "today": today}
    )


ROUTES = [Route("/", page(fristen), methods=["GET"])]
