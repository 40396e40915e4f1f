"""Pictures drawn on the server as SVG text: no script, no inline style (the CSP forbids both),
colours by class from the stylesheet, and a text alternative in ``<title>``/``<desc>``
(``role="img"``): the timeline of one pairing's year (laid out by ``cycle.documents.timeline``,
which the Abschlussnachweis PDF draws as well), the Übersicht's stages done against due.

Pure: dates in, markup out (every text escaped); the pages put it in as it is.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date
from xml.sax.saxutils import escape

from cycle.documents.timeline import (
    MARK,
    MONTHS,
    WIDTH,
    LegendKind,
    Timeline,
    layout,
)
from cycle.documents.timeline import months as _months
from cycle.german import datum

MONTH_NAMES = (
    *("Januar", "Februar", "März", "April", "Mai", "Juni"),
    *("Juli", "August", "September", "Oktober", "November", "Dezember"),
)


def timeline(ident: str, timeline: Timeline) -> str:
    """The stages of one cycle over the months from the first window to the last due date,
    placed by ``cycle.documents.timeline.layout`` (the Abschlussnachweis PDF draws the same)."""
    at = layout(timeline)
    height = round(at.height)
    top, bottom = at.grid
    parts = [
        f'<svg class="bild" id="{ident}" viewBox="0 0 {WIDTH} {height}" role="img" '
        f'aria-labelledby="{ident}-t {ident}-d" xmlns="http://www.w3.org/2000/svg">',
        f'<title id="{ident}-t">{escape(timeline.title)}</title>',
        f'<desc id="{ident}-d">{escape(timeline.text())}</desc>',
    ]
    for month in at.months:
        parts.append(
            f'<line class="bild-raster" x1="{month.x}" y1="{top}" x2="{month.x}" '
            f'y2="{bottom}"/><text class="bild-klein" x="{month.x + 2}" '
            f'y="{at.month_y}">{month.label}</text>'
        )
        if month.year:
            parts.append(
                f'<text class="bild-klein" x="{month.x + 2}" y="{at.year_y}">{month.year}</text>'
            )
    for row in at.rows:
        x, y, w, h = row.box
        due_top, due_bottom = row.due_line
        parts.append(
            f'<text class="bild-text" x="4" y="{row.label_y}">{escape(row.label)}</text>'
            f'<rect class="bild-fenster bild-{row.kind}" x="{x}" y="{y}" width="{w}" '
            f'height="{h}"/><line class="bild-frist" x1="{row.due_x}" y1="{due_top}" '
            f'x2="{row.due_x}" y2="{due_bottom}"/>'
        )
        if row.done_x is not None:
            parts.append(_check(row.done_x, row.mark_y))
    if at.today_x is not None:
        shift = 3 if at.today_anchor == "start" else -3
        parts.append(
            f'<line class="bild-heute" x1="{at.today_x}" y1="{top}" x2="{at.today_x}" '
            f'y2="{bottom}"/><text class="bild-klein" x="{at.today_x + shift}" '
            f'y="{at.today_y}" text-anchor="{at.today_anchor}">{escape(at.today_label)}</text>'
        )
    parts.append('<g class="bild-legende">')
    for key in at.legend:
        parts.append(_key(key.kind, key.x, at.legend_y))
        parts.append(
            f'<text class="bild-klein" x="{key.x + 18}" y="{at.legend_y + 10}">'
            f"{escape(key.label)}</text>"
        )
    parts.append("</g></svg>")
    return "".join(parts)


def _check(cx: float, cy: float) -> str:
    return (
        f'<circle class="bild-haken" cx="{cx}" cy="{cy}" r="{MARK}"/>'
        f'<text class="bild-hakentext" x="{cx - 4}" y="{cy + 4}">✓</text>'
    )


def _key(kind: LegendKind, x: float, y: float) -> str:
    """The legend's sample of ``kind``, 12 × 12 from (x, y)."""
    if kind == "frist":
        return f'<line class="bild-frist" x1="{x + 6}" y1="{y}" x2="{x + 6}" y2="{y + 12}"/>'
    if kind == "heute":
        return f'<line class="bild-heute" x1="{x + 6}" y1="{y}" x2="{x + 6}" y2="{y + 12}"/>'
    if kind == "haken":
        return _check(x + 6, y + 6)
    return f'<rect class="bild-fenster bild-{kind}" x="{x}" y="{y}" width="12" height="12"/>'


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
    return f"Stand {datum(today)}. " + "; ".join(lines) + "."
