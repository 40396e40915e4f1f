"""Markdown texts for Träger as PDF (the Leitfaden, the Jahresbericht hints), for mail attachments.

Many Träger cannot open ``.md`` files. The Markdown the Koordinierungsstelle writes is simple:
headings, paragraphs, bullet lists, block quotes and pipe tables; that subset is read into
blocks and printed by the same PDF renderer as the forms. Inline ``**bold**``, ``*italic*``,
`` `code` `` and ``[text](url)`` markup is reduced to its text.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime

from cycle.documents.blocks import Block, Bullets, Guide, Heading, Paragraph, Table
from cycle.documents.pdf_render import pdf

# A fixed date: the same text gives the same bytes (mails are idempotent; attachments compare).
UNDATED = datetime(2000, 1, 1, tzinfo=UTC)
_LINK = re.compile(r"\[([^\]]*)\]\([^)]*\)")
_EMPHASIS = re.compile(r"(\*\*|__|\*|_|`)(.+?)\1")
_RULE = re.compile(r"^\|?\s*:?-{3,}:?\s*(\|\s*:?-{3,}:?\s*)*\|?$")


def leitfaden_pdf(markdown_text: str, created: datetime = UNDATED) -> bytes:
    """The Markdown text as an A4 PDF; its title is the first heading."""
    blocks = markdown_blocks(markdown_text)
    title = next((b.text for b in blocks if isinstance(b, Heading)), "Leitfaden")
    return pdf(title, blocks, created)


def markdown_blocks(text: str) -> list[Block]:
    blocks: list[Block] = []
    lines = text.replace("\r\n", "\n").split("\n")
    i = 0
    while i < len(lines):
        line = lines[i].rstrip()
        if not line.strip():
            i += 1
            continue
        kind = _kind(line)
        j = i + 1
        if kind == "heading":
            marks = len(line) - len(line.lstrip("#"))
            blocks.append(Heading(min(marks, 3), _inline(line.lstrip("#"))))
            i = j
            continue
        while j < len(lines) and lines[j].strip() and _kind(lines[j]) in (kind, "text"):
            if kind == "text" and _kind(lines[j]) != "text":
                break
            j += 1
        blocks.append(_block(kind, [raw.rstrip() for raw in lines[i:j]]))
        i = j
    return blocks


def _kind(line: str) -> str:
    stripped = line.lstrip()
    if stripped.startswith("#"):
        return "heading"
    if stripped.startswith(("- ", "* ", "+ ")) or re.match(r"\d+[.)] ", stripped):
        return "bullet"
    if stripped.startswith(">"):
        return "quote"
    if stripped.startswith("|"):
        return "table"
    return "text"


def _block(kind: str, lines: list[str]) -> Block:
    if kind == "bullet":
        items: list[str] = []
        for line in lines:
            stripped = line.lstrip()
            if _kind(stripped) == "bullet":
                items.append(_inline(re.sub(r"^[-*+]\s+", "", stripped)))
            elif items:
                items[-1] += " " + _inline(stripped)
        return Bullets(tuple(items))
    if kind == "quote":
        return Guide(tuple(_inline(line.lstrip()[1:]) for line in lines))
    if kind == "table":
        rows = [_cells(line) for line in lines if not _RULE.match(line.strip())]
        width = max(len(row) for row in rows)
        padded = [tuple(row + [""] * (width - len(row))) for row in rows]
        return Table(padded[0], tuple(padded[1:]))
    return Paragraph(_inline(" ".join(line.strip() for line in lines)))


def _cells(line: str) -> list[str]:
    return [_inline(cell) for cell in line.strip().strip("|").split("|")]


def _inline(text: str) -> str:
    text = _LINK.sub(r"\1", text)
    for _ in range(3):
        text = _EMPHASIS.sub(r"\2", text)
    return " ".join(text.split())
