"""``/portal/termine``: confirm a scheduled meeting or propose up to three other dates.

Both are commands through the bus (``ConfirmMeeting``, ``ProposeDates``) with the contact as
principal; the coordinator sees the answers (``cycle.views.meeting_replies``).
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from starlette.concurrency import run_in_threadpool
from starlette.datastructures import FormData
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from cycle.clock import parse_instant
from cycle.errors import UserError
from cycle.persistence.portal_store import Access
from cycle.persistence.uow import reading
from cycle.portal import cycles
from cycle.portal.pages import form, handle, not_found, page, render
from cycle.service import commands as c
from cycle.views.meeting_replies import Reply, meeting_replies
from cycle.webbase.downloads import headers as download_headers
from cycle.webbase.pages import done, text, web
from workflows.stages import StageType

MEETINGS = (StageType.MEETING, StageType.GROUP_MEETING)
SLOTS = 3


def _load(request: Request, access: Access) -> list[dict[str, Any]]:
    app = web(request).app
    items = []
    views = cycles.running(app, access, app.today())
    with reading(app.engine) as session:
        replies = {
            (v.pairing.id, v.year): meeting_replies(session, v.pairing.id, v.year) for v in views
        }
    for v in views:
        for s in v.stages:
            if s.spec.type in MEETINGS and not s.done and v.ended_on is None:
                mine: list[Reply] = [
                    r for r in replies[(v.pairing.id, v.year)] if r.stage_id == s.spec.id
                ]
                items.append({"v": v, "s": s, "replies": mine})
    return items


def _page(
    request: Request,
    items: list[dict[str, Any]],
    form_id: str | None = None,
    errors: dict[str | None, list[str]] | None = None,
    values: dict[str, str] | None = None,
    status: int = 200,
) -> Response:
    context = {
        "title": "Termine",
        "items": items,
        "form_id": form_id,
        "form_errors": errors or {},
        "form_values": values or {},
        "slots": SLOTS,
    }
    return render(request, "termine.html", context, status)


async def show(request: Request, access: Access) -> Response:
    return _page(request, await run_in_threadpool(_load, request, access))


def _target(request: Request, items: list[dict[str, Any]]) -> dict[str, Any] | None:
    p = request.path_params
    return next(
        (
            i
            for i in items
            if (i["v"].pairing.id, i["v"].year, i["s"].spec.id)
            == (p["pairing"], p["year"], p["stage"])
        ),
        None,
    )


async def _answer(
    request: Request, access: Access, form_id: str, command: object, values: dict[str, str]
) -> Response:
    try:
        await handle(request, access, command)
    except UserError as exc:
        items = await run_in_threadpool(_load, request, access)
        errors: dict[str | None, list[str]] = {}
        for p in exc.problems:
            errors.setdefault(p.field, []).append(p.message)
        return _page(request, items, form_id, errors, values, 422)
    return done(
        request, "/portal/termine", "Vielen Dank – Ihre Antwort ist bei der Koordinierungsstelle."
    )


async def confirm(request: Request, access: Access, data: FormData) -> Response:
    items = await run_in_threadpool(_load, request, access)
    item = _target(request, items)
    if item is None:
        return not_found(request)
    s = item["s"]
    try:
        at = datetime.fromisoformat(text(data, "at"))
    except ValueError:
        at = None
    if at is None or at.tzinfo is None:
        return _page(
            request,
            items,
            s.spec.id,
            {None: ["Der Termin fehlt im Formular; bitte die Seite neu laden."]},
            {},
            400,
        )
    command = c.ConfirmMeeting(item["v"].pairing.id, item["v"].year, s.spec.id, at=at)
    return await _answer(
        request, access, f"{item['v'].pairing.id}-{item['v'].year}-{s.spec.id}", command, {}
    )


async def propose(request: Request, access: Access, data: FormData) -> Response:
    items = await run_in_threadpool(_load, request, access)
    item = _target(request, items)
    if item is None:
        return not_found(request)
    v, s = item["v"], item["s"]
    form_id = f"{v.pairing.id}-{v.year}-{s.spec.id}"
    tz = web(request).app.calendar.timezone
    values = {f"termin{n}": text(data, f"termin{n}") for n in range(1, SLOTS + 1)}
    values["notiz"] = text(data, "notiz")
    dates: list[datetime] = []
    errors: dict[str | None, list[str]] = {}
    for n in range(1, SLOTS + 1):
        raw = values[f"termin{n}"]
        if raw:
            try:
                dates.append(parse_instant(raw, tz))
            except ValueError as exc:
                errors[f"termin{n}"] = [str(exc)]
    if errors:
        return _page(request, items, form_id, errors, values, 400)
    command = c.ProposeDates(
        v.pairing.id, v.year, s.spec.id, dates=tuple(dates), note=values["notiz"] or None
    )
    return await _answer(request, access, form_id, command, values)


async def leitfaden(request: Request, access: Access) -> Response:
    """The conversation guide of a meeting stage of the contact's cycle (as the mails attach it)."""
    app = web(request).app
    p = request.path_params
    view = await run_in_threadpool(cycles.one, app, access, p["pairing"], p["year"], app.today())
    line = next((s for s in view.stages if s.spec.id == p["stage"]), None) if view else None
    guide = line.spec.leitfaden_for(p["year"]) if line is not None else None
    if guide is None or not guide.is_file():
        return not_found(request)
    media = "text/markdown; charset=utf-8" if guide.suffix == ".md" else "application/octet-stream"
    return Response(guide.read_bytes(), media_type=media, headers=download_headers(guide.name))


ROUTES = [
    Route("/termine", page(show), methods=["GET"]),
    Route("/termine/{pairing}/{year:jahr}/{stage}/bestaetigen", form(confirm), methods=["POST"]),
    Route("/termine/{pairing}/{year:jahr}/{stage}/vorschlagen", form(propose), methods=["POST"]),
    Route("/termine/{pairing}/{year:jahr}/{stage}/leitfaden", page(leitfaden), methods=["GET"]),
]
