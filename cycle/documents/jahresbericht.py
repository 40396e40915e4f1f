"""The Jahresbericht after Anlage 1 (Social Reporting Standard): outline and prefilled skeleton.

The outline is data (``OUTLINE``); the skeleton is built once as blocks and rendered to
Markdown and DOCX. Guiding questions are our own wording and are marked as guides (Markdown:
italic block quotes; DOCX: the paragraph style ``Leitfrage``), so ``jahresbericht_check``
does not count them as content. Cells in square brackets (``[bitte ergänzen]``) are
placeholders.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime

from cycle.documents import pdf_render
from cycle.documents.blocks import Block, Guide, Heading, Paragraph, Table, markdown
from cycle.documents.docx_shapes import docx_shaped
from cycle.documents.jahresbericht_text import GUIDES, WIRKUNGSTREPPE
from cycle.documents.model import JahresberichtDaten, Termin
from cycle.documents.money import datum

PLACEHOLDER = "[bitte ergänzen]"
LEVEL_HINT = "[Stufe 1–7]"


@dataclass(frozen=True)
class Abschnitt:
    """One numbered section of Anlage 1. ``eigener_inhalt`` is False for a pure group heading."""

    nummer: str
    titel: str
    eigener_inhalt: bool = True

    @property
    def ueberschrift(self) -> str:
        return (
            f"{self.nummer}. {self.titel}"
            if "." not in self.nummer
            else (f"{self.nummer} {self.titel}")
        )


OUTLINE: tuple[Abschnitt, ...] = (
    Abschnitt("1", "Angaben zum Organisationsprofil"),
    Abschnitt("2", "Gegenstand und Inhalt des Berichts"),
    Abschnitt("2.1", "Steckbrief Stadtteil"),
    Abschnitt("2.2", "Herausforderungen im Stadtteil"),
    Abschnitt("2.3", "Lösungsansätze"),
    Abschnitt("3", "Ressourcen, Leistungen und Wirkungen im Berichtszeitraum", False),
    Abschnitt("3.1", "Eingesetzte Ressourcen (Input)"),
    Abschnitt("3.2", "Personelle Ressourcen (Input)"),
    Abschnitt("3.3", "Erbrachte Leistungen (Output)"),
    Abschnitt("3.4", "Erreichte Wirkungen (Outcome/Impact)"),
    Abschnitt("3.5", "Maßnahmen zur begleitenden Evaluation und Qualitätssicherung"),
    Abschnitt("4", "Ausblick"),
)

# Labels of prefilled rows: the data comes from master data, not from the Träger's writing.
PROFIL = (
    "Name und Rechtsform",
    "Sitz der Geschäftsstelle",
    "Kontaktdaten",
    "Vertretungsberechtigte Personen",
)
VORBELEGT = ("Stadtteil", "Berichtszeitraum", "Name Stadtteil- und Quartiersmanagement")
GEGENSTAND = ("Stadtteilhaus", "Inhalt")
TERMINE_KOPF = ("Stufe", "Datum", "Stand")
INPUT_ZEILEN = (
    "Personalkosten",
    "Verwaltungs- und Leitungskosten",
    "Arbeitsplatzbezogene Sachkosten",
    "Stadtteilmanagement",
    "Eigenmittel/Spenden/Weitere Zuwendungen",
    "Gesamtsumme",
)
ABGLEICH = "Abgleich Planung und Realität"
_STATUS = {
    "offen": "offen",
    "terminiert": "terminiert",
    "durchgefuehrt": "durchgeführt",
    "entfallen": "entfallen",
    "eingereicht": "eingereicht",
    "zurueckgegeben": "zurückgegeben",
    "angenommen": "angenommen",
}


def skeleton_markdown(data: JahresberichtDaten) -> str:
    return markdown(skeleton(data))


def skeleton_docx(data: JahresberichtDaten) -> bytes:
    """The prefilled skeleton as DOCX (built once per shape: a tick attaches one per pairing)."""
    return docx_shaped(title(data), skeleton(data))


def skeleton_pdf(data: JahresberichtDaten, created: datetime) -> bytes:
    """The skeleton as an A4 PDF for Träger who cannot open Markdown (``created``: its date)."""
    return pdf_render.pdf(title(data), skeleton(data), created)


def title(data: JahresberichtDaten) -> str:
    what = data.angebot or "Stadtteilmanagement"
    return f"Jahresbericht {data.jahr} – {what} {data.stadtteil.name}"


def skeleton(data: JahresberichtDaten) -> list[Block]:
    """The whole outline as blocks, prefilled where the data knows the answer."""
    out: list[Block] = [Heading(1, title(data)), Guide(GUIDES["intro"])]
    for abschnitt in OUTLINE:
        out.append(Heading(2 if "." not in abschnitt.nummer else 3, abschnitt.ueberschrift))
        out += _body(abschnitt.nummer, data)
    return out


def _body(nummer: str, data: JahresberichtDaten) -> list[Block]:
    guide: list[Block] = [Guide(GUIDES[nummer])] if nummer in GUIDES else []
    section = _SECTIONS.get(nummer)
    return guide + (section(data) if section else [])


def _section_1(data: JahresberichtDaten) -> list[Block]:
    return [Table(("Angabe", "Eintrag"), _profil(data))]


def _section_2(data: JahresberichtDaten) -> list[Block]:
    return [Table(("Angabe", "Eintrag"), _gegenstand(data)), *_termine(data.termine)]


def _section_2_3(data: JahresberichtDaten) -> list[Block]:
    return [Table(("Zielgruppe", "Leistung", "Erwartete Wirkung"), _empty(3))]


def _section_3_1(data: JahresberichtDaten) -> list[Block]:
    return [Table(("Position", "Kosten"), tuple((x, "") for x in INPUT_ZEILEN), numeric=(1,))]


def _section_3_4(data: JahresberichtDaten) -> list[Block]:
    header = ("Eingesetzte Ressourcen", "Erbrachte Leistungen", "Erzielte Wirkung", "Stufe")
    rows = tuple(("", "", "", LEVEL_HINT) for _ in range(3))
    return [
        Guide(WIRKUNGSTREPPE),
        Table(header, rows),
        Paragraph(ABGLEICH, strong=True),
        Guide(GUIDES["abgleich"]),
    ]


def _section_3_5(data: JahresberichtDaten) -> list[Block]:
    header = ("Angebotsbezeichnung", "Verantwortlich", "Zeiten", "Teilnehmerzahl",
              "Form der Finanzierung")  # fmt: skip
    return [Table(header, _empty(5))]


_SECTIONS: dict[str, Callable[[JahresberichtDaten], list[Block]]] = {
    "1": _section_1,
    "2": _section_2,
    "2.3": _section_2_3,
    "3.1": _section_3_1,
    "3.4": _section_3_4,
    "3.5": _section_3_5,
}


def _empty(columns: int) -> tuple[tuple[str, ...], ...]:
    return tuple(("",) * columns for _ in range(3))


def _profil(data: JahresberichtDaten) -> tuple[tuple[str, str], ...]:
    t = data.traeger
    name = f"{t.name} (Rechtsform: {t.rechtsform})" if t.rechtsform else t.name
    kontakt = "; ".join(
        x for x in (t.anschrift, f"Tel. {t.telefon}" if t.telefon else None, t.email) if x
    )
    values = (name, t.sitz, kontakt, ", ".join(t.vertretungsberechtigt))
    return tuple((label, value or PLACEHOLDER) for label, value in zip(PROFIL, values, strict=True))


def _gegenstand(data: JahresberichtDaten) -> tuple[tuple[str, str], ...]:
    return (
        ("Stadtteil", data.stadtteil.name),
        ("Stadtteilhaus", PLACEHOLDER),
        ("Berichtszeitraum", f"01.01.{data.jahr}–31.12.{data.jahr}"),
        (VORBELEGT[2], ", ".join(data.stadtteilmanager) or PLACEHOLDER),
        ("Inhalt", "[Über welche Angebote und Projekte wird berichtet?]"),
    )


def _termine(termine: tuple[Termin, ...]) -> list[Block]:
    if not termine:
        return []
    rows = tuple(
        (t.stufe, datum(t.datum) if t.datum else "–", _STATUS.get(t.status, t.status))
        for t in termine
    )
    return [
        Paragraph("Termine im Berichtsjahr (aus der Zyklusplanung):"),
        Table(TERMINE_KOPF, rows),
    ]
