"""DOCX files built once per shape and filled in (issue 12): the same parts as built in full."""

from __future__ import annotations

from cycle.documents import docx_render, docx_shapes
from cycle.documents.blocks import Block, Bullets, Guide, Heading, Paragraph, Table


def _blocks(stadtteil: str, traeger: str, termin: str) -> list[Block]:
    return [
        Heading(1, f"Jahresbericht 2026 – {stadtteil}"),
        Paragraph(f"Träger: {traeger}", strong=True),
        Paragraph("Termine im Jahr:"),
        Table(("Stufe", "Datum"), (("Auftaktgespräch", termin), ("Fachtag", ""))),
        Bullets((f"Stadtteil {stadtteil}", "Wirkungstreppe")),
        Guide(("Leitfragen:", f"- Was hat sich in {stadtteil} verändert?")),
    ]


def _xml(data: bytes) -> list[bytes]:
    return [part for _, part in docx_shapes._parts(data)]


def test_documents_of_one_shape_have_exactly_the_parts_of_a_full_build() -> None:
    docx_shapes._shapes.clear()
    cases = [
        ("Kaltenmoor", "AWO Kreisverband Lüneburg", "12.03.2026"),
        ("West & Süd <Nord>", 'Verein „Miteinander" e. V.', "01.04.2026"),
        ("Lüne/Moorfeld", "DRK", "30.09.2026"),
    ]
    for stadtteil, traeger, termin in cases:
        blocks = _blocks(stadtteil, traeger, termin)
        title = f"Jahresbericht {stadtteil}"
        shaped = docx_shapes.docx_shaped(title, blocks)
        assert _xml(shaped) == _xml(docx_render.docx(title, blocks))
    (template,) = docx_shapes._shapes.values()
    assert template is not docx_shapes._UNSHAPEABLE  # the later ones were filled in
    assert "West &amp; Süd &lt;Nord&gt;".encode() in b"".join(
        _xml(docx_shapes.docx_shaped("x", _blocks(*cases[1])))
    )


def test_a_text_with_a_line_break_is_built_in_full() -> None:
    docx_shapes._shapes.clear()
    blocks = _blocks("Kalten-\nmoor", "AWO", "12.03.2026")
    shaped = docx_shapes.docx_shaped("Jahresbericht", blocks)
    assert _xml(shaped) == _xml(docx_render.docx("Jahresbericht", blocks))
    assert not docx_shapes._shapes
