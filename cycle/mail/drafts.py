"""Build the notification drafts of due points, stage events and the weekly overview."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import replace
from datetime import date, datetime, timedelta
from functools import partial
from typing import Any

from cycle.mail import recipients
from cycle.mail.compose import Draft, file_attachment, point_key, stage_context
from cycle.mail.context import MailContext
from cycle.mail.due import DuePoint, Sent
from cycle.views.meeting_replies import Proposal
from cycle.views.overview import CycleRow
from notifications.message import Attachment, display_name
from notifications.render import Rendered, Renderer
from workflows.deadlines import ERINNERUNG, send_instant
from workflows.recipients import WOCHENUEBERSICHT, recipients_for
from workflows.stages import STATUS_LABELS, StageType

# The values of a point's mail that differ from pairing to pairing: rendered once per shape
# (Renderer.render_shaped), each mail fills in its own.
VARYING = (
    "pairing.id",
    "pairing.angebot",
    "pairing.handlungsfeld",
    "traeger.name",
    "traeger.leitung",
    "stadtteil.name",
    "web_link",
    "ebenfalls_an",
    "attachments",
)
DOCX = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
# (pairing, year) -> the prefilled Jahresbericht skeleton as DOCX, built inside the pass
Skeleton = Callable[[str, int], bytes]


def for_point(
    ctx: MailContext,
    renderer: Renderer,
    due: DuePoint,
    now: datetime,
    sent: Sequence[Sent] = (),
    skeleton: Skeleton | None = None,
) -> list[Draft]:
    """The drafts of one due point; ``sent`` is what went out before for the same stage.

    Mostly one draft; a reminder goes to each contact on their own (``PER_PERSON``): the first
    under the point's key, each further one under ``…/an-ADDRESS``, so one person's reminders
    of all pairings are bundled into one message. A reminder of the Jahresbericht carries the
    pairing's prefilled skeleton (``skeleton``), built only when the draft is stored.
    """
    settings, point = ctx.settings, due.point
    stage = settings.stage(due.stage_id)
    assert stage is not None  # due.py only yields configured stages
    pairing = settings.pairings[due.pairing_id]
    to, cc = recipients.for_kind(point.kind, point.level, pairing, stage, settings)
    if not due.send:
        return [_point_draft(ctx, due, to, cc)]
    attachments: tuple[Attachment, ...] = ()
    if (
        due.meeting_at is None
        and point.kind == ERINNERUNG
        and stage.type in (StageType.REPORT, StageType.PROOF_OF_FUNDS)
    ):
        attachments = file_attachment(stage.vorlage)
    names = [a.filename for a in attachments]
    later = None
    if skeleton is not None and point.kind == ERINNERUNG and stage.type is StageType.REPORT:
        name = f"jahresbericht-{due.pairing_id}-{due.year}.docx"
        names.append(name)
        pairing_id, year = due.pairing_id, due.year

        def later() -> tuple[Attachment, ...]:
            return (Attachment(name, DOCX, skeleton(pairing_id, year)),)

    people = recipients.per_person(point.kind, to)
    found = []
    for index, person in enumerate(people):
        draft = _point_draft(ctx, due, person, cc)
        if index:
            draft = replace(draft, key=f"{draft.key}/{recipients.person_key(person[0])}")
        # Rendered when stored, chunk by chunk (compose.store): never every mail of a pass at
        # once.
        also = _others(people, index)
        render = partial(_render, ctx, renderer, due, now, sent, names, also=also)
        found.append(
            replace(draft, deferred=render, attachments=attachments, deferred_attachments=later)
        )
    return found


def _others(people: list[tuple[str, ...]], index: int) -> tuple[str, ...]:
    """The names of everyone in ``people`` but the one at ``index``."""
    if len(people) < 2:
        return ()
    return tuple(display_name(a) for i, p in enumerate(people) if i != index for a in p)


def _render(
    ctx: MailContext,
    renderer: Renderer,
    due: DuePoint,
    now: datetime,
    sent: Sequence[Sent],
    attachments: list[str],
    role: str | None = None,
    also: tuple[str, ...] = (),
) -> Rendered:
    settings, point = ctx.settings, due.point
    stage = settings.stage(due.stage_id)
    assert stage is not None  # due.py only yields configured stages
    today = ctx.today(now)
    # For meeting reminders the anchor is the meeting day; otherwise the effective due date.
    context = stage_context(settings, due.pairing_id, due.year, stage, point.anchor, today)
    context["level"] = point.level
    addressed = recipients_for(point.kind, point.level, stage.type).addressed
    context["recipients_role"] = role or str(addressed)
    # Mails to the city's staff link the page of the web application they are about (SPEC §6).
    base = settings.web.base_url.rstrip("/")
    context["web_link"] = (
        f"{base}/termin"
        if stage.type is StageType.GROUP_MEETING
        else f"{base}/zyklus/{due.pairing_id}/{due.year}"
    )
    # Truthful mails: name only reminders that went out, and an invitation only if one did.
    context["erinnert_am"] = [s.on for s in sent if s.kind == ERINNERUNG]
    context["eskaliert_am"] = sorted({s.on for s in sent if s.kind == "eskalation"})
    context["eingeladen"] = any(s.kind == "einladung" for s in sent)
    if due.meeting_at is not None:
        context["meeting"] = {"start": due.meeting_at, "location": due.location}
    context["attachments"] = attachments
    context["ebenfalls_an"] = also  # the pairing's other contacts, each with their own copy
    return renderer.render_shaped(point.kind, context, VARYING)


def copies_for_point(
    ctx: MailContext, renderer: Renderer, due: DuePoint, now: datetime, sent: Sequence[Sent] = ()
) -> list[Draft]:
    """Each extra copy of a point's notification for other people (a later escalation: the
    Träger's Leitung gets its own, so the Stabsstellenleitung's message can list every Träger)."""
    if not due.send:
        return []
    settings, point = ctx.settings, due.point
    stage = settings.stage(due.stage_id)
    assert stage is not None
    pairing = settings.pairings[due.pairing_id]
    found = []
    for role, to in recipients.copies(point.kind, point.level, pairing, stage, settings):
        render = partial(_render, ctx, renderer, due, now, sent, [], role)
        draft = _point_draft(ctx, due, to, ())
        found.append(replace(draft, key=f"{draft.key}/kopie-{role}", deferred=render))
    return found


def _point_draft(
    ctx: MailContext, due: DuePoint, to: tuple[str, ...], cc: tuple[str, ...]
) -> Draft:
    """The notification row of a due point, not yet rendered (skipped points stay so)."""
    settings, point = ctx.settings, due.point
    pairing = settings.pairings[due.pairing_id]
    return Draft(
        key=point_key(
            due.pairing_id, due.year, due.stage_id, point.anchor, point.kind, point.level
        ),
        kind=point.kind,
        level=point.level,
        to=to,
        cc=cc,
        send_at=send_instant(point, settings.calendar.send_time, ctx.calendar),
        cycle_id=due.cycle_id,
        pairing_id=due.pairing_id,
        year=due.year,
        stage_id=due.stage_id,
        anchor=point.anchor,
        point_on=point.on,
        stadtteil=settings.stadtteile[pairing.stadtteil].name,
        reason=due.reason,
    )


def digest_week(ctx: MailContext, now: datetime) -> tuple[str, date] | None:
    """The ISO week label and day of the weekly overview due at ``now``, if any."""
    digest = ctx.settings.policy.digest
    if digest is None:
        return None
    today = ctx.today(now)
    day = today - timedelta(days=today.weekday() - digest)
    if day > today or ctx.calendar.at(day, ctx.settings.calendar.send_time) > now:
        return None
    iso = day.isocalendar()
    return f"{iso.year}-W{iso.week:02d}", day


# The weekly overview lists what is overdue and what is due in the next two weeks, at most this
# many rows (the most overdue first); everything else is one click away on the Übersicht.
DIGEST_DAYS = 14
DIGEST_ROWS = 40


def weekly_overview(
    ctx: MailContext,
    renderer: Renderer,
    rows: list[CycleRow],
    now: datetime,
    week: str,
    day: date,
    head: tuple[int, str] | None = None,
    proposals: Sequence[Proposal] = (),
) -> Draft:
    """The weekly overview; ``head`` (count, hash) of the audit log is printed as an anchor."""
    today = ctx.today(now)
    names = {s.id: s.name for s in ctx.settings.stages}
    listed: list[dict[str, Any]] = []
    for row in rows:
        for cell in row.stages.values():
            if cell.done or row.ended_on is not None:
                continue
            if cell.overdue_days or (cell.due - today).days <= DIGEST_DAYS:
                listed.append(
                    {
                        "pairing": row.pairing,
                        "traeger": row.traeger,
                        "stadtteil": row.stadtteil,
                        "stage": names[cell.stage_id],
                        "status": STATUS_LABELS.get(cell.status, cell.status),
                        "due": cell.due,
                        "overdue_days": cell.overdue_days,
                        "wartet": cell.in_words() if cell.waiting_for else "",
                    }
                )
    listed.sort(key=lambda r: (-int(r["overdue_days"]), r["due"], r["pairing"]))
    k = ctx.settings.koordinierungsstelle
    base = ctx.settings.web.base_url.rstrip("/")
    context = {
        "week": week,
        "rows": listed[:DIGEST_ROWS],  # a page, not a dump: the rest is on the Übersicht
        "weitere": max(0, len(listed) - DIGEST_ROWS),
        "link": f"{base}/",
        "link_ueberfaellig": f"{base}/?ueberfaellig=1",
        # Dates Träger contacts proposed in the portal during the last week (SPEC §14)
        "vorschlaege": [
            {
                "stadtteil": ctx.settings.stadtteile[
                    ctx.settings.pairings[p.pairing].stadtteil
                ].name
                if p.pairing in ctx.settings.pairings
                else p.pairing,
                "stage": names.get(p.stage_id, p.stage_id),
                "email": p.email,
                "dates": list(p.dates),
                "note": p.note,
                "link": f"{base}/zyklus/{p.pairing}/{p.year}",
            }
            for p in proposals
        ],
        "counts": {
            "zyklen": len(rows),
            "ueberfaellig": sum(1 for r in listed if r["overdue_days"]),
            "bald_faellig": sum(1 for r in listed if not r["overdue_days"] and not r["wartet"]),
            "wartend": sum(1 for r in listed if r["wartet"]),
        },
        "koordinierungsstelle": {"name": k.name, "email": k.email},
        "protokoll": {"eintraege": head[0], "hash": head[1]} if head else None,
    }
    return Draft(
        key=f"wochenuebersicht/{week}",
        kind="wochenuebersicht",
        level=0,
        send_at=ctx.calendar.at(day, ctx.settings.calendar.send_time),
        to=recipients.for_kind(WOCHENUEBERSICHT, 0, None, None, ctx.settings)[0],
        rendered=renderer.render("wochenuebersicht", context),
        bundle=False,
    )
