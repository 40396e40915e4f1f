"""Presentation of the status overview: coloured terminal matrix and CSV rows."""

from __future__ import annotations

from datetime import tzinfo

from cycle.config.settings import Settings
from cycle.views.exports import Cell, local
from cycle.views.formats import DIM, GREEN, RED, YELLOW, german_date, paint, table
from cycle.views.overview import SOON_DAYS, CycleRow, StageCell
from workflows.cycle_state import ABGESCHLOSSEN, BEENDET
from workflows.stages import STATUS_LABELS

CSV_HEADERS = [
    "Partnerschaft",
    "Träger",
    "Stadtteil",
    "Jahr",
    "Stand",
    "Stufe",
    "Status",
    "erledigt",
    "Frist",
    "erledigt am",
    "Tage überfällig",
    "Termin",
]


def _cell(cell: StageCell, today_days_left: int, colour: bool) -> str:
    label = STATUS_LABELS.get(cell.status, cell.status)
    if cell.done:
        return paint(f"✔ {label}\n{german_date(cell.done_on)}", GREEN, colour)
    due = f"bis {german_date(cell.due)}" + (" (verl.)" if cell.extended else "")
    if cell.overdue_days:
        return paint(f"{label}\n{cell.in_words()}", RED, colour)
    if cell.waiting_for is not None:
        return f"{label}\n{cell.in_words()}"
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


def csv_rows(rows: list[CycleRow], settings: Settings, tz: tzinfo) -> list[list[Cell]]:
    """One row per cycle and stage, typed for ``cycle.views.exports`` (CSV and XLSX)."""
    names = {stage.id: stage.name for stage in settings.stages}
    out: list[list[Cell]] = []
    for row in rows:
        state = names.get(row.state, row.state)
        for cell in row.stages.values():
            out.append(
                [
                    row.pairing,
                    row.traeger,
                    row.stadtteil,
                    row.year,
                    f"bei {state}" if row.state in names else state,
                    names.get(cell.stage_id, cell.stage_id),
                    STATUS_LABELS.get(cell.status, cell.status),
                    cell.done,
                    cell.due,
                    cell.done_on,
                    cell.overdue_days,
                    local(cell.scheduled_at, tz) if cell.scheduled_at else None,
                ]
            )
    return out
