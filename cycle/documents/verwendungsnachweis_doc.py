"""The filled Verwendungsnachweis form (Anlage 3) as Markdown, HTML and PDF.

The content is built once as blocks; the three formats render the same blocks. The sign-off
chain is shown as recorded, with open steps marked "offen".
"""

from __future__ import annotations

from datetime import UTC, datetime, time
from decimal import Decimal

from cycle.documents import render
from cycle.documents.blocks import Block, Heading, Paragraph, Table, markdown
from cycle.documents.model import Abzeichnung, Verwendungsnachweis, VerwendungsnachweisDokument
from cycle.documents.money import cap_of, datum, euro, percent

_PRUEFVERMERKE = (
    ("05 Koordinierungsstelle Stadtteilarbeit", "rechnerisch geprüft", "rechnerisch_geprueft"),
    ("05 Stabsstellenleitung", "zur Kenntnis genommen", "zur_kenntnis_genommen"),
    ("51.12", "zum Vorgang / abgelegt", "abgelegt"),
)


def verwendungsnachweis_markdown(doc: VerwendungsnachweisDokument) -> str:
    return markdown(blocks(doc))


def verwendungsnachweis_html(doc: VerwendungsnachweisDokument) -> str:
    return render.html(title(doc), blocks(doc))


def verwendungsnachweis_pdf(doc: VerwendungsnachweisDokument) -> bytes:
    """PDF with core fonts (amounts read "9.490,00 EUR"); its date is the last recorded day."""
    return render.pdf(title(doc), blocks(doc), _created(doc))


def title(doc: VerwendungsnachweisDokument) -> str:
    return f"Verwendungsnachweis {doc.jahr} – {doc.traeger}, {doc.stadtteil}"


def blocks(doc: VerwendungsnachweisDokument) -> list[Block]:
    vn, rules = doc.nachweis, doc.rules
    retention = datum(vn.aufbewahren_bis(rules))
    return [
        Heading(1, f"Verwendungsnachweis für das Stadtteilmanagement für das Jahr {doc.jahr}"),
        Table(
            ("Angabe", "Eintrag"),
            (
                ("Träger (Absender)", doc.traeger),
                ("Stadtteil", doc.stadtteil),
                ("Zuordnung", doc.pairing_id),
                ("An", ", ".join(doc.empfaenger)),
                ("Eingereicht am", datum(doc.eingereicht_am) if doc.eingereicht_am else "–"),
            ),
        ),
        Paragraph(
            "Auf der Grundlage des Fachkonzepts zum Stadtteil- und Quartiersmanagement und des "
            "hierzu geltenden Zuschuss- und Kooperationsvertrags wurde dem/der "
            f"{doc.traeger} ein Betrag in Höhe von {euro(vn.zuschuss)} zur Verfügung gestellt. "
            "Hiermit wird bestätigt, dass dieser Betrag gemäß des Zuschuss- und "
            "Kooperationsvertrags zuwendungsgemäß verwendet wurde."
        ),
        Heading(2, f"1. Personalkosten = {euro(vn.personalkosten)}"),
        _personal(vn),
        Heading(
            2,
            "2. Verwaltungs- und Leitungskosten (Pauschale, max. "
            f"{percent(rules.verwaltung_max_anteil)} der Personalkosten)",
        ),
        Paragraph(
            f"Es werden Verwaltungs- und Leitungskosten in Höhe von {euro(vn.verwaltungskosten)} "
            f"geltend gemacht (Obergrenze: "
            f"{euro(cap_of(vn.personalkosten, rules.verwaltung_max_anteil))})."
        ),
        Heading(2, f"3. Arbeitsplatzbezogene Sachkosten (max. {euro(rules.sachkosten_max)})"),
        Paragraph(f"Es sind Sachkosten in Höhe von {euro(vn.sachkosten)} entstanden."),
        Heading(
            2,
            "4. Kosten für präventive Angebote der Gemeinwesenarbeit "
            f"(Stadtteilmanagementbudget, Pauschale max. {euro(rules.gemeinwesenarbeit_max)})",
        ),
        Paragraph(
            "Für präventive Angebote der Gemeinwesenarbeit sind Kosten in Höhe von "
            f"{euro(vn.gemeinwesenarbeit)} entstanden. Aufteilung auf Projekte/Angebote/Maßnahmen:"
        ),
        _angebote(vn),
        Paragraph(
            "Die oben angegebenen Kosten sind an Hand von Einzelbelegen nachweisbar. Diese werden "
            f"für mindestens {rules.aufbewahrung_jahre} Jahre zu Prüfungszwecken aufgehoben."
        ),
        Paragraph(f"Belege aufzubewahren bis {retention}", strong=True),
        Heading(2, "5. Schlussrechnung"),
        _schlussrechnung(vn),
        Paragraph("Erläuterung/Begründung der Differenz:", strong=True),
        Paragraph(vn.erlaeuterung.strip() or "– (keine Erläuterung angegeben)"),
        Heading(2, "6. Rechtsverbindliche Unterschrift"),
        Paragraph(f"{vn.unterschrift.name}, {doc.traeger}"),
        Paragraph(f"unterschrieben am {datum(vn.unterschrift.datum)}"),
        Heading(2, "7. Prüfung und Ablage"),
        _zeichnungsweg(doc),
    ]


def _personal(vn: Verwendungsnachweis) -> Table:
    rows = tuple(
        (
            p.name,
            p.vorname,
            p.qualifikation,
            p.verguetungsgruppe,
            f"{p.stellenanteil}".replace(".", ","),
            euro(p.kosten),
        )
        for p in vn.personal
    )
    total = sum((p.kosten for p in vn.personal), Decimal("0.00"))
    return Table(
        ("Name", "Vorname", "Qualifikation", "Vergütungsgruppe", "Stellenanteil", "Personalkosten"),
        (*rows, ("Summe", "", "", "", "", euro(total))),
        numeric=(4, 5),
        widths=(14, 14, 20, 14, 11, 17),
    )


def _angebote(vn: Verwendungsnachweis) -> Table:
    rows = tuple((f"{i}.", a.bezeichnung, euro(a.betrag)) for i, a in enumerate(vn.angebote, 1))
    total = sum((a.betrag for a in vn.angebote), Decimal("0.00"))
    return Table(
        ("Nr.", "Projekt/Angebot/Maßnahme", "Betrag"),
        (*rows, ("", "Summe", euro(total))),
        numeric=(2,),
        widths=(6, 60, 18),
    )


def _zeichnungsweg(doc: VerwendungsnachweisDokument) -> Table:
    rows = tuple(
        _vermerk(stelle, vermerk, getattr(doc.zeichnungsweg, key))
        for stelle, vermerk, key in _PRUEFVERMERKE
    )
    return Table(("Stelle", "Vermerk", "Datum", "Durch"), rows)


def _schlussrechnung(vn: Verwendungsnachweis) -> Table:
    rows = (
        ("Zuschuss der Hansestadt Lüneburg", vn.zuschuss),
        ("Weitere Zuschüsse/Einnahmen", vn.weitere_einnahmen),
        ("Einnahmen gesamt", vn.einnahmen),
        ("Personalkosten", vn.personalkosten),
        ("Verwaltungs- und Leitungskosten", vn.verwaltungskosten),
        ("Arbeitsplatzbezogene Sachkosten", vn.sachkosten),
        ("Kosten für präventive Angebote der Gemeinwesenarbeit", vn.gemeinwesenarbeit),
        ("Kostensumme", vn.kostensumme),
        ("Differenz +/-", vn.differenz),
    )
    table = tuple((label, euro(amount)) for label, amount in rows)
    return Table(("Position", "Betrag"), table, numeric=(1,), widths=(70, 30))


def _vermerk(stelle: str, vermerk: str, step: Abzeichnung | None) -> tuple[str, ...]:
    if step is None:
        return (stelle, f"{vermerk}: offen", "–", "–")
    return (stelle, vermerk, datum(step.datum), step.von)


def _created(doc: VerwendungsnachweisDokument) -> datetime:
    chain = doc.zeichnungsweg
    steps = (chain.rechnerisch_geprueft, chain.zur_kenntnis_genommen, chain.abgelegt)
    days = [doc.nachweis.unterschrift.datum, doc.eingereicht_am, *(s.datum for s in steps if s)]
    return datetime.combine(max(d for d in days if d is not None), time(), UTC)
