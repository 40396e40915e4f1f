"""Master data for ``cycle.config.loader``: ``[[traeger]]``, ``[[stadtteil]]`` and ``[[pairing]]``.

The tables are read here (types, required keys, unique ids); the rules between records are
``cycle.config.master_rules.check``, the same function the service layer applies to edits.
"""

from __future__ import annotations

from cycle.config.master_rules import PAIRING, SLUG_HINT, STADTTEIL, TRAEGER, RecordRef, check
from cycle.config.schema import SLUG, Table, declared, read_ids
from cycle.config.settings import Contact, MasterData, Pairing, Stadtteil, Traeger

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
    for table, ident in zip(tables, read_ids(tables, SLUG, SLUG_HINT), strict=True):
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
    for table, ident in zip(tables, read_ids(tables, SLUG, SLUG_HINT), strict=True):
        name, beschreibung = table.text("name", required=True), table.text("beschreibung")
        if ident and name:
            result[ident] = Stadtteil(ident, name, beschreibung)
    return result


def _contacts(pairing: Table) -> tuple[Contact, ...] | None:
    contacts: list[Contact] = []
    tables = pairing.tables("contacts", CONTACT_KEYS, required=True)
    for table in tables:
        name, email = table.text("name", required=True), table.email("email", required=True)
        if name and email:
            contacts.append(Contact(name, email, table.text("rolle") or Contact("", "").rolle))
    return tuple(contacts) if tables and len(contacts) == len(tables) else None


def read_pairings(
    root: Table, traeger: dict[str, Traeger], stadtteile: dict[str, Stadtteil]
) -> dict[str, Pairing]:
    """``[[pairing]]`` read, then the master data checked by ``master_rules.check`` (references,
    contacts, contract period, no overlap in time) with each problem at its key path."""
    tables = root.tables("pairing", PAIRING_KEYS)
    result: dict[str, Pairing] = {}
    paths: dict[tuple[str, str], str] = {}
    for kind in (TRAEGER, STADTTEIL):
        raw = root.raw.get(kind)
        for n, item in enumerate(raw if isinstance(raw, list) else [], start=1):
            ident = item.get("id") if isinstance(item, dict) else None
            if isinstance(ident, str):
                paths.setdefault((kind, ident), root.at(f"{kind}[{n}]"))
    for table, ident in zip(tables, read_ids(tables, SLUG, SLUG_HINT), strict=True):
        traeger_id = table.text("traeger", required=True)
        stadtteil_id = table.text("stadtteil", required=True)
        start, end = table.day("start", required=True), table.day("end")
        contacts, tandem = _contacts(table), table.boolean("tandem", False)
        handlungsfeld = table.text("handlungsfeld") or Pairing.handlungsfeld
        angebot = table.text("angebot")
        if ident and traeger_id and stadtteil_id and start and contacts:
            result[ident] = Pairing(
                ident,
                traeger_id,
                stadtteil_id,
                contacts,
                start,
                end,
                handlungsfeld,
                angebot,
                tandem,
            )
            paths[(PAIRING, ident)] = table.path

    def locate(ref: RecordRef) -> str:
        path = paths.get((ref.kind, ref.id), ref.kind)
        return f"{path}.{ref.field}" if ref.field else path

    declared_ids = {TRAEGER: declared(root, TRAEGER), STADTTEIL: declared(root, STADTTEIL)}
    for problem in check(MasterData(traeger, stadtteile, result), locate, declared_ids):
        root.problems.add(str(problem.location), problem.message)
    return result
