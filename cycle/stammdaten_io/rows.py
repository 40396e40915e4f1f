"""Grids → rows of a record kind: the headers read, every cell turned into its TOML value.

A sheet named like a kind (``Träger``, ``Stadtteile``, ``Partnerschaften``) holds rows of that
kind; a sheet with an ``Art`` column (the CSV, or a single sheet made from it) names the kind in
each row. Problems with headers and cells are kept with their place (sheet, row, column) for
``Zeile N, Spalte X: …``.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from cycle.config.values import quote, suggestion
from cycle.stammdaten_io import cells
from cycle.stammdaten_io.layout import (
    ART,
    KINDS,
    Column,
    Header,
    Kind,
    flat_columns,
    known_headers,
    normal,
    read_header,
)
from cycle.stammdaten_io.sources import Grid

IGNORED_SHEETS = frozenset({"hinweise"})  # a sheet of notes beside the data


def letter(index: int) -> str:
    """The spreadsheet name of the 0-based column ``index``: A, B, …, Z, AA, …"""
    name, index = "", index + 1
    while index:
        index, rest = divmod(index - 1, 26)
        name = chr(65 + rest) + name
    return name


@dataclass(frozen=True)
class Place:
    """Where a value stands: sheet (``None`` for a CSV), row, and column (letter, header)."""

    sheet: str | None
    row: int
    column: str | None = None
    header: str | None = None

    def __str__(self) -> str:
        parts = [f"Blatt „{self.sheet}“"] if self.sheet else []
        if self.row:  # 0: the whole sheet
            parts.append(f"Zeile {self.row}")
        if self.header is not None:
            parts.append(
                f"Spalte {self.column} „{self.header}“"
                if self.column
                else f"Spalte „{self.header}“ (nicht in der Datei)"
            )
        return ", ".join(parts)

    def at(self, column: str | None, header: str) -> Place:
        return Place(self.sheet, self.row, column, header)


@dataclass
class Row:
    """One record of the file: its kind, place, values by TOML key, and its contacts."""

    kind: Kind
    place: Place
    values: dict[str, object] = field(default_factory=dict)
    columns: dict[str, Place] = field(default_factory=dict)  # key → its cell's place
    present: set[str] = field(default_factory=set)  # keys whose column the sheet has
    contacts: dict[int, dict[str, object]] = field(default_factory=dict)  # group → values
    contact_columns: dict[tuple[int, str], Place] = field(default_factory=dict)


@dataclass
class Reading:
    """What the grids hold: the rows of each kind, and the problems found so far."""

    rows: dict[str, list[Row]] = field(default_factory=lambda: {k.key: [] for k in KINDS})
    kinds: set[str] = field(default_factory=set)
    problems: list[tuple[Place | None, str]] = field(default_factory=list)
    failed: set[tuple[int, str]] = field(default_factory=set)  # (id(row), key) with a problem

    def problem(self, place: Place | None, message: str) -> None:
        self.problems.append((place, message))


def _kind_of_sheet(name: str) -> Kind | None:
    wanted = normal(name)
    return next((k for k in KINDS if wanted in (normal(k.sheet), normal(k.art), k.key)), None)


def _kind_of_art(text: str) -> Kind | None:
    return _kind_of_sheet(text)


def read_grids(grids: list[Grid]) -> Reading:
    reading = Reading()
    for grid in grids:
        if not grid.rows or (grid.sheet and normal(grid.sheet) in IGNORED_SHEETS):
            continue
        _read_grid(grid, reading)
    return reading


def _read_grid(grid: Grid, reading: Reading) -> None:
    kind = _kind_of_sheet(grid.sheet) if grid.sheet else None
    columns = list(kind.columns) if kind else flat_columns()
    head_number, head = grid.rows[0]
    art = next((i for i, t in enumerate(head) if t and normal(str(t)) == normal(ART)), None)
    if kind is None and art is None:
        reading.problem(
            Place(grid.sheet, 0),
            "weder ein bekanntes Blatt (Träger, Stadtteile, Partnerschaften) noch eine "
            "Spalte „Art“ (Träger, Stadtteil oder Partnerschaft je Zeile)",
        )
        return
    if kind is not None and art is not None:
        reading.problem(
            Place(grid.sheet, head_number, letter(art), str(head[art])),
            f"gibt es auf dem Blatt „{kind.sheet}“ nicht (alle Zeilen sind {kind.art})",
        )
        return
    headers: list[Header | None] = []
    seen: set[tuple[str, int | None]] = set()
    for index, text in enumerate(head):
        place = Place(grid.sheet, head_number, letter(index), str(text or ""))
        meaning = read_header(str(text), columns, kind is None or kind.contacts) if text else None
        if text and meaning is None:
            hint = suggestion(str(text), known_headers(columns, kind is None or kind.contacts))
            reading.problem(place, f"unbekannte Spalte{hint}")
        if meaning is not None:
            mark = ("Art", None) if meaning.art else (meaning.column.label, meaning.group)  # type: ignore[union-attr]
            if mark in seen:
                reading.problem(place, "Spalte ist doppelt")
                meaning = None
            seen.add(mark)
        headers.append(meaning)
    if kind is not None:
        reading.kinds.add(kind.key)
    for number, line in grid.rows[1:]:
        _read_row(grid, number, line, headers, kind, art, reading)


def _read_row(
    grid: Grid,
    number: int,
    line: tuple[cells.RawCell, ...],
    headers: list[Header | None],
    kind: Kind | None,
    art: int | None,
    reading: Reading,
) -> None:
    base = Place(grid.sheet, number)
    if kind is None and art is not None:
        text = str(line[art]).strip() if art < len(line) and line[art] is not None else ""
        kind = _kind_of_art(text)
        if kind is None:
            arts = ", ".join(k.art for k in KINDS)
            found = f"{quote(text)} ist keine bekannte Art" if text else "Pflichtangabe fehlt"
            reading.problem(base.at(letter(art), "Art"), f"{found} (erlaubt: {arts})")
            return
        reading.kinds.add(kind.key)
    assert kind is not None
    row = Row(kind, base)
    for index, meaning in enumerate(headers):
        if meaning is None or meaning.art or meaning.column is None:
            continue
        place = base.at(letter(index), str(grid.rows[0][1][index]))
        _read_cell(row, meaning, place, line[index] if index < len(line) else None, grid, reading)
    reading.rows[kind.key].append(row)


def _read_cell(
    row: Row,
    meaning: Header,
    place: Place,
    raw: cells.RawCell,
    grid: Grid,
    reading: Reading,
) -> None:
    column: Column = meaning.column  # type: ignore[assignment]
    kind = row.kind
    if meaning.group is None and kind.column(column.key) != column:
        if raw is not None and str(raw).strip():
            reading.problem(place, f"gibt es bei {kind.art} nicht (bitte leer lassen)")
        return
    if meaning.group is not None and not kind.contacts:
        if raw is not None and str(raw).strip():
            reading.problem(place, f"gibt es bei {kind.art} nicht (bitte leer lassen)")
        return
    try:
        value = cells.read(column, raw, grid.escaped)
    except cells.CellProblem as problem:
        reading.problem(place, str(problem))
        key = column.key if meaning.group is None else f"contacts.{meaning.group}.{column.key}"
        reading.failed.add((id(row), key))
        value = None
    if meaning.group is None:
        row.present.add(column.key)
        row.columns[column.key] = place
        if value is not None:
            row.values[column.key] = value
    else:
        row.contact_columns[(meaning.group, column.key)] = place
        if value is not None:
            row.contacts.setdefault(meaning.group, {})[column.key] = value
