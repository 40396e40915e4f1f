"""``/protokoll``: the audit log with filters, the result of ``audit verify``, the Abschluss."""

from __future__ import annotations

from typing import Any

from sqlmodel import col, select
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from cycle.errors import UserError
from cycle.persistence import audit, audit_check, personal
from cycle.persistence.tables import AuditEntry
from cycle.persistence.uow import reading
from cycle.views.audit_view import completion_record
from cycle.web.pages import render
from cycle.webbase.pages import web
from cycle.webbase.params import query_text, query_year

LIMIT = 500


async def page(request: Request) -> Response:
    w = web(request)
    pairing = query_text(request, "pairing", "Partnerschaft")
    year = query_year(request)
    actor = query_text(request, "wer", "Wer")

    def load() -> tuple[list[AuditEntry], audit.Verification]:
        query = select(AuditEntry).order_by(col(AuditEntry.id).desc()).limit(LIMIT)
        if pairing:
            query = query.where(col(AuditEntry.pairing_id) == pairing)
        if year:
            query = query.where(col(AuditEntry.year) == year)
        with reading(w.app.engine) as session:
            if actor:
                names = [actor, *personal.pseudonyms_of(session, actor)]
                query = query.where(col(AuditEntry.actor).in_(names))
            entries = personal.resolved(session, session.exec(query))
            return entries, audit_check.verify(session)

    entries, chain = await run_in_threadpool(load)
    record: dict[str, Any] | None = None
    record_problem: list[str] = []
    if pairing and year:
        try:
            ctx = w.app.view_context()
            record = (await run_in_threadpool(completion_record, ctx, pairing, year))[0]
        except UserError as exc:
            record_problem = exc.lines
    context = {
        "title": "Protokoll",
        "entries": entries,
        "chain": chain,
        "pairing": pairing or "",
        "year": year or "",
        "actor": actor or "",
        "pairings": sorted(w.settings.pairings),
        "record": record,
        "record_problem": record_problem,
        "limit": LIMIT,
    }
    return render(request, "protocol.html", context)


ROUTES = [Route("/protokoll", page, methods=["GET"])]
