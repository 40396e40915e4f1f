"""Notifications caused by stage events: invitations on (re-)scheduling, receipts on submission.

They are composed in the event's own transaction and go out with the next drain (at once when
the command delivers). They are never bundled: each is about one event.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import date, datetime
from typing import TYPE_CHECKING

from sqlmodel import Session

from cycle.mail import compose, recipients
from cycle.mail.compose import Draft
from cycle.uids import MEETING_LENGTH, meeting_uid
from notifications import ics
from notifications.message import Attachment, parse_address
from workflows.stale import stale_reason

if TYPE_CHECKING:
    from cycle.config.settings import StageSpec
    from cycle.mail.context import MailContext
    from cycle.persistence.target import Target


def on_stage_event(
    session: Session,
    ctx: MailContext,
    target: Target,
    stage: StageSpec,
    event: str,
    now: datetime,
    entry: int | None = None,
) -> int:
    """Enqueue the notifications of one stage event; returns how many were queued.

    ``entry`` is the number of the event's audit entry: a sign-off task's key names it, so an
    event undone (``correct --reopen``) and done again on the same day mails again.
    """
    if event == "schedule":
        draft = _invitation(ctx, target, stage, now)
        reason = stale_reason(
            draft.kind, draft.level, target.row.status, target.row.scheduled_at, now
        )
        if reason is not None:  # a meeting recorded after it began: nobody is invited to it
            draft = replace(draft, rendered=None, attachments=(), reason=reason)
    elif event == "waive" and _upcoming(target, now):
        reason = str(target.row.facts.get("entfallen_grund") or "Die Stufe entfällt.")
        draft = _cancellation(ctx, target, stage, now, reason)
    elif event in SIGN_OFF_TASKS:
        draft = sign_off_task(ctx, target, stage, SIGN_OFF_TASKS[event], now, entry=entry)
    elif event == "submit":
        draft = _receipt(ctx, target, stage, now)
    else:
        return 0
    return len(compose.store(session, [draft], ctx.settings, ctx.renderer, now))


# The sign-off step that follows an event: ``check`` → Kenntnisnahme (level 1), ``acknowledge`` →
# Ablage (level 3); the reminders of each are the next level (workflows.recipients.AUFGABE).
SIGN_OFF_TASKS = {"check": 1, "acknowledge": 3}


def sign_off_task(
    ctx: MailContext,
    target: Target,
    stage: StageSpec,
    level: int,
    now: datetime,
    since: date | None = None,
    entry: int | None = None,
) -> Draft:
    """The task mail of a sign-off step (odd level) or its reminder (even level).

    The task mail's key ends in ``/eintrag-<entry>`` (the audit entry of the ``check`` or
    ``acknowledge``): the day alone is not unique once a step is reopened and done again.
    """
    day = ctx.today(now)
    base = _base(ctx, target, stage, "aufgabe", since or day, level, now)
    if entry is not None:
        base = replace(base, key=f"{base.key}/eintrag-{entry}")
    context = compose.stage_context(
        ctx.settings, target.pairing.id, target.cycle.year, stage, target.row.due, day
    )
    year = target.cycle.year
    context.update(
        level=level,
        seit=since or day,
        link=f"{ctx.settings.web.base_url.rstrip('/')}/zyklus/{target.pairing.id}/{year}/"
        "verwendungsnachweis",
    )
    return replace(base, rendered=ctx.renderer.render("aufgabe", context))


def _upcoming(target: Target, now: datetime) -> bool:
    """A meeting is scheduled and has not begun: participants have it in their calendars."""
    return target.row.scheduled_at is not None and target.row.scheduled_at > now


def meeting_moved(
    session: Session,
    ctx: MailContext,
    old: Target,
    new: Target | None,
    stage: StageSpec,
    now: datetime,
    reason: str,
) -> int:
    """A pairing ended (``new`` None) or handed its meeting over to ``new``: the predecessor's
    participants get a cancellation, the successor's an invitation. Returns the count queued."""
    drafts = []
    if _upcoming(old, now):
        drafts.append(_cancellation(ctx, old, stage, now, reason))
    if new is not None and _upcoming(new, now):
        drafts.append(_invitation(ctx, new, stage, now))
    return len(compose.store(session, drafts, ctx.settings, ctx.renderer, now))


def _cancellation(
    ctx: MailContext, target: Target, stage: StageSpec, now: datetime, reason: str
) -> Draft:
    """``absage``: METHOD:CANCEL with the invitation's UID and a higher SEQUENCE."""
    row, settings = target.row, ctx.settings
    assert row.scheduled_at is not None
    start = row.scheduled_at.astimezone(ctx.calendar.timezone)
    row.sequence += 1  # the cancellation replaces the invitation in the calendar
    level = row.sequence
    base = _base(ctx, target, stage, "absage", start.date(), level, now)
    context = compose.stage_context(
        settings, target.pairing.id, target.cycle.year, stage, row.due, ctx.today(now)
    )
    context.update(level=level, meeting={"start": start, "location": row.location}, grund=reason)
    cancel = _calendar_file(
        ctx, target, stage, base, start, level, f"abgesagt: {reason}", now, "CANCEL"
    )
    attachments = (Attachment("absage.ics", "text/calendar; method=CANCEL", cancel),)
    context["attachments"] = [a.filename for a in attachments]
    return replace(base, rendered=ctx.renderer.render("absage", context), attachments=attachments)


def _base(
    ctx: MailContext,
    target: Target,
    stage: StageSpec,
    kind: str,
    anchor: date,
    level: int,
    now: datetime,
) -> Draft:
    pairing = ctx.settings.pairings[target.pairing.id]
    to, cc = recipients.for_kind(kind, level, pairing, stage, ctx.settings)
    year = target.cycle.year
    return Draft(
        key=compose.point_key(pairing.id, year, stage.id, anchor, kind, level),
        kind=kind,
        level=level,
        send_at=now,
        to=to,
        cc=cc,
        cycle_id=target.cycle.id,
        pairing_id=pairing.id,
        year=year,
        stage_id=stage.id,
        anchor=anchor,
        bundle=False,
        stadtteil=ctx.settings.stadtteile[pairing.stadtteil].name,
    )


def _invitation(ctx: MailContext, target: Target, stage: StageSpec, now: datetime) -> Draft:
    row, settings = target.row, ctx.settings
    assert row.scheduled_at is not None
    start = row.scheduled_at.astimezone(ctx.calendar.timezone)
    level = row.sequence
    base = _base(ctx, target, stage, "einladung", start.date(), level, now)
    context = compose.stage_context(
        settings, target.pairing.id, target.cycle.year, stage, row.due, ctx.today(now)
    )
    context.update(
        level=level, meeting={"start": start, "location": row.location}, verschoben=level > 0
    )
    invite = _calendar_file(
        ctx, target, stage, base, start, level, str(context["traeger"]["name"]), now, "REQUEST"
    )
    attachments = (
        Attachment("einladung.ics", "text/calendar; method=REQUEST", invite),
        *compose.file_attachment(stage.leitfaden_for(target.cycle.year)),
    )
    context["attachments"] = [a.filename for a in attachments]
    return replace(
        base, rendered=ctx.renderer.render("einladung", context), attachments=attachments
    )


def _calendar_file(
    ctx: MailContext,
    target: Target,
    stage: StageSpec,
    draft: Draft,
    start: datetime,
    sequence: int,
    detail: str,
    now: datetime,
    method: str,
) -> bytes:
    """The meeting as iCalendar for the draft's recipients: REQUEST (invite) or CANCEL."""
    settings, year = ctx.settings, target.cycle.year
    k = settings.koordinierungsstelle
    attendees = [
        (a.display_name or a.addr_spec, a.addr_spec)
        for a in map(parse_address, [*draft.to, *draft.cc])
    ]
    return ics.invitation(
        uid=meeting_uid(settings, target.pairing.id, year, stage),
        sequence=sequence,
        start=start,
        end=start + MEETING_LENGTH,
        summary=f"{stage.name} {draft.stadtteil or ''}".strip(),
        location=target.row.location,
        description=f"{stage.name} {year} · {detail}",
        organizer=(k.name, k.email),
        attendees=attendees,
        now=now,
        method=method,
    )


def _receipt(ctx: MailContext, target: Target, stage: StageSpec, now: datetime) -> Draft:
    row = target.row
    level = int(row.facts.get("einreichungen", 1))
    day = ctx.today(now)
    base = _base(ctx, target, stage, "eingangsbestaetigung", row.due, level, now)
    context = compose.stage_context(
        ctx.settings, target.pairing.id, target.cycle.year, stage, row.due, day
    )
    context["level"] = level
    return replace(base, rendered=ctx.renderer.render("eingangsbestaetigung", context))
