"""Reading and checking a Verwendungsnachweis (Anlage 3) given as TOML.

``parse`` turns the text into a ``Verwendungsnachweis`` or lists every structural problem;
``validate`` lists every violated rule of Anlage 3. Both report all problems at once, each
naming its field. Amounts are best written as strings (``"9490.00"``); TOML numbers are taken
as their literal text (``Decimal(str(value))``), so ``0.1`` stays exactly ``0.1``.
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Any

from cycle.config.settings import VerwendungsnachweisRules
from cycle.config.toml_text import TomlError, parse_toml
from cycle.documents.model import Angebotszeile, Personalzeile, Problem, Unterschrift
from cycle.documents.model import Verwendungsnachweis as Verwendungsnachweis
from cycle.documents.vn_rules import validate as validate
from cycle.documents.vn_toml import Reader

MAX_TEXT = 1024 * 1024  # characters; the web form's fields are bounded the same
_REQUIRED = (
    "jahr",
    "zuschuss",
    "personalkosten",
    "verwaltungskosten",
    "sachkosten",
    "gemeinwesenarbeit",
    "personal",
    "unterschrift",
)
_OPTIONAL = ("weitere_einnahmen", "angebote", "kostensumme", "differenz", "erlaeuterung")
_PERSONAL = ("name", "vorname", "qualifikation", "verguetungsgruppe", "stellenanteil", "kosten")
_ANGEBOT = ("bezeichnung", "betrag")
_UNTERSCHRIFT = ("name", "datum")


def parse(text: str) -> Verwendungsnachweis | list[Problem]:
    """Read the TOML text; on any structural problem return the full list of problems."""
    problems, model, _ = _read(text)
    return problems if problems or model is None else model


def _read(text: str) -> tuple[list[Problem], Verwendungsnachweis | None, set[str]]:
    """The structural problems, the proof as far as it could be read, and the broken parts.

    The model is there whenever the year and the five required amounts could be read, even if
    rows or the signature are broken (those are left out or replaced, and named in the third
    value), so that the arithmetic rules can be checked at the same time.
    """
    if len(text) > MAX_TEXT:  # a proof is a few KB; bounds the parser's time (SPEC §14 Limits)
        mb = MAX_TEXT // (1024 * 1024)
        too_long = f"ist länger als {mb} MB (ein Verwendungsnachweis hat wenige KB)"
        return [Problem("datei", too_long)], None, set()
    try:
        data = parse_toml(text, "Verwendungsnachweis")
    except TomlError as error:
        detail = str(error).removeprefix("Verwendungsnachweis: ")
        return [Problem("datei", f"kein gültiges TOML: {detail}")], None, set()
    r = Reader()
    r.keys(data, "", _REQUIRED, _OPTIONAL)
    jahr = r.integer(data, "jahr")
    money = {key: r.money(data, key) for key in _MONEY_KEYS}
    personal = [_personal(r, row, i) for i, row in enumerate(r.rows(data, "personal") or [], 1)]
    angebote = [_angebot(r, row, i) for i, row in enumerate(r.rows(data, "angebote") or [], 1)]
    unterschrift = _unterschrift(r, r.table(data, "unterschrift"))
    erlaeuterung = r.text(data, "erlaeuterung")
    required = [money[key] for key in _MONEY_KEYS[:5]]
    if jahr is None or None in required:
        return r.problems, None, set()
    broken = {p.field.split("[")[0].split(".")[0] for p in r.problems}
    if unterschrift is None:
        broken.add("unterschrift")
    zuschuss, personalkosten, verwaltungskosten, sachkosten, gemeinwesenarbeit = (
        amount for amount in required if amount is not None
    )
    model = Verwendungsnachweis(
        jahr=jahr,
        zuschuss=zuschuss,
        weitere_einnahmen=money["weitere_einnahmen"] or Decimal("0.00"),
        personalkosten=personalkosten,
        verwaltungskosten=verwaltungskosten,
        sachkosten=sachkosten,
        gemeinwesenarbeit=gemeinwesenarbeit,
        personal=tuple(row for row in personal if row is not None),
        angebote=tuple(row for row in angebote if row is not None),
        unterschrift=unterschrift or Unterschrift("", date(jahr, 12, 31)),
        kostensumme_angegeben=money["kostensumme"],
        differenz_angegeben=money["differenz"],
        erlaeuterung=erlaeuterung or "",
    )
    return r.problems, model, broken


_MONEY_KEYS = (  # the first five are required
    "zuschuss",
    "personalkosten",
    "verwaltungskosten",
    "sachkosten",
    "gemeinwesenarbeit",
    "weitere_einnahmen",
    "kostensumme",
    "differenz",
)


def _personal(r: Reader, row: dict[str, Any], i: int) -> Personalzeile | None:
    prefix = f"personal[{i}]."
    r.keys(row, prefix, _PERSONAL, ())
    texts = [r.text(row, key, prefix) for key in _PERSONAL[:4]]
    share, kosten = r.share(row, "stellenanteil", prefix), r.money(row, "kosten", prefix)
    if share is None or kosten is None or any(t is None for t in texts):
        return None
    name, vorname, qualifikation, gruppe = (str(t) for t in texts)
    return Personalzeile(name, vorname, qualifikation, gruppe, share, kosten)


def _angebot(r: Reader, row: dict[str, Any], i: int) -> Angebotszeile | None:
    prefix = f"angebote[{i}]."
    r.keys(row, prefix, _ANGEBOT, ())
    bezeichnung, betrag = r.text(row, "bezeichnung", prefix), r.money(row, "betrag", prefix)
    if bezeichnung is None or betrag is None:
        return None
    return Angebotszeile(bezeichnung, betrag)


def _unterschrift(r: Reader, table: dict[str, Any] | None) -> Unterschrift | None:
    if table is None:
        return None
    r.keys(table, "unterschrift.", _UNTERSCHRIFT, ())
    name, day = r.text(table, "name", "unterschrift."), r.day(table, "datum", "unterschrift.")
    if name is None or day is None:
        return None
    return Unterschrift(name, day)


def parse_and_validate(
    text: str, year: int, rules: VerwendungsnachweisRules, submitted_on: date
) -> Verwendungsnachweis | list[Problem]:
    """``parse`` then ``validate``: the proof, or every problem (structural ones first)."""
    structural, parsed, broken = _read(text)
    if structural or parsed is None:
        if parsed is None:
            return structural
        # Structural problems and the rules at once; a rule about a broken part is left out
        # (its inputs are missing), so every problem is listed once, at its field.
        ruled = validate(parsed, year, rules, submitted_on)
        return structural + [p for p in ruled if p.field.split("[")[0].split(".")[0] not in broken]
    return validate(parsed, year, rules, submitted_on) or parsed
