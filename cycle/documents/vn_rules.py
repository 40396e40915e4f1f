"""The rules of Anlage 3 on a parsed Verwendungsnachweis: every violation, each naming its field."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

from cycle.config.settings import VerwendungsnachweisRules
from cycle.documents.model import Personalzeile, Problem, Verwendungsnachweis
from cycle.documents.money import cap_of, datum, euro, is_cent_exact, percent


def validate(
    vn: Verwendungsnachweis, year: int, rules: VerwendungsnachweisRules, submitted_on: date
) -> list[Problem]:
    """Every violated rule of Anlage 3, in form order; an empty list means the proof is valid."""
    problems: list[Problem] = []
    add = problems.append
    if vn.jahr != year:
        add(Problem("jahr", f"{vn.jahr} passt nicht zum Berichtsjahr {year}"))
    for key in ("zuschuss", "weitere_einnahmen", "personalkosten"):
        problems += _amount(key, getattr(vn, key))
    for i, person in enumerate(vn.personal, 1):
        problems += _person(person, i)
    rows_total = sum((p.kosten for p in vn.personal), Decimal("0.00"))
    if rows_total != vn.personalkosten:
        add(Problem("personal", _sum_text("die Zeilen ergeben", rows_total, vn.personalkosten)))
    cap = cap_of(vn.personalkosten, rules.verwaltung_max_anteil)
    problems += _amount("verwaltungskosten", vn.verwaltungskosten)
    if vn.verwaltungskosten > cap:
        share = percent(rules.verwaltung_max_anteil)
        add(
            Problem(
                "verwaltungskosten",
                f"{euro(vn.verwaltungskosten)} übersteigen {share} der Personalkosten "
                f"(höchstens {euro(cap)})",
            )
        )
    problems += _amount("sachkosten", vn.sachkosten)
    if vn.sachkosten > rules.sachkosten_max:
        add(Problem("sachkosten", _over(vn.sachkosten, rules.sachkosten_max)))
    problems += _amount("gemeinwesenarbeit", vn.gemeinwesenarbeit)
    if vn.gemeinwesenarbeit > rules.gemeinwesenarbeit_max:
        add(Problem("gemeinwesenarbeit", _over(vn.gemeinwesenarbeit, rules.gemeinwesenarbeit_max)))
    problems += _split(vn, rules)
    problems += _schlussrechnung(vn)
    problems += _signature(vn, year, submitted_on)
    return problems


def _amount(where: str, amount: Decimal, *, negative_ok: bool = False) -> list[Problem]:
    problems = []
    if amount < 0 and not negative_ok:
        problems.append(Problem(where, f"{euro(amount)} – ein Betrag darf nicht negativ sein"))
    if not is_cent_exact(amount):
        problems.append(Problem(where, f"{euro(amount)} hat mehr als zwei Nachkommastellen"))
    return problems


def _over(amount: Decimal, limit: Decimal) -> str:
    return f"{euro(amount)} übersteigen die Obergrenze von {euro(limit)}"


def _sum_text(what: str, rows_total: Decimal, stated: Decimal) -> str:
    return f"{what} {euro(rows_total)}, angegeben sind {euro(stated)}"


def _person(person: Personalzeile, i: int) -> list[Problem]:
    prefix = f"personal[{i}]."
    problems = _amount(f"{prefix}kosten", person.kosten)
    for key in ("name", "vorname"):
        if not getattr(person, key).strip():
            problems.append(Problem(f"{prefix}{key}", "darf nicht leer sein"))
    if not 0 < person.stellenanteil <= 1:
        problems.append(
            Problem(
                f"{prefix}stellenanteil",
                f"{person.stellenanteil} liegt nicht zwischen 0 (ausschließlich) und 1",
            )
        )
    return problems


def _split(vn: Verwendungsnachweis, rules: VerwendungsnachweisRules) -> list[Problem]:
    problems: list[Problem] = []
    for i, row in enumerate(vn.angebote, 1):
        problems += _amount(f"angebote[{i}].betrag", row.betrag)
        if not row.bezeichnung.strip():
            problems.append(Problem(f"angebote[{i}].bezeichnung", "darf nicht leer sein"))
    if len(vn.angebote) > rules.max_angebote:
        message = f"{len(vn.angebote)} Zeilen, höchstens {rules.max_angebote} sind vorgesehen"
        problems.append(Problem("angebote", message))
    total = sum((row.betrag for row in vn.angebote), Decimal("0.00"))
    if not vn.angebote and vn.gemeinwesenarbeit != 0:
        message = f"die Aufteilung der {euro(vn.gemeinwesenarbeit)} auf Projekte/Angebote fehlt"
        problems.append(Problem("angebote", message))
    elif total != vn.gemeinwesenarbeit:
        text = _sum_text("die Aufteilung ergibt", total, vn.gemeinwesenarbeit)
        problems.append(Problem("angebote", f"{text} (Gemeinwesenarbeit)"))
    return problems


def _schlussrechnung(vn: Verwendungsnachweis) -> list[Problem]:
    problems: list[Problem] = []
    stated = vn.kostensumme_angegeben
    if stated is not None:
        problems += _amount("kostensumme", stated)
        if stated != vn.kostensumme:
            message = f"angegeben {euro(stated)}, aber 1 + 2 + 3 + 4 ergeben {euro(vn.kostensumme)}"
            problems.append(Problem("kostensumme", message))
    stated = vn.differenz_angegeben
    if stated is not None:
        problems += _amount("differenz", stated, negative_ok=True)
        if stated != vn.differenz:
            problems.append(
                Problem(
                    "differenz",
                    f"angegeben {euro(stated)}, aber Einnahmen {euro(vn.einnahmen)} − "
                    f"Kostensumme {euro(vn.kostensumme)} ergeben {euro(vn.differenz)}",
                )
            )
    if vn.differenz != 0 and not vn.erlaeuterung.strip():
        message = f"die Differenz von {euro(vn.differenz)} muss erläutert werden"
        problems.append(Problem("erlaeuterung", message))
    return problems


def _signature(vn: Verwendungsnachweis, year: int, submitted_on: date) -> list[Problem]:
    problems = []
    if not vn.unterschrift.name.strip():
        problems.append(Problem("unterschrift.name", "fehlt (rechtsverbindliche Unterschrift)"))
    signed = vn.unterschrift.datum
    if signed < date(year, 1, 1):
        message = f"{datum(signed)} liegt vor dem Berichtsjahr (01.01.{year})"
        problems.append(Problem("unterschrift.datum", message))
    if signed > submitted_on:
        message = f"{datum(signed)} liegt nach dem Einreichungstag {datum(submitted_on)}"
        problems.append(Problem("unterschrift.datum", message))
    return problems
