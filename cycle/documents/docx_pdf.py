"""A submitted Word Jahresbericht as PDF (for the Prüfakte): its headings, text and tables."""

from __future__ import annotations

from datetime import datetime

from cycle.documents.blocks import Block, Guide, Heading, Paragraph, Table
from cycle.documents.docx_render import GUIDE_STYLE
from cycle.documents.pdf_render import pdf
from cycle.documents.report_reader import Grid, docx_elements


def docx_pdf(data: bytes, created: datetime) -> bytes:
    """The DOCX's content printed by the form renderer (layout of the original is not kept)."""
    blocks: list[Block] = []
    for element in docx_elements(data, GUIDE_STYLE):
        if isinstance(element, Grid):
            width = len(element.header)
            rows = tuple(tuple((*r, *[""] * width)[:width]) for r in element.rows)
            blocks.append(Table(element.header, rows))
        elif element.kind == "heading":
            blocks.append(Heading(2, element.text))
        elif element.kind == "guide":
            blocks.append(Guide((element.text,)))
        else:
            blocks.append(Paragraph(element.text))
    title = next((b.text for b in blocks if isinstance(b, Heading)), "Jahresbericht")
    return pdf(title, blocks, created)
