"""Blocks to an A4 PDF (fpdf2) in one embedded Unicode font (``cycle.documents.pdf_fonts``).

Layout rules a clerk expects of a printed form:

- headings are left-aligned and stay with what follows them (a heading, the paragraph that
  introduces a table ending in ``:``, and the table's header with its first rows move to the
  next page together);
- a table row never splits over two pages, the header row repeats on every page of a table,
  and a table marked ``keep`` (the Schlussrechnung) or of at most ``SHORT_TABLE`` rows is
  printed on one page (it moves to the next page when it does not fit);
- columns are at least as wide as their longest word ("Vergütungsgruppe" never breaks);
- every page has a footer with the document title and "Seite 1 von 2";
- a picture (the timeline, ``cycle.documents.pdf_timeline``) is never split over two pages and
  stays with the heading before it.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from datetime import datetime
from typing import Any

from fpdf import FPDF
from fpdf.fonts import FontFace

from cycle.documents import pdf_fonts, pdf_timeline
from cycle.documents.blocks import (
    Block,
    Bullets,
    Guide,
    Heading,
    Letterhead,
    Paragraph,
    SignatureLines,
    Table,
)
from cycle.documents.timeline import Timeline
from cycle.text import clean

PdfBlock = Block | Timeline  # what a PDF prints: the neutral blocks and pictures

FONT = pdf_fonts.FAMILY
MARGIN = 20.0
_HEADING = {1: (13.5, 6.5), 2: (11.0, 5.5), 3: (10.5, 5.5)}
_PADDING = 1.5  # mm left and right of a table cell's text
_TABLE_FONT = 9.0
SHORT_TABLE = 13  # the 12 Angebote and their sum
_NUMBERED = re.compile(r"\d+(\.\d+)*[.)]? ")  # "1. …", "2.1 …": a numbered item, no bullet


def pdf_text(text: str) -> str:
    """What the document font can print: every character it has a glyph for, else a fallback."""
    return pdf_fonts.printable(text)


class _Document(FPDF):
    def __init__(self, footer: str) -> None:
        super().__init__(format="A4")
        pdf_fonts.add_fonts(self)
        self._footer = footer

    def footer(self) -> None:
        self.set_y(-14)
        self.set_font(FONT, "", 8)
        self.set_text_color(90, 90, 90)
        page = f"Seite {self.page_no()} von {{nb}}"
        width = self.epw - self.get_string_width(page) - 6
        self.cell(width, 5, _fit(self, pdf_text(self._footer), width), align="L")
        self.cell(0, 5, page, align="R")
        self.set_text_color(0, 0, 0)


def pdf(title: str, blocks: Sequence[PdfBlock], created: datetime) -> bytes:
    """An A4 PDF. ``created`` (aware) is the document date stored in the PDF metadata."""
    if created.tzinfo is None:
        raise ValueError("created must be timezone-aware")
    title, blocks = clean(title), clean(blocks)  # no bidi controls in print
    doc = _Document(title)
    doc.set_title(pdf_text(title))
    doc.set_lang("de-DE")
    doc.set_creation_date(created)
    doc.set_margins(MARGIN, 18, MARGIN)
    doc.set_auto_page_break(True, margin=20)
    doc.add_page()
    for index, block in enumerate(blocks):
        group = _kept_together(blocks, index)
        if group and doc.y > doc.t_margin + 1 and not _fits(doc, group):
            doc.add_page()
        _block(doc, block)
    return bytes(doc.output())


def _kept_together(blocks: Sequence[PdfBlock], index: int) -> list[PdfBlock]:
    """The blocks that must start on the same page as ``blocks[index]`` (empty: no rule)."""
    block = blocks[index]
    if isinstance(block, Table):
        return [block] if _whole(block) else [_head_of(block)]
    if isinstance(block, SignatureLines | Timeline):
        return [block]
    if not (isinstance(block, Heading) or _introduces(block)):
        return []
    group: list[PdfBlock] = [block]
    for following in blocks[index + 1 :]:
        if isinstance(following, Table):
            group.append(following if _whole(following) else _head_of(following))
            break
        if isinstance(following, Timeline):
            group.append(following)
            break
        group.append(following)
        if not isinstance(following, Heading) and not _introduces(following):
            break
    return group


def _introduces(block: PdfBlock) -> bool:
    return isinstance(block, Paragraph) and block.text.rstrip().endswith(":")


def _whole(table: Table) -> bool:
    """Short tables (up to ``SHORT_TABLE`` rows) and ``keep`` tables start on a page they fit."""
    return table.keep or len(table.rows) <= SHORT_TABLE


def _head_of(table: Table) -> Table:
    """The header and the first two rows: what must not be left alone at a page's end."""
    return Table(table.header, table.rows[:2], table.numeric, table.widths)


def _fits(doc: FPDF, group: Sequence[PdfBlock]) -> bool:
    with doc.offset_rendering() as dummy:
        for block in group:
            _block(dummy, block)
    return not dummy.page_break_triggered


def _block(doc: Any, block: PdfBlock) -> None:
    if isinstance(block, Heading):
        size, height = _HEADING.get(block.level, _HEADING[3])
        doc.ln(3 if block.level > 1 and doc.y > doc.t_margin + 1 else 0)
        doc.set_font(FONT, "B", size)
        doc.multi_cell(0, height, pdf_text(block.text), align="L", new_x="LMARGIN", new_y="NEXT")
        doc.ln(1)
    elif isinstance(block, Paragraph):
        doc.set_font(FONT, "B" if block.strong else "", 10)
        doc.multi_cell(0, 4.8, pdf_text(block.text), align="L", new_x="LMARGIN", new_y="NEXT")
    elif isinstance(block, Bullets):
        doc.set_font(FONT, "", 10)
        for item in block.items:
            doc.cell(6 if _NUMBERED.match(item) else 5, 5, "" if _NUMBERED.match(item) else "•")
            doc.multi_cell(0, 5, pdf_text(item), align="L", new_x="LMARGIN", new_y="NEXT")
    elif isinstance(block, Guide):
        doc.set_font(FONT, "I", 9.5)
        doc.set_text_color(70, 70, 70)
        text = "\n".join(pdf_text(line) for line in block.lines)
        doc.multi_cell(0, 4.8, text, align="L", new_x="LMARGIN", new_y="NEXT")
        doc.set_text_color(0, 0, 0)
    elif isinstance(block, Letterhead):
        _letterhead(doc, block)
    elif isinstance(block, SignatureLines):
        _signature(doc, block)
    elif isinstance(block, Timeline):
        if doc.y + pdf_timeline.height(doc, block) > doc.page_break_trigger and not _at_top(doc):
            doc.add_page()  # a picture is never cut (``_fits`` sees the height as well)
        pdf_timeline.draw(doc, block)
    else:
        _table(doc, block)
    doc.ln(2)


def _at_top(doc: Any) -> bool:
    return bool(doc.y <= doc.t_margin + 1)


def _letterhead(doc: Any, head: Letterhead) -> None:
    top = doc.y
    doc.set_font(FONT, "", 9.5)
    for line in head.absender:
        doc.cell(110, 4.6, pdf_text(line), new_x="LMARGIN", new_y="NEXT")
    below_sender = doc.y
    doc.set_xy(doc.l_margin, top)
    doc.cell(0, 4.6, pdf_text(head.ort_datum), align="R", new_x="LMARGIN", new_y="NEXT")
    doc.set_y(max(below_sender, doc.y) + 7)
    doc.set_font(FONT, "B", 10.5)
    for line in head.empfaenger:
        doc.cell(110, 5.2, pdf_text(line), new_x="LMARGIN", new_y="NEXT")
    if head.kontakt:
        doc.set_font(FONT, "", 8)
        doc.multi_cell(0, 4, pdf_text(head.kontakt), align="L", new_x="LMARGIN", new_y="NEXT")
    doc.ln(4)


def _signature(doc: Any, block: SignatureLines) -> None:
    gap = 10.0
    count = max(len(block.captions), 1)
    width = (doc.epw - gap * (count - 1)) / count
    doc.ln(14)  # room to sign
    y = doc.y
    doc.set_font(FONT, "", 8.5)
    doc.set_line_width(0.3)
    for i, caption in enumerate(block.captions):
        x = doc.l_margin + i * (width + gap)
        doc.line(x, y, x + width, y)
        doc.set_xy(x, y + 0.8)
        doc.multi_cell(width, 4, pdf_text(caption), align="L")
    doc.set_xy(doc.l_margin, y + 9)


def _table(doc: Any, table: Table) -> None:
    doc.set_font(FONT, "", _TABLE_FONT)
    count = len(table.header)
    align = tuple("RIGHT" if i in table.numeric else "LEFT" for i in range(count))
    widths = column_widths(doc, table, doc.epw)
    last = len(table.rows) - 1
    with doc.table(
        col_widths=widths,
        width=doc.epw,
        align="LEFT",
        text_align=align,
        headings_style=FontFace(emphasis="BOLD", fill_color=(232, 232, 232)),
        line_height=4.2,
        padding=(0.8, _PADDING),
        repeat_headings=1,
    ) as grid:
        header = grid.row()
        for cell in table.header:
            header.cell(pdf_text(cell))
        for number, cells in enumerate(table.rows):
            row = grid.row()
            bold = table.total and number == last
            for cell in cells:
                row.cell(pdf_text(cell), style=FontFace(emphasis="BOLD") if bold else None)


def column_widths(doc: Any, table: Table, total: float) -> tuple[float, ...]:
    """Relative widths scaled to ``total``; no column narrower than its longest word."""
    count = len(table.header)
    wanted = [float(w) for w in table.widths] if len(table.widths) == count else [1.0] * count
    least = [_longest_word(doc, table, i) + 2 * _PADDING + 1 for i in range(count)]
    if sum(least) >= total:  # cannot satisfy: proportional to the least widths
        return tuple(total * w / sum(least) for w in least)
    widths = [total * w / sum(wanted) for w in wanted]
    fixed: set[int] = set()
    while short := [i for i in range(count) if i not in fixed and widths[i] < least[i]]:
        fixed.update(short)
        free = total - sum(least[i] for i in fixed)
        flexible = sum(wanted[i] for i in range(count) if i not in fixed)
        widths = [least[i] if i in fixed else free * wanted[i] / flexible for i in range(count)]
    return tuple(widths)


def _longest_word(doc: Any, table: Table, column: int) -> float:
    doc.set_font(FONT, "B", _TABLE_FONT)
    head = max((doc.get_string_width(pdf_text(w)) for w in table.header[column].split()), default=0)
    doc.set_font(FONT, "B" if table.total else "", _TABLE_FONT)
    cells = (row[column] for row in table.rows)
    body = max(
        (
            doc.get_string_width(pdf_text(w))
            for text in cells
            for w in _unbroken(text, column, table)
        ),
        default=0,
    )
    doc.set_font(FONT, "", _TABLE_FONT)
    return float(max(head, body))


def _unbroken(text: str, column: int, table: Table) -> list[str]:
    """Amounts and dates are never broken; other texts may wrap at spaces."""
    return [text] if column in table.numeric else text.split()


def _fit(doc: FPDF, text: str, width: float) -> str:
    if doc.get_string_width(text) <= width:
        return text
    while text and doc.get_string_width(text + "…") > width:
        text = text[:-1]
    return text.rstrip() + "…"
