"""The Verwendungsnachweis (Anlage 3): parsing the TOML and checking every rule at once."""

from __future__ import annotations

import io
from dataclasses import replace
from datetime import date
from decimal import Decimal

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from pypdf import PdfReader

from cycle.config.settings import VerwendungsnachweisRules
from cycle.documents import (
    Abzeichnung,
    Angebotszeile,
    Personalzeile,
    Problem,
    Unterschrift,
    Verwendungsnachweis,
    VerwendungsnachweisDokument,
    Zeichnungsweg,
    aufbewahren_bis,
    euro,
    parse,
    parse_and_validate,
    validate,
    verwendungsnachweis_html,
    verwendungsnachweis_markdown,
    verwendungsnachweis_pdf,
)

RULES = VerwendungsnachweisRules()
SUBMITTED = date(2027, 5, 21)
D = Decimal

VALID_TOML = """\
jahr = 2026
zuschuss = "98000.00"
weitere_einnahmen = "0.00"
personalkosten = "73000.00"
verwaltungskosten = "9490.00"
sachkosten = "6500.00"
gemeinwesenarbeit = "5800.00"
kostensumme = "94790.00"
differenz = "3210.00"
erlaeuterung = "Nicht verbrauchte Mittel werden zurückgezahlt."

[[personal]]
name = "Muster"
vorname = "Erika"
qualifikation = "Soziale Arbeit (B.A.)"
verguetungsgruppe = "S 12"
stellenanteil = "0.75"
kosten = "52000.00"

[[personal]]
name = "Özdemir"
vorname = "Jörg"
qualifikation = "Erzieher"
verguetungsgruppe = "S 8a"
stellenanteil = "0.5"
kosten = "21000.00"

[[angebote]]
bezeichnung = "Stadtteilfest"
betrag = "2500.00"

[[angebote]]
bezeichnung = "Nachbarschaftscafé"
betrag = "3300.00"

[unterschrift]
name = "Erika Muster"
datum = 2027-05-20
"""


def valid() -> Verwendungsnachweis:
    parsed = parse(VALID_TOML)
    assert isinstance(parsed, Verwendungsnachweis)
    return parsed


def fields(problems: list[Problem]) -> list[str]:
    return [p.field for p in problems]


def check(vn: Verwendungsnachweis) -> list[Problem]:
    return validate(vn, 2026, RULES, SUBMITTED)


def cents(value: int) -> Decimal:
    return Decimal(value) / 100


def balanced(vn: Verwendungsnachweis, **changes: object) -> Verwendungsnachweis:
    """``vn`` with changes, the Schlussrechnung restated and the Differenz explained."""
    changed = replace(vn, **changes)  # type: ignore[arg-type]
    return replace(
        changed,
        kostensumme_angegeben=changed.kostensumme,
        differenz_angegeben=changed.differenz,
        erlaeuterung="Erläutert.",
    )


# --- parsing ----------------------------------------------------------------------------------


def test_a_complete_proof_is_parsed_into_exact_decimals() -> None:
    vn = valid()
    assert vn.personalkosten == D("73000.00")
    assert vn.personal[1] == Personalzeile(
        "Özdemir", "Jörg", "Erzieher", "S 8a", D("0.5"), D("21000.00")
    )
    assert vn.angebote[1] == Angebotszeile("Nachbarschaftscafé", D("3300.00"))
    assert vn.unterschrift == Unterschrift("Erika Muster", date(2027, 5, 20))
    assert (vn.kostensumme, vn.differenz) == (D("94790.00"), D("3210.00"))


def test_the_valid_example_passes_every_rule() -> None:
    assert check(valid()) == []
    assert parse_and_validate(VALID_TOML, 2026, RULES, SUBMITTED) == valid()


def test_toml_numbers_are_read_as_their_literal_text_not_as_binary_floats() -> None:
    text = VALID_TOML.replace('"2500.00"', "2499.9").replace('"3300.00"', "3300.1")
    vn = parse(text)
    assert isinstance(vn, Verwendungsnachweis)
    assert [a.betrag for a in vn.angebote] == [D("2499.90"), D("3300.10")]
    assert check(vn) == []


def test_integers_and_a_decimal_comma_are_accepted_as_amounts() -> None:
    text = VALID_TOML.replace('sachkosten = "6500.00"', "sachkosten = 6500")
    text = text.replace('zuschuss = "98000.00"', 'zuschuss = "98000,00"')
    vn = parse(text)
    assert isinstance(vn, Verwendungsnachweis)
    assert (vn.sachkosten, vn.zuschuss) == (D("6500.00"), D("98000.00"))


def test_optional_keys_may_be_left_out() -> None:
    text = "\n".join(
        line
        for line in VALID_TOML.splitlines()
        if not line.startswith(("weitere_einnahmen", "kostensumme", "differenz ="))
    )
    vn = parse(text)
    assert isinstance(vn, Verwendungsnachweis)
    assert vn.weitere_einnahmen == D("0.00")
    assert (vn.kostensumme_angegeben, vn.differenz_angegeben) == (None, None)


def test_structural_problems_are_all_listed_with_their_fields() -> None:
    text = (
        VALID_TOML.replace("jahr = 2026", 'jahr = "2026"')
        .replace('sachkosten = "6500.00"', 'sachkosten = "6.500,00"')
        .replace('gemeinwesenarbeit = "5800.00"\n', "")
        .replace('stellenanteil = "0.75"', "stellenanteil = true")
        .replace("datum = 2027-05-20", "datum = 2027-05-20T10:00:00")
        + "\nbemerkung = 1\n"
    )
    problems = parse(text)
    assert isinstance(problems, list)
    assert sorted(fields(problems)) == sorted(
        [
            "jahr",
            "sachkosten",
            "gemeinwesenarbeit",
            "personal[1].stellenanteil",
            "unterschrift.datum",
            "unterschrift.bemerkung",  # a key after [unterschrift] belongs to that table
        ]
    )
    messages = {p.field: p.message for p in problems}
    assert messages["gemeinwesenarbeit"] == "fehlt"
    assert messages["unterschrift.bemerkung"] == "unbekanntes Feld"
    assert "ganze Zahl" in messages["jahr"]


def test_unknown_keys_in_rows_are_reported_with_the_row_number() -> None:
    text = VALID_TOML.replace('betrag = "3300.00"', 'betrag = "3300.00"\nbetrg = 1')
    assert parse(text) == [Problem("angebote[2].betrg", "unbekanntes Feld")]


def test_broken_toml_is_one_problem_not_a_traceback() -> None:
    problems = parse("jahr = = 2026")
    assert isinstance(problems, list)
    assert fields(problems) == ["datei"]
    assert "kein gültiges TOML" in problems[0].message


def test_a_problem_reads_as_field_colon_message() -> None:
    assert str(Problem("sachkosten", "fehlt")) == "sachkosten: fehlt"


# --- the rules --------------------------------------------------------------------------------


def test_the_acceptance_case_gives_exactly_three_problems() -> None:
    text = (
        VALID_TOML.replace('verwaltungskosten = "9490.00"', 'verwaltungskosten = "10220.00"')
        .replace('betrag = "3300.00"', 'betrag = "3000.00"')
        .replace('kostensumme = "94790.00"\n', "")
        .replace('differenz = "3210.00"\n', "")
        .replace(
            'erlaeuterung = "Nicht verbrauchte Mittel werden zurückgezahlt."', 'erlaeuterung = ""'
        )
    )
    problems = parse_and_validate(text, 2026, RULES, SUBMITTED)
    assert isinstance(problems, list)
    assert fields(problems) == ["verwaltungskosten", "angebote", "erlaeuterung"]
    assert str(problems[0]) == (
        "verwaltungskosten: 10.220,00 € übersteigen 13 % der Personalkosten (höchstens 9.490,00 €)"
    )
    assert "5.500,00 €" in problems[1].message and "5.800,00 €" in problems[1].message
    assert "2.480,00 €" in problems[2].message


@pytest.mark.parametrize(
    ("changes", "field", "fragment"),
    [
        ({"jahr": 2025}, "jahr", "2025 passt nicht zum Berichtsjahr 2026"),
        ({"verwaltungskosten": D("9490.01")}, "verwaltungskosten", "(höchstens 9.490,00 €)"),
        ({"sachkosten": D("7000.01")}, "sachkosten", "Obergrenze von 7.000,00 €"),
        ({"zuschuss": D("-1.00")}, "zuschuss", "nicht negativ"),
        (
            {"weitere_einnahmen": D("0.001"), "differenz_angegeben": None},
            "weitere_einnahmen",
            "zwei Nachkommastellen",
        ),
        ({"erlaeuterung": "  "}, "erlaeuterung", "3.210,00 € muss erläutert werden"),
        ({"kostensumme_angegeben": D("94790.01")}, "kostensumme", "ergeben 94.790,00 €"),
        ({"differenz_angegeben": D("-3210.00")}, "differenz", "ergeben 3.210,00 €"),
        ({"unterschrift": Unterschrift(" ", date(2027, 5, 20))}, "unterschrift.name", "fehlt"),
        (
            {"unterschrift": Unterschrift("E. M.", date(2025, 12, 31))},
            "unterschrift.datum",
            "01.01.2026",
        ),
        (
            {"unterschrift": Unterschrift("E. M.", date(2027, 5, 22))},
            "unterschrift.datum",
            "21.05.2027",
        ),
    ],
)
def test_each_rule_names_its_field(changes: dict[str, object], field: str, fragment: str) -> None:
    vn = replace(valid(), **changes)  # type: ignore[arg-type]
    if "kostensumme_angegeben" not in changes:  # keep the Schlussrechnung consistent
        vn = replace(vn, kostensumme_angegeben=vn.kostensumme)
    if "differenz_angegeben" not in changes:
        vn = replace(vn, differenz_angegeben=vn.differenz)
    problems = check(vn)
    assert fields(problems) == [field]
    assert fragment in problems[0].message


@pytest.mark.parametrize("share", [D("0"), D("-0.5"), D("1.01")])
def test_a_stellenanteil_must_lie_in_the_interval_from_zero_exclusive_to_one(
    share: Decimal,
) -> None:
    vn = valid()
    row = replace(vn.personal[0], stellenanteil=share)
    assert fields(check(replace(vn, personal=(row, vn.personal[1])))) == [
        "personal[1].stellenanteil"
    ]


def test_a_full_position_is_a_valid_stellenanteil() -> None:
    vn = valid()
    assert (
        check(replace(vn, personal=(replace(vn.personal[0], stellenanteil=D(1)), vn.personal[1])))
        == []
    )


def test_a_gemeinwesenarbeit_total_without_any_split_rows_is_refused_once() -> None:
    problems = check(balanced(valid(), angebote=()))
    assert [str(p) for p in problems] == [
        "angebote: die Aufteilung der 5.800,00 € auf Projekte/Angebote fehlt"
    ]


def test_no_gemeinwesenarbeit_needs_no_split() -> None:
    assert check(balanced(valid(), gemeinwesenarbeit=D("0.00"), angebote=())) == []


def test_more_than_twelve_split_rows_are_refused() -> None:
    rows = tuple(Angebotszeile(f"Angebot {i}", D("400.00")) for i in range(13))
    problems = check(balanced(valid(), gemeinwesenarbeit=D("5200.00"), angebote=rows))
    assert fields(problems) == ["angebote"]
    assert "13 Zeilen, höchstens 12" in problems[0].message


def test_caps_come_from_the_rules() -> None:
    rules = VerwendungsnachweisRules(sachkosten_max=D("6000.00"), max_angebote=1)
    problems = validate(valid(), 2026, rules, SUBMITTED)
    assert fields(problems) == ["sachkosten", "angebote"]


def test_all_violations_are_reported_together() -> None:
    vn = replace(
        valid(),
        sachkosten=D("7500.00"),
        gemeinwesenarbeit=D("6500.00"),
        personal=(valid().personal[0],),
        unterschrift=Unterschrift("", date(2028, 1, 1)),
    )
    assert fields(check(vn)) == [
        "personal",
        "sachkosten",
        "gemeinwesenarbeit",
        "angebote",
        "kostensumme",
        "differenz",
        "unterschrift.name",
        "unterschrift.datum",
    ]


def test_the_retention_date_is_the_end_of_the_year_plus_ten_years() -> None:
    assert aufbewahren_bis(2026, RULES) == date(2036, 12, 31)
    assert valid().aufbewahren_bis() == date(2036, 12, 31)
    assert aufbewahren_bis(2026, VerwendungsnachweisRules(aufbewahrung_jahre=12)) == date(
        2038, 12, 31
    )


@pytest.mark.parametrize(
    ("amount", "text"),
    [
        (D("9490"), "9.490,00 €"),
        (D("0.5"), "0,50 €"),
        (D("-3210.00"), "-3.210,00 €"),
        (D("1234567.89"), "1.234.567,89 €"),
        (D("1.235"), "1,235 €"),
    ],
)
def test_money_is_shown_in_german_format(amount: Decimal, text: str) -> None:
    assert euro(amount) == text


# --- the arithmetic, property-based -----------------------------------------------------------

amounts_in_cents = st.integers(min_value=0, max_value=10_000_000_00)


@given(st.lists(st.integers(min_value=0, max_value=500_00), min_size=1, max_size=12))
def test_any_split_of_up_to_twelve_rows_that_adds_up_is_accepted(split: list[int]) -> None:
    total = sum(split)
    if total > 6000_00:
        split, total = [6000_00], 6000_00
    rows = tuple(Angebotszeile(f"Angebot {i}", cents(c)) for i, c in enumerate(split, 1))
    assert check(balanced(valid(), gemeinwesenarbeit=cents(total), angebote=rows)) == []


@given(
    st.lists(st.integers(min_value=0, max_value=500_00), min_size=1, max_size=12),
    st.sampled_from([-1, 1]),
)
def test_a_split_off_by_one_cent_is_refused(split: list[int], sign: int) -> None:
    rows = tuple(Angebotszeile(f"Angebot {i}", cents(c)) for i, c in enumerate(split, 1))
    stated = cents(sum(split) + sign)
    problems = check(balanced(valid(), gemeinwesenarbeit=stated, angebote=rows))
    assert "angebote" in fields(problems)


@given(amounts_in_cents)
def test_the_administration_cap_is_thirteen_percent_to_the_cent(personal: int) -> None:
    vn = valid()
    p = cents(personal)
    cap = (p * D("0.13")).quantize(D("0.01"), rounding="ROUND_HALF_UP")
    person = replace(vn.personal[0], kosten=p)
    at_cap = balanced(vn, personalkosten=p, personal=(person,), verwaltungskosten=cap)
    assert "verwaltungskosten" not in fields(check(at_cap))
    over = balanced(at_cap, verwaltungskosten=cap + D("0.01"))
    assert fields(check(over)).count("verwaltungskosten") == 1


@given(st.sampled_from(["sachkosten", "gemeinwesenarbeit"]))
def test_a_flat_cap_plus_one_cent_is_refused_and_the_cap_itself_accepted(key: str) -> None:
    limit = RULES.sachkosten_max if key == "sachkosten" else RULES.gemeinwesenarbeit_max
    rows = (Angebotszeile("Alles", limit),) if key == "gemeinwesenarbeit" else valid().angebote
    at_cap = balanced(valid(), **{key: limit, "angebote": rows})
    assert check(at_cap) == []
    over_rows = (Angebotszeile("Alles", limit + D("0.01")),) if key == "gemeinwesenarbeit" else rows
    over = balanced(at_cap, **{key: limit + D("0.01"), "angebote": over_rows})
    assert fields(check(over)) == [key]


@given(st.lists(amounts_in_cents, min_size=1, max_size=5), st.sampled_from([-1, 1]))
def test_personnel_rows_off_by_one_cent_are_refused(rows: list[int], sign: int) -> None:
    people = tuple(replace(valid().personal[0], kosten=cents(c)) for c in rows)
    stated = cents(sum(rows))
    vn = balanced(valid(), personal=people, personalkosten=stated, verwaltungskosten=D("0.00"))
    assert "personal" not in fields(check(vn))
    off = balanced(vn, personalkosten=stated + cents(sign))
    assert "personal" in fields(check(off))


@given(st.tuples(*[amounts_in_cents] * 6), st.sampled_from([D("-0.01"), D("0.01")]))
def test_the_schlussrechnung_is_exact_and_a_cent_off_is_refused(
    values: tuple[int, ...], delta: Decimal
) -> None:
    zuschuss, weitere, personal, verwaltung, sach, gwa = (cents(v) for v in values)
    vn = replace(
        valid(),
        zuschuss=zuschuss,
        weitere_einnahmen=weitere,
        personalkosten=personal,
        verwaltungskosten=verwaltung,
        sachkosten=sach,
        gemeinwesenarbeit=gwa,
    )
    assert vn.kostensumme == personal + verwaltung + sach + gwa
    assert vn.differenz == zuschuss + weitere - vn.kostensumme
    exact = balanced(vn)
    assert {"kostensumme", "differenz"}.isdisjoint(fields(check(exact)))
    assert "kostensumme" in fields(
        check(replace(exact, kostensumme_angegeben=exact.kostensumme + delta))
    )
    assert "differenz" in fields(check(replace(exact, differenz_angegeben=exact.differenz + delta)))


@given(amounts_in_cents)
def test_string_amounts_survive_parsing_without_any_rounding(value: int) -> None:
    text = f"{value // 100}.{value % 100:02d}"
    vn = parse(VALID_TOML.replace('zuschuss = "98000.00"', f'zuschuss = "{text}"'))
    assert isinstance(vn, Verwendungsnachweis)
    assert vn.zuschuss == cents(value)
    assert vn.zuschuss.as_tuple().exponent == -2


@settings(max_examples=50)
@given(amounts_in_cents, st.integers(min_value=1, max_value=9))
def test_any_third_decimal_is_refused(value: int, mill: int) -> None:
    amount = cents(value) + D(mill) / 1000
    text = VALID_TOML.replace('weitere_einnahmen = "0.00"', f'weitere_einnahmen = "{amount}"')
    problems = parse_and_validate(text, 2026, RULES, SUBMITTED)
    assert isinstance(problems, list)
    assert any(p.field == "weitere_einnahmen" and "Nachkommastellen" in p.message for p in problems)


# --- the filled form --------------------------------------------------------------------------


def document(chain: Zeichnungsweg | None = None) -> VerwendungsnachweisDokument:
    return VerwendungsnachweisDokument(
        pairing_id="awo-kaltenmoor",
        traeger="AWO Kreisverband Lüneburg e.V.",
        stadtteil="Kaltenmoor",
        jahr=2026,
        nachweis=replace(valid(), erlaeuterung="Rückzahlung <nicht verbrauchter> Mittel & Zinsen"),
        zeichnungsweg=chain or Zeichnungsweg(),
        eingereicht_am=date(2027, 5, 21),
    )


CHECKED = Zeichnungsweg(rechnerisch_geprueft=Abzeichnung(date(2027, 6, 2), "Anna Köhler"))


def test_the_markdown_form_shows_every_section_the_schlussrechnung_and_the_chain() -> None:
    text = verwendungsnachweis_markdown(document(CHECKED))
    for heading in (
        "## 1. Personalkosten = 73.000,00 €",
        "## 2. Verwaltungs- und Leitungskosten (Pauschale, max. 13 % der Personalkosten)",
        "## 3. Arbeitsplatzbezogene Sachkosten (max. 7.000,00 €)",
        "## 4. Kosten für präventive Angebote der Gemeinwesenarbeit",
        "## 5. Schlussrechnung",
        "## 6. Rechtsverbindliche Unterschrift",
    ):
        assert heading in text
    assert "| Özdemir | Jörg | Erzieher | S 8a | 0,5 | 21.000,00 € |" in text
    assert "| 2. | Nachbarschaftscafé | 3.300,00 € |" in text
    assert "| Kostensumme | 94.790,00 € |" in text
    assert "| Differenz +/- | 3.210,00 € |" in text
    assert "Belege aufzubewahren bis 31.12.2036" in text
    assert "Stadtteilarbeit | rechnerisch geprüft | 02.06.2027 | Anna Köhler |" in text
    assert "| 05 Stabsstellenleitung | zur Kenntnis genommen: offen | – | – |" in text
    assert "| 51.12 | zum Vorgang / abgelegt: offen | – | – |" in text
    assert "Unterschrieben von Erika Muster am 20.05.2027, eingereicht am 21.05.2027." in text
    assert "(in Worten: achtundneunzigtausend Euro)" in text
    assert "awo-kaltenmoor" not in text and "dem/der" not in text


def test_a_completed_chain_shows_every_step_with_date_and_name() -> None:
    chain = replace(
        CHECKED,
        zur_kenntnis_genommen=Abzeichnung(date(2027, 6, 9), "Dr. B. Leitung"),
        abgelegt=Abzeichnung(date(2027, 6, 16), "51.12 Ablage"),
    )
    text = verwendungsnachweis_markdown(document(chain))
    assert "offen" not in text
    assert "| 51.12 | zum Vorgang / abgelegt | 16.06.2027 | 51.12 Ablage |" in text


def test_the_html_form_is_escaped_and_printable() -> None:
    page = verwendungsnachweis_html(document(CHECKED))
    assert page.startswith("<!DOCTYPE html>")
    assert "@page" in page and "@media print" in page
    assert "Rückzahlung &lt;nicht verbrauchter&gt; Mittel &amp; Zinsen" in page
    assert "<nicht verbrauchter>" not in page
    assert '<td class="right">94.790,00 €</td>' in page
    assert "Belege aufzubewahren bis 31.12.2036" in page


def test_the_pdf_form_carries_umlauts_amounts_and_the_retention_date() -> None:
    data = verwendungsnachweis_pdf(document(CHECKED))
    assert data.startswith(b"%PDF-")
    reader = PdfReader(io.BytesIO(data))
    text = "\n".join(page.extract_text() for page in reader.pages)
    for fragment in (
        "Verwendungsnachweis für das Stadtteilmanagement",
        "Özdemir",
        "Nachbarschaftscafé",
        "Zuschuss der Hansestadt Lüneburg",
        "94.790,00 €",
        "3.210,00 €",
        "Belege aufzubewahren bis 31.12.2036",
        "rechnerisch geprüft",
        "Anna Köhler",
        "zur Kenntnis genommen: offen",
    ):
        assert fragment in text, fragment


def test_the_pdf_is_the_same_for_the_same_document() -> None:
    assert verwendungsnachweis_pdf(document(CHECKED)) == verwendungsnachweis_pdf(document(CHECKED))


def test_characters_outside_latin1_print_as_typed() -> None:
    doc = replace(document(), traeger="Verein „Miteinander“ – Ayşe & Łukasz e.V.")
    reader = PdfReader(io.BytesIO(verwendungsnachweis_pdf(doc)))
    text = "\n".join(page.extract_text() for page in reader.pages)
    assert "Verein „Miteinander“ – Ayşe & Łukasz e.V." in text


def test_a_structural_problem_is_listed_together_with_every_arithmetic_violation():
    broken = "\n".join(
        'verwaltungskosten = "99999.00"' if line.startswith("verwaltungskosten =") else line
        for line in VALID_TOML.splitlines()
        if not line.startswith("datum =")
    )
    result = parse_and_validate(broken, 2026, RULES, SUBMITTED)
    assert isinstance(result, list)
    fields = [p.field for p in result]
    assert fields[0] == "unterschrift.datum"  # structural first
    assert "verwaltungskosten" in fields  # and the cap, in the same answer
    assert fields.count("unterschrift.datum") == 1
