"""``/stammdaten/import`` and ``/stammdaten/export`` (SPEC §16): upload → preview → Übernehmen.

The preview is ``cycle.service.stammdaten_import.preview`` — the same as ``zyklus stammdaten
import --probelauf``: every record of the file as neu / geändert (old → new per field) /
unverändert / beendet with its effects, the ids made up, and every problem at its sheet, row
and column. The uploaded file is kept on the server (``import_stash``: by its SHA-256, checked
again when taken); the button ``Übernehmen`` sends only that name and the version of the master
data the preview was built on. Applying plans the file again and gives ``ApplyMasterData`` with
that version: nothing is applied while a problem exists or when the master data changed in
between, and all of it is one transaction.

Only the role that may give ``ApplyMasterData`` (koordinierungsstelle) uploads or applies: both
POSTs are refused by the permission table before their body is read, and by the bus. Every
staff role may download the export.
"""

from __future__ import annotations

from dataclasses import replace
from pathlib import PurePath

from starlette.concurrency import run_in_threadpool
from starlette.datastructures import FormData, UploadFile
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from cycle.errors import Forbidden, UserError
from cycle.service import commands as c
from cycle.service.permissions import may
from cycle.service.stammdaten_import import ImportPreview, preview
from cycle.stammdaten_io import FORMATS, MAX_ROWS, MEDIA_TYPES, export, file_format
from cycle.stammdaten_io import Unreadable as UnreadableFile
from cycle.web import import_stash
from cycle.web.pages import handle, post, problem_page, render, user
from cycle.webbase.downloads import clean_name
from cycle.webbase.downloads import headers as download_headers
from cycle.webbase.pages import done, text, web
from cycle.webbase.params import query_choice

PAGE = "/stammdaten/import"


async def _current(request: Request) -> None:
    """The database's master data in the settings (another process may have changed it)."""
    await run_in_threadpool(web(request).app.refresh_master_data)


def _context(request: Request, **more: object) -> dict[str, object]:
    return {
        "title": "Stammdaten importieren",
        "may_import": may(user(request).principal, c.ApplyMasterData),
        "formats": FORMATS,
        "max_rows": f"{MAX_ROWS:,}".replace(",", "."),
        "upload_mb": web(request).settings.web.upload_max_mb,
        "found": None,
        "token": "",
        "problems": [],
        **more,
    }


async def page(request: Request) -> Response:
    return render(request, "stammdaten_import.html", _context(request))


def _name(upload: UploadFile) -> str:
    return clean_name(PurePath((upload.filename or "").replace("\\", "/")).name, "datei")


def _shown(request: Request, found: ImportPreview, token: str, status: int) -> Response:
    context = _context(request, found=found, token=token, problems=list(found.problems))
    return render(request, "stammdaten_import.html", context, status)


async def upload(request: Request, form: FormData) -> Response:
    w = web(request)
    file = form.get("datei")
    if not isinstance(file, UploadFile) or not file.filename:
        context = _context(request, problems=["Bitte eine Datei wählen (.xlsx, .csv oder .toml)."])
        return render(request, "stammdaten_import.html", context, 422)
    name, data = _name(file), await file.read()
    await _current(request)
    found = await run_in_threadpool(
        preview, data, name, w.settings.master, w.app.today(), w.app.master_version
    )
    if not found.ok:
        return _shown(request, found, "", 422)
    try:
        fmt = file_format(name, data)
    except UnreadableFile:  # preview read it, so this does not happen
        return _shown(request, found, "", 422)
    token = await run_in_threadpool(import_stash.stash, w.settings.var_dir, data, fmt, w.app.now())
    return _shown(request, found, token, 200)


def _expired(request: Request) -> Response:
    return problem_page(
        request,
        400,
        "Vorschau nicht mehr vorhanden",
        [
            "Die hochgeladene Datei ist nicht mehr vorhanden oder gehört nicht zu dieser "
            "Vorschau; nichts wurde geändert. Bitte die Datei erneut hochladen."
        ],
    )


async def apply(request: Request, form: FormData) -> Response:
    w = web(request)
    stashed = await run_in_threadpool(import_stash.take, w.settings.var_dir, text(form, "datei"))
    if stashed is None:
        return _expired(request)
    data, fmt = stashed
    name = clean_name(text(form, "name"), f"datei.{fmt}")
    if PurePath(name).suffix.casefold() != f".{fmt}":
        name = f"{name}.{fmt}"
    await _current(request)
    found = await run_in_threadpool(
        preview, data, name, w.settings.master, w.app.today(), w.app.master_version
    )
    if not found.ok:
        return _shown(request, found, "", 409)
    # Planned again now, but applied only on the version the preview was shown for.
    command = replace(found.command(), base_version=text(form, "version"))
    try:
        outcome = await handle(request, command)
    except Forbidden:
        raise
    except UserError as exc:
        refused = ImportPreview(found.name, found.parsed, found.plan, tuple(exc.lines), found.lines)
        return _shown(request, refused, "", 409)
    written = outcome.data.get("written", len(found.changed))
    return done(
        request,
        PAGE,
        f"Import aus {found.name} übernommen: {written} Einträge geändert (je ein "
        "Protokolleintrag).",
    )


async def download(request: Request) -> Response:
    w = web(request)
    fmt = query_choice(request, "format", "Format", FORMATS) or "xlsx"
    await _current(request)
    data = await run_in_threadpool(export, w.settings.master, fmt)
    name = f"stammdaten-{w.app.today():%Y-%m-%d}.{fmt}"
    return Response(data, media_type=MEDIA_TYPES[fmt], headers=download_headers(name))


ROUTES = [
    Route(PAGE, page, methods=["GET"]),
    Route(f"{PAGE}/vorschau", post(upload, files=1, kind=c.ApplyMasterData), methods=["POST"]),
    Route(f"{PAGE}/uebernehmen", post(apply, kind=c.ApplyMasterData), methods=["POST"]),
    Route("/stammdaten/export", download, methods=["GET"]),
]
