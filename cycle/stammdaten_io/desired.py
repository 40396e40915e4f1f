"""Rows → the desired master data, checked by the config loader's own readers (SPEC §3, §16).

Ids: a row without ``Kennung`` gets one from its name (Träger, Stadtteil: „AWO Kreisverband
Lüneburg e. V.“ → ``awo-kreisverband-lueneburg-e-v``) or, for a pairing, from its Stadtteil and
Träger (``kaltenmoor-awo``); ``-2``, ``-3`` … where the file already uses it. Rows are matched
to the stored records by id. A pairing may name its Träger and Stadtteil by id or by name.

A column the sheet does not have keeps the stored value of a matched record (a file with only
``Kennung`` and ``Telefon`` changes telephone numbers and nothing else); a kind the file does not
hold at all stays as stored, and so do Träger and Stadtteile it leaves out (they are never
deleted). A pairing the file leaves out — while it holds pairings — is not in ``desired``: the
plan ends it (``cycle.service.stammdaten``).

The rows become the ``[[traeger]]``, ``[[stadtteil]]`` and ``[[pairing]]`` tables of a
``config.toml`` and go through ``cycle.config.master``'s readers — the same rules, the same
German messages. Their key paths (``pairing[3].traeger``) are turned back into places
(``Blatt „Partnerschaften“, Zeile 4, Spalte B „Träger“``).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from slugify import slugify

from cycle.config.master import read_pairings, read_stadtteile, read_traeger
from cycle.config.schema import Problems, Table
from cycle.config.settings import MasterData
from cycle.stammdaten_io.export import toml_table
from cycle.stammdaten_io.layout import CONTACT, KINDS, PAIRING, Kind, contact_label
from cycle.stammdaten_io.rows import Place, Reading, Row

_UMLAUTS = [
    ["Ä", "Ae"],
    ["Ö", "Oe"],
    ["Ü", "Ue"],
    ["ä", "ae"],
    ["ö", "oe"],
    ["ü", "ue"],
    ["ß", "ss"],
]
_PATH = re.compile(
    r"(?P<kind>traeger|stadtteil|pairing)\[(?P<n>\d+)\]"
    r"(?:\.(?P<key>\w+)(?:\[(?P<c>\d+)\]\.(?P<ckey>\w+))?)?"
)


@dataclass(frozen=True)
class Generated:
    """An id the import made up for a row without ``Kennung`` (shown in the preview)."""

    place: str
    art: str
    id: str
    source: str


@dataclass(frozen=True)
class Parsed:
    """The desired master data, the problems (German, by place), the ids made up.

    ``desired`` is complete only when ``problems`` is empty; ``kinds`` are the record kinds
    the file holds (the others are the stored ones); ``places`` says where each record of the
    file stands, by (kind, id).
    """

    desired: MasterData
    problems: tuple[str, ...]
    generated: tuple[Generated, ...] = ()
    kinds: frozenset[str] = frozenset()
    places: dict[tuple[str, str], str] | None = None

    @property
    def ok(self) -> bool:
        return not self.problems


def slug(text: str) -> str:
    return slugify(text, replacements=_UMLAUTS, max_length=60, word_boundary=True)


def _stored(current: MasterData, kind: Kind) -> dict[str, Any]:
    by_kind: dict[str, dict[str, Any]] = {
        "traeger": current.traeger,
        "stadtteil": current.stadtteile,
        "pairing": current.pairings,
    }
    return by_kind[kind.key]


class _Ids:
    """Ids of one kind in the file: the written ones first, then made-up ones around them."""

    def __init__(self, rows: list[Row]) -> None:
        self.used = {str(r.values["id"]) for r in rows if "id" in r.values}

    def make(self, base: str) -> str:
        ident, n = base, 1
        while ident in self.used:
            n += 1
            ident = f"{base}-{n}"
        self.used.add(ident)
        return ident


def _name_ids(rows: list[Row], stored: dict[str, Any], in_file: bool) -> dict[str, str]:
    """Name (case-insensitive) → id of the records a pairing may refer to; ambiguous omitted."""
    pairs = (
        [(str(r.values.get("name", "")), str(r.values.get("id", ""))) for r in rows]
        if in_file
        else [(record.name, ident) for ident, record in stored.items()]
    )
    found: dict[str, str | None] = {}
    for name, ident in pairs:
        key = name.casefold()
        found[key] = None if key in found and found[key] != ident else ident
    return {k: v for k, v in found.items() if v and k}


def assign_ids(reading: Reading, current: MasterData) -> list[Generated]:
    """Give every row its id (written or made up); resolve a pairing's references by name."""
    generated: list[Generated] = []
    for kind in KINDS:
        rows = reading.rows[kind.key]
        ids = _Ids(rows)
        if kind is PAIRING:
            _resolve_references(reading, current)
        for row in rows:
            if "id" in row.values or (id(row), "id") in reading.failed:
                continue
            source = _id_source(row)
            base = slug(source) if source else ""
            if base and (kind is not PAIRING or row.values.get("traeger")):
                ident = ids.make(base)
                row.values["id"] = ident
                generated.append(Generated(str(row.place), kind.art, ident, source))
    return generated


def _id_source(row: Row) -> str:
    if row.kind is PAIRING:
        parts = (row.values.get("stadtteil"), row.values.get("traeger"))
        return "-".join(str(p) for p in parts if p) if all(parts) else ""
    return str(row.values.get("name", ""))


def _resolve_references(reading: Reading, current: MasterData) -> None:
    for key, kind in (("traeger", KINDS[0]), ("stadtteil", KINDS[1])):
        in_file = kind.key in reading.kinds
        rows = reading.rows[kind.key]
        known = {str(r.values.get("id")) for r in rows} if in_file else set(_stored(current, kind))
        names = _name_ids(rows, _stored(current, kind), in_file)
        for row in reading.rows["pairing"]:
            value = row.values.get(key)
            if isinstance(value, str) and value not in known and value.casefold() in names:
                row.values[key] = names[value.casefold()]


# --- the tables a config.toml would hold ---


def _table(row: Row, stored: dict[str, Any]) -> dict[str, Any]:
    table = dict(row.values)
    record = stored.get(str(table.get("id")))
    before = toml_table(record, row.kind) if record is not None else {}
    for column in row.kind.columns:  # a column the sheet lacks keeps the stored value
        if column.key not in row.present and column.key in before:
            table.setdefault(column.key, before[column.key])
    if row.kind.contacts:
        if row.contact_columns:
            table["contacts"] = [row.contacts[g] for g in sorted(row.contacts)]
        elif "contacts" in before:
            table["contacts"] = before["contacts"]
    return table


@dataclass(frozen=True)
class _Origin:
    """Where a table of the assembled document came from: a row, or a stored record."""

    row: Row | None
    ident: str


def assemble(
    reading: Reading, current: MasterData
) -> tuple[dict[str, Any], dict[str, list[_Origin]]]:
    document: dict[str, list[dict[str, Any]]] = {}
    origins: dict[str, list[_Origin]] = {}
    for kind in KINDS:
        stored = _stored(current, kind)
        if kind.key in reading.kinds:
            rows = reading.rows[kind.key]
            document[kind.key] = [_table(r, stored) for r in rows]
            origins[kind.key] = [_Origin(r, str(r.values.get("id", ""))) for r in rows]
            if kind is not PAIRING:  # Träger and Stadtteile the file leaves out stay
                written = {str(r.values.get("id")) for r in rows}
                kept = [i for i in stored if i not in written]
                document[kind.key] += [toml_table(stored[i], kind) for i in kept]
                origins[kind.key] += [_Origin(None, i) for i in kept]
        else:
            document[kind.key] = [toml_table(r, kind) for r in stored.values()]
            origins[kind.key] = [_Origin(None, i) for i in stored]
    return document, origins


def check(document: dict[str, Any]) -> tuple[MasterData, list[str]]:
    """The config loader's readers over ``document``: master data and problem lines."""
    problems = Problems()
    root = Table(document, "", problems, ("traeger", "stadtteil", "pairing"))
    traeger, stadtteile = read_traeger(root), read_stadtteile(root)
    master = MasterData(traeger, stadtteile, read_pairings(root, traeger, stadtteile))
    return master, problems.lines


# --- problems by place ---


def _first_empty(row: Row) -> int:
    return next(g for g in range(1, len(row.contacts) + 2) if g not in row.contacts)


def _contact_group(row: Row, index: int) -> int:
    groups = sorted(row.contacts)
    return groups[index - 1] if 0 < index <= len(groups) else index


def place_of(match: re.Match[str], origins: dict[str, list[_Origin]]) -> tuple[str, Place | None]:
    """A key path's place in the file (text and ``Place``), or the stored record it names."""
    kind = next(k for k in KINDS if k.key == match["kind"])
    index = int(match["n"]) - 1
    found = origins[kind.key]
    origin = found[index] if index < len(found) else None
    if origin is None or origin.row is None:
        ident = origin.ident if origin else "?"
        return f"{kind.art} „{ident}“ (gespeichert, nicht in der Datei)", None
    row, key = origin.row, match["key"]
    place: Place | None
    if key == "contacts":  # a rule of all contacts (none, a tandem's second): the first empty
        group = _contact_group(row, int(match["c"])) if match["c"] else _first_empty(row)
        name = match["ckey"] or "name"
        column = next(c for c in CONTACT if c.key == name)
        place = row.contact_columns.get((group, name)) or row.place.at(
            None, contact_label(group, column)
        )
    elif key is None:
        place = row.place
    else:
        own = kind.column(key)
        place = row.columns.get(key)
        if place is None and own is not None:
            place = row.place.at(None, own.label)
        place = place or row.place
    return str(place), place


def failed_key(match: re.Match[str], origins: dict[str, list[_Origin]]) -> tuple[int, str] | None:
    """The (row, key) a reader line is about, to skip it when its cell already had a problem."""
    found = origins[match["kind"]]
    index = int(match["n"]) - 1
    row = found[index].row if index < len(found) else None
    if row is None or match["key"] is None:
        return None
    if match["key"] == "contacts" and match["c"]:
        return id(row), f"contacts.{_contact_group(row, int(match['c']))}.{match['ckey']}"
    return id(row), match["key"]


def located(
    lines: list[str], origins: dict[str, list[_Origin]], failed: set[tuple[int, str]]
) -> list[tuple[Place | None, str]]:
    """Each reader line as ``<place>: <message>``, other key paths in it as places too."""
    out: list[tuple[Place | None, str]] = []
    for line in lines:
        path, _, message = line.partition(": ")
        match = _PATH.fullmatch(path)
        if match is None:
            out.append((None, line))
            continue
        if failed_key(match, origins) in failed:
            continue
        where, place = place_of(match, origins)
        message = _PATH.sub(lambda m: place_of(m, origins)[0], message)
        out.append((place, f"{where}: {message}"))
    return out
