"""Blocks to a DOCX file (python-docx). Guides get the paragraph style ``Leitfrage``."""

from __future__ import annotations

import io
from collections.abc import Sequence
from typing import Any

from docx import Document
from docx.enum.style import WD_STYLE_TYPE
from docx.enum.text import WD_ALIGN_PARAGRAPH
from docx.shared import Pt, RGBColor

from cycle.documents.blocks import Block, Bullets, Guide, Heading, Paragraph, Table

GUIDE_STYLE = "Leitfrage"


def docx(title: str, blocks: Sequence[Block]) -> bytes:
    document = Document()
    document.core_properties.title = title
    document.core_properties.language = "de-DE"
    _guide_style(document)
    for block in blocks:
        _block(document, block)
    buffer = io.BytesIO()
    document.save(buffer)
    return buffer.getvalue()


def _guide_style(document: Any) -> None:
    style = document.styles.add_style(GUIDE_STYLE, WD_STYLE_TYPE.PARAGRAPH)
    style.base_style = document.styles["Normal"]
    style.font.italic = True
    style.font.size = Pt(10)
    style.font.color.rgb = RGBColor(0x55, 0x55, 0x55)


def _block(document: Any, block: Block) -> None:
    d = document
    if isinstance(block, Heading):
        d.add_heading(block.text, level=block.level - 1)
    elif isinstance(block, Paragraph):
        d.add_paragraph().add_run(block.text).bold = block.strong
    elif isinstance(block, Bullets):
        for item in block.items:
            d.add_paragraph(item, style="List Bullet")
    elif isinstance(block, Guide):
        for line in block.lines:
            text = f"• {line[2:]}" if line.startswith("- ") else line
            d.add_paragraph(text, style=GUIDE_STYLE)
    else:
        _table(d, block)


def _table(document: Any, table: Table) -> None:
    grid = document.add_table(rows=1, cols=len(table.header))
    grid.style = "Table Grid"
    for cell, text in zip(grid.rows[0].cells, table.header, strict=True):
        cell.paragraphs[0].add_run(text).bold = True
    for row in table.rows:
        cells = grid.add_row().cells
        for i, (cell, text) in enumerate(zip(cells, row, strict=True)):
            cell.text = text
            if i in table.numeric:
                cell.paragraphs[0].alignment = WD_ALIGN_PARAGRAPH.RIGHT
