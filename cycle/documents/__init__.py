"""Pure document logic of zyklus (SPEC §10): Verwendungsnachweis, Jahresbericht, Bündelung.

No database and no clock: inputs are the frozen dataclasses of ``cycle.documents.model``.
"""

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
from cycle.documents.money import datum, euro
from cycle.documents.verwendungsnachweis import parse, parse_and_validate, validate
from cycle.documents.verwendungsnachweis_doc import (
    verwendungsnachweis_html,
    verwendungsnachweis_markdown,
    verwendungsnachweis_pdf,
)

__all__ = [
    "Abzeichnung",
    "Angebotszeile",
    "BuendelungDaten",
    "Dialog",
    "Gap",
    "JahresberichtDaten",
    "Personalzeile",
    "Problem",
    "Termin",
    "Unterschrift",
    "Verwendungsnachweis",
    "VerwendungsnachweisDokument",
    "Zeichnungsweg",
    "aufbewahren_bis",
    "datum",
    "euro",
    "parse",
    "parse_and_validate",
    "validate",
    "verwendungsnachweis_html",
    "verwendungsnachweis_markdown",
    "verwendungsnachweis_pdf",
]
