"""``/zyklus/{pairing}/{year}``: one cycle with history, evidence, notifications and forms."""

from __future__ import annotations

import re
from datetime import date

from markupsafe import Markup
from starlette.concurrency import run_in_threadpool
from starlette.datastructures import FormData
from starlette.requests import Request
from starlette.responses import FileResponse, Response
from starlette.routing import Route

from cycle import german
from cycle.documents.timeline import Timeline
from cycle.errors import Forbidden, Refused, UserError
from cycle.persistence.tables import Evidence
from cycle.persistence.uow import reading
from cycle.service import commands as c
from cycle.service import permissions, registry
from cycle.service.outcomes import Outcome, StageChange
from cycle.service.registry import Surface
from cycle.views import charts, cycle_timeline, labels
from cycle.web import cycle_data
from cycle.web.forms import Fields, event_command
from cycle.web.pages import handle, page_tag, post, problem_page, render, user
from cycle.webbase import etag
from cycle.webbase.downloads import headers as download_headers
from cycle.webbase.pages import done, errors_of, web

FIELDS = {
    "at",
    "location",
    "on",
    "participants",
    "note",
    "evidence",
    "upload",
    "trotzdem",
    "reason",
    "due",
    "until",
    "reopen",
    "text",
    "successor",
}


def _year(request: Request) -> int:
    year: int = request.path_params["year"]  # ``{year:jahr}``: 2000–2100 (``cycle.webbase.params``)
    return year


async def show(
    request: Request,
    status: int = 200,
    form_id: str | None = None,
    errors: dict[str | None, list[str]] | None = None,
    values: dict[str, str] | None = None,
) -> Response:
    w = web(request)
    pairing, year = str(request.path_params["pairing"]), _year(request)
    p = w.settings.pairings.get(pairing)
    if p is None:
        return problem_page(request, 404, "Nicht gefunden", ["Diese Partnerschaft gibt es nicht."])

    tagging = status == 200 and form_id is None
    if tagging and request.headers.get("if-none-match"):
        known = await run_in_threadpool(cycle_data.data_version, w.app.engine)
        tag = page_tag(request, known)
        if tag is not None and etag.matches(request, tag):
            return etag.not_modified(tag)
    version, view = await run_in_threadpool(
        cycle_data.load_view, w.app.view_context(), pairing, year, user(request).principal
    )
    others = sorted(pid for pid in w.settings.pairings if pid != pairing)
    events = registry.on(Surface.WEB)
    today, tz = w.app.today(), w.app.calendar.timezone
    # "Durchgeführt am" starts at the scheduled day (unless it is still ahead), not at today
    held_on = {
        f"{s.spec.id}-complete": {"on": day.isoformat()}
        for s in view.stages
        if s.row is not None
        and s.row.scheduled_at is not None
        and (day := s.row.scheduled_at.astimezone(tz).date()) <= today
    }
    context = {
        "title": f"Zyklus {year} · {w.settings.stadtteile[p.stadtteil].name}",
        "v": view,
        "p": p,
        "traeger": w.settings.traeger[p.traeger].name,
        "stadtteil": w.settings.stadtteile[p.stadtteil].name,
        "events": {e.name: e for e in events},
        "stage_options": [(s.id, s.name) for s in w.settings.stages],
        "pairing_options": [(o, o) for o in others],
        "is_meeting": cycle_data.is_meeting,
        "form_id": form_id,
        "errors": errors or {},
        "values": values or {},
        "defaults": held_on,
        "local_input": lambda at: f"{at.astimezone(tz):%Y-%m-%dT%H:%M}",
        "today": today,
    }
    place = w.settings.stadtteile[p.stadtteil].name
    context["timeline"] = Markup(_timeline(view, year, today, f"Zyklus {year} · {place}"))
    response = render(request, "cycle.html", context, status)
    tag = page_tag(request, version) if tagging else None
    return response if tag is None else etag.tagged(response, tag)


def _timeline(view: cycle_data.CycleView, year: int, today: date, title: str) -> str:
    """The year's stages as a picture (``cycle.views.cycle_timeline``, drawn by
    ``cycle.views.charts``; the Abschlussnachweis prints the same)."""
    bars = cycle_timeline.bars(year, ((s.spec, s.row, s.status) for s in view.stages))
    if not bars:
        return ""
    return charts.timeline("zeitleiste", Timeline(f"Zeitleiste: {title}", bars, today))


def _change_text(ch: StageChange) -> str:
    head = f"{ch.stage_name} ({ch.pairing} {ch.year}): "
    if ch.before == ch.after:  # e.g. extend or a corrected date: the status stays
        until = ch.detail.get("neue_frist")
        kept = labels.status_label(ch.after)
        if isinstance(until, date):
            return head + f"{kept}, neue Frist {german.datum(until)}"
        return head + f"{labels.action_label(ch.event)} (Status bleibt: {kept})"
    before, after = (labels.status_label(s) for s in (ch.before, ch.after))
    return head + f"{before} → {after}"


def confirmation(outcome: Outcome, fallback: str) -> str:
    lines = [_change_text(ch) for ch in outcome.changes]
    lines += [n.message for n in outcome.notes]
    return " · ".join(lines) or fallback


async def refused(request: Request, form_id: str, exc: UserError, form: FormData) -> Response:
    values = {k: v for k, v in form.items() if isinstance(v, str) and k != "csrftoken"}
    status = 409 if isinstance(exc, Refused) else 422
    return await show(request, status, form_id, errors_of(exc, FIELDS), values)


def _here(request: Request) -> str:
    return f"/zyklus/{request.path_params['pairing']}/{request.path_params['year']}"


async def event(request: Request, form: FormData) -> Response:
    w, year = web(request), _year(request)
    pairing, stage, name = (str(request.path_params[k]) for k in ("pairing", "stage", "event"))
    if name not in registry.stage_events(Surface.WEB):
        return problem_page(request, 404, "Nicht gefunden", ["Dieses Ereignis gibt es nicht."])
    form_id = f"{stage}-{name}"
    try:
        fields = Fields(form, w.app.calendar.timezone)
        command = await event_command(name, (pairing, year, stage), fields)
        outcome = await handle(request, command)
    except Forbidden:
        raise
    except UserError as exc:
        return await refused(request, form_id, exc, form)
    back = str(form.get("weiter") or "")
    target = back if back.startswith(_here(request) + "/") else f"{_here(request)}#{stage}"
    return done(request, target, confirmation(outcome, "Gespeichert."))


async def note(request: Request, form: FormData) -> Response:
    year = _year(request)
    fields = Fields(form, web(request).app.calendar.timezone)
    try:
        pairing = str(request.path_params["pairing"])
        await handle(request, await event_command("note", (pairing, year), fields))
    except Forbidden:
        raise
    except UserError as exc:
        return await refused(request, "notiz", exc, form)
    return done(request, f"{_here(request)}#notizen", "Notiz gespeichert.")


async def end(request: Request, form: FormData) -> Response:
    fields = Fields(form, web(request).app.calendar.timezone)
    try:
        pairing = str(request.path_params["pairing"])
        await handle(request, await event_command("end", (pairing,), fields))
    except Forbidden:
        raise
    except UserError as exc:
        return await refused(request, "beenden", exc, form)
    return done(request, _here(request), "Partnerschaft beendet.")


async def revoke(request: Request, form: FormData) -> Response:
    """End every portal link, session and feed of one of the pairing's contacts."""
    settings = web(request).app.settings
    permissions.require(user(request).principal, c.RevokePortal(""))  # 403 before anything else
    pairing = settings.pairings.get(str(request.path_params["pairing"]))
    email = str(form.get("email") or "")
    if pairing is None or email not in {k.email for k in pairing.contacts}:
        return problem_page(request, 404, "Nicht gefunden", ["Diesen Kontakt gibt es nicht."])
    try:
        await handle(request, c.RevokePortal(email))
    except Forbidden:
        raise
    except UserError as exc:
        return await refused(request, "portal", exc, form)
    return done(request, _here(request), f"Portalzugang von {email} widerrufen.")


_SHA = re.compile(r"^[0-9a-f]{64}$")


async def evidence(request: Request) -> Response:
    w, sha = web(request), str(request.path_params["sha"])
    if not _SHA.match(sha):
        return problem_page(request, 404, "Nicht gefunden", ["Diesen Nachweis gibt es nicht."])

    def find() -> Evidence | None:
        with reading(w.app.engine) as session:
            return session.get(Evidence, sha)

    row = await run_in_threadpool(find)
    path = w.app.var_dir / "evidence" / sha[:2] / sha
    if row is None or not path.is_file():
        return problem_page(request, 404, "Nicht gefunden", ["Diesen Nachweis gibt es nicht."])
    return FileResponse(
        path, media_type="application/octet-stream", headers=download_headers(row.filename)
    )


def _event_kind(request: Request) -> type | None:
    """The command an event form gives: its permission is asked before the body is read."""
    event = registry.stage_events(Surface.WEB).get(str(request.path_params["event"]))
    return event.command if event else None


ROUTES = [
    Route("/zyklus/{pairing}/{year:jahr}", show, methods=["GET"]),
    Route("/zyklus/{pairing}/{year:jahr}/notiz", post(note, kind=c.Note), methods=["POST"]),
    Route("/zyklus/{pairing}/{year:jahr}/beenden", post(end, kind=c.End), methods=["POST"]),
    Route(
        "/zyklus/{pairing}/{year:jahr}/portal-widerrufen",
        post(revoke, kind=c.RevokePortal),
        methods=["POST"],
    ),
    Route(
        "/zyklus/{pairing}/{year:jahr}/{stage}/{event}",
        post(event, files=1, kind=_event_kind),
        methods=["POST"],
    ),
    Route("/nachweis/{sha}", evidence, methods=["GET"]),
]
