"""Blocks to HTML (Jinja2, autoescaped, printable); the PDF renderer is ``pdf_render``."""

from __future__ import annotations

from collections.abc import Sequence
from functools import cache
from pathlib import Path

import jinja2

from cycle.documents.blocks import Block
from cycle.documents.pdf_render import pdf as pdf
from cycle.documents.pdf_render import pdf_text as pdf_text
from cycle.text import clean

_TEMPLATES = Path(__file__).parent / "templates"


@cache
def _environment() -> jinja2.Environment:
    return jinja2.Environment(
        loader=jinja2.FileSystemLoader(_TEMPLATES),
        autoescape=True,
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
    )


def html(title: str, blocks: Sequence[Block]) -> str:
    """A standalone, printable HTML page; every text is escaped, bidi controls removed."""
    page = _environment().get_template("dokument.html.j2")
    return page.render(title=clean(title), blocks=clean(blocks))
