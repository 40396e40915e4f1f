"""DOCX files built once per shape and filled in (issue 12): the same parts as built in full."""

from __future__ import annotations

import io
import zipfile

from cycle.documents import docx_render, docx_shapes
from cycle.documents.blocks import Block, Bullets, Guide, Heading, Paragraph, Table
from notifications.shapes import Shapes


def _blocks(stadtteil: str, traeger: str, termin: str) -> list[Block]:
    return [
        Heading(1, f"Jahresbericht 2026 – {stadtteil}"),
        Paragraph(f"Träger: {traeger}", strong=True),
        Paragraph("Termine im Jahr:"),
        Table(("Stufe", "Datum"), (("Auftaktgespräch", termin), ("Fachtag", ""))),
        Bullets((f"Stadtteil {stadtteil}", "Wirkungstreppe")),
        Guide(("Leitfragen:", f"- Was hat sich in {stadtteil} verändert?")),
    ]


def _xml(data: bytes) -> list[tuple[str, bytes]]:
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        assert archive.testzip() is None
        return [(name, archive.read(name)) for name in archive.namelist()]


CASES = [
    ("Kaltenmoor", "AWO Kreisverband Lüneburg", "12.03.2026"),
    ("West & Süd <Nord>", 'Verein „Miteinander" e. V.', "01.04.2026"),
    ("Lüne/Moorfeld", "DRK", "30.09.2026"),
]


def test_documents_of_one_shape_have_exactly_the_parts_of_a_full_build() -> None:
    shapes: Shapes[docx_shapes.Parts, bytes] = Shapes(kept=8)
    for stadtteil, traeger, termin in CASES * 2:
        blocks = _blocks(stadtteil, traeger, termin)
        title = f"Jahresbericht {stadtteil}"
        shaped = docx_shapes.docx_shaped(title, blocks, shapes)
        assert _xml(shaped) == _xml(docx_render.docx(title, blocks))
    assert len(shapes) == 1
    assert shapes.filled == 2 * len(CASES) - 1  # all but the first were filled in
    filled = b"".join(part for _, part in _xml(docx_shapes.docx_shaped("x", _blocks(*CASES[1]))))
    assert "West &amp; Süd &lt;Nord&gt;".encode() in filled


def test_a_text_with_a_line_break_or_a_placeholder_bracket_is_built_in_full() -> None:
    shapes: Shapes[docx_shapes.Parts, bytes] = Shapes(kept=8)
    for stadtteil in ("Kalten-\nmoor", "Kaltenmoor ", "Kalten\u2045moor\u2046", "Kalten\tmoor"):
        blocks = _blocks(stadtteil, "AWO", "12.03.2026")
        for _ in range(2):
            shaped = docx_shapes.docx_shaped("Jahresbericht", blocks, shapes)
            assert _xml(shaped) == _xml(docx_render.docx("Jahresbericht", blocks))
    assert len(shapes) == 0 and shapes.filled == 0
