"""``/portal/verwendungsnachweis``: the Verwendungsnachweis (Anlage 3) as a checked web form.

``Prüfen`` runs the rules on the form as entered (nothing is stored); ``Einreichen`` submits the
form as the TOML document of a CLI submission (``Upload("verwendungsnachweis.toml", …)``)
through the bus, where the same rules run again inside the transaction: every violation comes
back at its field and nothing is stored until all pass. The accepted proof can be downloaded
as the filled PDF form.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from starlette.concurrency import run_in_threadpool
from starlette.datastructures import FormData
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from cycle.documents import parse_and_validate, verwendungsnachweis_pdf
from cycle.errors import UserError
from cycle.persistence.portal_store import Access
from cycle.portal import cycles, vn_form
from cycle.portal.pages import form, handle, not_found, page, render
from cycle.service import commands as c
from cycle.views.reports import submitted_proof
from cycle.webbase.downloads import headers as download_headers
from cycle.webbase.pages import done, web
from workflows.stages import StageType

MIN_ROWS = 3
ROWS_MORE = 3  # rows added by "Weitere Zeilen"
LABELS = {
    "zuschuss": "Zuschuss der Hansestadt",
    "weitere_einnahmen": "Weitere Zuschüsse und Einnahmen",
    "personalkosten": "1. Personalkosten (Summe)",
    "verwaltungskosten": "2. Verwaltungs- und Leitungskosten (Pauschale)",
    "sachkosten": "3. Arbeitsplatzbezogene Sachkosten",
    "gemeinwesenarbeit": "4. Präventive Angebote der Gemeinwesenarbeit (Stadtteilmanagementbudget)",
}
COLUMNS = {
    "name": "Name",
    "vorname": "Vorname",
    "qualifikation": "Qualifikation",
    "verguetungsgruppe": "Vergütungsgruppe",
    "stellenanteil": "Stellenanteil",
    "kosten": "Personalkosten",
    "bezeichnung": "Projekt / Angebot",
    "betrag": "Betrag",
}


async def overview(request: Request, access: Access) -> Response:
    app = web(request).app
    found = await run_in_threadpool(cycles.running, app, access, app.today())
    rows = [(v, v.stage_of(StageType.PROOF_OF_FUNDS)) for v in found]
    context = {"title": "Verwendungsnachweis", "rows": [(v, s) for v, s in rows if s]}
    return render(request, "vn_liste.html", context)


async def _cycle(request: Request, access: Access) -> cycles.CycleView | None:
    app = web(request).app
    pairing, year = request.path_params["pairing"], request.path_params["year"]
    view = await run_in_threadpool(cycles.one, app, access, pairing, year, app.today())
    return view if view is not None and view.stage_of(StageType.PROOF_OF_FUNDS) else None


def _known(vn: vn_form.VnForm, rows: tuple[int, int]) -> set[str]:
    known = {*vn_form.MONEY, "erlaeuterung", "unterschrift.name", "unterschrift.datum"}
    known |= {"personal", "angebote"}
    known |= {f"personal[{i}].{k}" for i in range(1, rows[0] + 1) for k in vn_form.PERSONAL}
    known |= {f"angebote[{i}].{k}" for i in range(1, rows[1] + 1) for k in vn_form.ANGEBOT}
    return known


def _page(
    request: Request,
    view: cycles.CycleView,
    vn: vn_form.VnForm | None = None,
    problems: Sequence[tuple[str | None, str]] | None = None,
    status: int = 200,
    checked: bool = False,
    more: tuple[int, int] = (0, 0),
) -> Response:
    stage = view.stage_of(StageType.PROOF_OF_FUNDS)
    assert stage is not None
    rules = web(request).settings.verwendungsnachweis
    vn = vn or vn_form.VnForm()
    # one Angebote row more than allowed is offered, so "too many rows" is reported, not lost
    shown = vn.rows_to_show(MIN_ROWS, most=rules.max_angebote + 1)
    rows = (
        min(max(shown[0], more[0]), vn_form.MAX_PERSONAL_ROWS),
        min(max(shown[1], more[1]), rules.max_angebote),
    )
    rows = (max(rows[0], shown[0]), max(rows[1], shown[1]))
    known = _known(vn, rows)
    errors: dict[str | None, list[str]] = {}
    for where, message in problems or []:
        errors.setdefault(where if where in known else None, []).append(message)
    context: dict[str, Any] = {
        "title": f"Verwendungsnachweis {view.year} {view.stadtteil}",
        "v": view,
        "s": stage,
        "vn": vn,
        "rows": rows,
        "sums": vn_form.sums(vn, rules),
        "rules": rules,
        "labels": LABELS,
        "columns": COLUMNS,
        "errors": errors,
        "form_id": "vn",  # the error summary links to the fields ``vn-NAME``
        "checked": checked and not problems,
        # never "jetzt einreichen" (nor the button) while Einreichen would be refused
        "may_submit": "submit" in stage.status.possible_events(),
        "submitted": bool(stage.row.facts.get("einreichung")),
    }
    return render(request, "vn.html", context, status)


def _stored_form(request: Request, view: cycles.CycleView) -> vn_form.VnForm | None:
    """The last submission as form values (a returned proof is corrected, not retyped)."""
    try:
        doc = submitted_proof(web(request).app.view_context(), view.pairing.id, view.year)
    except UserError:
        return None
    return vn_form.from_document(doc.nachweis)


async def show(request: Request, access: Access) -> Response:
    view = await _cycle(request, access)
    if view is None:
        return not_found(request)
    stage = view.stage_of(StageType.PROOF_OF_FUNDS)
    prefill = None
    if stage is not None and stage.row.status == "zurueckgegeben":
        prefill = await run_in_threadpool(_stored_form, request, view)
    return _page(request, view, prefill)


async def submit(request: Request, access: Access, data: FormData) -> Response:
    view = await _cycle(request, access)
    stage = view.stage_of(StageType.PROOF_OF_FUNDS) if view else None
    if view is None or stage is None:
        return not_found(request)
    app = web(request).app
    rules = app.settings.verwendungsnachweis
    vn = vn_form.read(data, rules)
    if vn.problems:  # rows the form does not take: refused before any rule, nothing stored
        return _page(request, view, vn, vn.problems, 422, checked=True)
    if data.get("aktion") == "zeilen":  # more rows, as typed: nothing checked, nothing stored
        more = (
            _count(data, "zeilen_personal") + ROWS_MORE,
            _count(data, "zeilen_angebote") + ROWS_MORE,
        )
        return _page(request, view, vn, more=more)
    text = vn_form.to_toml(vn, view.year)
    if data.get("aktion") != "einreichen":
        result = parse_and_validate(text, view.year, rules, app.today())
        found = [(p.field, p.message) for p in result] if isinstance(result, list) else []
        return _page(request, view, vn, found, 422 if found else 200, checked=True)
    command = c.Submit(
        view.pairing.id,
        view.year,
        stage.spec.id,
        upload=c.Upload("verwendungsnachweis.toml", text.encode("utf-8")),
    )
    try:
        await handle(request, access, command)
    except UserError as exc:
        return _page(request, view, vn, [(p.field, p.message) for p in exc.problems], 422)
    message = (
        f"Verwendungsnachweis {view.year} eingereicht; eine Eingangsbestätigung ist unterwegs."
    )
    return done(request, request.url.path, message)


def _count(data: FormData, key: str) -> int:
    """A row count the page posted back (bounded; anything else counts as 0)."""
    value = data.get(key)
    text = value.strip() if isinstance(value, str) else ""
    return int(text) if text.isdigit() and len(text) <= 3 else 0


async def pdf(request: Request, access: Access) -> Response:
    view = await _cycle(request, access)
    if view is None:
        return not_found(request)
    ctx = web(request).app.view_context()
    try:
        doc = await run_in_threadpool(submitted_proof, ctx, view.pairing.id, view.year)
    except UserError:
        return not_found(request)
    name = f"verwendungsnachweis-{view.pairing.id}-{view.year}.pdf"
    pdf_data = verwendungsnachweis_pdf(doc)
    return Response(pdf_data, media_type="application/pdf", headers=download_headers(name))


ROUTES = [
    Route("/verwendungsnachweis", page(overview), methods=["GET"]),
    Route("/verwendungsnachweis/{pairing}/{year:jahr}", page(show), methods=["GET"]),
    Route("/verwendungsnachweis/{pairing}/{year:jahr}", form(submit), methods=["POST"]),
    Route(
        "/verwendungsnachweis/{pairing}/{year:jahr}/verwendungsnachweis.pdf",
        page(pdf),
        methods=["GET"],
    ),
]
