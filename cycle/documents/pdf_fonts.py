"""The one typeface of every PDF: Fira Sans, embedded (a subset per document).

fpdf2's core fonts (Helvetica) know Windows-1252 only: "Yıldız", "Łukasz", "Şahin" and "Σ" came
out as "?" and no font was embedded. Fira Sans (SIL Open Font License 1.1) covers Latin with its
extensions, Greek and Cyrillic and ships as static TrueType files (regular, bold, italic, bold
italic) in the PyPI package ``fontpkg-fira-sans``, a dependency in ``pyproject.toml``. Static
files matter: instancing a variable font (Noto Sans) took fontTools seconds per style.

A character the font has no glyph for is printed as its base letter when it decomposes to
printable ones (NFKD) and as ``?`` otherwise, so a PDF never shows an empty box.
"""

from __future__ import annotations

import unicodedata
from functools import cache
from pathlib import Path
from typing import Any

import fontpkg_fira_sans
from fontTools.ttLib import TTFont

FAMILY = "FiraSans"
LICENCE = "SIL Open Font License 1.1"
_FILES = {"": "Regular", "B": "Bold", "I": "Italic", "BI": "BoldItalic"}
_SPACES = str.maketrans({"\u00a0": " ", "\u202f": " "})


def font_file(style: str = "") -> Path:
    return Path(fontpkg_fira_sans.ROOT) / "files" / f"FiraSans-{_FILES[style]}.ttf"


def add_fonts(doc: Any) -> None:
    """Register the four styles with an ``FPDF`` document (parsed once per document)."""
    for style in _FILES:
        doc.add_font(FAMILY, style, font_file(style))


@cache
def _covered() -> frozenset[int]:
    """Code points with a glyph in every style (what any emphasis can print)."""
    found: frozenset[int] | None = None
    for style in _FILES:
        font = TTFont(font_file(style), lazy=True)
        points = frozenset(font.getBestCmap())
        font.close()
        found = points if found is None else found & points
    return found or frozenset()


def printable(text: str) -> str:
    """``text`` with every character the font lacks replaced (base letter, else ``?``)."""
    covered = _covered()
    text = text.translate(_SPACES)
    if all(ord(c) in covered or c in "\n\t" for c in text):
        return text
    return "".join(c if ord(c) in covered or c in "\n\t" else _fallback(c, covered) for c in text)


def _fallback(char: str, covered: frozenset[int]) -> str:
    base = "".join(c for c in unicodedata.normalize("NFKD", char) if not unicodedata.combining(c))
    return base if base and all(ord(c) in covered for c in base) else "?"
