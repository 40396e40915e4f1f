"""Every letter prints (issue 23 item 3): the PDFs embed one Unicode TrueType font.

The core fonts printed "Y?ld?z" for Yıldız and "?" for Σ and embedded nothing. Each document
is made through the CLI (or, for the Leitfaden, the function that attaches it to mails) from a
year whose contact is "Murat Yıldız", and read back with poppler's ``pdftotext`` and
``pdffonts``, as an archive or a printer would.
"""

from __future__ import annotations

import shutil
import subprocess
import zipfile
from pathlib import Path

import pytest

from cycle.documents import leitfaden_pdf
from tests.conftest import ROOT, Run

NAMES = ("Yıldız", "Łukasz", "Ærø", "Şahin", "Σ", "„", "“", "€")
VN = ROOT / "tests" / "data" / "documents" / "verwendungsnachweis-2026.toml"


def _text(pdf: bytes | Path) -> str:
    data = pdf.read_bytes() if isinstance(pdf, Path) else pdf
    return subprocess.run(
        ["pdftotext", "-", "-"], input=data, capture_output=True, check=True
    ).stdout.decode()


def _fonts(pdf: bytes | Path) -> list[list[str]]:
    """``pdffonts`` rows: name, type…, emb, sub, uni, object, generation."""
    data = pdf.read_bytes() if isinstance(pdf, Path) else pdf
    listing = subprocess.run(
        ["pdffonts", "-"], input=data, capture_output=True, check=True
    ).stdout.decode()
    return [line.split() for line in listing.splitlines()[2:] if line.strip()]


def _prints_everything(pdf: bytes | Path, *expected: str) -> None:
    text = _text(pdf)
    for word in expected:
        assert word in text, f"{word!r} missing from the PDF text"
    assert "Y?ld?z" not in text
    fonts = _fonts(pdf)
    assert fonts, "no font in the PDF"
    for row in fonts:
        assert row[-5] == "yes", f"font {row[0]} is not embedded"


@pytest.fixture
def year_with_yildiz(zyklus: Run, workspace: Path) -> Path:
    """kaltenmoor 2026 held, reported and accounted for; its contact is Murat Yıldız."""
    config = workspace / "config.toml"
    text = config.read_text(encoding="utf-8").replace("Lena Hoffmann", "Murat Yıldız")
    config.write_text(text, encoding="utf-8")
    vn = workspace / "vn.toml"
    vn.write_text(
        VN.read_text(encoding="utf-8")
        .replace('"Muster"', '"Yıldız"')
        .replace('"Erika"', '"Murat"')
        .replace('"Beispiel"', '"Şahin"')
        .replace('"Jonas"', '"Łukasz"')
        .replace("Stadtteilfest", "Ærø-Fest „Σ“")
        .replace("Sabine Behrens", "Murat Yıldız"),
        encoding="utf-8",
    )
    steps = [
        ("2026-01-05T09:00", ("init",)),
        (
            "2026-03-20T09:00",
            (
                "complete",
                "kaltenmoor",
                "2026",
                "auftaktgespraech",
                "--on",
                "2026-03-10",
                "--participants",
                "Murat Yıldız, Łukasz Nowak",
                "--by",
                "Murat Yıldız",
            ),
        ),
        (
            "2026-06-16T09:00",
            (
                "complete",
                "kaltenmoor",
                "2026",
                "fachtag",
                "--on",
                "2026-06-15",
                "--participants",
                "Ayşe Şahin, Ærø Σ-Gruppe „Mitte“",
                "--by",
                "Ærø Σ",
            ),
        ),
        (
            "2026-11-21T09:00",
            (
                "complete",
                "kaltenmoor",
                "2026",
                "auswertungsgespraech",
                "--on",
                "2026-11-20",
                "--participants",
                "4",
            ),
        ),
        (
            "2026-12-01T09:00",
            (
                "submit",
                "kaltenmoor",
                "2026",
                "jahresbericht",
                str(ROOT / "tests" / "data" / "documents" / "jahresbericht-2026.md"),
            ),
        ),
        (
            "2026-12-02T09:00",
            ("accept", "kaltenmoor", "2026", "jahresbericht", "--by", "Łukasz Şahin"),
        ),
        ("2027-05-25T09:00", ("submit", "kaltenmoor", "2026", "verwendungsnachweis", str(vn))),
    ]
    for now, args in steps:
        result = zyklus(*args, now=now)
        assert result.code == 0, result.err
    return workspace


def test_the_verwendungsnachweis_pdf_prints_every_name_in_an_embedded_font(
    zyklus: Run, year_with_yildiz: Path
):
    out = year_with_yildiz / "vn.pdf"
    args = ("report", "verwendungsnachweis", "kaltenmoor", "2026", "--format", "pdf")
    result = zyklus(*args, "--output", str(out), now="2027-06-01T09:00")
    assert result.code == 0, result.err
    _prints_everything(out, *NAMES)


def test_the_buendelung_pdf_prints_the_sigma_and_the_names(zyklus: Run, year_with_yildiz: Path):
    out = year_with_yildiz / "buendelung.pdf"
    args = ("report", "buendelung", "2026", "--format", "pdf", "--output", str(out))
    result = zyklus(*args, now="2027-06-01T09:00")
    assert result.code == 0, result.err
    _prints_everything(out, "Σ", "„", "“")


def test_the_jahresbericht_skeleton_pdf_prints_the_contact(zyklus: Run, year_with_yildiz: Path):
    out = year_with_yildiz / "jb.pdf"
    args = ("report", "jahresbericht", "kaltenmoor", "2026", "--format", "pdf")
    result = zyklus(*args, "--output", str(out), now="2027-06-01T09:00")
    assert result.code == 0, result.err
    _prints_everything(out, "Yıldız")


def test_every_pdf_of_the_pruefakte_prints_the_names(zyklus: Run, year_with_yildiz: Path):
    out = year_with_yildiz / "akte.zip"
    result = zyklus(
        "report", "pruefakte", "kaltenmoor", "2026", "--output", str(out), now="2027-06-01T09:00"
    )
    assert result.code == 0, result.err
    with zipfile.ZipFile(out) as archive:
        pdfs = {name: archive.read(name) for name in archive.namelist() if name.endswith(".pdf")}
    assert "abschlussnachweis.pdf" in pdfs
    _prints_everything(pdfs["abschlussnachweis.pdf"], "Yıldız", "Łukasz", "Şahin", "Ærø", "Σ")
    for data in pdfs.values():
        _prints_everything(data)


def test_the_leitfaden_pdf_prints_every_name():
    text = "# Leitfaden für Murat Yıldız\n\n" + " ".join(NAMES) + "\n\n- Łukasz\n- Şahin\n"
    _prints_everything(leitfaden_pdf(text), *NAMES)


def test_a_character_without_glyph_prints_its_base_letter_or_a_question_mark():
    from cycle.documents.pdf_render import pdf_text

    assert pdf_text("Yıldız Σ €") == "Yıldız Σ €"
    assert pdf_text("\u2713") == "?"  # a check mark: not in the font, no base letter
    assert pdf_text("a\u00a0b") == "a b"


def test_poppler_is_there():
    assert shutil.which("pdftotext") and shutil.which("pdffonts")
