"""The rules of master data (SPEC §3, §16), one function for the config loader and the service.

``check(master)`` returns every problem of a ``MasterData`` at once: valid ids and names, e-mail
addresses, dates within plausible years, references between records, contacts (two for a
tandem), a contract end not before its start, and no two pairings of one Stadtteil, Handlungsfeld
and Angebot overlapping in time. Each problem has a ``location``: a ``RecordRef`` (record kind, id,
field) — or, when the caller passes ``locate``, whatever that maps it to (the config loader's key
paths such as ``pairing[3].traeger``).
"""

from __future__ import annotations

from collections.abc import Callable, Collection, Iterator, Mapping
from dataclasses import dataclass
from datetime import date

from cycle.config.schema import SLUG, YEARS
from cycle.config.settings import MasterData, Pairing
from cycle.config.values import is_email, quote, suggestion

SLUG_HINT = "Kleinbuchstaben a–z, Ziffern, - und _, z. B. „luene-moorfeld“"
TRAEGER, STADTTEIL, PAIRING = "traeger", "stadtteil", "pairing"


@dataclass(frozen=True)
class RecordRef:
    """Where in the master data: a record (``traeger``, ``stadtteil``, ``pairing``) and a field."""

    kind: str
    id: str
    field: str | None = None


Location = str | RecordRef


@dataclass(frozen=True)
class MasterProblem:
    location: Location
    message: str

    def __str__(self) -> str:
        where = self.location
        if isinstance(where, RecordRef):
            where = ".".join(p for p in (where.kind, where.id, where.field) if p)
        return f"{where}: {self.message}" if where else self.message


def check(
    master: MasterData,
    locate: Callable[[RecordRef], Location] | None = None,
    declared: Mapping[str, Collection[str]] | None = None,
) -> list[MasterProblem]:
    """Every problem of ``master``, record by record (Träger, Stadtteile, pairings).

    ``declared`` names ids that exist although their record is not in ``master`` (the loader's
    records it could not read: a reference to them is not reported a second time).
    """
    where = locate or (lambda ref: ref)
    known = declared or {}
    found = [*_traeger(master), *_stadtteile(master), *_pairings(master, known)]
    found += _overlaps(master, where)
    return [MasterProblem(where(ref), message) for ref, message in found]


Found = Iterator[tuple[RecordRef, str]]


def _id(kind: str, key: str, ident: str) -> Found:
    if not SLUG.match(ident):
        yield (
            RecordRef(kind, ident, "id"),
            f"{quote(ident)} ist keine gültige Kennung ({SLUG_HINT})",
        )
    if key != ident:
        yield RecordRef(kind, key, "id"), f"Kennung {quote(ident)} passt nicht zu {quote(key)}"


def _text(ref: RecordRef, value: str | None, required: bool) -> Found:
    if value is None or not value.strip():
        if required:
            yield ref, "Pflichtangabe fehlt"
    elif "\n" in value or "\r" in value:
        yield ref, "darf keinen Zeilenumbruch enthalten"


def _email(ref: RecordRef, value: str | None, required: bool) -> Found:
    if value is None or not value.strip():
        yield from _text(ref, value, required)
    elif not is_email(value):
        yield ref, f"{quote(value)} ist keine gültige E-Mail-Adresse („name@domain.de“)"


def _day(ref: RecordRef, value: date | None) -> Found:
    if value is not None and not YEARS[0] <= value.year <= YEARS[1]:
        yield ref, f"{value:%d.%m.%Y} liegt außerhalb der Jahre {YEARS[0]} bis {YEARS[1]}"


def _traeger(master: MasterData) -> Found:
    for key, t in master.traeger.items():
        yield from _id(TRAEGER, key, t.id)
        for name in ("name", "leitung", "rechtsform", "sitz", "anschrift", "telefon"):
            yield from _text(
                RecordRef(TRAEGER, key, name), getattr(t, name), name in ("name", "leitung")
            )
        yield from _email(RecordRef(TRAEGER, key, "leitung_email"), t.leitung_email, True)
        yield from _email(RecordRef(TRAEGER, key, "email"), t.email, False)
        for person in t.vertretungsberechtigt:
            yield from _text(RecordRef(TRAEGER, key, "vertretungsberechtigt"), person, True)


def _stadtteile(master: MasterData) -> Found:
    for key, s in master.stadtteile.items():
        yield from _id(STADTTEIL, key, s.id)
        yield from _text(RecordRef(STADTTEIL, key, "name"), s.name, True)
        yield from _text(RecordRef(STADTTEIL, key, "beschreibung"), s.beschreibung, False)


def _reference(ref: RecordRef, value: str, known: Collection[str], label: str) -> Found:
    if not value.strip():
        yield ref, "Pflichtangabe fehlt"
    elif value not in known:
        yield ref, f"unbekannter {label} {quote(value)}{suggestion(value, known)}"


def _pairings(master: MasterData, declared: Mapping[str, Collection[str]]) -> Found:
    traeger = {*master.traeger, *declared.get(TRAEGER, ())}
    stadtteile = {*master.stadtteile, *declared.get(STADTTEIL, ())}
    for key, p in master.pairings.items():
        yield from _id(PAIRING, key, p.id)
        yield from _reference(RecordRef(PAIRING, key, "traeger"), p.traeger, traeger, "Träger")
        yield from _reference(
            RecordRef(PAIRING, key, "stadtteil"), p.stadtteil, stadtteile, "Stadtteil"
        )
        yield from _text(RecordRef(PAIRING, key, "handlungsfeld"), p.handlungsfeld, True)
        yield from _text(RecordRef(PAIRING, key, "angebot"), p.angebot, False)
        yield from _day(RecordRef(PAIRING, key, "start"), p.start)
        yield from _day(RecordRef(PAIRING, key, "end"), p.end)
        if p.end is not None and p.end < p.start:
            yield (
                RecordRef(PAIRING, key, "end"),
                f"Ende {p.end:%d.%m.%Y} liegt vor dem Beginn {p.start:%d.%m.%Y}",
            )
        yield from _contacts(key, p)


def _contacts(key: str, p: Pairing) -> Found:
    ref = RecordRef(PAIRING, key, "contacts")
    if not p.contacts:
        yield ref, "Pflichtangabe fehlt (mindestens ein Kontakt)"
    for contact in p.contacts:
        yield from _text(ref, contact.name, True)
        yield from _email(ref, contact.email, True)
    if p.tandem and p.contacts and len(p.contacts) < 2:
        yield ref, "ein Tandem braucht mindestens zwei Kontakte (Hansestadt und Träger)"


def span(pairing: Pairing) -> str:
    end = f"{pairing.end:%d.%m.%Y}" if pairing.end else "offen"
    return f"{pairing.start:%d.%m.%Y}–{end}"


def _overlaps(master: MasterData, where: Callable[[RecordRef], Location]) -> Found:
    """One Stadtteil, Handlungsfeld and Angebot has at most one pairing at any time.

    Pairings are compared only within their (Stadtteil, Handlungsfeld, Angebot) group, in order:
    comparing every pair was O(n²) and took minutes at 100,000 pairings.
    """
    groups: dict[tuple[str, str, str | None], list[Pairing]] = {}
    for later in master.pairings.values():
        group = groups.setdefault((later.stadtteil, later.handlungsfeld, later.angebot), [])
        for first in group:
            if first.start <= (later.end or date.max) and later.start <= (first.end or date.max):
                other = where(RecordRef(PAIRING, first.id))
                at = f" ({other})" if isinstance(other, str) else ""
                yield (
                    RecordRef(PAIRING, later.id),
                    f"überschneidet sich zeitlich mit {quote(first.id)}{at} im Stadtteil "
                    f"{quote(later.stadtteil)}, Handlungsfeld {quote(later.handlungsfeld)}: "
                    f"{span(later)} und {span(first)}",
                )
        group.append(later)
