"""The annual Bündelung of the dialogues per Handlungsfeld (after Bielefeld, ``000_…``).

The Eckdaten (period, counts, list by offer type, guides used) and the effort estimate come from
the data; Output, Outcome and Ausblick are headed empty places for the coordinator's Kernaussagen.
Dialogue rows sharing a ``veranstaltung`` were one joint event: one Gespräch, its participants
counted once (the largest value given on its rows).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal

from cycle.documents import docx_render, pdf_render
from cycle.documents.blocks import Block, Bullets, Guide, Heading, Paragraph, Table, markdown
from cycle.documents.model import BuendelungDaten, Dialog
from cycle.documents.money import datum, zahl

_OFFEN = ("Kernaussagen: von der Koordinierungsstelle zu ergänzen.",)
_PLAETZE = (
    "Output (Anzahl Teilnehmende, Anzahl der Veranstaltungen, Öffnungszeiten)",
    "Outcome (Wirkung im Einzelfall / im Quartier / in der Stadtgesellschaft)",
    "Ausblick / Weiterentwicklung / Empfehlung / Resümee",
)


@dataclass(frozen=True)
class _Gespraech:
    """One held dialogue event (several rows when it was a joint event)."""

    rows: tuple[Dialog, ...]

    @property
    def datum(self) -> date:
        return min(r.datum for r in self.rows)

    @property
    def teilnehmende(self) -> int:
        return max(r.teilnehmende for r in self.rows)

    @property
    def wer(self) -> str:
        return ", ".join(dict.fromkeys(_wer(r) for r in self.rows))


def buendelung_markdown(data: BuendelungDaten) -> str:
    return markdown(buendelung_blocks(data))


def buendelung_docx(data: BuendelungDaten) -> bytes:
    return docx_render.docx(buendelung_title(data), buendelung_blocks(data))


def buendelung_pdf(data: BuendelungDaten, created: datetime) -> bytes:
    return pdf_render.pdf(buendelung_title(data), buendelung_blocks(data), created)


def buendelung_title(data: BuendelungDaten) -> str:
    return f"Bündelung der Kernaussagen der dialogischen Gespräche {data.jahr}"


def buendelung_blocks(data: BuendelungDaten) -> list[Block]:
    out: list[Block] = [Heading(1, buendelung_title(data))]
    felder = sorted({d.handlungsfeld for d in data.dialoge})
    if data.handlungsfeld is not None:
        felder = [data.handlungsfeld]
    if not felder:
        out.append(Paragraph(f"Für {data.jahr} sind keine geführten Gespräche erfasst."))
    for feld in felder:
        rows = sorted((d for d in data.dialoge if d.handlungsfeld == feld), key=_order)
        out += _handlungsfeld(feld, rows, data)
    return out


def _handlungsfeld(feld: str, rows: Sequence[Dialog], data: BuendelungDaten) -> list[Block]:
    out: list[Block] = [Heading(2, f"Handlungsfeld: {feld}")]
    if not rows:
        return [
            *out,
            Paragraph(f"Für {data.jahr} sind in diesem Handlungsfeld keine Gespräche erfasst."),
        ]
    events = _gespraeche(rows)
    first, last = datum(rows[0].datum), datum(max(r.datum for r in rows))
    counts = (
        _anzahl(len(events), "Gespräch", "Gespräche"),
        _anzahl(len({r.traeger for r in rows}), "Träger", "Träger"),
        _anzahl(len({r.pairing_id for r in rows}), "Angebot", "Angebote"),
    )
    out += [
        Heading(3, "Eckdaten"),
        Table(
            ("Eckdatum", "Wert"),
            (
                ("Zeitraum", first if first == last else f"{first} – {last}"),
                ("Anzahl Gespräche / Träger / Angebote", " / ".join(counts)),
            ),
        ),
        Paragraph("Gespräche nach Angebot:", strong=True),
        *_nach_angebot(rows, events),
        Heading(3, "Schwerpunkt des Gesprächs"),
        *_leitfaeden(rows),
        *_aufwand(events, data.stunden_pro_person),
    ]
    for platz in _PLAETZE:
        out += [Heading(3, platz), Guide(_OFFEN)]
    return out


def _gespraeche(rows: Sequence[Dialog]) -> list[_Gespraech]:
    groups: dict[object, list[Dialog]] = {}
    for i, row in enumerate(rows):
        groups.setdefault(row.veranstaltung or i, []).append(row)
    return sorted((_Gespraech(tuple(g)) for g in groups.values()), key=lambda e: _order(e.rows[0]))


def _nach_angebot(rows: Sequence[Dialog], events: Sequence[_Gespraech]) -> list[Block]:
    lines: list[str] = []
    for angebot in dict.fromkeys(r.angebot for r in rows):
        count = sum(1 for e in events if any(r.angebot == angebot for r in e.rows))
        where = ", ".join(dict.fromkeys(_wer(r) for r in rows if r.angebot == angebot))
        lines.append(f"{angebot} ({_anzahl(count, 'Gespräch', 'Gespräche')}): {where}")
    return [Bullets(tuple(lines))]


def _leitfaeden(rows: Sequence[Dialog]) -> list[Block]:
    used: dict[str, list[str]] = {}
    for r in rows:
        names = used.setdefault(r.stufe, [])
        name = f"Leitfaden „{r.leitfaden}“" if r.leitfaden else "kein Leitfaden hinterlegt"
        if name not in names:
            names.append(name)
    return [Bullets(tuple(f"{stufe}: {'; '.join(names)}" for stufe, names in used.items()))]


def _aufwand(events: Sequence[_Gespraech], stunden: Decimal) -> list[Block]:
    people = sum(e.teilnehmende for e in events)
    total = stunden * people
    table = tuple(
        (datum(e.rows[0].datum), e.rows[0].stufe, e.wer, str(e.teilnehmende),
         f"{zahl(stunden)} × {e.teilnehmende} = {zahl(stunden * e.teilnehmende)}")
        for e in events
    )  # fmt: skip
    return [
        Heading(3, "Zeitaufwand (Schätzung)"),
        Paragraph(
            f"Je Gespräch mit Vor- und Nachbereitung mindestens {zahl(stunden)} Stunden je "
            "teilnehmende Person; Aufwand = Σ (Stunden je Person × Teilnehmende je Gespräch)."
        ),
        Paragraph(
            f"{zahl(stunden)} Std. × {people} Teilnehmende "
            f"({_anzahl(len(events), 'Gespräch', 'Gespräche')}) = {zahl(total)} Stunden",
            strong=True,
        ),
        Table(
            ("Datum", "Gespräch", "Stadtteil (Träger)", "Teilnehmende", "Stunden"),
            (*table, ("Summe", "", "", str(people), zahl(total))),
            numeric=(3, 4),
        ),
    ]


def _order(row: Dialog) -> tuple[object, ...]:
    return (row.datum, row.stadtteil, row.traeger)


def _wer(row: Dialog) -> str:
    return f"{row.stadtteil} ({row.traeger})"


def _anzahl(n: int, one: str, many: str) -> str:
    return f"{n} {one if n == 1 else many}"
