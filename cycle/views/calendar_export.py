"""``zyklus calendar (PAIRING | --all)``: every deadline and meeting as iCalendar.

Every effective deadline (the stored due date: after § 193 BGB or an extension) is an all-day
event with the UID ``<pairing>-<year>-<stage>-frist@<domain>``; every scheduled meeting is a
timed event in Europe/Berlin with the UID of its invitation (``meeting_uid``), so a calendar
that imported the invitation updates the same entry. The Fachtag is one event for all pairings
and appears once. The domain is the one of the sender address in ``[mail] from``. Entries after
the day a cycle was ended are left out.
"""

from __future__ import annotations

from sqlmodel import col, select

from cycle.config.settings import StageSpec
from cycle.persistence.tables import Cycle, PairingRow, StadtteilRow, StageState, TraegerRow
from cycle.persistence.uow import reading
from cycle.uids import MEETING_LENGTH, deadline_uid, meeting_uid
from cycle.views.context import ViewContext
from cycle.views.reports import known_pairing
from notifications import ics
from notifications.ics import CalendarEntry
from workflows.stages import ENTFALLEN, STATUS_LABELS, StageType

MEETINGS = (StageType.MEETING, StageType.GROUP_MEETING)


def calendar(ctx: ViewContext, pairing: str | None, year: int | None) -> tuple[bytes, int]:
    """The iCalendar file of one pairing (all when ``pairing`` is None) and its entry count."""
    if pairing is not None:
        known_pairing(ctx.settings, pairing)
    entries = load_entries(ctx, pairing, year)
    what = pairing or "alle Partnerschaften"
    name = f"Qualitätszyklus {what}" + (f" {year}" if year else "")
    return ics.export(entries, name, now=ctx.now), len(entries)


def load_entries(ctx: ViewContext, pairing: str | None, year: int | None) -> list[CalendarEntry]:
    """Deadlines and scheduled meetings, ordered by cycle and stage; each UID once."""
    query = (
        select(Cycle, StageState, TraegerRow.name, StadtteilRow.name)
        .join(StageState, col(StageState.cycle_id) == col(Cycle.id))
        .join(PairingRow, col(PairingRow.id) == col(Cycle.pairing_id))
        .join(TraegerRow, col(TraegerRow.id) == col(PairingRow.traeger_id))
        .join(StadtteilRow, col(StadtteilRow.id) == col(PairingRow.stadtteil_id))
        .order_by(col(Cycle.year), col(Cycle.pairing_id), col(StageState.position))
    )
    if pairing is not None:
        query = query.where(col(Cycle.pairing_id) == pairing)
    if year is not None:
        query = query.where(col(Cycle.year) == year)
    with reading(ctx.engine) as session:
        found = list(session.exec(query))
    entries: dict[str, CalendarEntry] = {}
    for cycle, row, traeger, stadtteil in found:
        stage = ctx.settings.stage(row.stage_id)
        if stage is None:
            continue
        for entry in _entries(ctx, cycle, row, stage, f"{traeger}, {stadtteil}", stadtteil):
            entries.setdefault(entry.uid, entry)
    return list(entries.values())


def _entries(
    ctx: ViewContext, cycle: Cycle, row: StageState, stage: StageSpec, who: str, stadtteil: str
) -> list[CalendarEntry]:
    settings, year = ctx.settings, cycle.year
    ended = cycle.ended_on
    status = STATUS_LABELS.get(row.status, row.status)
    out = []
    if row.status != ENTFALLEN and (ended is None or row.due <= ended):  # a waived stage has none
        extended = f", verlängert bis {row.due:%d.%m.%Y}" if row.extended_until else ""
        out.append(
            CalendarEntry(
                uid=deadline_uid(settings, cycle.pairing_id, year, stage),
                summary=f"Frist {stage.name} {year} – {stadtteil}",
                start=row.due,
                description=f"{stage.name} {year} · {who} · Stand: {status}{extended}",
            )
        )
    at = row.scheduled_at
    if stage.type in MEETINGS and at is not None and row.status != ENTFALLEN:
        start = at.astimezone(ctx.tz)
        if ended is None or start.date() <= ended:
            out.append(_meeting(ctx, cycle, row, stage, who, stadtteil))
    return out


def _meeting(
    ctx: ViewContext, cycle: Cycle, row: StageState, stage: StageSpec, who: str, stadtteil: str
) -> CalendarEntry:
    assert row.scheduled_at is not None
    start = row.scheduled_at.astimezone(ctx.tz)
    joint = stage.type is StageType.GROUP_MEETING
    return CalendarEntry(
        uid=meeting_uid(ctx.settings, cycle.pairing_id, cycle.year, stage),
        summary=f"{stage.name} {cycle.year}" if joint else f"{stage.name} {stadtteil}",
        start=start,
        end=start + MEETING_LENGTH,
        description=f"{stage.name} {cycle.year}" + ("" if joint else f" · {who}"),
        location=row.location,
        sequence=row.sequence,
    )
