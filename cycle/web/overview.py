"""``/`` (Übersicht): the status matrix of SPEC §8 with filters, counts, CSV and XLSX."""

from __future__ import annotations

import threading
from collections import OrderedDict
from dataclasses import dataclass, field
from datetime import date
from urllib.parse import urlencode

from jinja2 import Environment
from markupsafe import Markup
from sqlalchemy import select
from sqlmodel import Session, col
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
from cycle.web.pages import page_tag, problem_page, render, user, zeit_in
from cycle.webbase import etag
from cycle.webbase.downloads import headers as download_headers
from cycle.webbase.pages import Web, web
from cycle.webbase.params import query_number, query_text, query_year

PAGE_SIZE = 100  # pairings per page of the Übersicht (``?seite=``; ``?alle=1`` shows all)


@dataclass(frozen=True)
class Filters:
    year: int
    traeger: str | None
    stadtteil: str | None
    handlungsfeld: str | None
    overdue: bool

    @property
    def query(self) -> str:
        """The filter as a query string (the downloads and the page links carry it)."""
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


@dataclass(frozen=True)
class Found:
    """The whole filtered read model of one data version: every row, the counts, the years."""

    rows: list[CycleRow]
    years: list[int]
    counts: dict[str, int]
    # The body of each page (``_body``), rendered once: it is the same for every user.
    rendered: dict[tuple[int, int], Markup] = field(default_factory=dict)


def tally(rows: list[CycleRow]) -> dict[str, int]:
    """The counts at the top, over every row of the filter (one pass)."""
    overdue = stages_overdue = closed = 0
    for r in rows:
        late = sum(1 for c in r.stages.values() if c.overdue_days > 0)
        overdue += late > 0
        stages_overdue += late
        closed += r.state == "abgeschlossen"
    return {
        "zyklen": len(rows),
        "ueberfaellig": overdue,
        "abgeschlossen": closed,
        "stufen_ueberfaellig": stages_overdue,
    }


# The read model of the last few views (data version, day, filter) of the newest data version:
# staff looking at the same Übersicht share one computation until the next change (the version
# is read first). A view of 10,000 pairings holds ~35 MB; older versions are dropped at once.
_cache: OrderedDict[tuple[object, ...], Found] = OrderedDict()
_cache_lock = threading.Lock()
_computing: dict[tuple[object, ...], threading.Lock] = {}
CACHED = 4


def _compute(session: Session, w: Web, f: Filters, today: date) -> Found:
    found = overview.load(session, w.settings, f.year, today, f.traeger, f.stadtteil, f.overdue)
    # select(…).distinct(): a bare distinct() column made SQLAlchemy warn on every page view
    years = sorted(session.execute(select(col(Cycle.year)).distinct()).scalars())
    if f.handlungsfeld:
        pairings = w.settings.pairings
        found = [
            r
            for r in found
            if r.pairing in pairings and pairings[r.pairing].handlungsfeld == f.handlungsfeld
        ]
    return Found(found, sorted({*years, f.year, today.year}), tally(found))


def load(w: Web, f: Filters, today: date) -> tuple[str, Found]:
    """The data version and the read model of ``f`` at (at least) that version."""
    with reading(w.app.engine) as session:
        current = etag.data_version(session)
        key = (current, today, f, etag.config_tag(w.settings))
        with _cache_lock:
            computing = _computing.setdefault(key, threading.Lock())
        with computing:  # one thread computes, the others asking for the same view wait for it
            with _cache_lock:
                cached = _cache.get(key)
            if cached is None:
                cached = _compute(session, w, f, today)
                with _cache_lock:
                    for old in [k for k in _cache if k[0] != current]:  # never asked again
                        del _cache[old]
                        _computing.pop(old, None)
                    _cache[key] = cached
                    while len(_cache) > CACHED:
                        _computing.pop(_cache.popitem(last=False)[0], None)
        return current, cached


def cell_class(cell: StageCell, today: date) -> str:
    if cell.done:
        return "st-erledigt"
    if cell.overdue_days > 0:
        return "st-ueberfaellig"
    if (cell.due - today).days <= SOON_DAYS:
        return "st-bald"
    return "st-offen"


@dataclass(frozen=True)
class Page:
    """Which rows of ``total`` one page shows: page ``number`` of ``count`` (0: all rows)."""

    number: int
    count: int
    total: int

    @property
    def rows(self) -> slice:
        if not self.number:
            return slice(0, self.total)
        return slice((self.number - 1) * PAGE_SIZE, self.number * PAGE_SIZE)


def page_of(request: Request, total: int) -> Page:
    count = max(1, -(-total // PAGE_SIZE))
    if request.query_params.get("alle") == "1":
        return Page(0, count, total)
    number = query_number(request, "seite", "Seite", 1, 10**9) or 1
    return Page(min(number, count), count, total)


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
    banner = await delivery_banner(w)  # the state of another process: part of the tag
    # The data version is read before anything the page shows: a change meanwhile makes the
    # tag older than the page, never the page older than its tag.
    first = await run_in_threadpool(_version, w)
    asked = request.headers.get("if-none-match")
    if asked and (tag := page_tag(request, first, banner)) and etag.matches(request, tag):
        return etag.not_modified(tag)
    open_years, waiting = await run_in_threadpool(_daily, w, user(request).principal)
    f = filters(request, today, open_years[0] if open_years else None)
    _, found = await run_in_threadpool(load, w, f, today)
    shown = page_of(request, len(found.rows))
    body = await run_in_threadpool(_body, request, w, f, found, shown, today)
    context = {
        **banner,
        "title": f"Übersicht {f.year}",
        "f": f,
        "body": body,
        "waiting": waiting,  # the user's own: not in the shared body
        "open_elsewhere": [y for y in open_years if y != f.year],
    }
    response = render(request, "overview.html", context)
    tag = page_tag(request, first, banner)
    return response if tag is None else etag.tagged(response, tag)


def _body(request: Request, w: Web, f: Filters, found: Found, shown: Page, today: date) -> Markup:
    """Everything below the user's own part, rendered once per read model and page: it is the
    same for every user (no form of it posts; the user's name and CSRF token are in
    ``base.html``, "Wartet auf mich" in ``overview.html``)."""
    key = (shown.number, shown.total)
    cached = found.rendered.get(key)
    if cached is not None:
        return cached
    s = w.settings
    env: Environment = request.app.state.templates
    every = [c for r in found.rows for c in r.stages.values()]
    chart = charts.done_against_due(
        "erledigt-faellig",
        f"Stufen {f.year}: fällig und erledigt je Monat",
        [c.due for c in every],
        [c.done_on for c in every if c.done_on],
        today,
        f.year,
    )
    cached = Markup(
        env.get_template("overview_body.html").render(
            f=f,
            rows=found.rows[shown.rows],
            seite=shown,
            years=found.years,
            counts=found.counts,
            chart=Markup(chart),
            stages=s.stages,
            traeger=sorted((t.id, t.name) for t in s.traeger.values()),
            stadtteile=sorted((t.id, t.name) for t in s.stadtteile.values()),
            handlungsfelder=sorted({p.handlungsfeld for p in s.pairings.values()}),
            today=today,
            cell_class=lambda cell: cell_class(cell, today),
            state_label=lambda state: exports.state_label(s, state),
            zeit=zeit_in(w.app.calendar.timezone),
        )
    )
    found.rendered[key] = cached
    return cached


def _version(w: Web) -> str:
    with reading(w.app.engine) as session:
        return etag.data_version(session)


async def download(request: Request) -> Response:
    if request.path_params["fmt"] not in ("csv", "xlsx"):
        return problem_page(request, 404, "Nicht gefunden", ["Diese Seite gibt es nicht."])
    w = web(request)
    today = w.app.today()
    f = filters(request, today)
    _, found = await run_in_threadpool(load, w, f, today)
    head, body = exports.headers(w.settings), exports.rows(w.settings, found.rows)
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
