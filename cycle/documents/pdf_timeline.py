"""The timeline (``cycle.documents.timeline``) as vector drawing in a PDF (fpdf2).

The same layout as the Zyklus page's SVG, scaled to the text width. It prints on a black and
white printer: the window of a stage still open is white, a done one mid grey, an overdue one
white with diagonal hatching; the due date is a thick black line, a done mark a black disc with
a white tick, the reference day a dashed line with its label; a legend names each. Every word
is text in the PDF's text layer, in the embedded font.
"""

from __future__ import annotations

from typing import Any

from cycle.documents import pdf_fonts
from cycle.documents.timeline import (
    LABELS,
    MARK,
    SMALL,
    TEXT,
    WIDTH,
    Kind,
    LegendKind,
    Timeline,
    layout,
)

FONT = pdf_fonts.FAMILY
PT = 0.3528  # mm per point
INK = (0, 0, 0)
GRID = (175, 175, 175)
MUTED = (70, 70, 70)
FILL: dict[Kind, tuple[int, int, int]] = {
    "offen": (255, 255, 255),
    "erledigt": (190, 190, 190),
    "ueberfaellig": (255, 255, 255),
}
HATCH = 1.3  # mm between the hatching lines of an overdue window


def height(doc: Any, timeline: Timeline) -> float:
    """The drawing's height in mm at the text width of ``doc``."""
    return float(layout(timeline).height * doc.epw / WIDTH)


def draw(doc: Any, timeline: Timeline) -> None:
    """The timeline at the current position, across the text width; ``doc.y`` ends below it."""
    at = layout(timeline)
    scale = float(doc.epw) / WIDTH
    left, top = float(doc.l_margin), float(doc.y)

    def x(value: float) -> float:
        return left + value * scale

    def y(value: float) -> float:
        return top + value * scale

    def text(size: float, px: float, py: float, words: str, end: bool = False) -> None:
        doc.set_font(FONT, "", size * scale / PT)
        words = pdf_fonts.printable(words)
        shift = doc.get_string_width(words) if end else 0
        doc.text(x(px) - shift, y(py), words)

    grid_top, grid_bottom = at.grid
    doc.set_line_width(0.15)
    doc.set_draw_color(*GRID)
    doc.set_text_color(*MUTED)
    for month in at.months:
        doc.line(x(month.x), y(grid_top), x(month.x), y(grid_bottom))
        text(SMALL, month.x + 2, at.month_y, month.label)
        if month.year:
            text(SMALL, month.x + 2, at.year_y, month.year)
    doc.set_text_color(*INK)
    for row in at.rows:
        text(TEXT, 4, row.label_y, _fit(doc, row.label, (LABELS - 8) * scale))
        bx, by, bw, bh = row.box
        _window(doc, row.kind, x(bx), y(by), bw * scale, bh * scale)
        due_top, due_bottom = row.due_line
        doc.set_line_width(0.6)
        doc.set_draw_color(*INK)
        doc.line(x(row.due_x), y(due_top), x(row.due_x), y(due_bottom))
        if row.done_x is not None:
            _check(doc, x(row.done_x), y(row.mark_y), MARK * scale)
    if at.today_x is not None:
        _today(doc, x(at.today_x), y(grid_top), x(at.today_x), y(grid_bottom))
        shift = 3 if at.today_anchor == "start" else -3
        text(SMALL, at.today_x + shift, at.today_y, at.today_label, at.today_anchor == "end")
    for key in at.legend:
        _key(doc, key.kind, x(key.x), y(at.legend_y), 12 * scale)
        text(SMALL, key.x + 18, at.legend_y + 10, key.label)
    doc.set_draw_color(*INK)
    doc.set_line_width(0.2)
    doc.set_xy(left, top + at.height * scale)


def _window(doc: Any, kind: Kind, x: float, y: float, w: float, h: float) -> None:
    doc.set_line_width(0.25)
    doc.set_draw_color(*INK)
    doc.set_fill_color(*FILL[kind])
    doc.rect(x, y, w, h, style="DF")
    if kind == "ueberfaellig":
        doc.set_line_width(0.2)
        for x1, y1, x2, y2 in hatching(x, y, w, h, HATCH):
            doc.line(x1, y1, x2, y2)


def hatching(
    x: float, y: float, w: float, h: float, step: float
) -> list[tuple[float, float, float, float]]:
    """Lines rising at 45° every ``step`` across the box, cut to it (no clipping needed)."""
    lines = []
    offset = -h + step / 2
    while offset < w:
        low, high = max(0.0, -offset), min(h, w - offset)  # along the line: u in [low, high]
        if high > low:
            lines.append((x + offset + low, y + h - low, x + offset + high, y + h - high))
        offset += step
    return lines


def _check(doc: Any, cx: float, cy: float, r: float) -> None:
    doc.set_fill_color(*INK)
    doc.circle(cx, cy, r, style="F")
    doc.set_draw_color(255, 255, 255)
    doc.set_line_width(r * 0.28)
    doc.polyline(
        [(cx - r * 0.5, cy), (cx - r * 0.12, cy + r * 0.42), (cx + r * 0.52, cy - r * 0.4)]
    )
    doc.set_draw_color(*INK)


def _today(doc: Any, x1: float, y1: float, x2: float, y2: float) -> None:
    doc.set_line_width(0.45)
    doc.set_draw_color(*INK)
    doc.set_dash_pattern(dash=1.2, gap=0.8)
    doc.line(x1, y1, x2, y2)
    doc.set_dash_pattern()


def _key(doc: Any, kind: LegendKind, x: float, y: float, size: float) -> None:
    if kind == "frist":
        doc.set_line_width(0.6)
        doc.set_draw_color(*INK)
        doc.line(x + size / 2, y, x + size / 2, y + size)
    elif kind == "heute":
        _today(doc, x + size / 2, y, x + size / 2, y + size)
    elif kind == "haken":
        _check(doc, x + size / 2, y + size / 2, MARK * size / 12)
    else:
        _window(doc, kind, x, y, size, size)


def _fit(doc: Any, words: str, width: float) -> str:
    """A stage name cut with "…" where it would run into the bars (the table below the
    drawing has it in full)."""
    doc.set_font(FONT, "", TEXT * doc.epw / WIDTH / PT)
    words = pdf_fonts.printable(words)
    if doc.get_string_width(words) <= width:
        return words
    while words and doc.get_string_width(words + "…") > width:
        words = words[:-1]
    return words.rstrip() + "…"
