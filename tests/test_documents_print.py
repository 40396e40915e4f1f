"""The printed documents as a clerk sees them (issue 11): read back with text and positions.

pdfplumber gives every word with its page and position, so the tests can say what a reader of
the paper would say: no table row on two pages, the Schlussrechnung on one page, headings on the
left margin and never alone at a page's foot, page numbers "Seite 1 von 2", no placeholders and
no internal ids, amounts as ``98.000,00 €`` and the total in words.
"""

from __future__ import annotations

import io
from datetime import UTC, date, datetime
from decimal import Decimal

import docx
import pdfplumber
import pytest

from cycle.documents import (
    Abzeichnung,
    Angebotszeile,
    Personalzeile,
    Unterschrift,
    Verwendungsnachweis,
    VerwendungsnachweisDokument,
    Zeichnungsweg,
    in_worten,
    leitfaden_pdf,
    verwendungsnachweis_docx,
    verwendungsnachweis_pdf,
)
from cycle.documents.pdf_render import MARGIN
from tests.conftest import ROOT

D = Decimal
MM = 72 / 25.4  # PDF points per millimetre
TRAEGER = "AWO Kreisverband Lüneburg e.V."


def nachweis(people: int = 2, offers: int = 4) -> Verwendungsnachweis:
    personal = tuple(
        Personalzeile(
            f"Name{i:02d}",
            "Erika",
            "Sozialarbeiterin (B.A.) mit Zusatzqualifikation Quartiersarbeit",
            "S 12",
            D("0.5"),
            D("2000.00"),
        )
        for i in range(people)
    )
    angebote = tuple(Angebotszeile(f"Angebot {i + 1:02d}", D("100.00")) for i in range(offers))
    kosten = D("2000.00") * people
    return Verwendungsnachweis(
        jahr=2026,
        zuschuss=D("98000.00"),
        weitere_einnahmen=D("0.00"),
        personalkosten=kosten,
        verwaltungskosten=D("0.00"),
        sachkosten=D("0.00"),
        gemeinwesenarbeit=D("100.00") * offers,
        personal=personal,
        angebote=angebote,
        unterschrift=Unterschrift("Sabine Behrens", date(2027, 5, 20)),
        erlaeuterung="Nicht verbrauchte Mittel werden zurückgezahlt.",
    )


def document(vn: Verwendungsnachweis | None = None) -> VerwendungsnachweisDokument:
    return VerwendungsnachweisDokument(
        pairing_id="kaltenmoor",
        traeger=TRAEGER,
        stadtteil="Kaltenmoor",
        jahr=2026,
        nachweis=vn or nachweis(),
        zeichnungsweg=Zeichnungsweg(Abzeichnung(date(2027, 6, 2), "Anna Köhler")),
        eingereicht_am=date(2027, 5, 25),
        absender=(TRAEGER, "Beispielweg 12", "21337 Lüneburg"),
        ort="Lüneburg",
        kontakt="Rückfragen: Koordinierungsstelle Stadtteilarbeit, Tel. 04131 309-0",
    )


def pages(data: bytes) -> list[dict]:
    """Per page: its text and its words (with position and font size)."""
    with pdfplumber.open(io.BytesIO(data)) as pdf:
        return [
            {"text": page.extract_text(), "words": page.extract_words(extra_attrs=["size"])}
            for page in pdf.pages
        ]


def page_of(found: list[dict], fragment: str) -> list[int]:
    return [i for i, page in enumerate(found) if fragment in page["text"]]


def test_the_form_has_the_anlage_3_parts_in_order_without_placeholders_or_ids():
    found = pages(verwendungsnachweis_pdf(document()))
    text = "\n".join(page["text"] for page in found)
    order = [
        TRAEGER,
        "Lüneburg, 20.05.2027",
        "Hansestadt Lüneburg",
        "Verwendungsnachweis für das Stadtteilmanagement im Stadtteil",
        "wurde dem Träger AWO Kreisverband Lüneburg e.V. ein Betrag in",
        "1. Personalkosten = 4.000,00 €",
        "2. Verwaltungs- und Leitungskosten",
        "3. Arbeitsplatzbezogene Sachkosten (max. 7.000,00 €)",
        "4. Kosten für präventive Angebote der Gemeinwesenarbeit",
        "Aufteilung der Kosten auf Projekte/Angebote/Maßnahmen:",
        "Belege aufzubewahren bis 31.12.2036",
        "5. Schlussrechnung",
        "Zuschuss der Hansestadt Lüneburg 98.000,00 €",
        "Obige Differenz ist wie folgt zu erläutern/zu begründen:",
        "6. Rechtsverbindliche Unterschrift",
        "Unterschrieben von Sabine Behrens am 20.05.2027, eingereicht am 25.05.2027.",
        "Ort, Datum",
        "Name in Druckbuchstaben",
        "7. Prüfung und Ablage",
        "rechnerisch geprüft 02.06.2027 Anna Köhler",
        "zur Kenntnis genommen: offen",
    ]
    positions = [text.find(fragment) for fragment in order]
    assert all(p >= 0 for p in positions), [
        f for f, p in zip(order, positions, strict=True) if p < 0
    ]
    assert positions == sorted(positions)
    flat = " ".join(text.split())
    assert "(in Worten: achtundneunzigtausend Euro)" in flat
    assert "Kostensumme in Worten: viertausendvierhundert Euro" in flat
    for forbidden in ("dem/der", "Zuordnung", "kaltenmoor", "EUR", "[", "]"):
        assert forbidden not in text, forbidden
    signature = text[text.index("6. Rechtsverbindliche") : text.index("7. Prüfung")]
    assert TRAEGER not in signature  # named in the head and the confirmation, not again


def test_every_page_is_numbered_and_headings_start_at_the_left_margin():
    found = pages(verwendungsnachweis_pdf(document(nachweis(people=14, offers=12))))
    assert len(found) >= 2
    for number, page in enumerate(found, start=1):
        assert f"Seite {number} von {len(found)}" in page["text"]
    text_start = next(w["x0"] for w in found[0]["words"] if w["text"] == "Auf")
    assert text_start == pytest.approx(MARGIN * MM, abs=3)  # 2 cm, plus the cell's 1 mm
    for page in found:
        for word in page["words"]:
            if word["text"] in ("1.", "2.", "3.", "4.", "5.", "6.", "7.") and word["size"] > 10:
                assert word["x0"] == pytest.approx(text_start, abs=0.2)
    headings = [w for p in found for w in p["words"] if w["size"] > 10 and w["text"] == "5."]
    assert len(headings) == 1


def test_no_table_row_splits_and_the_schlussrechnung_stays_on_one_page():
    data = verwendungsnachweis_pdf(document(nachweis(people=14, offers=12)))
    found = pages(data)
    rows = 0
    for page in found:  # a row's three lines (the qualification wraps) stay together
        words = [w["text"] for w in page["words"]]
        assert words.count("Erika") == words.count("Zusatzqualifikation")
        assert words.count("Erika") == words.count("Quartiersarbeit")
        rows += words.count("Erika")
    assert rows == 14
    assert len({p for i in range(14) for p in page_of(found, f"Name{i:02d}")}) == 2
    continued = [p for p in page_of(found, "Name13") if p != page_of(found, "Name00")[0]]
    for page in continued:  # the header repeats where the table goes on
        assert "Vergütungsgruppe" in [w["text"] for w in found[page]["words"]]
    start = page_of(found, "Zuschuss der Hansestadt Lüneburg")
    assert start == page_of(found, "Differenz +/-") == page_of(found, "5. Schlussrechnung")
    offers = page_of(found, "Angebot 01")
    assert offers == page_of(found, "Angebot 12") == page_of(found, "Nr. Projekt/Angebot")


def test_a_heading_is_never_the_last_line_of_a_page():
    found = pages(verwendungsnachweis_pdf(document(nachweis(people=14, offers=12))))
    for page in found:
        lines = [line for line in page["text"].splitlines() if not line.startswith("Verwendungs")]
        body = [
            line for line in lines if not line.startswith(("Seite", "Verwendungsnachweis 2026"))
        ]
        assert body[-1][:2] not in ("1.", "2.", "3.", "4.", "5.", "6.", "7."), body[-1]


def test_the_long_header_word_is_not_broken():
    words = [
        w["text"] for page in pages(verwendungsnachweis_pdf(document())) for w in page["words"]
    ]
    assert "Vergütungsgruppe" in words and "Stellenanteil" in words


def test_the_docx_form_is_a4_with_page_numbers_rows_that_do_not_split_and_repeated_headers():
    word = docx.Document(io.BytesIO(verwendungsnachweis_docx(document())))
    section = word.sections[0]
    assert (round(section.page_width.mm), round(section.page_height.mm)) == (210, 297)
    footer = section.footer.paragraphs[0]._p.xml
    assert "NUMPAGES" in footer and "Seite " in footer
    for table in word.tables[:3]:
        assert table.rows[0]._tr.xml.count("w:tblHeader") == 1 or table is word.tables[2]
        assert all("w:cantSplit" in row._tr.xml for row in table.rows)
    text = "\n".join(p.text for p in word.paragraphs)
    assert "(in Worten: achtundneunzigtausend Euro)" in text and "dem/der" not in text


@pytest.mark.parametrize(
    ("amount", "words"),
    [
        ("98000.00", "achtundneunzigtausend Euro"),
        ("1.00", "ein Euro"),
        ("101.50", "einhundertein Euro und fünfzig Cent"),
        ("0.01", "ein Cent"),
        ("21.00", "einundzwanzig Euro"),
        ("-500.00", "minus fünfhundert Euro"),
    ],
)
def test_amounts_in_words(amount: str, words: str):
    assert in_worten(D(amount)) == words


def test_the_leitfaden_as_pdf_keeps_headings_lists_and_umlauts():
    source = (ROOT / "vorlagen" / "leitfaden-auftaktgespraech.md").read_text(encoding="utf-8")
    found = pages(leitfaden_pdf(source))
    text = "\n".join(page["text"] for page in found)
    first_heading = next(line[2:] for line in source.splitlines() if line.startswith("# "))
    assert first_heading.replace("**", "") in text
    assert "**" not in text and "#" not in text
    assert f"Seite 1 von {len(found)}" in found[0]["text"]
    assert leitfaden_pdf(source) == leitfaden_pdf(source)  # same text, same attachment


def test_a_pdf_needs_an_aware_date():
    from cycle.documents.pdf_render import pdf

    with pytest.raises(ValueError, match="timezone-aware"):
        pdf("x", [], datetime(2026, 1, 1))
    assert pdf("x", [], datetime(2026, 1, 1, tzinfo=UTC)).startswith(b"%PDF-")
