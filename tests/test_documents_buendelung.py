"""The annual Bündelung of the dialogues per Handlungsfeld (Bielefeld shape)."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

from cycle.documents import BuendelungDaten, Dialog, buendelung_markdown


def dialog(
    pairing: str,
    traeger: str,
    stadtteil: str,
    angebot: str,
    stufe: str,
    on: date,
    teilnehmende: int,
    *,
    feld: str = "Quartiersarbeit",
    leitfaden: str | None = "Rückschau und Ausblick",
    veranstaltung: str | None = None,
) -> Dialog:
    return Dialog(
        pairing,
        traeger,
        stadtteil,
        angebot,
        feld,
        stufe,
        on,
        teilnehmende,
        leitfaden,
        veranstaltung,
    )


MUETTER = "Stadtteilmütter"
DIALOGE = (
    dialog("skf-sieker", "SkF", "Sieker", MUETTER, "Auftaktgespräch", date(2026, 2, 10), 4),
    dialog("drk-senne", "DRK", "Sennestadt", MUETTER, "Auftaktgespräch", date(2026, 3, 3), 3),
    dialog("skf-sieker", "SkF", "Sieker", MUETTER, "Auswertungsgespräch", date(2026, 11, 5), 5),
    dialog(
        "gfs-olh", "GfS", "Oberlohmannshof", "Stadtteilzentrum", "Auswertungsgespräch",
        date(2026, 6, 12), 9, leitfaden="Workshop Mitmachzentren", veranstaltung="workshop",
    ),
    dialog(
        "diak-wf", "Diakonieverband Brackwede", "Windflöte", "Stadtteilzentrum",
        "Auswertungsgespräch", date(2026, 6, 12), 9, leitfaden="Workshop Mitmachzentren",
        veranstaltung="workshop",
    ),
    dialog(
        "awo-kaltenmoor", "AWO", "Kaltenmoor", "Stadtteilkoordination", "Auftaktgespräch",
        date(2026, 2, 3), 5, feld="Stadtteilmanagement", leitfaden=None,
    ),
)  # fmt: skip


def section(text: str, feld: str) -> str:
    start = text.index(f"## Handlungsfeld: {feld}\n")
    end = text.find("\n## ", start + 1)
    return text[start : end if end != -1 else len(text)]


def test_each_handlungsfeld_gets_its_own_section_in_alphabetical_order() -> None:
    text = buendelung_markdown(BuendelungDaten(2026, DIALOGE))
    assert text.startswith("# Bündelung der Kernaussagen der dialogischen Gespräche 2026\n")
    assert text.index("## Handlungsfeld: Quartiersarbeit") < text.index(
        "## Handlungsfeld: Stadtteilmanagement"
    )


def test_the_eckdaten_come_from_the_dialogues() -> None:
    text = section(buendelung_markdown(BuendelungDaten(2026, DIALOGE)), "Quartiersarbeit")
    assert "| Zeitraum | 10.02.2026 – 05.11.2026 |" in text
    # the joint workshop is one Gespräch for two Träger
    assert "| Anzahl Gespräche / Träger / Angebote | 4 Gespräche / 4 Träger / 4 Angebote |" in text


def test_the_offers_are_listed_by_type_with_traeger_and_stadtteil() -> None:
    text = section(buendelung_markdown(BuendelungDaten(2026, DIALOGE)), "Quartiersarbeit")
    assert "- Stadtteilmütter (3 Gespräche): Sieker (SkF), Sennestadt (DRK)\n" in text
    assert (
        "- Stadtteilzentrum (1 Gespräch): Oberlohmannshof (GfS), "
        "Windflöte (Diakonieverband Brackwede)" in text
    )


def test_the_guides_used_are_named_per_stage() -> None:
    full = buendelung_markdown(BuendelungDaten(2026, DIALOGE))
    text = section(full, "Quartiersarbeit")
    assert "- Auftaktgespräch: Leitfaden „Rückschau und Ausblick“" in text
    assert (
        "- Auswertungsgespräch: Leitfaden „Workshop Mitmachzentren“; "
        "Leitfaden „Rückschau und Ausblick“" in text
    )
    assert "- Auftaktgespräch: kein Leitfaden hinterlegt" in section(full, "Stadtteilmanagement")


def test_the_effort_is_three_and_a_half_hours_per_participant_and_dialogue() -> None:
    text = section(buendelung_markdown(BuendelungDaten(2026, DIALOGE)), "Quartiersarbeit")
    # 4 + 3 + 9 (workshop, counted once) + 5 = 21 participants; 21 × 3,5 = 73,5 hours
    assert "**3,5 Std. × 21 Teilnehmende (4 Gespräche) = 73,5 Stunden**" in text
    assert "| 10.02.2026 | Auftaktgespräch | Sieker (SkF) | 4 | 3,5 × 4 = 14,0 |" in text
    assert "| Summe |  |  | 21 | 73,5 |" in text


def test_the_hours_per_person_can_be_changed() -> None:
    data = BuendelungDaten(2026, DIALOGE, handlungsfeld="Stadtteilmanagement",
                           stunden_pro_person=Decimal("4"))  # fmt: skip
    assert "**4,0 Std. × 5 Teilnehmende (1 Gespräch) = 20,0 Stunden**" in buendelung_markdown(data)


def test_output_outcome_and_ausblick_are_headed_places_left_to_write() -> None:
    text = section(buendelung_markdown(BuendelungDaten(2026, DIALOGE)), "Stadtteilmanagement")
    for heading in (
        "### Output (Anzahl Teilnehmende, Anzahl der Veranstaltungen, Öffnungszeiten)",
        "### Outcome (Wirkung im Einzelfall / im Quartier / in der Stadtgesellschaft)",
        "### Ausblick / Weiterentwicklung / Empfehlung / Resümee",
    ):
        assert f"{heading}\n\n> *Kernaussagen: von der Koordinierungsstelle zu ergänzen.*" in text


def test_a_single_day_is_shown_as_one_date() -> None:
    text = buendelung_markdown(BuendelungDaten(2026, DIALOGE, handlungsfeld="Stadtteilmanagement"))
    assert "| Zeitraum | 03.02.2026 |" in text
    assert "Quartiersarbeit" not in text


def test_no_dialogues_are_said_plainly() -> None:
    assert "Für 2026 sind keine geführten Gespräche erfasst." in buendelung_markdown(
        BuendelungDaten(2026, ())
    )
    text = buendelung_markdown(BuendelungDaten(2026, DIALOGE, handlungsfeld="Familie"))
    assert (
        "## Handlungsfeld: Familie\n\nFür 2026 sind in diesem Handlungsfeld keine Gespräche" in text
    )
