"""Master data as a file: XLSX, CSV or TOML (SPEC §16), read back unchanged by ``parse``.

- XLSX (openpyxl): a sheet per kind, a bold frozen header row with an auto-filter, dates as
  date cells (``31.03.2026``), every text a text cell (never a formula).
- CSV: ``;`` separated, UTF-8 with BOM, CRLF — it opens in a German Excel and in LibreOffice
  without a dialog, like the status export (``cycle.views.exports``). Dates ``31.03.2026``,
  ``Ja``/``Nein``. A text a spreadsheet would read as a formula (``=``, ``+``, ``-``, ``@``,
  tab, CR) — or that starts with ``'`` itself — gets a leading ``'``, which the import removes.
- TOML: ``[[traeger]]``, ``[[stadtteil]]`` and ``[[pairing]]`` exactly as in ``config.toml``.
"""

from __future__ import annotations

import csv
import io
from datetime import date
from typing import Any

from cycle.config.settings import MasterData, Pairing
from cycle.stammdaten_io.layout import (
    ART,
    CONTACT,
    KINDS,
    LIST_SEPARATOR,
    MIN_CONTACT_GROUPS,
    Column,
    Kind,
    contact_headers,
    flat_columns,
)

FORMATS = ("xlsx", "csv", "toml")
MEDIA_TYPES = {
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    "csv": "text/csv; charset=utf-8",
    "toml": "application/toml; charset=utf-8",
}
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r", "'")
TOML_HEAD = (
    "# Stammdaten von zyklus: Träger, Stadtteile und Partnerschaften im Format von config.toml.\n"
    "# Einlesen mit „zyklus stammdaten import DATEI“ (oder auf der Seite Stammdaten → Import).\n\n"
)

Value = str | bool | date | tuple[str, ...] | None


def export(master: MasterData, fmt: str) -> bytes:
    """The master data in ``fmt`` (one of ``FORMATS``)."""
    if fmt == "xlsx":
        return _xlsx(master)
    if fmt == "csv":
        return _csv(master)
    if fmt == "toml":
        return _toml(master)
    raise ValueError(f"unknown format {fmt!r}")


def _records(master: MasterData, kind: Kind) -> list[Any]:
    by_kind: dict[str, Any] = {
        "traeger": master.traeger,
        "stadtteil": master.stadtteile,
        "pairing": master.pairings,
    }
    return list(by_kind[kind.key].values())


def _groups(master: MasterData) -> int:
    return max([MIN_CONTACT_GROUPS, *(len(p.contacts) for p in master.pairings.values())])


def _value(record: Any, column: Column) -> Value:
    value: Value = getattr(record, column.key)
    return value


def _contact_values(pairing: Pairing, groups: int) -> list[Value]:
    cells: list[Value] = []
    for n in range(groups):
        contact = pairing.contacts[n] if n < len(pairing.contacts) else None
        cells += [getattr(contact, c.key) if contact else None for c in CONTACT]
    return cells


def _row(record: Any, kind: Kind, columns: list[Column], groups: int) -> list[Value]:
    cells = [_value(record, c) if kind.column(c.key) == c else None for c in columns]
    return cells + (_contact_values(record, groups) if kind.contacts else [])


# --- CSV ---


def _csv_text(value: Value) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "Ja" if value else "Nein"
    if isinstance(value, date):
        return f"{value:%d.%m.%Y}"
    if isinstance(value, tuple):
        value = LIST_SEPARATOR.join(value)
    return f"'{value}" if value.startswith(FORMULA_STARTS) else value


def _csv(master: MasterData) -> bytes:
    columns, groups = flat_columns(), _groups(master)
    buffer = io.StringIO()
    writer = csv.writer(buffer, delimiter=";", lineterminator="\r\n")
    writer.writerow([ART, *(c.label for c in columns), *contact_headers(groups)])
    for kind in KINDS:
        for record in _records(master, kind):
            cells = _row(record, kind, columns, groups if kind.contacts else 0)
            cells += [None] * (len(columns) + 3 * groups - len(cells))
            writer.writerow([kind.art, *(_csv_text(v) for v in cells)])
    return buffer.getvalue().encode("utf-8-sig")


# --- XLSX ---


def _xlsx_value(value: Value) -> str | date | None:
    if isinstance(value, bool):
        return "Ja" if value else "Nein"
    if isinstance(value, tuple):
        return LIST_SEPARATOR.join(value)
    return value


def _xlsx(master: MasterData) -> bytes:
    from openpyxl import Workbook
    from openpyxl.styles import Font
    from openpyxl.utils import get_column_letter

    book = Workbook()
    book.remove(book.active)
    groups = _groups(master)
    for kind in KINDS:
        sheet = book.create_sheet(kind.sheet)
        columns = list(kind.columns)
        head = [c.label for c in columns] + (contact_headers(groups) if kind.contacts else [])
        sheet.append(head)
        for cell in sheet[1]:
            cell.font = Font(bold=True)
        for record in _records(master, kind):
            row = _row(record, kind, columns, groups if kind.contacts else 0)
            sheet.append([_xlsx_value(v) for v in row])
        for row in sheet.iter_rows(min_row=2):
            for cell in row:
                if isinstance(cell.value, date):
                    cell.number_format = "DD.MM.YYYY"
                elif isinstance(cell.value, str):
                    cell.data_type = "s"  # a text cell, never a formula
        for index, name in enumerate(head, start=1):
            width = max(12, min(len(name) + 2, 40))
            sheet.column_dimensions[get_column_letter(index)].width = width
        sheet.freeze_panes = "A2"
        sheet.auto_filter.ref = sheet.dimensions
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


# --- TOML ---


def toml_table(record: Any, kind: Kind) -> dict[str, Any]:
    """One record as its ``config.toml`` table (absent values left out)."""
    table: dict[str, Any] = {}
    for column in kind.columns:
        value = _value(record, column)
        if value is not None and value != ():
            table[column.key] = list(value) if isinstance(value, tuple) else value
    if kind.contacts:
        table["contacts"] = [{c.key: getattr(p, c.key) for c in CONTACT} for p in record.contacts]
    return table


def _toml(master: MasterData) -> bytes:
    import tomli_w

    document = {kind.key: [toml_table(r, kind) for r in _records(master, kind)] for kind in KINDS}
    return (TOML_HEAD + tomli_w.dumps(document)).encode("utf-8")
