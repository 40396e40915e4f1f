"""The columns of the master-data files (SPEC §16): the export's columns are the import's.

Three record kinds, each with the keys of its ``config.toml`` array (``[[traeger]]``,
``[[stadtteil]]``, ``[[pairing]]``) and a German column header:

- XLSX: one sheet per kind (``Träger``, ``Stadtteile``, ``Partnerschaften``).
- CSV: one flat table; the first column ``Art`` says the kind of each row (``Träger``,
  ``Stadtteil``, ``Partnerschaft``), the other columns are the union of the kinds' columns.

A pairing's contacts stand on its row as column groups ``Kontakt 1 Name``, ``Kontakt 1 E-Mail``,
``Kontakt 1 Rolle``, ``Kontakt 2 …`` (a tandem has two or more). Headers are matched without
regard to case and spacing, in any order.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

ART = "Art"
LIST_SEPARATOR = "; "  # Vertretungsberechtigt: several people in one cell
MIN_CONTACT_GROUPS = 2  # the export always offers room for a tandem
MAX_CONTACT_GROUPS = 20


@dataclass(frozen=True)
class Column:
    """One column: the ``config.toml`` key, the German header and how its cells read."""

    key: str
    label: str
    type: str = "text"  # "text" | "date" | "flag" | "list"


@dataclass(frozen=True)
class Kind:
    """One record kind: its ``config.toml`` array, its sheet and ``Art``, and its columns."""

    key: str  # "traeger" | "stadtteil" | "pairing"
    sheet: str
    art: str
    columns: tuple[Column, ...]
    contacts: bool = False  # rows carry ``Kontakt N …`` column groups

    def column(self, key: str) -> Column | None:
        return next((c for c in self.columns if c.key == key), None)


ID = Column("id", "Kennung")
TRAEGER = Kind(
    "traeger",
    "Träger",
    "Träger",
    (
        ID,
        Column("name", "Name"),
        Column("rechtsform", "Rechtsform"),
        Column("sitz", "Sitz"),
        Column("anschrift", "Anschrift"),
        Column("telefon", "Telefon"),
        Column("email", "E-Mail"),
        Column("leitung", "Leitung"),
        Column("leitung_email", "E-Mail der Leitung"),
        Column("vertretungsberechtigt", "Vertretungsberechtigt", "list"),
    ),
)
STADTTEIL = Kind(
    "stadtteil",
    "Stadtteile",
    "Stadtteil",
    (ID, Column("name", "Name"), Column("beschreibung", "Beschreibung")),
)
PAIRING = Kind(
    "pairing",
    "Partnerschaften",
    "Partnerschaft",
    (
        ID,
        Column("traeger", "Träger"),
        Column("stadtteil", "Stadtteil"),
        Column("handlungsfeld", "Handlungsfeld"),
        Column("angebot", "Angebot"),
        Column("tandem", "Tandem", "flag"),
        Column("start", "Beginn", "date"),
        Column("end", "Ende", "date"),
    ),
    contacts=True,
)
KINDS = (TRAEGER, STADTTEIL, PAIRING)
CONTACT = (Column("name", "Name"), Column("email", "E-Mail"), Column("rolle", "Rolle"))


def contact_label(group: int, column: Column) -> str:
    return f"Kontakt {group} {column.label}"


def contact_headers(groups: int) -> list[str]:
    return [contact_label(n, c) for n in range(1, groups + 1) for c in CONTACT]


def flat_columns() -> list[Column]:
    """The CSV's columns after ``Art``: every kind's columns once, in the kinds' order."""
    seen: dict[str, Column] = {}
    for kind in KINDS:
        for column in kind.columns:
            seen.setdefault(column.label, column)
    return list(seen.values())


def normal(header: str) -> str:
    """A header as compared: case, surrounding and repeated spaces do not matter."""
    return " ".join(header.split()).casefold()


_CONTACT = re.compile(r"^kontakt ?(\d{1,3}) (.+)$")


@dataclass(frozen=True)
class Header:
    """What one header cell names: a column of a kind, a contact field, ``Art`` or nothing."""

    column: Column | None = None
    group: int | None = None  # the contact group of a ``Kontakt N …`` column
    art: bool = False


def read_header(text: str, columns: list[Column], contacts: bool) -> Header | None:
    """The meaning of one header cell among ``columns``; ``None`` when it is unknown."""
    name = normal(text)
    if name == normal(ART):
        return Header(art=True)
    for column in columns:
        if normal(column.label) == name:
            return Header(column)
    match = _CONTACT.match(name) if contacts else None
    if match:
        field = next((c for c in CONTACT if normal(c.label) == match[2]), None)
        group = int(match[1])
        if field is not None and 1 <= group <= MAX_CONTACT_GROUPS:
            return Header(field, group)
    return None


def known_headers(columns: list[Column], contacts: bool) -> list[str]:
    """The headers a message may suggest for an unknown one."""
    return [c.label for c in columns] + (contact_headers(2) if contacts else [])
