"""Read a submitted Markdown or DOCX report into a flat list of elements for the outline check.

Elements are headings, text lines, guide lines (block quotes, italic-only lines, the DOCX style
``Leitfrage``) and tables (header row + body rows). Nothing here decides what counts as content.
"""

from __future__ import annotations

import io
import re
from dataclasses import dataclass
from typing import Any, Literal

from docx import Document

from cycle.documents import unpack


class UnlesbaresDokument(ValueError):
    """The file cannot be read as the format its name claims; the message is German."""


@dataclass(frozen=True)
class Line:
    kind: Literal["heading", "text", "guide"]
    text: str


@dataclass(frozen=True)
class Grid:
    header: tuple[str, ...]
    rows: tuple[tuple[str, ...], ...]


Element = Line | Grid

_HEADING = re.compile(r"^ {0,3}(#{1,6})\s+(.*?)(?:\s+#+)?\s*$")
_SEPARATOR = re.compile(r"^:?-+:?$")
_ITALIC = re.compile(r"^([*_])(?![*_])(.+?)(?<![*_\\])\1$")
_LIST = re.compile(r"^(?:[-*+•]\s+|\d+[.)]\s+)")
_CELL_SPLIT = re.compile(r"(?<!\\)\|")


def plain(text: str) -> str:
    """Text without list markers, emphasis markers and extra spaces."""
    text = _LIST.sub("", " ".join(text.split()))
    return text.replace("**", "").replace("__", "").strip("*_ ").strip()


def markdown_elements(text: str) -> list[Element]:
    elements: list[Element] = []
    table: list[tuple[str, ...]] = []
    in_comment = False
    for raw in [*text.splitlines(), ""]:
        line = raw.strip()
        if table and not line.startswith("|"):
            elements.append(Grid(table[0], tuple(table[1:])))
            table = []
        if in_comment:
            in_comment = "-->" not in line
            continue
        if line.startswith("<!--"):
            in_comment = "-->" not in line
            continue
        if not line:
            continue
        if line.startswith("|"):
            cells = tuple(c.strip().replace("\\|", "|") for c in _CELL_SPLIT.split(line.strip("|")))
            if not all(_SEPARATOR.match(c) for c in cells if c) or not any(cells):
                table.append(cells)
        elif match := _HEADING.match(raw):
            elements.append(Line("heading", match.group(2)))
        elif line.startswith(">"):
            elements.append(Line("guide", line.lstrip("> ")))
        else:
            italic = _ITALIC.match(_LIST.sub("", line))
            elements.append(Line("guide" if italic else "text", line))
    return elements


def docx_elements(data: bytes, guide_style: str) -> list[Element]:
    """The elements of a DOCX file; anything unreadable is an ``UnlesbaresDokument``.

    The archive is first unpacked within budgets (``unpack.repacked``: what it really unpacks
    to, never the sizes it declares); python-docx reads only that copy. python-docx and lxml
    raise many kinds of errors on broken files (bad ZIP, missing parts, XML syntax, unexpected
    content); all of them mean "not a readable DOCX" to the user.
    """
    try:
        measured = unpack.repacked(data)
    except (unpack.ZuGross, unpack.Kaputt) as error:
        raise UnlesbaresDokument(str(error)) from None
    try:
        return _docx_elements(measured, guide_style)
    except UnlesbaresDokument:
        raise
    except Exception as error:  # a third-party parser: see the docstring
        raise UnlesbaresDokument(unpack.BROKEN) from error


def _docx_elements(data: bytes, guide_style: str) -> list[Element]:
    document = Document(io.BytesIO(data))
    elements: list[Element] = []
    for item in document.iter_inner_content():
        if hasattr(item, "rows"):
            rows = [tuple(cell.text.strip() for cell in row.cells) for row in item.rows]
            if rows:
                elements.append(Grid(rows[0], tuple(rows[1:])))
        elif item.text.strip():
            elements.append(Line(_paragraph_kind(item, guide_style), item.text.strip()))
    return elements


def _paragraph_kind(paragraph: Any, guide_style: str) -> Literal["heading", "text", "guide"]:
    style = (paragraph.style.name if paragraph.style is not None else "") or ""
    if style.lower().startswith(("heading", "title", "überschrift", "titel")):
        return "heading"
    if style == guide_style:
        return "guide"
    runs = [run for run in paragraph.runs if run.text.strip()]
    return "guide" if runs and all(run.italic for run in runs) else "text"
