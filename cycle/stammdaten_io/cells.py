"""One cell of an imported sheet as the value ``config.toml`` would hold (SPEC §16).

A cell is what openpyxl or the CSV reader gives: a text, a number, a date, a truth value or
nothing. It becomes the TOML type its column asks for — a text, a date, ``true``/``false`` or a
list of texts — or a German problem for the cell. Blank cells are absent values.
"""

from __future__ import annotations

import re
from datetime import date, datetime, time

from cycle.stammdaten_io.layout import Column
from cycle.text import strip_bidi

MAX_CELL = 2000  # characters in one cell; no name, address or role is longer
RawCell = str | int | float | bool | date | datetime | time | None
_GERMAN_DATE = re.compile(r"^(\d{1,2})\.(\d{1,2})\.(\d{4})$")
_ISO_DATE = re.compile(r"^(\d{4})-(\d{2})-(\d{2})$")
_YES = frozenset({"ja", "j", "x", "wahr", "true", "1"})
_NO = frozenset({"nein", "n", "falsch", "false", "0"})
_EXCEL_EPOCH = date(1899, 12, 30)  # day 0 of a spreadsheet's date number (1900 system)


class CellProblem(ValueError):
    """A German explanation of why the cell cannot be used."""


def read(column: Column, cell: RawCell, escaped: bool) -> object | None:
    """The cell as a TOML value for ``column``; ``None`` when blank; ``CellProblem`` if unusable.

    ``escaped``: the cell comes from a CSV, where the export put a ``'`` before a text a
    spreadsheet would read as a formula; one leading ``'`` is removed.
    """
    if cell is None or (isinstance(cell, str) and not cell.strip()):
        return None
    if column.type == "date":
        return _date(cell)
    if column.type == "flag":
        return _flag(cell)
    text = _text(cell, escaped)
    if column.type == "list":
        items = [item.strip() for item in re.split(r"[;\n]", text)]
        return [item for item in items if item] or None
    return text


def _text(cell: RawCell, escaped: bool) -> str:
    if isinstance(cell, bool):
        text = "Ja" if cell else "Nein"
    elif isinstance(cell, datetime):
        text = f"{cell:%d.%m.%Y %H:%M}" if cell.time() != time() else f"{cell:%d.%m.%Y}"
    elif isinstance(cell, date):
        text = f"{cell:%d.%m.%Y}"
    elif isinstance(cell, float) and cell.is_integer():
        text = str(int(cell))
    else:
        text = str(cell)
    if len(text) > MAX_CELL:
        raise CellProblem(f"zu lang ({len(text)} Zeichen, höchstens {MAX_CELL})")
    if escaped and text.startswith("'"):
        text = text[1:]
    return strip_bidi(text)


def _date(cell: RawCell) -> date:
    problem = CellProblem("ist kein Datum (erwartet TT.MM.JJJJ, z. B. 01.07.2026)")
    if isinstance(cell, datetime):
        if cell.time() != time():
            raise CellProblem("ist ein Zeitpunkt; erwartet ein Datum ohne Uhrzeit")
        return cell.date()
    if isinstance(cell, date):
        return cell
    if isinstance(cell, bool):
        raise problem
    if isinstance(cell, int | float):  # a date cell shown as a number
        if not 1 <= cell <= 2_958_465 or not float(cell).is_integer():
            raise problem
        return date.fromordinal(_EXCEL_EPOCH.toordinal() + int(cell))
    if isinstance(cell, str):
        text = cell.strip()
        problem = CellProblem(f"„{text[:40]}“ {problem}")
        german, iso = _GERMAN_DATE.match(text), _ISO_DATE.match(text)
        try:
            if german:
                return date(int(german[3]), int(german[2]), int(german[1]))
            if iso:
                return date(int(iso[1]), int(iso[2]), int(iso[3]))
        except ValueError:
            raise CellProblem(f"„{text}“ gibt es nicht als Datum") from None
    raise problem


def _flag(cell: RawCell) -> bool:
    if isinstance(cell, bool):
        return cell
    text = (str(int(cell)) if isinstance(cell, float) and cell.is_integer() else str(cell)).strip()
    if text.casefold() in _YES:
        return True
    if text.casefold() in _NO:
        return False
    raise CellProblem(f"„{text[:40]}“: erwartet Ja oder Nein")
