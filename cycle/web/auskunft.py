"""``/auskunft`` (SPEC §18, role ``koordinierungsstelle``): an access request under Art. 15
DSGVO answered in the browser — the same ZIP as ``zyklus auskunft`` (``cycle.views.auskunft``),
recorded in the log through the bus. The address travels in the POST body, never in a URL."""

from __future__ import annotations

from starlette.concurrency import run_in_threadpool
from starlette.datastructures import FormData
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from cycle.errors import Forbidden, UserError
from cycle.service import commands as c
from cycle.service import permissions
from cycle.views import auskunft
from cycle.web.pages import handle, post, problem_page, render, user
from cycle.webbase.downloads import headers as download_headers
from cycle.webbase.pages import errors_of, text, web


async def page(request: Request) -> Response:
    try:
        permissions.require_kind(user(request).principal, c.RecordAccessRequest)
    except Forbidden as exc:
        return problem_page(request, 403, "Keine Berechtigung", exc.lines)
    return render(request, "auskunft.html", {"title": "Auskunft (Art. 15 DSGVO)"})


async def answer(request: Request, form: FormData) -> Response:
    address = text(form, "email")
    try:
        done = await handle(request, c.RecordAccessRequest(address))
    except UserError as exc:
        context = {
            "title": "Auskunft (Art. 15 DSGVO)",
            "errors": errors_of(exc, {"email"}),
            "values": {"email": address},
        }
        return render(request, "auskunft.html", context, 400)
    ctx = web(request).app.view_context()
    data, _found = await run_in_threadpool(auskunft.archive, ctx, done.data["email"])
    return Response(data, media_type="application/zip", headers=download_headers("auskunft.zip"))


ROUTES = [
    Route("/auskunft", page, methods=["GET"]),
    Route("/auskunft", post(answer, kind=c.RecordAccessRequest), methods=["POST"]),
]
