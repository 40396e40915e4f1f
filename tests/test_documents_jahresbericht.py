"""The Jahresbericht skeleton after Anlage 1 and the outline check of submitted reports."""

from __future__ import annotations

import io
import itertools
from datetime import date

import pytest
from docx import Document
from docx.text.paragraph import Paragraph

from cycle.config.settings import Stadtteil, Traeger
from cycle.documents import (
    OUTLINE,
    Gap,
    JahresberichtDaten,
    Termin,
    UnlesbaresDokument,
    check_docx,
    check_file,
    check_markdown,
    skeleton_docx,
    skeleton_markdown,
)

TRAEGER = Traeger(
    id="awo",
    name="AWO Kreisverband Lüneburg",
    leitung="Hans Leiter",
    leitung_email="leitung@example.org",
    rechtsform="e.V.",
    sitz="Lüneburg",
    anschrift="Musterstraße 1, 21335 Lüneburg",
    telefon="04131 123456",
    email="info@awo.example.org",
    vertretungsberechtigt=("Hans Leiter", "Grete Vorstand"),
)
DATA = JahresberichtDaten(
    traeger=TRAEGER,
    stadtteil=Stadtteil("kaltenmoor", "Kaltenmoor"),
    jahr=2026,
    stadtteilmanager=("Erika Muster", "Jörg Özdemir"),
    termine=(
        Termin("Auftaktgespräch", date(2026, 2, 12), "durchgefuehrt"),
        Termin("Fachtag", date(2026, 6, 18), "terminiert"),
        Termin("Auswertungsgespräch", None, "offen"),
    ),
)
HEADINGS = [
    "1. Angaben zum Organisationsprofil",
    "2. Gegenstand und Inhalt des Berichts",
    "2.1 Steckbrief Stadtteil",
    "2.2 Herausforderungen im Stadtteil",
    "2.3 Lösungsansätze",
    "3. Ressourcen, Leistungen und Wirkungen im Berichtszeitraum",
    "3.1 Eingesetzte Ressourcen (Input)",
    "3.2 Personelle Ressourcen (Input)",
    "3.3 Erbrachte Leistungen (Output)",
    "3.4 Erreichte Wirkungen (Outcome/Impact)",
    "3.5 Maßnahmen zur begleitenden Evaluation und Qualitätssicherung",
    "4. Ausblick",
]
EMPTY_IN_SKELETON = ["2", "2.1", "2.2", "2.3", "3.1", "3.2", "3.3", "3.4", "3.5", "4"]


def style(paragraph: Paragraph) -> str:
    return paragraph.style.name if paragraph.style is not None else ""


def numbers(gaps: list[Gap], reason: str) -> list[str]:
    return [g.nummer for g in gaps if g.grund == reason]


def filled_markdown() -> str:
    """The skeleton with every section written, the way a Träger would fill it in."""
    text = skeleton_markdown(DATA)
    text = text.replace("| Stadtteilhaus | [bitte ergänzen] |", "| Stadtteilhaus | Haus am Park |")
    for old, new in (
        (
            "|---|---|---|\n|  |  |  |",
            "|---|---|---|\n| Familien | Elterncafé | Kontakte |",
        ),
        ("| Personalkosten |  |", "| Personalkosten | 73.000,00 € |"),
        ("|  |  |  | [Stufe 1–7] |", "| 0,5 Stelle | Elterncafé | Eltern vernetzen sich | 4 |"),
        ("|---|---|---|---|---|\n|  |", "|---|---|---|---|---|\n| Elterncafé |"),
    ):
        assert old in text
        text = text.replace(old, new, 1)
    own = {
        "2.1": "Kaltenmoor ist ein dicht bebauter Stadtteil mit vielen jungen Familien.",
        "2.2": "Schwerpunkt ist die Nachbarschaftsarbeit rund um den Marktplatz.",
        "3.2": "- Stadtteilmanagement (30 Stunden/Woche): Stadtteilrunden, Stadtteilfest",
        "3.3": "- Zwölf Stadtteilrunden mit durchschnittlich 15 Teilnehmenden",
        "4": "Das Elterncafé wird 2027 auf zwei Vormittage erweitert.",
    }
    for heading in HEADINGS:
        number = heading.split()[0].rstrip(".")
        if number in own:
            marker = f"# {heading}\n"
            text = text.replace(marker, f"{marker}\n{own[number]}\n", 1)
    return text


# --- the outline and the skeleton -------------------------------------------------------------


def test_the_outline_has_the_numbered_sections_of_anlage_1() -> None:
    assert [a.ueberschrift for a in OUTLINE] == HEADINGS


def test_the_markdown_skeleton_has_every_heading_in_order() -> None:
    text = skeleton_markdown(DATA)
    positions = [text.index(f"# {h}\n") for h in HEADINGS]
    assert positions == sorted(positions)
    assert text.startswith("# Jahresbericht 2026 – Stadtteilmanagement Kaltenmoor\n")


def test_the_skeleton_is_prefilled_with_profile_period_names_and_meetings() -> None:
    text = skeleton_markdown(DATA)
    for row in (
        "| Name und Rechtsform | AWO Kreisverband Lüneburg (Rechtsform: e.V.) |",
        "| Sitz der Geschäftsstelle | Lüneburg |",
        "| Kontaktdaten | Musterstraße 1, 21335 Lüneburg; Tel. 04131 123456; info@awo.example.org",
        "| Vertretungsberechtigte Personen | Hans Leiter, Grete Vorstand |",
        "| Stadtteil | Kaltenmoor |",
        "| Berichtszeitraum | 01.01.2026–31.12.2026 |",
        "| Name Stadtteil- und Quartiersmanagement | Erika Muster, Jörg Özdemir |",
        "| Auftaktgespräch | 12.02.2026 | durchgeführt |",
        "| Fachtag | 18.06.2026 | terminiert |",
        "| Auswertungsgespräch | – | offen |",
    ):
        assert row in text


def test_missing_profile_data_becomes_a_placeholder() -> None:
    bare = Traeger("x", "Verein Miteinander", "A. B.", "ab@example.org")
    text = skeleton_markdown(JahresberichtDaten(bare, Stadtteil("k", "Kreideberg"), 2026))
    assert "| Name und Rechtsform | Verein Miteinander |" in text
    assert "| Sitz der Geschäftsstelle | [bitte ergänzen] |" in text
    assert "| Name Stadtteil- und Quartiersmanagement | [bitte ergänzen] |" in text


def test_the_skeleton_has_the_tables_of_the_outline() -> None:
    text = skeleton_markdown(DATA)
    assert "| Zielgruppe | Leistung | Erwartete Wirkung |" in text
    assert "| Verwaltungs- und Leitungskosten |  |" in text
    assert "| Eigenmittel/Spenden/Weitere Zuwendungen |  |" in text
    assert "| Eingesetzte Ressourcen | Erbrachte Leistungen | Erzielte Wirkung | Stufe |" in text
    assert "|  |  |  | [Stufe 1–7] |" in text
    assert (
        "| Angebotsbezeichnung | Verantwortlich | Zeiten | Teilnehmerzahl | Form der Finanzierung |"
        in text
    )


def test_the_wirkungstreppe_is_explained_once() -> None:
    text = skeleton_markdown(DATA)
    for level in range(1, 8):
        assert text.count(f"Stufe {level}:") == 1
    assert "Stufen 1–3 beschreiben Leistungen (Output)" in text
    assert "Stufe 7 gesellschaftliche Wirkung (Impact)" in text


def test_guiding_questions_are_italic_block_quotes() -> None:
    text = skeleton_markdown(DATA)
    assert "> - *Welchen Ruf hat der Stadtteil, innen wie außen?*" in text
    assert "> *Vergleichen Sie die unter 2.3 geplanten Lösungsansätze mit dem Erreichten:*" in text


def test_the_docx_skeleton_has_the_headings_tables_and_guide_style() -> None:
    document = Document(io.BytesIO(skeleton_docx(DATA)))
    headings = [p.text for p in document.paragraphs if style(p).startswith("Heading")]
    assert headings == HEADINGS
    headers = [tuple(c.text for c in t.rows[0].cells) for t in document.tables]
    assert ("Zielgruppe", "Leistung", "Erwartete Wirkung") in headers
    assert ("Stufe", "Datum", "Stand") in headers
    profile = {row.cells[0].text: row.cells[1].text for row in document.tables[0].rows}
    assert profile["Vertretungsberechtigte Personen"] == "Hans Leiter, Grete Vorstand"
    guides = [p.text for p in document.paragraphs if style(p) == "Leitfrage"]
    assert "• Stufe 7: Die Gesellschaft verändert sich." in guides
    assert document.core_properties.title == "Jahresbericht 2026 – Stadtteilmanagement Kaltenmoor"


# --- checking a submitted report --------------------------------------------------------------


def test_the_unchanged_markdown_skeleton_lists_every_section_still_to_write() -> None:
    gaps = check_markdown(skeleton_markdown(DATA))
    assert numbers(gaps, "leer") == EMPTY_IN_SKELETON
    assert numbers(gaps, "fehlt") == []
    assert str(gaps[0]) == "2 Gegenstand und Inhalt des Berichts: leer"


def test_the_unchanged_docx_skeleton_lists_the_same_sections() -> None:
    gaps = check_docx(skeleton_docx(DATA))
    assert numbers(gaps, "leer") == EMPTY_IN_SKELETON
    assert numbers(gaps, "fehlt") == []


def test_a_filled_in_markdown_report_lists_nothing() -> None:
    assert check_markdown(filled_markdown()) == []


def test_a_filled_in_docx_report_lists_nothing() -> None:
    document = Document(io.BytesIO(skeleton_docx(DATA)))
    for table in document.tables:
        for row in table.rows[1:]:
            for cell in row.cells:
                if not cell.text or cell.text.startswith("["):
                    cell.text = "ausgefüllt"
    headings = [p for p in document.paragraphs if style(p).startswith("Heading")]
    for heading, following in itertools.pairwise(headings):
        if heading.text.split()[0] in ("2.1", "2.2", "3.2", "3.3"):
            following.insert_paragraph_before("Unser eigener Text zu diesem Abschnitt.")
    document.add_paragraph("Im nächsten Jahr erweitern wir das Elterncafé.")
    buffer = io.BytesIO()
    document.save(buffer)
    assert check_docx(buffer.getvalue()) == []


def test_a_missing_heading_is_listed_as_missing() -> None:
    text = filled_markdown().replace("### 2.2 Herausforderungen im Stadtteil\n", "")
    text = text.replace("## 3. Ressourcen, Leistungen und Wirkungen im Berichtszeitraum\n", "")
    gaps = check_markdown(text)
    assert [(g.nummer, g.grund) for g in gaps] == [("2.2", "fehlt"), ("3", "fehlt")]


def test_a_section_with_only_guides_and_placeholders_is_empty() -> None:
    text = filled_markdown().replace(
        "Das Elterncafé wird 2027 auf zwei Vormittage erweitert.",
        "*Nur ein kursiver Hinweis*\n\n> Ein Zitat\n\n[bitte ergänzen]\n\n#### Unterüberschrift",
    )
    assert check_markdown(text) == [Gap("4", "Ausblick", "leer")]


def test_a_numbered_sub_heading_inside_a_section_is_not_mistaken_for_the_outline() -> None:
    text = filled_markdown().replace(
        "### 3.3 Erbrachte Leistungen (Output)\n",
        "### 3.3 Erbrachte Leistungen (Output)\n\n#### 1. Stadtteilfest\n\nEin Fest.\n",
    )
    assert check_markdown(text) == []


def test_a_heading_with_an_extended_title_still_counts() -> None:
    text = filled_markdown().replace(
        "### 2.3 Lösungsansätze\n", "### 2.3. Lösungsansätze und Ziele\n"
    )
    assert check_markdown(text) == []


def test_check_file_chooses_the_format_by_name_and_leaves_others_unchecked() -> None:
    assert check_file("bericht.MD", filled_markdown().encode()) == []
    assert check_file("bericht.docx", skeleton_docx(DATA)) is not None
    assert check_file("bericht.pdf", b"%PDF-1.7") is None
    assert check_file("bericht.odt", b"") is None


@pytest.mark.parametrize(
    ("name", "data", "message"),
    [
        ("bericht.docx", b"kein zip", "kein lesbares DOCX-Dokument"),
        ("bericht.md", "Bericht".encode("utf-16"), "kein UTF-8-Text"),
    ],
)
def test_an_unreadable_file_gives_a_german_error(name: str, data: bytes, message: str) -> None:
    with pytest.raises(UnlesbaresDokument, match=message):
        check_file(name, data)
