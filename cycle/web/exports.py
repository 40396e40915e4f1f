"""The filtered Übersicht as files: CSV for a German Excel and XLSX (SPEC §13).

CSV: ``;`` separated, UTF-8 with BOM, ``Ja``/``Nein``, dates ``31.03.2026``, CRLF. A cell that
a spreadsheet would read as a formula (``=``, ``+``, ``-``, ``@``, tab, CR) gets a leading ``'``.
XLSX: real date cells, a frozen header row and an auto-filter.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Sequence
from datetime import date

from cycle.config.settings import Settings
from cycle.views.overview import CycleRow
from workflows.stages import STATUS_LABELS

Cell = str | int | date | None
_FORMULA = ("=", "+", "-", "@", "\t", "\r")


def headers(settings: Settings) -> list[str]:
    head = ["Partnerschaft", "Träger", "Stadtteil", "Handlungsfeld", "Jahr", "Stand"]
    for stage in settings.stages:
        head += [
            f"{stage.name}: Status",
            f"{stage.name}: Frist",
            f"{stage.name}: erledigt",
            f"{stage.name}: erledigt am",
            f"{stage.name}: Tage überfällig",
        ]
    return head


def state_label(settings: Settings, state: str) -> str:
    stage = settings.stage(state)
    return f"bei {stage.name}" if stage else state


def rows(settings: Settings, cycles: Sequence[CycleRow]) -> list[list[Cell]]:
    out: list[list[Cell]] = []
    for r in cycles:
        pairing = settings.pairings.get(r.pairing)
        line: list[Cell] = [
            r.pairing,
            r.traeger,
            r.stadtteil,
            pairing.handlungsfeld if pairing else "",
            r.year,
            state_label(settings, r.state),
        ]
        for stage in settings.stages:
            cell = r.stages.get(stage.id)
            if cell is None:
                line += [None, None, None, None, None]
                continue
            line += [
                STATUS_LABELS.get(cell.status, cell.status),
                cell.due,
                "Ja" if cell.done else "Nein",
                cell.done_on,
                cell.overdue_days,
            ]
        out.append(line)
    return out


def safe(value: str) -> str:
    return f"'{value}" if value.startswith(_FORMULA) else value


def _text(value: Cell) -> str:
    if value is None:
        return ""
    if isinstance(value, date):
        return f"{value:%d.%m.%Y}"
    return safe(str(value)) if isinstance(value, str) else str(value)


def to_csv(head: list[str], body: list[list[Cell]]) -> bytes:
    buffer = io.StringIO()
    writer = csv.writer(buffer, delimiter=";", lineterminator="\r\n")
    writer.writerow([safe(h) for h in head])
    writer.writerows([[_text(v) for v in line] for line in body])
    return buffer.getvalue().encode("utf-8-sig")


def to_xlsx(head: list[str], body: list[list[Cell]], title: str) -> bytes:
    from openpyxl import Workbook
    from openpyxl.styles import Font
    from openpyxl.utils import get_column_letter

    book = Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.title = title[:31]
    sheet.append(head)
    for cell in sheet[1]:
        cell.font = Font(bold=True)
    for line in body:
        sheet.append([safe(v) if isinstance(v, str) else v for v in line])
    for row in sheet.iter_rows(min_row=2):
        for cell in row:
            if isinstance(cell.value, date):
                cell.number_format = "DD.MM.YYYY"
            elif isinstance(cell.value, str):
                cell.data_type = "s"  # never a formula
    for index, name in enumerate(head, start=1):
        sheet.column_dimensions[get_column_letter(index)].width = max(12, min(len(name) + 2, 40))
    sheet.freeze_panes = "A2"
    sheet.auto_filter.ref = sheet.dimensions
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()
