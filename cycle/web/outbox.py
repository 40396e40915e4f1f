"""``/postausgang``: messages by status, each viewable as sent (text and HTML), retry of failed."""

from __future__ import annotations

from sqlalchemy import func
from sqlmodel import col, select
from starlette.concurrency import run_in_threadpool
from starlette.datastructures import FormData
from starlette.requests import Request
from starlette.responses import HTMLResponse, Response
from starlette.routing import Route

from cycle.errors import Forbidden, UserError
from cycle.persistence.tables import OutboxMessage
from cycle.persistence.uow import reading
from cycle.service import commands as c
from cycle.service.permissions import may
from cycle.views import operations
from cycle.views.outbox_view import STATUS_LABELS
from cycle.web.pages import handle, post, problem_page, render, user
from cycle.webbase.pages import Web, done, web
from cycle.webbase.params import query_choice

# The HTML part of a mail is shown as its own document, sandboxed: no script, no form, no fetch.
MAIL_CSP = "sandbox; default-src 'none'; style-src 'unsafe-inline'; img-src data:"


async def listing(request: Request) -> Response:
    w = web(request)
    status = query_choice(request, "status", "Status", STATUS_LABELS)

    def load() -> tuple[list[OutboxMessage], dict[str, int]]:
        query = select(OutboxMessage).order_by(col(OutboxMessage.id).desc())
        if status:
            query = query.where(col(OutboxMessage.status) == status)
        with reading(w.app.engine) as session:
            rows = list(session.exec(query.limit(500)))
            grouped = session.exec(
                select(col(OutboxMessage.status), func.count()).group_by(col(OutboxMessage.status))
            )
            counts = {s: 0 for s in STATUS_LABELS} | {s: int(n) for s, n in grouped}
        return rows, counts

    rows, counts = await run_in_threadpool(load)
    context = {
        **await delivery_banner(w),
        "title": "Postausgang",
        "rows": rows,
        "status": status,
        "labels": STATUS_LABELS,
        "counts": counts,
        "may_retry": may(user(request).principal, c.RetryOutbox),
    }
    return render(request, "outbox.html", context)


async def delivery_banner(w: Web) -> dict[str, object]:
    """Whether the page warns that no delivery service runs (SPEC §19)."""
    stopped = await run_in_threadpool(operations.delivery_stopped, w.app.view_context())
    return {
        "zustellung_steht": stopped,
        "heartbeat_minuten": w.settings.betrieb.heartbeat_minuten,
    }


async def _message(request: Request) -> OutboxMessage | None:
    w, ident = web(request), int(request.path_params["id"])

    def load() -> OutboxMessage | None:
        with reading(w.app.engine) as session:
            return session.get(OutboxMessage, ident)

    return await run_in_threadpool(load)


async def message(request: Request) -> Response:
    row = await _message(request)
    if row is None:
        return problem_page(request, 404, "Nicht gefunden", ["Diese Nachricht gibt es nicht."])
    context = {
        "title": f"Nachricht {row.id}",
        "m": row,
        "p": row.payload,
        "labels": STATUS_LABELS,
        "may_retry": may(user(request).principal, c.RetryOutbox),
    }
    return render(request, "message.html", context)


async def message_html(request: Request) -> Response:
    row = await _message(request)
    html = row.payload.get("html") if row is not None else None
    if not isinstance(html, str):
        return problem_page(request, 404, "Nicht gefunden", ["Keine HTML-Fassung vorhanden."])
    return HTMLResponse(html, headers={"content-security-policy": MAIL_CSP})


async def retry(request: Request, _form: FormData) -> Response:
    ident = int(request.path_params["id"])
    try:
        await handle(request, c.RetryOutbox(message_id=ident))
    except Forbidden:
        raise
    except UserError as exc:
        return problem_page(request, 409, "Nicht erneut eingereiht", exc.lines)
    return done(
        request,
        f"/postausgang/{ident}",
        f"Nachricht {ident} erneut eingereiht; Zustellung beim nächsten Durchlauf.",
    )


ROUTES = [
    Route("/postausgang", listing, methods=["GET"]),
    Route("/postausgang/{id:nummer}", message, methods=["GET"]),
    Route("/postausgang/{id:nummer}/html", message_html, methods=["GET"]),
    Route("/postausgang/{id:nummer}/erneut", post(retry, kind=c.RetryOutbox), methods=["POST"]),
]
