"""Master data for ``cycle.config.loader``: ``[[traeger]]``, ``[[stadtteil]]`` and ``[[pairing]]``.

References between them are checked by id, and pairings of one Stadtteil, Handlungsfeld and
Angebot must not overlap in time.
"""

from __future__ import annotations

from datetime import date

from cycle.config.schema import SLUG, Problems, Table, declared, read_ids
from cycle.config.settings import Contact, Pairing, Stadtteil, Traeger
from cycle.config.values import quote, suggestion

_SLUG_HINT = "Kleinbuchstaben a–z, Ziffern, - und _, z. B. „luene-moorfeld“"

TRAEGER_KEYS = (
    "id",
    "name",
    "leitung",
    "leitung_email",
    "rechtsform",
    "sitz",
    "anschrift",
    "telefon",
    "email",
    "vertretungsberechtigt",
)
STADTTEIL_KEYS = ("id", "name", "beschreibung")
PAIRING_KEYS = (
    "id",
    "traeger",
    "stadtteil",
    "handlungsfeld",
    "angebot",
    "tandem",
    "start",
    "end",
    "contacts",
)
CONTACT_KEYS = ("name", "email", "rolle")


def read_traeger(root: Table) -> dict[str, Traeger]:
    tables = root.tables("traeger", TRAEGER_KEYS)
    result: dict[str, Traeger] = {}
    for table, ident in zip(tables, read_ids(tables, SLUG, _SLUG_HINT), strict=True):
        name, leitung = table.text("name", required=True), table.text("leitung", required=True)
        leitung_email = table.email("leitung_email", required=True)
        rechtsform, sitz = table.text("rechtsform"), table.text("sitz")
        anschrift, telefon = table.text("anschrift"), table.text("telefon")
        email, vertreten = table.email("email"), table.text_list("vertretungsberechtigt") or ()
        if ident and name and leitung and leitung_email:
            result[ident] = Traeger(
                ident,
                name,
                leitung,
                leitung_email,
                rechtsform,
                sitz,
                anschrift,
                telefon,
                email,
                vertreten,
            )
    return result


def read_stadtteile(root: Table) -> dict[str, Stadtteil]:
    tables = root.tables("stadtteil", STADTTEIL_KEYS)
    result: dict[str, Stadtteil] = {}
    for table, ident in zip(tables, read_ids(tables, SLUG, _SLUG_HINT), strict=True):
        name, beschreibung = table.text("name", required=True), table.text("beschreibung")
        if ident and name:
            result[ident] = Stadtteil(ident, name, beschreibung)
    return result


def _reference(table: Table, key: str, known: frozenset[str], label: str) -> str | None:
    text = table.text(key, required=True)
    if text is not None and text not in known:
        table.problems.add(
            table.at(key), f"unbekannter {label} {quote(text)}{suggestion(text, known)}"
        )
        return None
    return text


def _contacts(pairing: Table) -> tuple[Contact, ...] | None:
    contacts: list[Contact] = []
    tables = pairing.tables("contacts", CONTACT_KEYS, required=True)
    for table in tables:
        name, email = table.text("name", required=True), table.email("email", required=True)
        if name and email:
            contacts.append(Contact(name, email, table.text("rolle") or Contact("", "").rolle))
    return tuple(contacts) if tables and len(contacts) == len(tables) else None


def read_pairings(root: Table) -> dict[str, Pairing]:
    """``[[pairing]]``: references, dates, contacts, and no overlap in time (see ``_overlaps``)."""
    traeger_ids, stadtteil_ids = declared(root, "traeger"), declared(root, "stadtteil")
    tables = root.tables("pairing", PAIRING_KEYS)
    result: dict[str, Pairing] = {}
    placed: list[tuple[str, Pairing]] = []
    for table, ident in zip(tables, read_ids(tables, SLUG, _SLUG_HINT), strict=True):
        traeger = _reference(table, "traeger", traeger_ids, "Träger")
        stadtteil = _reference(table, "stadtteil", stadtteil_ids, "Stadtteil")
        start, end = table.day("start", required=True), table.day("end")
        if start and end and end < start:
            table.problems.add(
                table.at("end"), f"Ende {end:%d.%m.%Y} liegt vor dem Beginn {start:%d.%m.%Y}"
            )
            end = None
        contacts, tandem = _contacts(table), table.boolean("tandem", False)
        if tandem and contacts is not None and len(contacts) < 2:
            table.problems.add(
                table.at("contacts"),
                "ein Tandem braucht mindestens zwei Kontakte (Hansestadt und Träger)",
            )
        handlungsfeld = table.text("handlungsfeld") or Pairing.handlungsfeld
        angebot = table.text("angebot")
        if ident and traeger and stadtteil and start and contacts:
            pairing = Pairing(
                ident, traeger, stadtteil, contacts, start, end, handlungsfeld, angebot, tandem
            )
            result[ident] = pairing
            placed.append((table.path, pairing))
    _overlaps(root.problems, placed)
    return result


def _span(pairing: Pairing) -> str:
    end = f"{pairing.end:%d.%m.%Y}" if pairing.end else "offen"
    return f"{pairing.start:%d.%m.%Y}–{end}"


def _overlaps(problems: Problems, placed: list[tuple[str, Pairing]]) -> None:
    """One Stadtteil, Handlungsfeld and Angebot has at most one pairing at any time.

    Pairings are compared only within their (Stadtteil, Handlungsfeld, Angebot) group, in file
    order: comparing every pair was O(n²) and took minutes at 100,000 pairings.
    """
    groups: dict[tuple[str, str, str | None], list[tuple[str, Pairing]]] = {}
    for path, later in placed:
        group = groups.setdefault((later.stadtteil, later.handlungsfeld, later.angebot), [])
        for first_path, first in group:
            if first.start <= (later.end or date.max) and later.start <= (first.end or date.max):
                problems.add(
                    path,
                    f"überschneidet sich zeitlich mit {quote(first.id)} "
                    f"({first_path}) im Stadtteil {quote(later.stadtteil)}, Handlungsfeld "
                    f"{quote(later.handlungsfeld)}: {_span(later)} und {_span(first)}",
                )
        group.append((path, later))
