"""German exports (CSV with ``;`` and BOM, XLSX) and the Prüfakte, read back as an auditor would.

The Verwendungsnachweis of this history is the demo-like one; page 1 of its PDF is rendered to
PNG with ``pdftoppm`` (into ``$ZYKLUS_SCREENSHOTS`` when set, e.g. ``docs/img``, else tmp).
"""

from __future__ import annotations

import csv
import hashlib
import io
import json
import os
import subprocess
import zipfile
from datetime import datetime
from pathlib import Path

import pdfplumber
from openpyxl import load_workbook

from tests.conftest import ROOT, Run
from tests.test_documents_cli import SUBMIT_VN, VN_OK, _meetings_held, _ok, _report_accepted


def _csv(text: str) -> list[dict[str, str]]:
    assert text.startswith("\ufeff")
    return list(csv.DictReader(io.StringIO(text.removeprefix("\ufeff")), delimiter=";"))


def test_status_audit_and_outbox_as_csv_for_a_german_excel(zyklus: Run, tmp_path: Path):
    _ok(zyklus("init", now="2026-01-05T09:00"))
    done = ("complete", "kaltenmoor", "2026", "auftaktgespraech", "--on", "2026-03-10")
    _ok(zyklus(*done, "--by", '=HYPERLINK("x")', now="2026-03-10T12:00"))
    _ok(zyklus("tick", "--no-deliver", now="2026-04-02T08:00"))
    status = _csv(zyklus("status", "--format", "csv", now="2026-04-02T08:00").out)
    row = next(
        r for r in status if r["Partnerschaft"] == "kaltenmoor" and r["Stufe"] == "Auftaktgespräch"
    )
    assert (row["erledigt"], row["erledigt am"], row["Status"]) == (
        "Ja",
        "10.03.2026",
        "durchgeführt",
    )
    assert {r["erledigt"] for r in status} == {"Ja", "Nein"}
    assert all(len(r["Frist"]) == 10 and r["Frist"][2] == "." for r in status)
    audit = _csv(zyklus("audit", "--format", "csv", now="2026-04-02T08:00").out)
    actors = {r["Wer"] for r in audit}
    assert '\'=HYPERLINK("x")' in actors  # never a formula
    assert all(len(r["Hash"]) >= 64 for r in audit)
    outbox = _csv(zyklus("outbox", "--format", "csv", now="2026-04-02T08:00").out)
    assert outbox and {r["Status"] for r in outbox} <= {"ausstehend", "gesendet", "fehlgeschlagen"}
    target = tmp_path / "status.csv"
    _ok(zyklus("status", "--format", "csv", "--output", str(target), now="2026-04-02T08:00"))
    assert target.read_bytes().startswith(b"\xef\xbb\xbfPartnerschaft;Tr\xc3\xa4ger;")


def test_xlsx_needs_an_output_and_has_typed_cells_a_frozen_header_and_a_filter(
    zyklus: Run, tmp_path: Path
):
    _ok(zyklus("init", now="2026-01-05T09:00"))
    _ok(zyklus("complete", "kaltenmoor", "2026", "auftaktgespraech", now="2026-03-10T12:00"))
    refused = zyklus("status", "--format", "xlsx", now="2026-04-02T08:00")
    assert refused.code == 2 and "--output status-2026.xlsx" in refused.err
    for command in ("status", "audit", "outbox"):
        target = tmp_path / f"{command}.xlsx"
        _ok(zyklus(command, "--format", "xlsx", "--output", str(target), now="2026-04-02T08:00"))
        sheet = load_workbook(target).active
        assert sheet is not None
        assert sheet.freeze_panes == "A2" and sheet.auto_filter.ref == sheet.dimensions
        assert all(cell.font.b for cell in sheet[1])
    sheet = load_workbook(tmp_path / "status.xlsx").active
    head = [c.value for c in sheet[1]]
    rows = [dict(zip(head, (c.value for c in r), strict=True)) for r in sheet.iter_rows(min_row=2)]
    done = next(r for r in rows if r["Partnerschaft"] == "kaltenmoor" and r["erledigt"] == "Ja")
    assert isinstance(done["Frist"], datetime) and isinstance(done["Jahr"], int)
    assert isinstance(done["Tage überfällig"], int)
    audit = load_workbook(tmp_path / "audit.xlsx").active
    assert (
        isinstance(audit["B2"].value, datetime) and audit["B2"].number_format == "DD.MM.YYYY HH:MM"
    )


def test_the_pruefakte_holds_everything_and_its_manifest_checks_out(zyklus: Run, tmp_path: Path):
    _meetings_held(zyklus, "kaltenmoor")
    _report_accepted(zyklus)
    _ok(zyklus("submit", "kaltenmoor", "2026", "verwendungsnachweis", str(VN_OK), now=SUBMIT_VN))
    check = ("check", "kaltenmoor", "2026", "verwendungsnachweis", "--by", "Anna Köhler")
    _ok(zyklus(*check, now=SUBMIT_VN))
    target = tmp_path / "akte.zip"
    result = zyklus(
        "report", "pruefakte", "kaltenmoor", "2026", "--output", str(target), now=SUBMIT_VN
    )
    assert result.code == 0, result.err
    assert "manifest.sha256" in result.out
    folder = tmp_path / "akte"
    with zipfile.ZipFile(target) as archive:
        archive.extractall(folder)
        names = set(archive.namelist())
    listed = {}
    for line in (folder / "manifest.sha256").read_text().splitlines():
        digest, path = line.split("  ", 1)
        listed[path] = digest
    assert set(listed) == names - {"manifest.sha256"}
    for path, digest in listed.items():
        assert hashlib.sha256((folder / path).read_bytes()).hexdigest() == digest, path
    checked = subprocess.run(
        ["sha256sum", "-c", "manifest.sha256"], cwd=folder, capture_output=True, text=True
    )
    assert checked.returncode == 0, checked.stdout + checked.stderr
    stored = {
        p.name: p.read_bytes() for p in (tmp_path / "var" / "evidence").rglob("*") if p.is_file()
    }
    kept = {
        n.split("/")[1][:64]: (folder / n).read_bytes() for n in names if n.startswith("nachweise/")
    }
    assert kept == stored  # every evidence file, byte for byte
    for name in ("jahresbericht", "verwendungsnachweis"):
        assert any(n.startswith(f"{name}/eingereicht-") for n in names), name
        assert f"{name}/{name}-kaltenmoor-2026.pdf" in names, name
    entries = json.loads((folder / "protokoll" / "eintraege.json").read_text())
    own = json.loads(
        zyklus("audit", "--pairing", "kaltenmoor", "--year", "2026", "--format", "json").out
    )
    assert [e["hash"] for e in entries] == [e["hash"] for e in own]
    rows = _csv((folder / "protokoll" / "eintraege.csv").read_text(encoding="utf-8"))
    assert [r["Hash"] for r in rows] == [e["hash"] for e in own]
    assert json.loads((folder / "protokoll" / "pruefung.json").read_text())["intakt"] is True
    with pdfplumber.open(folder / "abschlussnachweis.pdf") as pdf:
        text = "\n".join(page.extract_text() for page in pdf.pages)
    assert "Abschlussnachweis Qualitätszyklus 2026" in text and "Seite 1 von" in text
    assert hashlib.sha256(VN_OK.read_bytes()).hexdigest() in text.replace("\n", "")
    _page_one_as_png(
        folder / "verwendungsnachweis" / "verwendungsnachweis-kaltenmoor-2026.pdf", tmp_path
    )


def _page_one_as_png(pdf: Path, tmp_path: Path) -> None:
    """Page 1 of the demo-like Verwendungsnachweis, for the README (``ZYKLUS_SCREENSHOTS``)."""
    wanted = os.environ.get("ZYKLUS_SCREENSHOTS")
    folder = ROOT / wanted if wanted else tmp_path
    folder.mkdir(parents=True, exist_ok=True)
    stem = folder / "verwendungsnachweis-seite-1"
    subprocess.run(
        ["pdftoppm", "-png", "-r", "80", "-f", "1", "-l", "1", "-singlefile", str(pdf), str(stem)],
        check=True,
    )
    png = stem.with_suffix(".png")
    assert png.read_bytes().startswith(b"\x89PNG") and png.stat().st_size > 20_000
