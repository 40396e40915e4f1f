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
import re
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

_OPEN, _CLOSE = "\u2045", "\u2046"  # ⁅n⁆: brackets no German text uses
_HOLE = re.compile(f"{_OPEN}(\\d+){_CLOSE}")
_KEPT = 64  # shapes kept per process
Parts = list[tuple[zipfile.ZipInfo, bytes]]
_UNSHAPEABLE: Parts = []
_shapes: dict[str, Parts] = {}


class _Unshapeable(Exception):
    """A text that cannot stand in a placeholder."""


def docx_shaped(title: str, blocks: Sequence[Block]) -> bytes:
    """``docx_render.docx(title, blocks)``, built once per shape and filled in."""
    title, blocks = clean(title), clean(blocks)  # no bidi controls (``cycle.text``)
    try:
        values: list[str] = []
        shaped_title = _hole(title, values)
        shaped = tuple(_shape(block, values) for block in blocks)
    except _Unshapeable:
        return docx(title, blocks)
    key = repr((shaped_title, shaped))
    template = _shapes.get(key)
    if template is None:
        full = docx(title, blocks)
        template = _parts(docx(shaped_title, shaped))
        same = [p for _, p in _fill(template, values)] == [p for _, p in _parts(full)]
        if len(_shapes) >= _KEPT:
            _shapes.clear()
        _shapes[key] = template if same else _UNSHAPEABLE
        return full
    if template is _UNSHAPEABLE:
        return docx(title, blocks)
    return _zip(_fill(template, values))


def _hole(text: str, values: list[str]) -> str:
    if not text:
        return text
    if text != text.strip() or _OPEN in text or any(ord(c) < 32 for c in text):
        raise _Unshapeable(text)
    values.append(text)
    return f"{_OPEN}{len(values) - 1}{_CLOSE}"


def _shape(block: Block, values: list[str]) -> Block:
    def hole(text: str) -> str:
        return _hole(text, values)

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
        raise _Unshapeable("letterhead")
    raise _Unshapeable(type(block).__name__)


def _parts(data: bytes) -> Parts:
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        return [(info, archive.read(info)) for info in archive.infolist()]


def _fill(template: Parts, values: list[str]) -> Parts:
    """The parts with each placeholder replaced by its value, escaped as XML text."""
    marker = _OPEN.encode()
    filled = []
    for info, data in template:
        if marker in data:
            text = _HOLE.sub(lambda m: escape(values[int(m[1])]), data.decode("utf-8"))
            data = text.encode("utf-8")
        filled.append((info, data))
    return filled


def _zip(parts: Parts) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for info, data in parts:
            archive.writestr(info, data, compress_type=zipfile.ZIP_DEFLATED)
    return buffer.getvalue()
