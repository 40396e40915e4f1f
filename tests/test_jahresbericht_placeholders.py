"""The Jahresbericht check sees through the skeleton in other shapes (issue 23 item 11).

A section that still holds only the skeleton's placeholders ("[bitte ergänzen]", "[Stufe
1–7]") and guiding questions is empty, however an editor wrote the file back: brackets
escaped (``\\[bitte ergänzen\\]``, as pandoc and many Markdown editors save them), a table row
turned into ``Stadtteilhaus: [bitte ergänzen]``, a placeholder in a list, a grid-table rule, a
guiding question without its quote marker and italics, or a DOCX paragraph in the Normal style.
"""

from __future__ import annotations

import io
import re

import pytest
from docx import Document

from cycle.documents import check_docx, check_markdown, skeleton_docx, skeleton_markdown
from tests.test_documents_jahresbericht import DATA, EMPTY_IN_SKELETON

HEAD_22 = "### 2.2 Herausforderungen im Stadtteil"
GUIDE_2 = (
    "> *Nennen Sie das Stadtteilhaus bzw. -büro und die Angebote und Projekte, "
    "über die Sie berichten.*"
)


def _empty(text: str) -> list[str]:
    return [g.nummer for g in check_markdown(text) if g.grund == "leer"]


def _edited(edit: str) -> str:
    text = skeleton_markdown(DATA)
    if edit == "escaped":
        return text.replace("[", "\\[").replace("]", "\\]")
    if edit == "table as lines":
        text = text.replace("| Stadtteilhaus | [bitte ergänzen] |\n", "")
        text = re.sub(r"\| Inhalt \| .* \|\n", "", text)
        lines = "Stadtteilhaus: [bitte ergänzen]\n\nInhalt: \\[Über welche Angebote?\\]"
        return text.replace(GUIDE_2, lines)
    if edit == "grid rule":
        return text.replace(HEAD_22, HEAD_22 + "\n\n+------+------+\n")
    if edit == "listed placeholders":
        return text.replace(HEAD_22, HEAD_22 + "\n\n- [bitte ergänzen]\n- …\n")
    if edit == "questions as plain text":
        return re.sub(r"(?m)^> ?", "", text).replace("*", "")
    raise AssertionError(edit)


@pytest.mark.parametrize(
    "edit",
    ["escaped", "table as lines", "grid rule", "listed placeholders", "questions as plain text"],
)
def test_the_skeleton_saved_back_by_an_editor_is_still_empty(edit: str):
    assert _empty(_edited(edit)) == EMPTY_IN_SKELETON


def test_a_section_with_own_words_beside_the_placeholders_is_filled():
    text = _edited("escaped").replace(HEAD_22, HEAD_22 + "\n\nViele Familien, wenig Treffpunkte.")
    assert "2.2" not in _empty(text)
    own = _edited("listed placeholders").replace("- …", "- Stadtteilfest im Juni [Foto folgt]")
    assert "2.2" not in _empty(own)


def test_docx_placeholders_and_questions_in_the_normal_style_are_not_content():
    document = Document(io.BytesIO(skeleton_docx(DATA)))
    for paragraph in document.paragraphs:
        if paragraph.style is not None and paragraph.style.name == "Leitfrage":
            paragraph.style = document.styles["Normal"]
            for run in paragraph.runs:
                run.italic = False
    heading = next(p for p in document.paragraphs if p.text.startswith("2.2 "))
    heading.insert_paragraph_before("Stadtteilhaus: \\[bitte ergänzen\\]")
    saved = io.BytesIO()
    document.save(saved)
    assert [g.nummer for g in check_docx(saved.getvalue()) if g.grund == "leer"] == (
        EMPTY_IN_SKELETON
    )
