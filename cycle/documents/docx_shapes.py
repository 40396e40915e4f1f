"""DOCX files of one shape built once, each filled with its own texts.

A tick attaches every pairing's prefilled Jahresbericht skeleton to its report reminder: the same
document with other names and dates, thousands of times. python-docx needs ~75 ms per skeleton;
filling the texts into the XML of a document built once per shape needs a few. The shape is the
blocks with each text replaced by a numbered placeholder. The first document of each shape is
also built in full and compared part by part: a shape whose filled parts differ is always built
in full. Texts python-docx would write other than as plain text (line breaks, tabs, leading or
trailing spaces) make a document that is built in full.
"""

from __future__ import annotations

import io
import zipfile
from collections.abc import Sequence
from dataclasses import replace
from xml.sax.saxutils import escape

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
from cycle.documents.docx_render import docx
from cycle.text import clean
from notifications.shapes import OPEN, Holes, Shapes, Unshapeable

_MARK = OPEN.encode()
Parts = list[tuple[zipfile.ZipInfo, bytes]]
SHAPES: Shapes[Parts, bytes] = Shapes(kept=64)  # the skeletons of one process (a tick)


def docx_shaped(
    title: str, blocks: Sequence[Block], shapes: Shapes[Parts, bytes] = SHAPES
) -> bytes:
    """``docx_render.docx(title, blocks)``, built once per shape and filled in."""
    title, blocks = clean(title), clean(blocks)  # no bidi controls (``cycle.text``)
    holes = Holes()
    try:
        shaped_title = _hole(title, holes)
        shaped = tuple(_shape(block, holes) for block in blocks)
    except Unshapeable:
        return docx(title, blocks)
    return shapes.build(
        repr((shaped_title, shaped)),
        full=lambda: docx(title, blocks),
        template=lambda: _parts(docx(shaped_title, shaped)),
        fill=lambda template: _zip(_fill(template, holes)),
        same=lambda filled, full: _contents(filled) == _contents(full),
    )


def _hole(text: str, holes: Holes) -> str:
    if not text:
        return text
    if text != text.strip() or any(ord(c) < 32 for c in text):
        raise Unshapeable(text)
    return holes.hole(text)


def _shape(block: Block, holes: Holes) -> Block:
    def hole(text: str) -> str:
        return _hole(text, holes)

    if isinstance(block, Heading):
        return replace(block, text=hole(block.text))
    if isinstance(block, Paragraph):
        # A paragraph ending in ":" is kept with the next one: the colon stays in the shape.
        if block.text.endswith(":"):
            return replace(block, text=hole(block.text[:-1]) + ":")
        return replace(block, text=hole(block.text))
    if isinstance(block, Bullets):
        return replace(block, items=tuple(hole(i) for i in block.items))
    if isinstance(block, Guide):  # bullets as docx_render writes them
        lines = (f"• {line[2:]}" if line.startswith("- ") else line for line in block.lines)
        return replace(block, lines=tuple(hole(line) for line in lines))
    if isinstance(block, Table):
        return replace(
            block,
            header=tuple(hole(t) for t in block.header),
            rows=tuple(tuple(hole(t) for t in row) for row in block.rows),
        )
    if isinstance(block, SignatureLines):
        return replace(block, captions=tuple(hole(c) for c in block.captions))
    if isinstance(block, Letterhead):  # joined with line breaks
        raise Unshapeable("letterhead")
    raise Unshapeable(type(block).__name__)


def _parts(data: bytes) -> Parts:
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        return [(info, archive.read(info)) for info in archive.infolist()]


def _contents(data: bytes) -> list[bytes]:
    return [part for _, part in _parts(data)]


def _fill(template: Parts, holes: Holes) -> Parts:
    """The parts with each placeholder replaced by its value, escaped as XML text."""
    filled = []
    for info, data in template:
        if _MARK in data:
            data = holes.fill(data.decode("utf-8"), escape).encode("utf-8")
        filled.append((info, data))
    return filled


def _zip(parts: Parts) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for info, data in parts:
            archive.writestr(info, data, compress_type=zipfile.ZIP_DEFLATED)
    return buffer.getvalue()
