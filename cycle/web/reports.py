"""``/berichte``: every report of SPEC §10 and the calendar as downloads.

The documents are built by the same functions as ``zyklus report`` and ``zyklus calendar``
(``cycle.views.reports``, ``cycle.views.calendar_export``, ``cycle.documents``).
"""

from __future__ import annotations

from collections.abc import Callable

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from cycle.bootstrap import App
from cycle.errors import UserError
from cycle.persistence.uow import reading
from cycle.views import calendar_export, daily, pruefakte, reports
from cycle.views.context import ViewContext
from cycle.web.pages import problem_page, render
from cycle.webbase.downloads import headers as download_headers
from cycle.webbase.pages import web
from cycle.webbase.params import query_choice, query_year

MEDIA = {
    "md": "text/markdown; charset=utf-8",
    "html": "text/html; charset=utf-8",
    "pdf": "application/pdf",
    "docx": "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
    "ics": "text/calendar; charset=utf-8",
    "zip": "application/zip",
}


async def page(request: Request) -> Response:
    w = web(request)
    s = w.settings
    # Without a year, the oldest with open work, as the Übersicht opens (June 2027: the 2026
    # cycles, whose Verwendungsnachweise are being written)
    year = query_year(request) or await run_in_threadpool(_default_year, w.app)
    pairings = [
        (pid, s.stadtteile[p.stadtteil].name, s.traeger[p.traeger].name)
        for pid, p in sorted(s.pairings.items())
    ]
    context = {
        "title": "Berichte",
        "year": year,
        "pairings": pairings,
        "handlungsfelder": sorted({p.handlungsfeld for p in s.pairings.values()}),
    }
    return render(request, "reports.html", context)


def _default_year(app: App) -> int:
    with reading(app.engine) as session:
        years = daily.open_years(session)
    return years[0] if years else app.today().year


# The formats each report offers for download: every document ``zyklus report`` and
# ``zyklus calendar`` make, built by the same view functions.
FORMATS = {
    "jahresbericht": ("md", "docx", "pdf"),
    "verwendungsnachweis": ("md", "html", "pdf", "docx"),
    "buendelung": ("md", "docx", "pdf"),
    "kalender": ("ics",),
    "abschlussnachweis": ("pdf",),
    "pruefakte": ("zip",),
}
PER_PAIRING = frozenset({"jahresbericht", "verwendungsnachweis", "abschlussnachweis", "pruefakte"})


def _build(ctx: ViewContext, kind: str, fmt: str, pairing: str, year: int | None) -> bytes:
    if fmt not in FORMATS.get(kind, ()) or (kind != "kalender" and not year):
        raise KeyError(kind)
    if kind == "kalender":
        return calendar_export.calendar(ctx, pairing or None, year)[0]
    assert year is not None
    if kind in PER_PAIRING and not pairing:
        raise KeyError(kind)
    if kind == "pruefakte":
        return pruefakte.archive(ctx, pairing, year)[0]
    if kind == "abschlussnachweis":
        return pruefakte.abschluss_pdf(ctx, pairing, year)
    if kind == "buendelung":
        data = reports.buendelung(ctx, year, pairing or None, fmt)
    elif kind == "jahresbericht":
        data = reports.jahresbericht(ctx, pairing, year, fmt)
    else:
        data = reports.verwendungsnachweis(ctx, pairing, year, fmt)
    return data.encode() if isinstance(data, str) else data


async def download(request: Request) -> Response:
    w, q = web(request), request.query_params
    kind = str(request.path_params["kind"])
    fmt = query_choice(request, "format", "Format", MEDIA) or FORMATS.get(kind, ("md",))[0]
    # For the Bündelung, ``pairing`` names a Handlungsfeld (the report's filter).
    known = (
        {p.handlungsfeld for p in w.settings.pairings.values()}
        if kind == "buendelung"
        else w.settings.pairings
    )
    if q.get("pairing") and q["pairing"] not in known:
        return problem_page(request, 404, "Nicht gefunden", ["Diese Partnerschaft gibt es nicht."])
    pairing, year = q.get("pairing", ""), query_year(request)
    build: Callable[[], bytes] = lambda: _build(w.app.view_context(), kind, fmt, pairing, year)  # noqa: E731
    try:
        data = await run_in_threadpool(build)
    except KeyError:
        return problem_page(request, 404, "Nicht gefunden", ["Diesen Bericht gibt es nicht."])
    except UserError as exc:
        return problem_page(request, 409, "Bericht nicht verfügbar", exc.lines)
    stem = "-".join(str(p) for p in (kind, pairing, year) if p)
    return Response(data, media_type=MEDIA[fmt], headers=download_headers(f"{stem}.{fmt}"))


ROUTES = [
    Route("/berichte", page, methods=["GET"]),
    Route("/berichte/{kind}", download, methods=["GET"]),
]
