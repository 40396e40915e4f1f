"""A tiny neutral document model (headings, paragraphs, guiding text, tables) and its Markdown.

The Verwendungsnachweis and the Jahresbericht skeleton are built once as blocks and rendered to
Markdown, HTML, PDF or DOCX from there, so the formats cannot drift apart.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import ClassVar

from cycle.text import clean


@dataclass(frozen=True)
class Heading:
    kind: ClassVar[str] = "heading"
    level: int  # 1 = document title
    text: str


@dataclass(frozen=True)
class Paragraph:
    kind: ClassVar[str] = "paragraph"
    text: str
    strong: bool = False


@dataclass(frozen=True)
class Bullets:
    kind: ClassVar[str] = "bullets"
    items: tuple[str, ...]


@dataclass(frozen=True)
class Guide:
    """Guiding questions and hints: shown in italics, never counted as a report's content.

    A line starting with ``- `` is a bullet.
    """

    kind: ClassVar[str] = "guide"
    lines: tuple[str, ...]


@dataclass(frozen=True)
class Table:
    kind: ClassVar[str] = "table"
    header: tuple[str, ...]
    rows: tuple[tuple[str, ...], ...]
    numeric: tuple[int, ...] = ()  # right-aligned columns (amounts)
    widths: tuple[int, ...] = ()  # relative column widths for print; () = equal
    keep: bool = False  # print the whole table on one page (e.g. the Schlussrechnung)
    total: bool = False  # the last row is a sum: printed bold

    def align(self, column: int) -> str:
        return "right" if column in self.numeric else "left"


@dataclass(frozen=True)
class Letterhead:
    """The head of a form sent by post: sender, place and date, the address field.

    ``kontakt`` is a line below the address (telephone, e-mail of the addressee).
    """

    kind: ClassVar[str] = "letterhead"
    absender: tuple[str, ...]
    ort_datum: str
    empfaenger: tuple[str, ...]
    kontakt: str = ""


@dataclass(frozen=True)
class SignatureLines:
    """Blank lines to sign on paper, one per caption (``Ort, Datum``, ``Unterschrift …``)."""

    kind: ClassVar[str] = "signature"
    captions: tuple[str, ...]


Block = Heading | Paragraph | Bullets | Guide | Table | Letterhead | SignatureLines


def markdown(blocks: Iterable[Block]) -> str:
    """GitHub-flavoured Markdown; guides become italic block quotes (no bidi controls)."""
    parts = [_markdown(clean(block)) for block in blocks]
    return "\n\n".join(parts) + "\n"


def _markdown(block: Block) -> str:
    if isinstance(block, Heading):
        return f"{'#' * block.level} {block.text}"
    if isinstance(block, Paragraph):
        text = _inline(block.text)
        return f"**{text}**" if block.strong and text else text
    if isinstance(block, Bullets):
        return "\n".join(f"- {_inline(item)}" for item in block.items)
    if isinstance(block, Guide):
        lines: list[str] = []
        for line in block.lines:
            if lines and not line.startswith("- "):
                lines.append(">")  # a new paragraph inside the quote
            lines.append(_guide_line(line))
        return "\n".join(lines)
    if isinstance(block, Letterhead):
        return _letterhead(block)
    if isinstance(block, SignatureLines):
        return "\n\n".join(f"{'_' * 40}  \n{_inline(c)}" for c in block.captions)
    return _table(block)


def _letterhead(head: Letterhead) -> str:
    def lines(items: tuple[str, ...]) -> str:
        return "  \n".join(_inline(item) for item in items)

    parts = [lines(head.absender), _inline(head.ort_datum), lines(head.empfaenger)]
    if head.kontakt:
        parts.append(_inline(head.kontakt))
    return "\n\n".join(part for part in parts if part)


def _guide_line(line: str) -> str:
    if not line:
        return ">"
    if line.startswith("- "):
        return f"> - *{_inline(line[2:])}*"
    return f"> *{_inline(line)}*"


def _table(table: Table) -> str:
    def row(cells: tuple[str, ...]) -> str:
        return "| " + " | ".join(_cell(c) for c in cells) + " |"

    rule = (
        "|"
        + "|".join("---:" if i in table.numeric else "---" for i in range(len(table.header)))
        + "|"
    )
    return "\n".join([row(table.header), rule, *(row(r) for r in table.rows)])


def _inline(text: str) -> str:
    return " ".join(text.split())


def _cell(text: str) -> str:
    return _inline(text).replace("|", "\\|")
