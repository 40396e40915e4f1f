"""Presentation of the status overview: coloured terminal matrix and CSV rows."""

from __future__ import annotations

from cycle.config.settings import Settings
from cycle.views.formats import DIM, GREEN, RED, YELLOW, german_date, paint, table
from cycle.views.overview import SOON_DAYS, CycleRow, StageCell
from workflows.cycle_state import ABGESCHLOSSEN, BEENDET
from workflows.stages import AWAITING_CITY, STATUS_LABELS

CSV_HEADERS = [
    "pairing",
    "traeger",
    "stadtteil",
    "year",
    "state",
    "stage",
    "status",
    "done",
    "due",
    "done_on",
    "overdue_days",
    "scheduled_at",
]


def _cell(cell: StageCell, today_days_left: int, colour: bool) -> str:
    label = STATUS_LABELS.get(cell.status, cell.status)
    if cell.done:
        return paint(f"✔ {label}\n{german_date(cell.done_on)}", GREEN, colour)
    due = f"bis {german_date(cell.due)}" + (" (verl.)" if cell.extended else "")
    if cell.overdue_days:
        tage = "Tag" if cell.overdue_days == 1 else "Tage"
        return paint(f"{label}\n{cell.overdue_days} {tage} überfällig", RED, colour)
    if cell.status in AWAITING_CITY:
        tage = "Tag" if cell.waiting_days == 1 else "Tagen"
        return f"{label}\nwartet seit {cell.waiting_days} {tage} auf {AWAITING_CITY[cell.status]}"
    if cell.scheduled_at is not None:
        return f"{label}\nam {cell.scheduled_at:%d.%m.%Y}"
    return paint(f"{label}\n{due}", YELLOW if today_days_left <= SOON_DAYS else DIM, colour)


def render_table(
    rows: list[CycleRow], settings: Settings, today_ordinal: int, colour: bool, tz: object
) -> str:
    headers = ["Partnerschaft", "Träger", "Stand", *[s.name for s in settings.stages]]
    body = []
    for row in rows:
        state = next((s.name for s in settings.stages if s.id == row.state), row.state)
        if row.state == ABGESCHLOSSEN:
            state = paint(ABGESCHLOSSEN, GREEN, colour)
        elif row.state == BEENDET:
            state = f"beendet\n{german_date(row.ended_on)}"
        cells = []
        for stage in settings.stages:
            cell = row.stages.get(stage.id)
            cells.append(_cell(cell, cell.due.toordinal() - today_ordinal, colour) if cell else "–")
        body.append([f"{row.pairing}\n{row.stadtteil}", row.traeger, state, *cells])
    return table(headers, body, [22, 26, 16, *[None] * len(settings.stages)])


def csv_rows(rows: list[CycleRow], tz: object) -> list[list[object]]:
    out: list[list[object]] = []
    for row in rows:
        for cell in row.stages.values():
            out.append(
                [
                    row.pairing,
                    row.traeger,
                    row.stadtteil,
                    row.year,
                    row.state,
                    cell.stage_id,
                    cell.status,
                    cell.done,
                    cell.due.isoformat(),
                    cell.done_on.isoformat() if cell.done_on else "",
                    cell.overdue_days,
                    cell.scheduled_at.astimezone(tz).isoformat()  # type: ignore[arg-type]
                    if cell.scheduled_at
                    else "",
                ]
            )
    return out
