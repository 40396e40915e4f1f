"""Blocks to HTML (Jinja2, autoescaped, printable) and to PDF (fpdf2 core fonts)."""

from __future__ import annotations

import unicodedata
from collections.abc import Sequence
from datetime import datetime
from functools import cache
from pathlib import Path

import jinja2
from fpdf import FPDF
from fpdf.fonts import FontFace

from cycle.documents.blocks import Block, Bullets, Guide, Heading, Paragraph, Table

_TEMPLATES = Path(__file__).parent / "templates"
_LATIN1 = str.maketrans(
    {"€": "EUR", "–": "-", "—": "-", "−": "-", "„": '"', "“": '"', "”": '"', "‘": "'",
     "’": "'", "…": "...", "\u00a0": " ", "Ł": "L", "ł": "l", "Đ": "D", "đ": "d", "ı": "i",
     "Œ": "OE", "œ": "oe", "ẞ": "SS"}
)  # fmt: skip


@cache
def _environment() -> jinja2.Environment:
    return jinja2.Environment(
        loader=jinja2.FileSystemLoader(_TEMPLATES),
        autoescape=True,
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
    )


def html(title: str, blocks: Sequence[Block]) -> str:
    """A standalone, printable HTML page; every text is escaped."""
    return _environment().get_template("dokument.html.j2").render(title=title, blocks=blocks)


def latin1(text: str) -> str:
    """The PDF core fonts are latin-1 only: umlauts stay, € becomes EUR, ş becomes s, else ``?``."""
    return "".join(_latin1_char(c) for c in text.translate(_LATIN1))


def _latin1_char(char: str) -> str:
    if ord(char) < 256:
        return char
    base = "".join(c for c in unicodedata.normalize("NFKD", char) if not unicodedata.combining(c))
    return base if base and all(ord(c) < 256 for c in base) else "?"


def pdf(title: str, blocks: Sequence[Block], created: datetime) -> bytes:
    """An A4 PDF. ``created`` (aware) is the document date stored in the PDF metadata."""
    if created.tzinfo is None:
        raise ValueError("created must be timezone-aware")
    doc = FPDF(format="A4")
    doc.set_title(latin1(title))
    doc.set_creation_date(created)
    doc.set_margins(18, 18, 18)
    doc.set_auto_page_break(True, margin=18)
    doc.add_page()
    for block in blocks:
        _pdf_block(doc, block)
    return bytes(doc.output())


def _pdf_block(doc: FPDF, block: Block) -> None:
    if isinstance(block, Heading):
        doc.set_font("Helvetica", "B", {1: 15, 2: 12}.get(block.level, 11))
        doc.ln(3 if block.level > 1 else 0)
        doc.multi_cell(0, 7, latin1(block.text), new_x="LMARGIN", new_y="NEXT")
    elif isinstance(block, Paragraph):
        doc.set_font("Helvetica", "B" if block.strong else "", 10)
        doc.multi_cell(0, 5, latin1(block.text), new_x="LMARGIN", new_y="NEXT")
    elif isinstance(block, Bullets):
        doc.set_font("Helvetica", "", 10)
        text = "\n".join(f"- {latin1(item)}" for item in block.items)
        doc.multi_cell(0, 5, text, new_x="LMARGIN", new_y="NEXT")
    elif isinstance(block, Guide):
        doc.set_font("Helvetica", "I", 10)
        text = "\n".join(latin1(line) for line in block.lines)
        doc.multi_cell(0, 5, text, new_x="LMARGIN", new_y="NEXT")
    else:
        _pdf_table(doc, block)
    doc.ln(2)


def _pdf_table(doc: FPDF, table: Table) -> None:
    doc.set_font("Helvetica", "", 9)
    align = tuple("RIGHT" if i in table.numeric else "LEFT" for i in range(len(table.header)))
    with doc.table(
        col_widths=table.widths or None,
        text_align=align,
        headings_style=FontFace(emphasis="BOLD", fill_color=(235, 235, 235)),
        line_height=5,
    ) as grid:
        for cells in (table.header, *table.rows):
            row = grid.row()
            for cell in cells:
                row.cell(latin1(cell))
