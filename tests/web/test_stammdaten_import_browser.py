"""The import as a coordinator does it in a real browser (Debian's chromium), axe on every page:
download the workbook, add 22 pairings with two mistakes, see both at row and column, fix them,
see the preview, Übernehmen — and the 30 pairings are in ``zyklus status``."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Page, expect

from tests.stammdaten_files import edited, thirty
from tests.web.conftest import PASSWORD, Site, make_site, running
from tests.web.test_web_browser import accessible, screenshot, shots

NOW = "2026-04-02T08:00"
UPLOAD = "Datei (.xlsx, .csv mit Semikolon oder .toml)"


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Site]:
    s = make_site(tmp_path_factory.mktemp("import-browser"), NOW)
    with running(s):
        yield s


def log_in(page: Page, site: Site, login: str) -> None:
    page.goto(f"{site.url}/stammdaten")
    page.get_by_label("Benutzername").fill(login)
    page.get_by_label("Passwort").fill(PASSWORD)
    page.get_by_role("button", name="Anmelden").click()
    page.get_by_role("link", name="Import und Export").click()
    expect(page.get_by_role("heading", name="Stammdaten importieren")).to_be_visible()


def test_a_coordinator_imports_thirty_pairings_after_fixing_two_mistakes(
    site: Site, page: Page, tmp_path: Path
) -> None:
    log_in(page, site, "koord")
    accessible(page)
    with page.expect_download() as download:
        page.get_by_role("link", name="Excel-Arbeitsmappe (.xlsx)").click()
    assert download.value.suggested_filename == "stammdaten-2026-04-02.xlsx"
    workbook = thirty(Path(download.value.path()).read_bytes())

    broken = tmp_path / "dreissig.xlsx"
    broken.write_bytes(
        edited(workbook, {("Partnerschaften", "B12"): "awx", ("Partnerschaften", "J20"): "p11@"})
    )
    page.get_by_label(UPLOAD).set_input_files(str(broken))
    page.get_by_role("button", name="Vorschau anzeigen").click()
    alert = page.get_by_role("alert")
    expect(alert).to_contain_text("Nichts übernommen: 2 Probleme in dreissig.xlsx")
    expect(alert).to_contain_text(
        "Blatt „Partnerschaften“, Zeile 12, Spalte B „Träger“: unbekannter Träger „awx“"
    )
    expect(alert).to_contain_text("Zeile 20, Spalte J „Kontakt 1 E-Mail“: „p11@“ ist keine")
    expect(page.get_by_role("button", name="Übernehmen")).to_have_count(0)
    accessible(page)

    fixed = tmp_path / "dreissig-korrigiert.xlsx"
    fixed.write_bytes(
        edited(
            broken.read_bytes(),
            {("Partnerschaften", "B12"): "awo", ("Partnerschaften", "J20"): "p11@example.org"},
        )
    )
    page.get_by_label(UPLOAD).set_input_files(str(fixed))
    page.get_by_role("button", name="Vorschau anzeigen").click()
    expect(page.get_by_text("44 neu, 0 geändert, 23 unverändert, 0 beendet")).to_be_visible()
    preview = page.get_by_role(
        "table", name="Jede Zeile der Datei und was sie ändert (Änderungen zuerst)"
    )
    expect(preview.locator("tbody tr")).to_have_count(67)
    tandem = preview.get_by_role("row", name="neu Partnerschaft neu-5")
    expect(tandem).to_contain_text("Tandem Fünf")
    accessible(page)
    page.set_viewport_size({"width": 1400, "height": 900})
    screenshot(page, shots(tmp_path) / "stammdaten-import.png")
    before = json.loads(site.ok("status", "--format", "json"))["cycles"]
    assert len(before) == 8  # the preview changed nothing

    page.get_by_role("button", name="Übernehmen").click()
    expect(page.get_by_role("status")).to_contain_text(
        "Import aus dreissig-korrigiert.xlsx übernommen: 44 Einträge geändert"
    )
    accessible(page)
    cycles = json.loads(site.ok("status", "--format", "json"))["cycles"]
    assert len(cycles) == 30
    audit = json.loads(site.ok("audit", "--format", "json"))
    assert {e["actor"] for e in audit if e["action"] == "pairing_angelegt"} >= {"koord"}


def test_a_reading_user_sees_the_export_but_no_upload(site: Site, page: Page) -> None:
    log_in(page, site, "lesend")
    expect(page.get_by_role("link", name="CSV (.csv, Semikolon)")).to_be_visible()
    expect(page.get_by_label(UPLOAD)).to_have_count(0)
    expect(page.get_by_text("darf Stammdaten ansehen und exportieren")).to_be_visible()
    accessible(page)
