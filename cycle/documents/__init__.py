"""Pure document logic of zyklus (SPEC §10): Verwendungsnachweis, Jahresbericht, Bündelung.

No database and no clock: inputs are the frozen dataclasses of ``cycle.documents.model``.
"""

from cycle.documents.buendelung import buendelung_docx, buendelung_markdown, buendelung_pdf
from cycle.documents.jahresbericht import (
    OUTLINE,
    Abschnitt,
    skeleton_docx,
    skeleton_markdown,
    skeleton_pdf,
)
from cycle.documents.jahresbericht_check import check_docx, check_file, check_markdown
from cycle.documents.markdown_pdf import leitfaden_pdf
from cycle.documents.model import (
    Abzeichnung,
    Angebotszeile,
    BuendelungDaten,
    Dialog,
    Gap,
    JahresberichtDaten,
    Personalzeile,
    Problem,
    Termin,
    Unterschrift,
    Verwendungsnachweis,
    VerwendungsnachweisDokument,
    Zeichnungsweg,
    aufbewahren_bis,
)
from cycle.documents.money import datum, euro, in_worten
from cycle.documents.report_reader import UnlesbaresDokument
from cycle.documents.verwendungsnachweis import parse, parse_and_validate, validate
from cycle.documents.verwendungsnachweis_doc import (
    verwendungsnachweis_docx,
    verwendungsnachweis_html,
    verwendungsnachweis_markdown,
    verwendungsnachweis_pdf,
)

__all__ = [
    "OUTLINE",
    "Abschnitt",
    "Abzeichnung",
    "Angebotszeile",
    "BuendelungDaten",
    "Dialog",
    "Gap",
    "JahresberichtDaten",
    "Personalzeile",
    "Problem",
    "Termin",
    "UnlesbaresDokument",
    "Unterschrift",
    "Verwendungsnachweis",
    "VerwendungsnachweisDokument",
    "Zeichnungsweg",
    "aufbewahren_bis",
    "buendelung_docx",
    "buendelung_markdown",
    "buendelung_pdf",
    "check_docx",
    "check_file",
    "check_markdown",
    "datum",
    "euro",
    "in_worten",
    "leitfaden_pdf",
    "parse",
    "parse_and_validate",
    "skeleton_docx",
    "skeleton_markdown",
    "skeleton_pdf",
    "validate",
    "verwendungsnachweis_docx",
    "verwendungsnachweis_html",
    "verwendungsnachweis_markdown",
    "verwendungsnachweis_pdf",
]
