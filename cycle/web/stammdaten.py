"""``/stammdaten``: Träger, Stadtteile and Partnerschaften with their Kontakte (SPEC §16).

Every staff role reads the lists and each record's page with its change history; the forms are
offered to the roles that may give ``ApplyMasterData`` (koordinierungsstelle), and a POST by any
other role is refused by the permission table before its body is read. A form goes through two
steps: the submitted record is planned (``cycle.service.stammdaten.plan``) and the preview of
what it does to the running year is shown with the button to confirm; only the confirmation
gives the command (with the version the preview was built on).
"""

from __future__ import annotations

from collections.abc import Mapping

from starlette.concurrency import run_in_threadpool
from starlette.datastructures import FormData
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from cycle.config.master_rules import PAIRING
from cycle.errors import Forbidden, UserError
from cycle.persistence.masterdata_store import Record
from cycle.persistence.uow import reading
from cycle.service import commands as c
from cycle.service import permissions
from cycle.service.permissions import may
from cycle.service.stammdaten import KIND_LABELS, LABELS, Plan, plan
from cycle.views.masterdata_view import history
from cycle.web import stammdaten_forms as forms
from cycle.web.pages import handle, post, problem_page, render, user
from cycle.webbase.pages import done, web

STEP = "schritt"  # "pruefen" (show the preview) | "speichern" (give the command)


async def listing(request: Request) -> Response:
    master = web(request).settings.master
    context = {
        "title": "Stammdaten",
        "traeger": sorted(master.traeger.values(), key=lambda t: t.name.lower()),
        "stadtteile": sorted(master.stadtteile.values(), key=lambda s: s.name.lower()),
        "pairings": sorted(master.pairings.values(), key=lambda p: p.id),
        "traeger_names": {k: t.name for k, t in master.traeger.items()},
        "stadtteil_names": {k: s.name for k, s in master.stadtteile.items()},
        "may_edit": may(user(request).principal, c.ApplyMasterData),
    }
    return render(request, "stammdaten.html", context)


def _kind(request: Request) -> str | None:
    return forms.SEGMENTS.get(request.path_params["art"])


async def _history(request: Request, kind: str, ident: str) -> list[object]:
    def load() -> list[object]:
        with reading(web(request).app.engine) as session:
            return list(history(session, kind, ident))

    return await run_in_threadpool(load)


def _form_context(
    request: Request, kind: str, record: Record | None, values: Mapping[str, str]
) -> dict[str, object]:
    master = web(request).settings.master
    return {
        "kind": kind,
        "segment": forms.SEGMENT_OF[kind],
        "kind_label": KIND_LABELS[kind],
        "record": record,
        "values": dict(values),
        "traeger_fields": forms.TRAEGER_FIELDS,
        "stadtteil_fields": forms.STADTTEIL_FIELDS,
        "contact_rows": range(1, forms.CONTACT_ROWS + 1),
        "traeger_choices": sorted((t.name, k) for k, t in master.traeger.items()),
        "stadtteil_choices": sorted((s.name, k) for k, s in master.stadtteile.items()),
        "pairing_choices": sorted(master.pairings),
        "may_edit": may(user(request).principal, c.ApplyMasterData),
        "labels": LABELS,
    }


async def record_page(request: Request) -> Response:
    kind, ident = _kind(request), request.path_params["ident"]
    record = forms.record_of(web(request).settings.master, kind, ident) if kind else None
    if kind is None or record is None:
        return problem_page(request, 404, "Nicht gefunden", ["Diesen Eintrag gibt es nicht."])
    context = _form_context(request, kind, record, forms.values_of(record))
    context["title"] = f"{KIND_LABELS[kind]} {getattr(record, 'name', ident)}"
    context["entries"] = await _history(request, kind, ident)
    return render(request, "stammdaten_record.html", context)


async def new_page(request: Request) -> Response:
    kind = _kind(request)
    if kind is None:
        return problem_page(request, 404, "Nicht gefunden", ["Diese Art Stammdaten gibt es nicht."])
    context = _form_context(request, kind, None, forms.values_of(None))
    context["title"] = f"{KIND_LABELS[kind]} anlegen"
    try:  # a reading role sees why there is no form
        permissions.require_kind(user(request).principal, c.ApplyMasterData)
    except Forbidden as exc:
        context["refusal"] = exc.lines
    return render(request, "stammdaten_form.html", context)


def _fields(form: FormData) -> dict[str, str]:
    return {k: v for k, v in form.items() if isinstance(v, str) and k != "csrftoken"}


async def _submit(
    request: Request, kind: str, ident: str, values: dict[str, str], is_new: bool
) -> Response:
    """Plan the submitted record; show the preview, or the form with the errors at the fields;
    on confirmation give the command."""
    master = web(request).settings.master
    record, errors = forms.parse(kind, values, ident)
    if is_new and forms.record_of(master, kind, ident) is not None:
        errors.setdefault("id", []).append(f"Die Kennung „{ident}“ ist schon vergeben.")
    today = web(request).app.today()
    successor = values.get("nachfolge") or None
    successors = {ident: successor} if successor else {}
    result: Plan | None = None
    if record is not None and not errors:
        result = plan(master, forms.desired(master, record), today, successors)
        if result.problems:
            errors = forms.errors_at(result.problems, kind, ident)
    if errors or record is None or result is None:
        return _form_again(request, kind, ident, values, errors, is_new)
    if values.get(STEP) != "speichern":
        changed = list(result.changed)
        context = _form_context(request, kind, record, values)
        context.update(
            title=f"{KIND_LABELS[kind]} prüfen",
            changed=changed,
            version=web(request).app.master_version or "",
            action=_action(kind, ident, is_new),
        )
        return render(request, "stammdaten_confirm.html", context)
    command = c.ApplyMasterData(
        forms.desired(master, record),
        base_version=values.get("version") or web(request).app.master_version,
        reason=values.get("grund") or "",
        successors=tuple(successors.items()),
    )
    try:
        await handle(request, command)
    except Forbidden:
        raise
    except UserError as exc:
        refused = {p.field if p.field in values else None: [p.message] for p in exc.problems}
        return _form_again(request, kind, ident, values, refused, is_new)
    target = f"/stammdaten/{forms.SEGMENT_OF[kind]}/{ident}"
    return done(request, target, f"{KIND_LABELS[kind]} „{ident}“ gespeichert.")


def _action(kind: str, ident: str, is_new: bool) -> str:
    segment = forms.SEGMENT_OF[kind]
    return f"/stammdaten/neu/{segment}" if is_new else f"/stammdaten/{segment}/{ident}"


def _form_again(
    request: Request,
    kind: str,
    ident: str,
    values: dict[str, str],
    errors: forms.Errors,
    is_new: bool,
) -> Response:
    master = web(request).settings.master
    record = None if is_new else forms.record_of(master, kind, ident)
    context = _form_context(request, kind, record, values)
    context.update(
        title=f"{KIND_LABELS[kind]} {'anlegen' if is_new else 'ändern'}",
        errors=errors,
        new=is_new,
        ident=ident,
    )
    return render(request, "stammdaten_form.html", context, 422)


async def save_new(request: Request, form: FormData) -> Response:
    kind = _kind(request)
    if kind is None:
        return problem_page(request, 404, "Nicht gefunden", ["Diese Art Stammdaten gibt es nicht."])
    values = _fields(form)
    return await _submit(request, kind, (values.get("id") or "").strip(), values, True)


async def save(request: Request, form: FormData) -> Response:
    kind, ident = _kind(request), request.path_params["ident"]
    if kind is None or forms.record_of(web(request).settings.master, kind, ident) is None:
        return problem_page(request, 404, "Nicht gefunden", ["Diesen Eintrag gibt es nicht."])
    values = _fields(form)
    if kind == PAIRING and values.get("beenden") == "ja":
        record = web(request).settings.master.pairings[ident]
        values = {**forms.values_of(record), **values}
    return await _submit(request, kind, ident, values, False)


ROUTES = [
    Route("/stammdaten", listing, methods=["GET"]),
    Route("/stammdaten/neu/{art}", new_page, methods=["GET"]),
    Route("/stammdaten/neu/{art}", post(save_new, kind=c.ApplyMasterData), methods=["POST"]),
    Route("/stammdaten/{art}/{ident}", record_page, methods=["GET"]),
    Route("/stammdaten/{art}/{ident}", post(save, kind=c.ApplyMasterData), methods=["POST"]),
]
