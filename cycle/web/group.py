"""``/termin`` (Gemeinsamer Termin): schedule or complete one meeting for several pairings.

The pairing field of the command is a comma list or ``alle`` (``commands.py``): the service
layer expands it, so the Fachtag for every pairing is one command and one transaction.
"""

from __future__ import annotations

from starlette.datastructures import FormData
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from cycle.errors import Forbidden, Problem, Refused, UserError
from cycle.service import commands as c
from cycle.service import registry
from cycle.service.permissions import may
from cycle.web.cycle_page import confirmation
from cycle.web.forms import Fields, event_command
from cycle.web.pages import handle, post, render, user
from cycle.webbase.pages import done, errors_of, web
from workflows.stages import StageType

MEETINGS = (StageType.GROUP_MEETING, StageType.MEETING)
FIELDS = {
    *("pairing", "umfang", "stage", "year"),
    *("at", "location", "on", "participants", "note", "evidence"),
}


async def page(
    request: Request,
    status: int = 200,
    form_id: str | None = None,
    errors: dict[str | None, list[str]] | None = None,
    values: dict[str, str] | None = None,
    chosen: list[str] | None = None,
) -> Response:
    w = web(request)
    s = w.settings
    stages = sorted(
        (st for st in s.stages if st.type in MEETINGS), key=lambda st: MEETINGS.index(st.type)
    )
    pairings = [
        (pid, s.stadtteile[p.stadtteil].name, s.traeger[p.traeger].name)
        for pid, p in sorted(s.pairings.items())
    ]
    who = user(request).principal
    context = {
        "title": "Gemeinsamer Termin",
        "stages": stages,
        "pairings": pairings,
        "year": w.app.today().year,
        "may_schedule": may(who, c.Schedule),
        "may_complete": may(who, c.Complete),
        "events": registry.BY_NAME,
        "form_id": form_id,
        "errors": errors or {},
        "values": values or {},
        "chosen": chosen or [],
    }
    return render(request, "group.html", context, status)


def _target(scope: str | None, chosen: list[str], fields: Fields) -> str:
    """``alle`` or the comma list of the ticked pairings; a contradictory choice is refused.

    The choice is explicit (no default): ``alle`` with ticked pairings, or ``nur diese`` with
    none, would leave the user guessing what was recorded.
    """
    if scope == "alle" and not chosen:
        return "alle"
    if scope == "auswahl" and chosen:
        return ",".join(chosen)
    if scope == "alle":
        message = "„alle“ gewählt und einzelne Partnerschaften angekreuzt: bitte nur eines."
    elif scope == "auswahl":
        message = "„nur diese“ gewählt, aber keine Partnerschaft angekreuzt."
    else:
        message = "Bitte „alle“ oder „nur diese“ mit den Partnerschaften wählen."
    fields.problems.append(Problem("pairing", "auswahl", message))
    return ""


async def submit(request: Request, form: FormData) -> Response:
    w = web(request)
    event = "schedule" if request.url.path.endswith("terminieren") else "complete"
    chosen = [str(v) for v in form.getlist("pairing")]
    fields = Fields(form, w.app.calendar.timezone)
    try:
        stage = fields.required("stage", "Bitte eine Stufe wählen.")
        year_text = fields.required("year", "Bitte ein Jahr angeben.")
        year = int(year_text) if year_text.isdigit() else 0
        target = _target(fields.text("umfang"), chosen, fields)
        command = await event_command(event, (target, year, stage), fields)
        outcome = await handle(request, command)
    except Forbidden:
        raise
    except UserError as exc:
        values = {k: v for k, v in form.items() if isinstance(v, str) and k != "csrftoken"}
        status = 409 if isinstance(exc, Refused) else 422
        return await page(request, status, event, errors_of(exc, FIELDS), values, chosen)
    return done(request, "/termin", confirmation(outcome, "Gespeichert."))


ROUTES = [
    Route("/termin", page, methods=["GET"]),
    Route("/termin/terminieren", post(submit, kind=c.Schedule), methods=["POST"]),
    Route(
        "/termin/durchgefuehrt",
        post(submit, files=1, kind=c.Complete),
        methods=["POST"],
    ),
]
