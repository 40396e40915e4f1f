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
from cycle.documents import (
    buendelung_markdown,
    skeleton_docx,
    skeleton_markdown,
    verwendungsnachweis_html,
    verwendungsnachweis_markdown,
    verwendungsnachweis_pdf,
)
from cycle.errors import UserError
from cycle.views import calendar_export
from cycle.views.reports import buendelung_data, jahresbericht_data, submitted_proof
from cycle.web.downloads import headers as download_headers
from cycle.web.pages import problem_page, render, web
from cycle.web.params import query_choice, query_year
from notifications import ics

MEDIA = {
    "md": "text/markdown; charset=utf-8",
    "html": "text/html; charset=utf-8",
    "pdf": "application/pdf",
    "docx": "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
    "ics": "text/calendar; charset=utf-8",
}


async def page(request: Request) -> Response:
    w = web(request)
    s = w.settings
    year = query_year(request) or w.app.today().year
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


def _build(app: App, kind: str, fmt: str, pairing: str, year: int | None) -> bytes:
    if kind == "jahresbericht" and year and fmt in ("md", "docx"):
        data = jahresbericht_data(app, pairing, year)
        return skeleton_docx(data) if fmt == "docx" else skeleton_markdown(data).encode()
    if kind == "verwendungsnachweis" and year and fmt in ("md", "html", "pdf"):
        doc = submitted_proof(app, pairing, year)
        if fmt == "pdf":
            return verwendungsnachweis_pdf(doc)
        render_text = verwendungsnachweis_html if fmt == "html" else verwendungsnachweis_markdown
        return render_text(doc).encode()
    if kind == "buendelung" and year and fmt == "md":
        return buendelung_markdown(buendelung_data(app, year, pairing or None)).encode()
    if kind == "kalender" and fmt == "ics":
        entries = calendar_export.load_entries(app, pairing or None, year)
        name = f"Qualitätszyklus {pairing or 'alle Partnerschaften'}" + (f" {year}" if year else "")
        return ics.export(entries, name, now=app.now())
    raise KeyError(kind)


async def download(request: Request) -> Response:
    w, q = web(request), request.query_params
    kind = str(request.path_params["kind"])
    fmt = query_choice(request, "format", "Format", MEDIA) or (
        "ics" if kind == "kalender" else "md"
    )
    # For the Bündelung, ``pairing`` names a Handlungsfeld (the report's filter).
    known = (
        {p.handlungsfeld for p in w.settings.pairings.values()}
        if kind == "buendelung"
        else w.settings.pairings
    )
    if q.get("pairing") and q["pairing"] not in known:
        return problem_page(request, 404, "Nicht gefunden", ["Diese Partnerschaft gibt es nicht."])
    pairing, year = q.get("pairing", ""), query_year(request)
    build: Callable[[], bytes] = lambda: _build(w.app, kind, fmt, pairing, year)  # noqa: E731
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
