"""Master-data files as a coordinator makes them: N pairings, and a workbook edited cell by cell.

``master(n)`` is a plausible city: Träger, Stadtteile and n pairings (every fifth a tandem with
two contacts, some ended). ``edited(xlsx, edits)`` changes cells of an exported workbook the way
a person does in Excel or LibreOffice (``{("Partnerschaften", "C7"): "awx"}``) and saves it.
"""

from __future__ import annotations

import io
from collections.abc import Sequence
from datetime import date

from cycle.config.settings import Contact, MasterData, Pairing, Stadtteil, Traeger

Cell = str | int | float | bool | date | None


def master(n: int = 30) -> MasterData:
    traeger = {
        f"traeger-{i}": Traeger(
            f"traeger-{i}",
            f"Träger Nr. {i} e. V.",
            f"Leiterin {i}",
            f"leitung{i}@traeger{i}.example.org",
            "eingetragener Verein",
            "Lüneburg",
            f"Musterstraße {i}, 21335 Lüneburg",
            f"+49 4131 000-{i:03d}",
            f"info@traeger{i}.example.org",
            (f"Vorständin {i}", f"Vorstand {i} (stellv.)"),
        )
        for i in range(1, 7)
    }
    stadtteile = {
        f"stadtteil-{i}": Stadtteil(f"stadtteil-{i}", f"Stadtteil {i}", f"Beschreibung {i}")
        for i in range(1, n + 1)
    }
    pairings = {}
    for i in range(1, n + 1):
        contacts: tuple[Contact, ...] = (
            Contact(f"Kontakt {i}", f"kontakt{i}@example.org", "Stadtteilmanagement"),
        )
        if i % 5 == 0:
            contacts += (Contact(f"Tandem {i}", f"tandem{i}@example.org", "Hansestadt (Tandem)"),)
        pairings[f"p{i:02d}"] = Pairing(
            f"p{i:02d}",
            f"traeger-{i % 6 + 1}",
            f"stadtteil-{i}",
            contacts,
            date(2024, 1, 1),
            date(2025, 12, 31) if i % 7 == 0 else None,
            "Stadtteilmanagement",
            "Quartiersmanagement" if i % 2 else None,
            i % 5 == 0,
        )
    return MasterData(traeger, stadtteile, pairings)


def edited(xlsx: bytes, edits: dict[tuple[str, str], Cell]) -> bytes:
    """``xlsx`` with the cells ``(sheet, "C7")`` set (``None`` empties a cell)."""
    from openpyxl import load_workbook

    book = load_workbook(io.BytesIO(xlsx))
    for (sheet, cell), value in edits.items():
        book[sheet][cell] = value
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def appended(xlsx: bytes, sheet: str, *rows: Sequence[Cell]) -> bytes:
    """``xlsx`` with ``rows`` added under the last row of ``sheet``."""
    from openpyxl import load_workbook

    book = load_workbook(io.BytesIO(xlsx))
    for row in rows:
        book[sheet].append(row)
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def thirty(xlsx: bytes) -> bytes:
    """An export of the shipped config (8 pairings) with 22 new pairings and their Stadtteile:
    30 in all; ``neu-5`` is a tandem with two contacts."""
    stadtteile = [[f"neu-{n}", f"Neustadt {n}", None] for n in range(1, 23)]
    xlsx = appended(xlsx, "Stadtteile", *stadtteile)
    pairings = [
        [f"neu-{n}", "awo" if n % 2 else "caritas", f"neu-{n}", "Stadtteilmanagement", None]
        + ["Ja" if n == 5 else "Nein", "01.05.2026", None, f"Person {n}", f"p{n}@example.org"]
        + ([None, "Tandem Fünf", "tandem5@example.org"] if n == 5 else [])
        for n in range(1, 23)
    ]
    return appended(xlsx, "Partnerschaften", *pairings)


def cell(xlsx: bytes, sheet: str, ident: str, header: str) -> str:
    """The address (``"F3"``) of the cell in column ``header`` of the row with ``Kennung`` ident."""
    from openpyxl import load_workbook
    from openpyxl.utils import get_column_letter

    rows = list(load_workbook(io.BytesIO(xlsx), read_only=True)[sheet].values)
    column = get_column_letter(rows[0].index(header) + 1)
    row = next(n for n, values in enumerate(rows, start=1) if values[0] == ident)
    return f"{column}{row}"
