"""The Stammdaten forms: a record's fields as form values and back (SPEC §16).

``parse`` turns a submitted form into a record (or field errors for what cannot even be read,
such as a date); the rules between records are the service's (``stammdaten.plan``), whose
problems ``errors_at`` places at the form's fields.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import replace
from datetime import date, datetime

from cycle.config.master_rules import PAIRING, STADTTEIL, TRAEGER, MasterProblem, RecordRef
from cycle.config.settings import Contact, MasterData, Pairing, Stadtteil, Traeger
from cycle.persistence.masterdata_store import Record

CONTACT_ROWS = 3  # contact rows of the pairing form (a tandem has two, a change adds one)
Errors = dict[str | None, list[str]]

# URL segment ↔ record kind
SEGMENTS = {"traeger": TRAEGER, "stadtteil": STADTTEIL, "partnerschaft": PAIRING}
SEGMENT_OF = {kind: segment for segment, kind in SEGMENTS.items()}

TRAEGER_FIELDS = (
    ("name", "Name", True),
    ("rechtsform", "Rechtsform", False),
    ("sitz", "Sitz", False),
    ("anschrift", "Anschrift", False),
    ("telefon", "Telefon", False),
    ("email", "E-Mail", False),
    ("leitung", "Leitung", True),
    ("leitung_email", "E-Mail der Leitung", True),
)
STADTTEIL_FIELDS = (("name", "Name", True), ("beschreibung", "Beschreibung", False))


def _text(form: Mapping[str, str], name: str) -> str | None:
    value = str(form.get(name) or "").strip()
    return value or None


def _day(form: Mapping[str, str], name: str, label: str, errors: Errors) -> date | None:
    text = _text(form, name)
    if text is None:
        return None
    for pattern in ("%Y-%m-%d", "%d.%m.%Y"):
        try:
            return datetime.strptime(text, pattern).date()
        except ValueError:
            continue
    errors.setdefault(name, []).append(f"{label}: „{text[:40]}“ ist kein Datum (TT.MM.JJJJ).")
    return None


def parse(kind: str, form: Mapping[str, str], ident: str) -> tuple[Record | None, Errors]:
    """The record the form describes (``ident``: its id), or ``None`` with field errors."""
    errors: Errors = {}
    if kind == TRAEGER:
        people = tuple(
            line.strip()
            for line in str(form.get("vertretungsberechtigt") or "").splitlines()
            if line.strip()
        )
        values = {name: _text(form, name) for name, _label, _req in TRAEGER_FIELDS}
        return (
            Traeger(
                ident,
                values["name"] or "",
                values["leitung"] or "",
                values["leitung_email"] or "",
                values["rechtsform"],
                values["sitz"],
                values["anschrift"],
                values["telefon"],
                values["email"],
                people,
            ),
            errors,
        )
    if kind == STADTTEIL:
        return Stadtteil(ident, _text(form, "name") or "", _text(form, "beschreibung")), errors
    start = _day(form, "start", "Beginn", errors)
    end = _day(form, "end", "Ende", errors)
    if start is None and "start" not in errors:
        errors["start"] = ["Beginn: Pflichtangabe fehlt."]
    contacts = []
    for n in range(1, CONTACT_ROWS + 1):
        name, email = _text(form, f"kontakt_name_{n}"), _text(form, f"kontakt_email_{n}")
        if name or email:
            rolle = _text(form, f"kontakt_rolle_{n}") or Contact.rolle
            contacts.append(Contact(name or "", email or "", rolle))
    if errors or start is None:
        return None, errors
    pairing = Pairing(
        ident,
        _text(form, "traeger") or "",
        _text(form, "stadtteil") or "",
        tuple(contacts),
        start,
        end,
        _text(form, "handlungsfeld") or Pairing.handlungsfeld,
        _text(form, "angebot"),
        form.get("tandem") == "ja",
    )
    return pairing, errors


def values_of(record: Record | None) -> dict[str, str]:
    """The form values that show ``record`` (empty for a new one)."""
    if record is None:
        return {"handlungsfeld": Pairing.handlungsfeld}
    values = {
        name: "" if value is None else str(value)
        for name, value in vars(record).items()
        if isinstance(value, str | None)
    }
    if isinstance(record, Traeger):
        values["vertretungsberechtigt"] = "\n".join(record.vertretungsberechtigt)
    if isinstance(record, Pairing):
        values["start"] = record.start.isoformat()
        values["end"] = record.end.isoformat() if record.end else ""
        values["tandem"] = "ja" if record.tandem else ""
        for n, contact in enumerate(record.contacts, start=1):
            values[f"kontakt_name_{n}"] = contact.name
            values[f"kontakt_email_{n}"] = contact.email
            values[f"kontakt_rolle_{n}"] = contact.rolle
    return values


FIELD_OF = {"contacts": "kontakte", "id": "id"}


def errors_at(problems: tuple[MasterProblem, ...], kind: str, ident: str) -> Errors:
    """The plan's problems at the form's fields; another record's problems at the top."""
    errors: Errors = {}
    for problem in problems:
        where = problem.location
        if isinstance(where, RecordRef) and (where.kind, where.id) == (kind, ident):
            name = FIELD_OF.get(where.field or "", where.field)
            errors.setdefault(name, []).append(problem.message)
        else:
            errors.setdefault(None, []).append(str(problem))
    return errors


def desired(master: MasterData, record: Record) -> MasterData:
    """``master`` with ``record`` added or replaced: what a form submits."""
    if isinstance(record, Traeger):
        return replace(master, traeger={**master.traeger, record.id: record})
    if isinstance(record, Stadtteil):
        return replace(master, stadtteile={**master.stadtteile, record.id: record})
    return replace(master, pairings={**master.pairings, record.id: record})


def record_of(master: MasterData, kind: str, ident: str) -> Record | None:
    if kind == TRAEGER:
        return master.traeger.get(ident)
    if kind == STADTTEIL:
        return master.stadtteile.get(ident)
    return master.pairings.get(ident)
