"""``/`` (Übersicht): the status matrix of SPEC §8 with filters, counts, CSV and XLSX."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from markupsafe import Markup
from sqlalchemy import distinct, select
from sqlmodel import col
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from cycle.persistence.tables import Cycle
from cycle.persistence.uow import reading
from cycle.service.principal import Principal
from cycle.views import charts, daily, overview
from cycle.views.overview import SOON_DAYS, CycleRow, StageCell
from cycle.web import daily as daily_web
from cycle.web import exports
from cycle.web.outbox import delivery_banner
from cycle.web.pages import problem_page, render, user
from cycle.webbase.downloads import headers as download_headers
from cycle.webbase.pages import Web, web
from cycle.webbase.params import query_text, query_year


@dataclass(frozen=True)
class Filters:
    year: int
    traeger: str | None
    stadtteil: str | None
    handlungsfeld: str | None
    overdue: bool

    @property
    def query(self) -> str:
        from urllib.parse import urlencode

        pairs = {"jahr": self.year, "traeger": self.traeger, "stadtteil": self.stadtteil}
        pairs |= {
            "handlungsfeld": self.handlungsfeld,
            "ueberfaellig": "1" if self.overdue else None,
        }
        return urlencode({k: v for k, v in pairs.items() if v})


def filters(request: Request, today: date, first_open: int | None = None) -> Filters:
    """The filters of the query; without a year, the oldest year with open work (or this one)."""
    return Filters(
        query_year(request) or first_open or today.year,
        query_text(request, "traeger", "Träger"),
        query_text(request, "stadtteil", "Stadtteil"),
        query_text(request, "handlungsfeld", "Handlungsfeld"),
        request.query_params.get("ueberfaellig") == "1",
    )


def load(w: Web, f: Filters, today: date) -> tuple[list[CycleRow], list[int]]:
    with reading(w.app.engine) as session:
        found = overview.load(session, w.settings, f.year, today, f.traeger, f.stadtteil, f.overdue)
        years = sorted(session.execute(select(distinct(col(Cycle.year)))).scalars())
    if f.handlungsfeld:
        pairings = w.settings.pairings
        found = [
            r
            for r in found
            if r.pairing in pairings and pairings[r.pairing].handlungsfeld == f.handlungsfeld
        ]
    return found, sorted({*years, f.year, today.year})


def cell_class(cell: StageCell, today: date) -> str:
    if cell.done:
        return "st-erledigt"
    if cell.overdue_days > 0:
        return "st-ueberfaellig"
    if (cell.due - today).days <= SOON_DAYS:
        return "st-bald"
    return "st-offen"


def _daily(w: Web, who: Principal) -> tuple[list[int], list[daily_web.Item]]:
    s = w.settings
    with reading(w.app.engine) as session:
        years = daily.open_years(session)
        found = daily.waiting_for(
            session, daily_web.steps_of(s, who), daily_web.meetings_of(s, who)
        )
    return years, daily_web.items(s, found)


async def page(request: Request) -> Response:
    w = web(request)
    today = w.app.today()
    open_years, waiting = await run_in_threadpool(_daily, w, user(request).principal)
    f = filters(request, today, open_years[0] if open_years else None)
    rows, years = await run_in_threadpool(load, w, f, today)
    counts = {
        "zyklen": len(rows),
        "ueberfaellig": sum(1 for r in rows if r.overdue),
        "abgeschlossen": sum(1 for r in rows if r.state == "abgeschlossen"),
        "stufen_ueberfaellig": sum(
            1 for r in rows for c in r.stages.values() if c.overdue_days > 0
        ),
    }
    s = w.settings
    context = {
        **await delivery_banner(w),
        "title": f"Übersicht {f.year}",
        "f": f,
        "rows": rows,
        "years": years,
        "counts": counts,
        "stages": s.stages,
        "traeger": sorted((t.id, t.name) for t in s.traeger.values()),
        "stadtteile": sorted((t.id, t.name) for t in s.stadtteile.values()),
        "handlungsfelder": sorted({p.handlungsfeld for p in s.pairings.values()}),
        "cell_class": lambda cell: cell_class(cell, today),
        "state_label": lambda state: exports.state_label(s, state),
        "today": today,
        "open_elsewhere": [y for y in open_years if y != f.year],
        "chart": Markup(
            charts.done_against_due(
                "erledigt-faellig",
                f"Stufen {f.year}: fällig und erledigt je Monat",
                [c.due for r in rows for c in r.stages.values()],
                [c.done_on for r in rows for c in r.stages.values() if c.done_on],
                today,
                f.year,
            )
        ),
        "waiting": waiting,
    }
    return render(request, "overview.html", context)


async def download(request: Request) -> Response:
    if request.path_params["fmt"] not in ("csv", "xlsx"):
        return problem_page(request, 404, "Nicht gefunden", ["Diese Seite gibt es nicht."])
    w = web(request)
    today = w.app.today()
    f = filters(request, today)
    rows, _ = await run_in_threadpool(load, w, f, today)
    head, body = exports.headers(w.settings), exports.rows(w.settings, rows)
    name = f"uebersicht-{f.year}"
    if request.path_params["fmt"] == "xlsx":
        data = await run_in_threadpool(exports.to_xlsx, head, body, f"Übersicht {f.year}")
        media = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    else:
        data, media = exports.to_csv(head, body), "text/csv; charset=utf-8"
    headers = download_headers(f"{name}.{request.path_params['fmt']}")
    return Response(data, media_type=media, headers=headers)


ROUTES = [
    Route("/", page, methods=["GET"]),
    Route("/uebersicht.{fmt:str}", download, methods=["GET"]),
]
