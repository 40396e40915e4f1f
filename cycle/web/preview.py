"""``/vorschau``: the mails of the coming weeks, by day (the simulation engine, nothing sent)."""

from __future__ import annotations

from datetime import timedelta
from itertools import groupby
from typing import Any

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from cycle.simulation.simulate import simulate
from cycle.views import labels
from cycle.web.pages import render
from cycle.webbase.pages import web
from cycle.webbase.params import query_number


async def page(request: Request) -> Response:
    w = web(request)
    weeks = query_number(request, "wochen", "Wochen", 1, 12) or 4
    start = w.app.today()
    end = start + timedelta(weeks=weeks) - timedelta(days=1)
    rows: list[dict[str, Any]] = await run_in_threadpool(simulate, w.app, start, end, [])
    days = [
        (f"{day[8:10]}.{day[5:7]}.{day[0:4]}", list(items))
        for day, items in groupby(rows, key=lambda r: str(r["at"])[:10])
    ]
    context = {
        "title": "Vorschau",
        "weeks": weeks,
        "start": start,
        "end": end,
        "days": days,
        "total": len(rows),
        "kinds": labels.KIND_LABELS,
    }
    return render(request, "preview.html", context)


ROUTES = [Route("/vorschau", page, methods=["GET"])]
