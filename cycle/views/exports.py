"""Tables as files for German office software: CSV and XLSX (SPEC §11, §13; issue 11).

CSV: ``;`` separated, UTF-8 with BOM, CRLF, ``Ja``/``Nein``, dates ``31.03.2026``, times
``31.03.2026 10:00``, decimal comma. A text cell that a spreadsheet would read as a formula
(``=``, ``+``, ``-``, ``@``, tab, CR) gets a leading ``'``.
XLSX (openpyxl): real date, date-time and number cells, text cells never formulas, a bold frozen
header row and an auto-filter over the table.

Shared by the CLI (``status``, ``audit``, ``outbox``) and the web application's Übersicht; the
CLI writes the files (``cycle.cli.output``).
"""

from __future__ import annotations

import csv
import io
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime, tzinfo
from decimal import Decimal

from cycle import german

Cell = str | int | float | Decimal | bool | date | datetime | None
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


@dataclass(frozen=True)
class Sheet:
    """A listing as typed cells for CSV/XLSX; ``stem`` names the file the CLI suggests."""

    head: Sequence[str]
    body: Sequence[Sequence[Cell]]
    stem: str


def safe(value: str) -> str:
    """The text as a spreadsheet shows it, never as a formula (``=1+1`` → ``'=1+1``)."""
    return f"'{value}" if value.startswith(FORMULA_STARTS) else value


def local(value: datetime, tz: tzinfo) -> datetime:
    """A stored (aware) instant as the naive local time a spreadsheet cell holds."""
    return german.local(value, tz).replace(tzinfo=None)


def text(value: Cell) -> str:
    """One CSV cell in German notation."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "Ja" if value else "Nein"
    if isinstance(value, datetime):
        return f"{value:%d.%m.%Y %H:%M}"
    if isinstance(value, date):
        return f"{value:%d.%m.%Y}"
    if isinstance(value, float | Decimal):
        return german.zahl(value)
    if isinstance(value, int):
        return str(value)
    return safe(value)


def to_csv(head: Sequence[str], body: Sequence[Sequence[Cell]]) -> bytes:
    buffer = io.StringIO()
    writer = csv.writer(buffer, delimiter=";", lineterminator="\r\n")
    writer.writerow([safe(h) for h in head])
    writer.writerows([[text(v) for v in line] for line in body])
    return buffer.getvalue().encode("utf-8-sig")


def to_xlsx(head: Sequence[str], body: Sequence[Sequence[Cell]], title: str) -> bytes:
    from openpyxl import Workbook
    from openpyxl.styles import Font
    from openpyxl.utils import get_column_letter

    book = Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.title = "".join(c for c in title if c not in "[]:*?/\\")[:31] or "Tabelle"
    sheet.append([safe(h) for h in head])
    for cell in sheet[1]:
        cell.font = Font(bold=True)
    for line in body:
        sheet.append([_xlsx_value(v) for v in line])
    for row in sheet.iter_rows(min_row=2):
        for cell in row:
            if isinstance(cell.value, datetime):
                cell.number_format = "DD.MM.YYYY HH:MM"
            elif isinstance(cell.value, date):
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


def _xlsx_value(value: Cell) -> str | int | float | Decimal | date | datetime | None:
    if isinstance(value, bool):
        return "Ja" if value else "Nein"
    if isinstance(value, datetime) and value.tzinfo is not None:
        raise ValueError("XLSX cells hold local times: convert with exports.local() first")
    if isinstance(value, str):
        return safe(value)
    return value
