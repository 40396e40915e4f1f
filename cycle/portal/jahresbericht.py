"""``/portal/jahresbericht``: the prefilled skeleton (DOCX) and the upload of the report.

The upload is a ``Submit`` through the bus as the contact: the outline check of SPEC §10 runs
at once; a report with gaps is refused with every missing or empty section listed and nothing
is stored (the portal offers no "submit anyway" — that stays with the Koordinierungsstelle).
"""

from __future__ import annotations

from pathlib import PurePath

from starlette.concurrency import run_in_threadpool
from starlette.datastructures import FormData, UploadFile
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from cycle.documents import skeleton_docx
from cycle.errors import UserError
from cycle.persistence.portal_store import Access
from cycle.portal import cycles
from cycle.portal.pages import form, handle, not_found, page, render
from cycle.service import commands as c
from cycle.views.reports import jahresbericht_data
from cycle.webbase.downloads import headers as download_headers
from cycle.webbase.pages import done, web
from workflows.stages import StageType

FORMATS = (".docx", ".md", ".pdf")
DOCX = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"


async def overview(request: Request, access: Access) -> Response:
    app = web(request).app
    found = await run_in_threadpool(cycles.running, app, access, app.today())
    rows = [(v, v.stage_of(StageType.REPORT)) for v in found]
    context = {"title": "Jahresbericht", "rows": [(v, s) for v, s in rows if s is not None]}
    return render(request, "jahresbericht_liste.html", context)


async def _cycle(request: Request, access: Access) -> cycles.CycleView | None:
    app = web(request).app
    pairing, year = request.path_params["pairing"], request.path_params["year"]
    return await run_in_threadpool(cycles.one, app, access, pairing, year, app.today())


def _page(
    request: Request, view: cycles.CycleView, context: dict[str, object], status: int = 200
) -> Response:
    stage = view.stage_of(StageType.REPORT)
    if stage is None:
        return not_found(request)
    base = {
        "title": f"Jahresbericht {view.year} {view.stadtteil}",
        "v": view,
        "s": stage,
    }
    return render(request, "jahresbericht.html", {**base, **context}, status)


async def show(request: Request, access: Access) -> Response:
    view = await _cycle(request, access)
    return not_found(request) if view is None else _page(request, view, {})


async def skeleton(request: Request, access: Access) -> Response:
    view = await _cycle(request, access)
    if view is None:
        return not_found(request)
    ctx = web(request).app.view_context()
    data = await run_in_threadpool(jahresbericht_data, ctx, view.pairing.id, view.year)
    name = f"jahresbericht-{view.pairing.id}-{view.year}.docx"
    return Response(skeleton_docx(data), media_type=DOCX, headers=download_headers(name))


async def upload(request: Request, access: Access, data: FormData) -> Response:
    view = await _cycle(request, access)
    if view is None:
        return not_found(request)
    stage = view.stage_of(StageType.REPORT)
    if stage is None:
        return not_found(request)
    file = data.get("bericht")
    if not isinstance(file, UploadFile) or not file.filename:
        return _page(request, view, {"errors": {"bericht": ["Bitte eine Datei auswählen."]}}, 400)
    name = PurePath(file.filename.replace("\\", "/")).name
    if PurePath(name).suffix.lower() not in FORMATS:
        message = f"{name}: Bitte als Word (.docx), Markdown (.md) oder PDF (.pdf) hochladen."
        return _page(request, view, {"errors": {"bericht": [message]}}, 400)
    command = c.Submit(
        view.pairing.id, view.year, stage.spec.id, upload=c.Upload(name, await file.read())
    )
    try:
        outcome = await handle(request, access, command)
    except UserError as exc:
        # The portal offers no "submit anyway": the hint to use it becomes one to fill the gaps.
        lines = [p.message for p in exc.problems if p.code != "luecken"]
        if any(p.code == "abschnitt_fehlt" for p in exc.problems):
            lines.append(
                "Bitte ergänzen Sie diese Abschnitte und laden Sie den Bericht erneut hoch."
            )
        return _page(request, view, {"errors": {"bericht": lines}, "refused": True}, 422)
    notes = " ".join(n.message for n in outcome.notes)
    message = (
        f"Jahresbericht {view.year} eingereicht; eine Eingangsbestätigung ist unterwegs. {notes}"
    )
    return done(request, request.url.path, message.strip())


ROUTES = [
    Route("/jahresbericht", page(overview), methods=["GET"]),
    Route("/jahresbericht/{pairing}/{year:jahr}", page(show), methods=["GET"]),
    Route(
        "/jahresbericht/{pairing}/{year:jahr}",
        form(upload, files=1, kind=c.Submit),
        methods=["POST"],
    ),
    Route("/jahresbericht/{pairing}/{year:jahr}/vorlage.docx", page(skeleton), methods=["GET"]),
]
