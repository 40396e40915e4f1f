"""Uploaded bytes → grids of cells (XLSX sheets, one CSV table), within fixed bounds.

The work is bounded before and while reading, never by the file's own claims:
- XLSX: the archive is unpacked through ``cycle.documents.unpack.repacked`` (every part streamed
  and measured, at most ``XLSX_BUDGET``); openpyxl then reads the measured copy read-only,
  without formulas' recalculation, external links or XML entities (defusedxml), at most
  ``MAX_SHEETS`` sheets and ``MAX_COLUMNS`` columns, and stops past row ``MAX_ROW_NUMBER``.
- CSV: UTF-8 (with or without BOM), else Windows-1252 (what a German Excel saves as „CSV“),
  ``;`` separated, at most ``MAX_COLUMNS`` columns and ``csv.field_size_limit`` per field.
- Both: at most ``MAX_ROWS`` rows that hold anything.
A file beyond a bound raises ``Unreadable`` with a German message; nothing of it is used.
"""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass

from cycle.documents.unpack import Budget, Kaputt, ZuGross, repacked
from cycle.stammdaten_io.cells import RawCell

MAX_ROWS = 20_000  # rows with content in one file (a city has tens, not thousands)
MAX_ROW_NUMBER = 100_000  # a sheet reaching further down is refused (empty rows included)
MAX_COLUMNS = 100
MAX_SHEETS = 20
_MB = 1024 * 1024
XLSX_BUDGET = Budget(
    max_part=64 * _MB,
    max_total=96 * _MB,
    max_parts=500,
    too_big="Die XLSX-Datei entpackt sich auf mehr als 96 MB (oder ein Teil auf mehr als "
    "64 MB) oder hat mehr als 500 Teile; sie wird nicht geöffnet.",
    broken="Die Datei ist keine lesbare XLSX-Arbeitsmappe (beschädigt, verschlüsselt oder ein "
    "anderes Format; bitte in Excel oder LibreOffice als .xlsx speichern).",
)


class Unreadable(ValueError):
    """The file cannot be read at all (format, size, bounds); the message is German."""


@dataclass(frozen=True)
class Grid:
    """One table of a file: its sheet name (``None`` for a CSV) and its rows with content.

    ``rows`` holds (row number, cells) with trailing empty cells removed; ``escaped`` says
    that texts may carry the export's leading ``'`` (CSV).
    """

    sheet: str | None
    rows: tuple[tuple[int, tuple[RawCell, ...]], ...]
    escaped: bool = False


def _too_many_rows() -> Unreadable:
    return Unreadable(
        f"Die Datei hat mehr als {MAX_ROWS:,} ausgefüllte Zeilen; "
        "so viele Stammdaten liest zyklus nicht auf einmal ein.".replace(",", ".")
    )


def _trimmed(cells: tuple[RawCell, ...]) -> tuple[RawCell, ...]:
    end = len(cells)
    while end and (cells[end - 1] is None or cells[end - 1] == ""):
        end -= 1
    return cells[:end]


class _Counter:
    def __init__(self) -> None:
        self.rows = 0

    def take(self, cells: tuple[RawCell, ...]) -> bool:
        """Whether the row holds anything; counts it against ``MAX_ROWS``."""
        if not any(c is not None and (not isinstance(c, str) or c.strip()) for c in cells):
            return False
        self.rows += 1
        if self.rows > MAX_ROWS:
            raise _too_many_rows()
        return True


def xlsx_grids(data: bytes) -> list[Grid]:
    try:
        measured = repacked(data, XLSX_BUDGET)
    except (ZuGross, Kaputt) as error:
        raise Unreadable(str(error)) from None
    from openpyxl import load_workbook

    try:
        book = load_workbook(io.BytesIO(measured), read_only=True, data_only=True, keep_links=False)
    except Exception:  # openpyxl raises many kinds for a broken workbook
        raise Unreadable(XLSX_BUDGET.broken) from None
    try:
        if len(book.worksheets) > MAX_SHEETS:
            raise Unreadable(f"Die Arbeitsmappe hat mehr als {MAX_SHEETS} Blätter.")
        counter = _Counter()
        return [_sheet(sheet, counter) for sheet in book.worksheets]
    except Unreadable:
        raise
    except Exception:
        raise Unreadable(XLSX_BUDGET.broken) from None
    finally:
        book.close()


def _sheet(sheet: object, counter: _Counter) -> Grid:
    rows: list[tuple[int, tuple[RawCell, ...]]] = []
    name = str(getattr(sheet, "title", ""))
    values = sheet.iter_rows(max_col=MAX_COLUMNS + 1, values_only=True)  # type: ignore[attr-defined]
    for number, raw in enumerate(values, start=1):
        if number > MAX_ROW_NUMBER:
            raise Unreadable(
                f"Das Blatt „{name}“ reicht über Zeile {MAX_ROW_NUMBER:,} hinaus; bitte leere "
                "Zeilen am Ende löschen.".replace(",", ".")
            )
        cells = _trimmed(tuple(raw))
        if len(cells) > MAX_COLUMNS:
            raise Unreadable(f"Das Blatt „{name}“ hat mehr als {MAX_COLUMNS} Spalten.")
        if counter.take(cells):
            rows.append((number, cells))
    return Grid(name, tuple(rows))


def _decoded(data: bytes) -> str:
    if data.startswith(b"\xef\xbb\xbf"):
        try:
            return data.decode("utf-8-sig")
        except UnicodeDecodeError:
            raise Unreadable("Die CSV-Datei ist nicht durchgehend UTF-8-kodiert.") from None
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        return data.decode("cp1252", errors="replace")


def csv_grid(data: bytes) -> Grid:
    text = _decoded(data)
    if "\x00" in text:
        raise Unreadable("Die Datei ist keine CSV-Textdatei (sie enthält Nullbytes).")
    counter, rows, number = _Counter(), [], 0
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=";")
    try:  # rows are numbered as a spreadsheet shows them (a cell may span lines)
        for number, raw in enumerate(reader, start=1):
            cells = _trimmed(tuple[RawCell, ...](raw))
            if len(cells) > MAX_COLUMNS:
                raise Unreadable(
                    f"Zeile {number} hat mehr als {MAX_COLUMNS} Spalten; "
                    "ist die Datei mit „;“ getrennt?"
                )
            if counter.take(cells):
                rows.append((number, cells))
    except csv.Error:
        raise Unreadable(
            f"Die CSV-Datei ist ab Zeile {number + 1} nicht lesbar (ein Feld ist zu lang "
            "oder ein Anführungszeichen nicht geschlossen)."
        ) from None
    if rows and len(rows[0][1]) == 1 and any(sep in str(rows[0][1][0]) for sep in ",\t"):
        raise Unreadable(
            "Die CSV-Datei ist nicht mit „;“ getrennt (Komma oder Tabulator gefunden); bitte "
            "als „CSV (Trennzeichen-getrennt)“ mit Semikolon speichern."
        )
    return Grid(None, tuple(rows), escaped=True)
