"""An uploaded master-data file → ``Parsed``: the desired master data and every problem.

The format follows the file name (``.xlsx``, ``.csv``, ``.toml``), else the content (a ZIP is
an XLSX; a first line with ``;`` a CSV; anything else TOML). Nothing here touches the database:
``current`` (the stored master data) is given, for matching rows by id and for what the file
leaves out.
"""

from __future__ import annotations

from pathlib import PurePath

from cycle.config.settings import MasterData
from cycle.stammdaten_io import desired, toml_source
from cycle.stammdaten_io.desired import Parsed
from cycle.stammdaten_io.rows import Place, read_grids
from cycle.stammdaten_io.sources import Grid, Unreadable, csv_grid, xlsx_grids

_OLD = {
    ".xls": "Das alte Excel-Format .xls wird nicht gelesen; bitte als .xlsx speichern.",
    ".ods": "OpenDocument-Tabellen (.ods) werden nicht gelesen; bitte in LibreOffice als .xlsx "
    "oder .csv speichern.",
}
SUFFIXES = (".xlsx", ".csv", ".toml")


def file_format(name: str, data: bytes) -> str:
    """``xlsx``, ``csv`` or ``toml``; ``Unreadable`` for a format zyklus does not read."""
    suffix = PurePath(name).suffix.casefold()
    if suffix in _OLD:
        raise Unreadable(_OLD[suffix])
    if suffix in SUFFIXES:
        if suffix == ".xlsx" and not data.startswith(b"PK"):
            raise Unreadable("Die Datei heißt .xlsx, ist aber keine XLSX-Arbeitsmappe.")
        return suffix[1:]
    if data.startswith(b"PK"):
        return "xlsx"
    first = data[:4096].split(b"\n", 1)[0]
    return "csv" if b";" in first else "toml"


def parse(data: bytes, name: str, current: MasterData) -> Parsed:
    """Read ``data`` (a file called ``name``) against the stored master data ``current``."""
    try:
        fmt = file_format(name, data)
        if fmt == "toml":
            return _toml(data, current)
        grids = xlsx_grids(data) if fmt == "xlsx" else [csv_grid(data)]
    except Unreadable as error:
        return Parsed(current, (str(error),))
    return _grids(grids, current)


def _toml(data: bytes, current: MasterData) -> Parsed:
    document, kinds, problems = toml_source.document(data, current)
    if not document:
        return Parsed(current, tuple(problems))
    master, lines = desired.check(document)
    problems += toml_source.with_lines(lines, data)
    places = toml_source.places(document, kinds, data)
    return Parsed(master, tuple(problems), kinds=frozenset(kinds), places=places)


def _grids(grids: list[Grid], current: MasterData) -> Parsed:
    reading = read_grids(grids)
    if not reading.kinds and not reading.problems:
        reading.problem(None, "Die Datei enthält keine Stammdaten (keine Zeile unter den Spalten).")
    generated = desired.assign_ids(reading, current)
    document, origins = desired.assemble(reading, current)
    master, lines = desired.check(document)
    found = [(p, f"{p}: {m}" if p else m) for p, m in reading.problems]
    found += desired.located(lines, origins, reading.failed)
    sheets = {g.sheet: n for n, g in enumerate(grids)}

    def order(item: tuple[Place | None, str]) -> tuple[int, int]:
        place = item[0]
        return (-1, 0) if place is None else (sheets.get(place.sheet, 0), place.row)

    places = {
        (kind, str(row.values.get("id"))): str(row.place)
        for kind, rows in reading.rows.items()
        for row in rows
    }
    return Parsed(
        master,
        tuple(text for _, text in sorted(found, key=order)),
        tuple(generated),
        frozenset(reading.kinds),
        places,
    )
