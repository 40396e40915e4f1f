"""Pictures drawn on the server as SVG text: no script, no inline style (the CSP forbids both),
colours by class from the stylesheet, and a text alternative in ``<title>``/``<desc>``
(``role="img"``): the timeline of one pairing's year, the Übersicht's stages done against due.

Pure: dates in, markup out (every text escaped); the pages put it in as it is.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from xml.sax.saxutils import escape

MONTHS = ("Jan", "Feb", "Mär", "Apr", "Mai", "Jun", "Jul", "Aug", "Sep", "Okt", "Nov", "Dez")
MONTH_NAMES = (
    *("Januar", "Februar", "März", "April", "Mai", "Juni"),
    *("Juli", "August", "September", "Oktober", "November", "Dezember"),
)
WIDTH, LABELS, ROW, HEAD = 800, 170, 30, 44


def _d(day: date) -> str:
    return f"{day:%d.%m.%Y}"


def _months(start: date, end: date) -> list[date]:
    """The first days of the months from ``start``'s to ``end``'s."""
    found, day = [], date(start.year, start.month, 1)
    while day <= end:
        found.append(day)
        day = date(day.year + day.month // 12, day.month % 12 + 1, 1)
    return found


@dataclass(frozen=True)
class Bar:
    """One stage on the timeline: its window, its due date, when it was done (if it was)."""

    label: str
    start: date
    due: date
    done_on: date | None
    status: str  # German, for the text alternative: "durchgeführt", "offen", …
    overdue: bool = False


def timeline(ident: str, title: str, bars: Sequence[Bar], today: date) -> str:
    """The stages of one cycle over the months from the first window to the last due date."""
    first = min(b.start for b in bars)
    last = max(max(b.due, b.done_on or b.due) for b in bars)
    months = _months(first, last)
    begin = months[0]
    end = _months(last, last)[0]
    end = date(end.year + end.month // 12, end.month % 12 + 1, 1)
    span = (end - begin).days
    plot = WIDTH - LABELS - 10

    def x(day: date) -> float:
        return round(LABELS + plot * max(0, min(span, (day - begin).days)) / span, 1)

    height = HEAD + ROW * len(bars) + 8
    parts = [
        f'<svg class="bild" id="{ident}" viewBox="0 0 {WIDTH} {height}" role="img" '
        f'aria-labelledby="{ident}-t {ident}-d" xmlns="http://www.w3.org/2000/svg">',
        f'<title id="{ident}-t">{escape(title)}</title>',
        f'<desc id="{ident}-d">{escape(_timeline_text(bars, today))}</desc>',
    ]
    for month in months:
        parts.append(
            f'<line class="bild-raster" x1="{x(month)}" y1="{HEAD - 12}" x2="{x(month)}" '
            f'y2="{height - 4}"/><text class="bild-klein" x="{x(month) + 2}" '
            f'y="{HEAD - 16}">{MONTHS[month.month - 1]}</text>'
        )
        if month.month == 1 or month == begin:  # the year above its first month
            parts.append(f'<text class="bild-klein" x="{x(month) + 2}" y="12">{month.year}</text>')
    for i, b in enumerate(bars):
        y = HEAD + i * ROW
        kind = "erledigt" if b.done_on else ("ueberfaellig" if b.overdue else "offen")
        parts.append(
            f'<text class="bild-text" x="4" y="{y + 19}">{escape(b.label)}</text>'
            f'<rect class="bild-fenster bild-{kind}" x="{x(b.start)}" y="{y + 6}" '
            f'width="{max(2.0, x(b.due) - x(b.start))}" height="{ROW - 12}"/>'
            f'<line class="bild-frist" x1="{x(b.due)}" y1="{y + 2}" x2="{x(b.due)}" '
            f'y2="{y + ROW - 2}"/>'
        )
        if b.done_on:
            parts.append(
                f'<circle class="bild-haken" cx="{x(b.done_on)}" cy="{y + ROW / 2}" r="6"/>'
                f'<text class="bild-hakentext" x="{x(b.done_on) - 4}" y="{y + ROW / 2 + 4}">'
                "✓</text>"
            )
    if begin <= today < end:
        parts.append(
            f'<line class="bild-heute" x1="{x(today)}" y1="{HEAD - 12}" x2="{x(today)}" '
            f'y2="{height - 4}"/><text class="bild-klein" x="{x(today) + 3}" '
            f'y="{height - 6}">heute</text>'
        )
    parts.append("</svg>")
    return "".join(parts)


def _timeline_text(bars: Sequence[Bar], today: date) -> str:
    lines = []
    for b in bars:
        done = f", erledigt am {_d(b.done_on)}" if b.done_on else ""
        late = ", überfällig" if b.overdue else ""
        lines.append(f"{b.label}: {_d(b.start)} bis {_d(b.due)}, {b.status}{done}{late}")
    return f"Stand {_d(today)}. " + "; ".join(lines) + "."


def done_against_due(
    ident: str, title: str, due: Sequence[date], done: Sequence[date], today: date, year: int
) -> str:
    """Per month from January of ``year`` to the last due date: how many stages fall due, how
    many were done (two bars side by side)."""
    if not due:
        return ""
    first = min(date(year, 1, 1), *due)
    months = _months(first, max(max(due), max(done, default=first)))
    per = {(m.year, m.month): [0, 0] for m in months}
    for day in due:
        per[(day.year, day.month)][0] += 1
    for day in done:
        if (day.year, day.month) in per:
            per[(day.year, day.month)][1] += 1
    top = max(max(v) for v in per.values()) or 1
    left, bottom, height = 40, 170, 200
    step = (WIDTH - left - 10) / len(months)
    bar = max(3.0, step / 2 - 4)
    parts = [
        f'<svg class="bild" id="{ident}" viewBox="0 0 {WIDTH} {height + 20}" role="img" '
        f'aria-labelledby="{ident}-t {ident}-d" xmlns="http://www.w3.org/2000/svg">',
        f'<title id="{ident}-t">{escape(title)}</title>',
        f'<desc id="{ident}-d">{escape(_chart_text(months, per, today))}</desc>',
        f'<line class="bild-raster" x1="{left}" y1="{bottom}" x2="{WIDTH - 10}" y2="{bottom}"/>',
        f'<text class="bild-klein" x="2" y="24">{top}</text>'
        f'<text class="bild-klein" x="2" y="{bottom}">0</text>',
        f'<rect class="bild-faellig" x="{left}" y="{height + 4}" width="12" height="12"/>'
        f'<text class="bild-klein" x="{left + 16}" y="{height + 14}">fällig</text>'
        f'<rect class="bild-erledigt" x="{left + 80}" y="{height + 4}" width="12" height="12"/>'
        f'<text class="bild-klein" x="{left + 96}" y="{height + 14}">erledigt</text>',
    ]
    scale = (bottom - 30) / top
    for i, month in enumerate(months):
        x0 = left + i * step + 2
        falls, did = per[(month.year, month.month)]
        for offset, count, kind in ((0, falls, "faellig"), (bar + 2, did, "erledigt")):
            h = round(count * scale, 1)
            parts.append(
                f'<rect class="bild-{kind}" x="{round(x0 + offset, 1)}" y="{bottom - h}" '
                f'width="{round(bar, 1)}" height="{h}"/>'
            )
        label = MONTHS[month.month - 1] + (f" {month.year % 100:02d}" if month.month == 1 else "")
        parts.append(
            f'<text class="bild-klein" x="{round(x0, 1)}" y="{bottom + 16}">{label}</text>'
        )
    parts.append("</svg>")
    return "".join(parts)


def _chart_text(months: list[date], per: dict[tuple[int, int], list[int]], today: date) -> str:
    lines = [
        f"{MONTH_NAMES[m.month - 1]} {m.year}: {per[(m.year, m.month)][0]} fällig, "
        f"{per[(m.year, m.month)][1]} erledigt"
        for m in months
    ]
    return f"Stand {_d(today)}. " + "; ".join(lines) + "."
