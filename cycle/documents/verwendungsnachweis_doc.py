"""The filled Verwendungsnachweis form (Anlage 3) as Markdown, HTML, PDF and DOCX.

The content follows the printed form of the Fachkonzept in its order: sender and address field,
the confirmation with the Zuschuss in figures and words, sections 1–4 with their tables, the
retention of receipts, the Schlussrechnung, the explanation of the Differenz, the legally binding
signature (as recorded, and blank lines to sign on paper) and the sign-off chain of the city as
recorded, open steps marked "offen". Built once as blocks; every format renders the same blocks.
Internal ids (the pairing's key) never appear.
"""

from __future__ import annotations

from datetime import UTC, datetime, time
from decimal import Decimal

from cycle.documents import docx_render, render
from cycle.documents.blocks import (
    Block,
    Heading,
    Letterhead,
    Paragraph,
    SignatureLines,
    Table,
    markdown,
)
from cycle.documents.model import Abzeichnung, Verwendungsnachweis, VerwendungsnachweisDokument
from cycle.documents.money import cap_of, datum, euro, in_worten, percent

_PRUEFVERMERKE = (
    ("05 Koordinierungsstelle Stadtteilarbeit", "rechnerisch geprüft", "rechnerisch_geprueft"),
    ("05 Stabsstellenleitung", "zur Kenntnis genommen", "zur_kenntnis_genommen"),
    ("51.12", "zum Vorgang / abgelegt", "abgelegt"),
)
SIGNATURE_CAPTIONS = ("Ort, Datum", "Unterschrift, Name in Druckbuchstaben, Stempel des Trägers")


def verwendungsnachweis_markdown(doc: VerwendungsnachweisDokument) -> str:
    return markdown(blocks(doc))


def verwendungsnachweis_html(doc: VerwendungsnachweisDokument) -> str:
    return render.html(title(doc), blocks(doc))


def verwendungsnachweis_pdf(doc: VerwendungsnachweisDokument) -> bytes:
    """The A4 form; its PDF date is the last recorded day (the same document, the same bytes)."""
    return render.pdf(title(doc), blocks(doc), _created(doc))


def verwendungsnachweis_docx(doc: VerwendungsnachweisDokument) -> bytes:
    return docx_render.docx(title(doc), blocks(doc))


def title(doc: VerwendungsnachweisDokument) -> str:
    return f"Verwendungsnachweis {doc.jahr} – {doc.traeger}, {doc.stadtteil}"


def blocks(doc: VerwendungsnachweisDokument) -> list[Block]:
    vn, rules = doc.nachweis, doc.rules
    return [
        _letterhead(doc),
        Heading(
            1,
            f"Verwendungsnachweis für das Stadtteilmanagement im Stadtteil {doc.stadtteil} "
            f"für das Jahr {doc.jahr}",
        ),
        Paragraph(
            "Auf der Grundlage des Fachkonzepts zum Stadtteil- und Quartiersmanagement und des "
            "hierzu geltenden Zuschuss- und Kooperationsvertrags wurde dem Träger "
            f"{doc.traeger} ein Betrag in Höhe von {euro(vn.zuschuss)} (in Worten: "
            f"{in_worten(vn.zuschuss)}) zur Verfügung gestellt."
        ),
        Paragraph(
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
            f"{euro(vn.gemeinwesenarbeit)} entstanden."
        ),
        Paragraph("Aufteilung der Kosten auf Projekte/Angebote/Maßnahmen:"),
        _angebote(vn),
        Paragraph(
            "Die oben angegebenen Kosten sind an Hand von Einzelbelegen nachweisbar. Diese werden "
            f"für mindestens {_jahre(rules.aufbewahrung_jahre)} zu Prüfungszwecken aufgehoben."
        ),
        Paragraph(f"Belege aufzubewahren bis {datum(vn.aufbewahren_bis(rules))}", strong=True),
        Heading(2, "5. Schlussrechnung"),
        _schlussrechnung(vn),
        Paragraph(f"Kostensumme in Worten: {in_worten(vn.kostensumme)}"),
        Paragraph("Obige Differenz ist wie folgt zu erläutern/zu begründen:", strong=True),
        Paragraph(vn.erlaeuterung.strip() or "– (keine Erläuterung angegeben)"),
        Heading(2, "6. Rechtsverbindliche Unterschrift"),
        Paragraph(_recorded_signature(doc)),
        SignatureLines(SIGNATURE_CAPTIONS),
        Heading(2, "7. Prüfung und Ablage (Hansestadt)"),
        _zeichnungsweg(doc),
    ]


def _letterhead(doc: VerwendungsnachweisDokument) -> Letterhead:
    day = datum(doc.nachweis.unterschrift.datum)
    return Letterhead(
        absender=doc.absender or (doc.traeger,),
        ort_datum=f"{doc.ort}, {day}" if doc.ort else day,
        empfaenger=doc.empfaenger,
        kontakt=doc.kontakt,
    )


def _recorded_signature(doc: VerwendungsnachweisDokument) -> str:
    sign = doc.nachweis.unterschrift
    text = f"Unterschrieben von {sign.name} am {datum(sign.datum)}"
    if doc.eingereicht_am is not None:
        text += f", eingereicht am {datum(doc.eingereicht_am)}"
    return text + "."


def _jahre(count: int) -> str:
    words = {10: "zehn", 11: "elf", 12: "zwölf", 15: "fünfzehn"}
    return f"{words.get(count, str(count))} Jahre"


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
        widths=(15, 14, 24, 17, 14, 18),
        total=True,
    )


def _angebote(vn: Verwendungsnachweis) -> Table:
    rows = tuple((f"{i}.", a.bezeichnung, euro(a.betrag)) for i, a in enumerate(vn.angebote, 1))
    total = sum((a.betrag for a in vn.angebote), Decimal("0.00"))
    return Table(
        ("Nr.", "Projekt/Angebot/Maßnahme", "Betrag"),
        (*rows, ("", "Summe", euro(total))),
        numeric=(2,),
        widths=(7, 70, 23),
        total=True,
    )


def _zeichnungsweg(doc: VerwendungsnachweisDokument) -> Table:
    rows = tuple(
        _vermerk(stelle, vermerk, getattr(doc.zeichnungsweg, key))
        for stelle, vermerk, key in _PRUEFVERMERKE
    )
    return Table(("Stelle", "Vermerk", "Datum", "Durch"), rows, widths=(34, 30, 14, 22), keep=True)


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
    return Table(
        ("Position", "Betrag"), table, numeric=(1,), widths=(75, 25), keep=True, total=True
    )


def _vermerk(stelle: str, vermerk: str, step: Abzeichnung | None) -> tuple[str, ...]:
    if step is None:
        return (stelle, f"{vermerk}: offen", "–", "–")
    return (stelle, vermerk, datum(step.datum), step.von)


def _created(doc: VerwendungsnachweisDokument) -> datetime:
    chain = doc.zeichnungsweg
    steps = (chain.rechnerisch_geprueft, chain.zur_kenntnis_genommen, chain.abgelegt)
    days = [doc.nachweis.unterschrift.datum, doc.eingereicht_am, *(s.datum for s in steps if s)]
    return datetime.combine(max(d for d in days if d is not None), time(), UTC)
