"""Blocks to a DOCX file (python-docx). Guides get the paragraph style ``Leitfrage``.

A4 with 2 cm margins, "Seite X von Y" in the footer (Word fields), table rows that never break
across pages, header rows repeated on every page, and short tables (or ``keep`` tables) kept on
one page (every row "keep with next").
"""

from __future__ import annotations

import io
from collections.abc import Sequence
from typing import Any

from docx import Document
from docx.enum.style import WD_STYLE_TYPE
from docx.enum.text import WD_ALIGN_PARAGRAPH
from docx.oxml import OxmlElement
from docx.oxml.ns import qn
from docx.shared import Mm, Pt, RGBColor

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
from cycle.documents.pdf_render import SHORT_TABLE
from cycle.text import clean

GUIDE_STYLE = "Leitfrage"


class _Styles:
    """Style ids by name, looked up once per document.

    python-docx resolves a style name on every assignment by scanning all styles for the
    default one (two thirds of the time of a skeleton); setting the id directly is the same XML.
    """

    def __init__(self, document: Any) -> None:
        self._styles = document.styles
        self._ids: dict[str, str] = {}

    def __getitem__(self, name: str) -> str:
        found = self._ids.get(name)
        if found is None:
            found = self._ids[name] = self._styles[name].style_id
        return found


def docx(title: str, blocks: Sequence[Block]) -> bytes:
    title, blocks = clean(title), clean(blocks)  # no bidi controls in a document
    document = Document()
    document.core_properties.title = title
    document.core_properties.language = "de-DE"
    _page(document, title)
    _guide_style(document)
    styles = _Styles(document)
    for block in blocks:
        _block(document, block, styles)
    buffer = io.BytesIO()
    document.save(buffer)
    return buffer.getvalue()


def _page(document: Any, title: str) -> None:
    section = document.sections[0]
    section.page_width, section.page_height = Mm(210), Mm(297)
    section.left_margin = section.right_margin = Mm(20)
    section.top_margin, section.bottom_margin = Mm(18), Mm(20)
    footer = section.footer.paragraphs[0]
    footer.text = f"{title}\t"
    footer.add_run("Seite ")
    _field(footer, "PAGE")
    footer.add_run(" von ")
    _field(footer, "NUMPAGES")
    for run in footer.runs:
        run.font.size = Pt(8)


def _field(paragraph: Any, code: str) -> None:
    run = paragraph.add_run()
    for kind, text in (("begin", None), (None, f" {code} "), ("separate", None), ("end", None)):
        if kind is None:
            element = OxmlElement("w:instrText")
            element.set(qn("xml:space"), "preserve")
            element.text = text
        else:
            element = OxmlElement("w:fldChar")
            element.set(qn("w:fldCharType"), kind)
        run._r.append(element)
        if kind == "separate":
            shown = OxmlElement("w:t")
            shown.text = "1"
            run._r.append(shown)


def _guide_style(document: Any) -> None:
    style = document.styles.add_style(GUIDE_STYLE, WD_STYLE_TYPE.PARAGRAPH)
    style.base_style = document.styles["Normal"]
    style.font.italic = True
    style.font.size = Pt(10)
    style.font.color.rgb = RGBColor(0x55, 0x55, 0x55)


def _styled(document: Any, text: str, style: str) -> Any:
    paragraph = document.add_paragraph(text)
    paragraph._p.style = style
    return paragraph


def _block(document: Any, block: Block, styles: _Styles) -> None:
    d = document
    if isinstance(block, Heading):
        level = block.level - 1  # as Document.add_heading: 0 the title, else "Heading N"
        heading = _styled(d, block.text, styles["Title" if level == 0 else f"Heading {level}"])
        heading.alignment = WD_ALIGN_PARAGRAPH.LEFT
        heading.paragraph_format.keep_with_next = True
    elif isinstance(block, Paragraph):
        paragraph = d.add_paragraph()
        paragraph.add_run(block.text).bold = block.strong
        paragraph.paragraph_format.keep_with_next = block.text.rstrip().endswith(":")
    elif isinstance(block, Bullets):
        for item in block.items:
            _styled(d, item, styles["List Bullet"])
    elif isinstance(block, Guide):
        for line in block.lines:
            text = f"• {line[2:]}" if line.startswith("- ") else line
            _styled(d, text, styles[GUIDE_STYLE])
    elif isinstance(block, Letterhead):
        _letterhead(d, block)
    elif isinstance(block, SignatureLines):
        _signature(d, block)
    else:
        _table(d, block, styles)


def _letterhead(document: Any, head: Letterhead) -> None:
    date_line = document.add_paragraph(head.ort_datum)
    date_line.alignment = WD_ALIGN_PARAGRAPH.RIGHT
    document.add_paragraph("\n".join(head.absender))
    address = document.add_paragraph()
    address.paragraph_format.space_before = Pt(18)
    address.add_run("\n".join(head.empfaenger)).bold = True
    if head.kontakt:
        document.add_paragraph().add_run(head.kontakt).font.size = Pt(8)


def _signature(document: Any, block: SignatureLines) -> None:
    grid = document.add_table(rows=2, cols=len(block.captions))
    for cell in grid.rows[0].cells:
        cell.paragraphs[0].add_run("\n\n" + "_" * 34)
        cell.paragraphs[0].paragraph_format.keep_with_next = True
    for cell, caption in zip(grid.rows[1].cells, block.captions, strict=True):
        cell.paragraphs[0].add_run(caption).font.size = Pt(8)
    for row in grid.rows:
        _cant_split(row)


def _table(document: Any, table: Table, styles: _Styles) -> None:
    grid = document.add_table(rows=1, cols=len(table.header))
    grid._tbl.tblStyle_val = styles["Table Grid"]
    for cell, text in zip(grid.rows[0].cells, table.header, strict=True):
        cell.paragraphs[0].add_run(text).bold = True
    header = grid.rows[0]._tr.get_or_add_trPr()
    header.append(OxmlElement("w:tblHeader"))  # repeated on every page
    last = len(table.rows) - 1
    for number, row in enumerate(table.rows):
        cells = grid.add_row().cells
        for i, (cell, text) in enumerate(zip(cells, row, strict=True)):
            cell.paragraphs[0].add_run(text).bold = table.total and number == last
            if i in table.numeric:
                cell.paragraphs[0].alignment = WD_ALIGN_PARAGRAPH.RIGHT
    keep = table.keep or len(table.rows) <= SHORT_TABLE
    for index, row in enumerate(grid.rows):
        _cant_split(row)
        if (keep and index < len(grid.rows) - 1) or index == 0:
            for cell in row.cells:
                for paragraph in cell.paragraphs:
                    paragraph.paragraph_format.keep_with_next = True


def _cant_split(row: Any) -> None:
    row._tr.get_or_add_trPr().append(OxmlElement("w:cantSplit"))
