"""``/portal/kalender``: a private iCalendar feed of the contact's deadlines and meetings.

The feed URL carries its own token (no cookie: calendar programs subscribe without a login):
``/portal/kalender/<token>.ics``. Only the token's hash is stored, so the address is shown once,
when the contact makes it; making a new one ends the old one, and ``zyklus portal revoke``
ends it too (the feed then answers 404).
"""

from __future__ import annotations

from starlette.concurrency import run_in_threadpool
from starlette.datastructures import FormData
from starlette.requests import Request
from starlette.responses import PlainTextResponse, Response
from starlette.routing import Route

from cycle.bootstrap import App
from cycle.persistence import portal_store
from cycle.persistence.portal_store import Access
from cycle.persistence.uow import reading
from cycle.portal.pages import form, handle, page, render
from cycle.service.access import FeedMade, expect
from cycle.service.commands import NewCalendarFeed
from cycle.views.calendar_export import load_entries
from cycle.webbase.pages import Web, web
from notifications import ics
from notifications.ics import CalendarEntry


async def show(request: Request, _access: Access) -> Response:
    return render(request, "kalender.html", {"title": "Kalender", "feed": None})


async def create(request: Request, access: Access, _form: FormData) -> Response:
    url = expect(await handle(request, access, NewCalendarFeed()), FeedMade).url
    return render(request, "kalender.html", {"title": "Kalender", "feed": url})


def entries(app: App, access: Access) -> list[CalendarEntry]:
    """Every deadline and meeting of the contact's pairings (each UID once)."""
    found: dict[str, CalendarEntry] = {}
    ctx = app.view_context()
    for pairing in sorted(access.pairings):
        for entry in load_entries(ctx, pairing, None):
            found.setdefault(entry.uid, entry)
    return list(found.values())


def _feed(w: Web, token: str) -> bytes | None:
    with reading(w.app.engine) as session:
        access = portal_store.feed_access(session, w.settings, token, w.app.clock.now())
    if access is None:
        return None
    name = "Qualitätszyklus Stadtteilarbeit – " + ", ".join(
        w.settings.stadtteile[w.settings.pairings[p].stadtteil].name
        for p in sorted(access.pairings)
    )
    return ics.export(entries(w.app, access), name, now=w.app.clock.now())


async def feed(request: Request) -> Response:
    data = await run_in_threadpool(_feed, web(request), request.path_params["token"])
    if data is None:
        return PlainTextResponse("Nicht gefunden.", status_code=404)
    return Response(data, media_type="text/calendar; charset=utf-8")


ROUTES = [
    Route("/kalender", page(show), methods=["GET"]),
    Route("/kalender", form(create), methods=["POST"]),
    Route("/kalender/{token}.ics", feed, methods=["GET"]),
]
