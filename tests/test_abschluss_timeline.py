"""The Zyklus page's timeline in the Abschlussnachweis PDF (issue 23 item 13), from the CLI.

``zyklus report pruefakte`` on 15.10.2026 after the Auftaktgespräch of 10.03.2026: the
Abschlussnachweis in the ZIP shows the year as a drawing (done, overdue, open, the document's
date), with the same facts as a table in its text layer, in the embedded font only; the drawing
fits the text width and touches neither the paragraph above nor the table below. Page 1 is
rendered with ``pdftoppm`` (into ``$ZYKLUS_SCREENSHOTS`` when set, e.g. ``docs/img``).
"""

from __future__ import annotations

import io
import os
import subprocess
import zipfile
from pathlib import Path
from typing import Any

import pdfplumber

from tests.conftest import ROOT, Run

MM = 72 / 25.4  # points per mm
LEFT, RIGHT = 20 * MM, 190 * MM  # A4 text width


def _akte(zyklus: Run, tmp_path: Path) -> bytes:
    assert zyklus("init", now="2026-01-05T09:00").code == 0
    held = ("complete", "kaltenmoor", "2026", "auftaktgespraech", "--on", "2026-03-10")
    assert zyklus(*held, "--participants", "3", now="2026-03-10T12:00").code == 0
    target = tmp_path / "akte.zip"
    result = zyklus(
        "report", "pruefakte", "kaltenmoor", "2026", "--output", str(target),
        now="2026-10-15T09:00",
    )  # fmt: skip
    assert result.code == 0, result.err
    with zipfile.ZipFile(target) as archive:
        return archive.read("abschlussnachweis.pdf")


def _run(*command: str, data: bytes) -> str:
    return subprocess.run(command, input=data, capture_output=True, check=True).stdout.decode()


def test_the_abschlussnachweis_carries_the_timeline_as_text(zyklus: Run, tmp_path: Path):
    data = _akte(zyklus, tmp_path)
    text = _run("pdftotext", "-layout", "-", "-", data=data)
    section = text[text.index("Zeitleiste") : text.index("Stufen\n")]
    for month in ("Jan", "Feb", "Mär", "Okt", "Dez", "Jun", "2026", "2027"):
        assert month in section, month
    for row in (
        "Auftaktgespräch  01.01.2026 bis 31.03.2026  durchgeführt, erledigt am 10.03.2026",
        "Fachtag  01.04.2026 bis 30.09.2026  offen, überfällig",
        "Auswertungsgespräch  01.10.2026 bis 15.12.2026  offen",
        "Verwendungsnachweis  31.12.2026 bis 30.06.2027  offen",
    ):
        assert _loose(row, section), row
    # "today" is the document's date (--now), not the wall clock
    assert "Stand 15.10.2026" in section
    assert "Stand 15.10.2026 (Datum dieses Nachweises)" in " ".join(text.split())
    assert "intakt; 1 Schritt aus dem Protokoll." in " ".join(text.split())  # not "1 Schritte"
    for legend in ("offen", "erledigt", "überfällig", "Frist", "erledigt am"):
        assert legend in section, legend
    fonts = _run("pdffonts", "-", data=data).splitlines()[2:]
    assert fonts and all(line.split()[-5] == "yes" for line in fonts), fonts


def _loose(row: str, section: str) -> bool:
    """The row's cells in this order on one line, however many spaces lie between them."""
    cells = [c.strip() for c in row.split("  ") if c.strip()]
    for line in section.splitlines():
        at = 0
        for cell in cells:
            at = line.find(cell, at)
            if at < 0:
                break
            at += len(cell)
        else:
            return True
    return False


def test_the_drawing_fits_the_page_and_touches_nothing_else(zyklus: Run, tmp_path: Path):
    data = _akte(zyklus, tmp_path)
    with pdfplumber.open(io.BytesIO(data)) as document:
        page = document.pages[0]
        words = page.extract_words()
        above = max(w["bottom"] for w in words if w["text"] == "Nachweises).")
        head = next(w for w in words if w["text"] == "Zeitfenster")  # the table below
        below = min(r["top"] for r in page.rects if r["top"] <= head["top"] <= r["bottom"])
        shapes: list[dict[str, Any]] = [*page.rects, *page.lines, *page.curves]
        drawing = [s for s in shapes if above < s["top"] and s["bottom"] < below]
        assert len(drawing) > 40  # month lines, five windows, hatching, marks, legend
        for s in shapes:  # nothing of the drawing reaches into the paragraph or the table
            assert not (s["top"] < above < s["bottom"]), s
            assert not (s["top"] < below - 0.5 < s["bottom"]), s
        for thing in [*shapes, *page.chars]:
            assert thing["x0"] >= LEFT - 0.5 and thing["x1"] <= RIGHT + 0.5, thing
        inside = [w for w in words if above < w["top"] and w["bottom"] < below]
        boxes = [r for r in page.rects if above < r["top"] and r["bottom"] < below]
        for word in inside:  # every label legible: over no bar, no swatch, no other label
            for box in boxes:
                assert not _overlap(word, box), (word["text"], box)
            for other in inside:
                assert other is word or not _overlap(word, other), (word["text"], other["text"])
        names = {w["text"] for w in inside}
        assert {"Auftaktgespräch", "Fachtag", "Jahresbericht", "Verwendungsnachweis"} <= names
        # greyscale-safe: done is filled grey, open white, overdue white with hatching
        windows = sorted(
            (r for r in boxes if r["width"] > 10 and r["height"] > 4), key=lambda r: r["top"]
        )
        fills = [_grey(r["non_stroking_color"]) for r in windows[:3]]
        assert fills[0] < 0.9 and fills[1] == fills[2] == 1.0, fills
        fachtag = windows[1]
        hatched = [
            line
            for line in page.lines
            if fachtag["x0"] - 0.1 <= line["x0"]
            and line["x1"] <= fachtag["x1"] + 0.1
            and fachtag["top"] - 0.1 <= line["top"]
            and line["bottom"] <= fachtag["bottom"] + 0.1
            and line["x1"] > line["x0"]
        ]
        assert len(hatched) > 30
    _page_one_as_png(data, tmp_path)


def _overlap(a: dict[str, Any], b: dict[str, Any]) -> bool:
    return bool(
        a["x0"] < b["x1"] - 0.2
        and b["x0"] < a["x1"] - 0.2
        and a["top"] < b["bottom"] - 0.2
        and b["top"] < a["bottom"] - 0.2
    )


def _grey(color: Any) -> float:
    values = list(color) if isinstance(color, list | tuple) else [color]
    return round(sum(float(v) for v in values) / len(values), 3)


def _page_one_as_png(data: bytes, tmp_path: Path) -> None:
    """Page 1 with the timeline, to look at (``ZYKLUS_SCREENSHOTS``: for the README)."""
    wanted = os.environ.get("ZYKLUS_SCREENSHOTS")
    folder = ROOT / wanted if wanted else tmp_path
    folder.mkdir(parents=True, exist_ok=True)
    pdf = tmp_path / "abschlussnachweis.pdf"
    pdf.write_bytes(data)
    stem = folder / "abschlussnachweis-seite-1"
    subprocess.run(
        ["pdftoppm", "-png", "-r", "80", "-f", "1", "-l", "1", "-singlefile", str(pdf), str(stem)],
        check=True,
    )
    png = stem.with_suffix(".png")
    assert png.read_bytes().startswith(b"\x89PNG") and png.stat().st_size > 20_000
