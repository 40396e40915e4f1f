"""Compare a submitted Jahresbericht with the outline of Anlage 1.

A section is ``fehlt`` when its heading is absent and ``leer`` when it has no own content.
Not content: headings, guides (block quotes, italic-only lines, the DOCX style ``Leitfrage``),
placeholders in square brackets, empty table cells, table header rows, the fixed row labels,
and what the skeleton prefilled from the cycle data in section 2 (Stadtteil, Berichtszeitraum,
names, the table of meetings). Section 1 is prefilled from the Träger's master data and counts as
filled: the outline asks for exactly that profile, and the Träger confirms or corrects it.
The group heading 3 has no own content; it is only checked for presence.

A heading belongs to the outline when it carries an outline number and its title starts like
the outline's title (``2.3 Lösungsansätze und Ziele``), or when it is the outline title alone;
``### 1. Stadtteilfest`` inside 3.3 stays a sub-heading of 3.3.
"""

from __future__ import annotations

import re
from pathlib import PurePath

from cycle.documents.docx_render import GUIDE_STYLE
from cycle.documents.jahresbericht import (
    ABGLEICH,
    GEGENSTAND,
    INPUT_ZEILEN,
    OUTLINE,
    PROFIL,
    TERMINE_KOPF,
    VORBELEGT,
    Abschnitt,
)
from cycle.documents.jahresbericht_text import GUIDES, WIRKUNGSTREPPE
from cycle.documents.model import Gap
from cycle.documents.report_reader import (
    Element,
    Line,
    UnlesbaresDokument,
    docx_elements,
    markdown_elements,
    plain,
)

_NUMBERED = re.compile(r"^(\d+(?:\.\d+)*)\.?\s*(.*)$")
_BRACKETED = re.compile(r"\[[^\]]*\]")  # "[bitte ergänzen]", "[Stufe 1–7]": placeholders
_FILLER = " \t.:;,…–—-*_|>"  # what is left of a line once its placeholders are gone
_RULE = re.compile(r"[-+=|: ]+")  # a table rule written as text (grid tables)
_LABELS = {plain(x).casefold() for x in (*PROFIL, *VORBELEGT, *GEGENSTAND, *INPUT_ZEILEN)}
_TEMPLATE_TEXT = {
    plain(x).casefold().strip(_FILLER)
    for x in (
        ABGLEICH,
        "Termine im Berichtsjahr (aus der Zyklusplanung):",
        *WIRKUNGSTREPPE,
        *(line for lines in GUIDES.values() for line in lines),
    )
}


def check_markdown(text: str) -> list[Gap]:
    return gaps(markdown_elements(text))


def check_docx(data: bytes) -> list[Gap]:
    """Raises ``UnlesbaresDokument`` when the bytes are no DOCX file."""
    return gaps(docx_elements(data, GUIDE_STYLE))


def check_file(filename: str, data: bytes) -> list[Gap] | None:
    """Check by file name: ``.md``/``.markdown`` and ``.docx``; None for formats not checked.

    Raises ``UnlesbaresDokument`` when the content does not fit the name.
    """
    suffix = PurePath(filename).suffix.lower()
    if suffix in (".md", ".markdown"):
        try:
            return check_markdown(data.decode("utf-8-sig"))
        except UnicodeDecodeError as error:
            raise UnlesbaresDokument("Die Datei ist kein UTF-8-Text.") from error
    if suffix == ".docx":
        return check_docx(data)
    return None


def gaps(elements: list[Element]) -> list[Gap]:
    present: set[str] = set()
    filled: set[str] = set()
    current: str | None = None
    for element in elements:
        if isinstance(element, Line) and element.kind != "guide":
            section = _outline_heading(element)
            if section is not None:
                current = section.nummer
                present.add(current)
                continue
            if element.kind == "heading":
                continue
        if current is not None and _is_content(element):
            filled.add(current)
    result = []
    for a in OUTLINE:
        if a.nummer not in present:
            result.append(Gap(a.nummer, a.titel, "fehlt"))
        elif a.eigener_inhalt and a.nummer not in filled:
            result.append(Gap(a.nummer, a.titel, "leer"))
    return result


def _outline_heading(line: Line) -> Abschnitt | None:
    text = plain(line.text).casefold()
    match = _NUMBERED.match(text)
    for a in OUTLINE:
        title = a.titel.casefold()
        if text == title:
            return a
        if not match or match.group(1) != a.nummer:
            continue
        rest = match.group(2)
        if rest == title or (line.kind == "heading" and rest.split()[:1] == title.split()[:1]):
            return a
    return None


def _is_content(element: Element) -> bool:
    if isinstance(element, Line):
        return element.kind == "text" and _meaningful(element.text)
    if element.header == TERMINE_KOPF:
        return False
    for row in element.rows:
        if row and plain(row[0]) in VORBELEGT:
            continue
        if any(_meaningful(cell) and plain(cell).casefold() not in _LABELS for cell in row):
            return True
    return False


def _meaningful(text: str) -> bool:
    """Own words of the Träger: what is left after the skeleton's placeholders, labels and
    guiding questions are taken away. Editors and converters write the skeleton back in other
    shapes — ``\\[bitte ergänzen\\]`` escaped, a table row as ``Stadtteilhaus: [bitte
    ergänzen]``, a guiding question without its italics or quote marker, grid-table rules —
    and none of these is content."""
    value = plain(text.replace("\\", ""))
    value = _BRACKETED.sub(" ", value)
    words = " ".join(value.split()).strip(_FILLER)
    if not words or _RULE.fullmatch(words):
        return False
    folded = plain(words).casefold().strip(_FILLER)
    if folded in _TEMPLATE_TEXT or folded in _LABELS:
        return False
    label, colon, rest = words.partition(":")
    return not (colon and plain(label).casefold() in _LABELS and not rest.strip(_FILLER))
