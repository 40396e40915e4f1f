"""The coordinator's journey in a real browser (Debian's chromium, Playwright), axe on every page.

Never ``playwright install``: the browser is ``/usr/bin/chromium`` (``.ci/run`` installs it).
"""

from __future__ import annotations

import csv
import io
import json
import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from axe_playwright_python.sync_playwright import Axe
from openpyxl import load_workbook
from playwright.sync_api import Page, expect

from tests.conftest import ROOT
from tests.web.conftest import PASSWORD, Site, make_site, running

NOW = "2026-04-02T08:00"
PNG = b"\x89PNG\r\n\x1a\n"


def shots(tmp_path: Path) -> Path:
    """Where screenshots go: ``$ZYKLUS_SCREENSHOTS`` (e.g. ``docs/img``, relative to the
    repository) when set — to refresh the README's pictures — else the test's own folder, so an
    ordinary run leaves the work tree clean."""
    wanted = os.environ.get("ZYKLUS_SCREENSHOTS")
    folder = (ROOT / wanted) if wanted else tmp_path
    folder.mkdir(parents=True, exist_ok=True)
    return folder


def screenshot(page: Page, path: Path) -> None:
    page.screenshot(path=str(path), full_page=True)
    data = path.read_bytes()
    assert data.startswith(PNG) and len(data) > 10_000, path


@pytest.fixture(scope="session")
def browser_type_launch_args(browser_type_launch_args: dict[str, Any]) -> dict[str, Any]:
    return {
        **browser_type_launch_args,
        "executable_path": "/usr/bin/chromium",
        "args": [
            "--no-sandbox",
            "--disable-gpu",
            "--disable-background-networking",
            "--disable-component-update",
            "--no-first-run",
        ],
    }


@pytest.fixture(scope="session")
def base_url() -> None:
    """Replaces pytest-base-url's fixture (deprecated form, an error under -W error)."""
    return None


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Site]:
    s = make_site(tmp_path_factory.mktemp("browser"), NOW)
    with running(s):
        yield s


_axe = Axe()


def accessible(page: Page) -> None:
    """No axe-core violation of impact serious or critical on the page as it is now."""
    results = _axe.run(page)
    bad = [
        (v["id"], v["impact"], [n["target"] for n in v["nodes"]][:3])
        for v in results.response["violations"]
        if v["impact"] in ("serious", "critical")
    ]
    assert bad == [], page.url


def status(site: Site) -> dict[str, dict[str, Any]]:
    data = json.loads(site.ok("status", "--format", "json"))
    return {c["pairing"]: c["stages"] for c in data["cycles"]}


def test_the_coordinator_records_a_year_in_the_browser(site: Site, page: Page, tmp_path: Path):
    page.goto(f"{site.url}/")
    expect(page).to_have_url(f"{site.url}/anmelden?weiter=/")
    accessible(page)
    page.get_by_label("Benutzername").fill("koord")
    page.get_by_label("Passwort").fill(PASSWORD)
    page.get_by_role("button", name="Anmelden").click()

    # Übersicht: all 8 pairings with their overdue Auftaktgespräch
    expect(page.get_by_role("heading", name="Übersicht 2026")).to_be_visible()
    rows = page.locator("table tbody tr")
    expect(rows).to_have_count(8)
    expect(page.get_by_text("2 Tage überfällig")).to_have_count(8)
    accessible(page)
    page.set_viewport_size({"width": 1400, "height": 900})
    screenshot(page, shots(tmp_path) / "uebersicht.png")

    # Zyklus page: schedule, then complete with an uploaded protocol
    page.get_by_role("link", name="Kaltenmoor").click()
    expect(page.get_by_role("heading", name="Zyklus 2026: Kaltenmoor")).to_be_visible()
    accessible(page)
    form = page.locator("#form-auftaktgespraech-schedule")
    form.get_by_label("Datum und Uhrzeit").fill("2026-04-10T10:00")
    form.get_by_label("Ort").fill("Gemeinschaftshaus")
    form.get_by_role("button", name="Termin festlegen").click()
    expect(page.get_by_role("status")).to_contain_text("offen → terminiert")
    form = page.locator("#form-auftaktgespraech-complete")
    form.get_by_label("Durchgeführt am").fill("2026-04-01")
    form.get_by_label("Teilnehmende").fill("Kim Koordination, Sam Stadtteil")
    protocol = tmp_path / "protokoll-auftakt.txt"
    protocol.write_text("Protokoll des Auftaktgesprächs", encoding="utf-8")
    form.get_by_label("Nachweis (z. B. Protokoll)").set_input_files(str(protocol))
    form.get_by_role("button", name="Als durchgeführt erfassen").click()
    expect(page.get_by_role("status")).to_contain_text("terminiert → durchgeführt")
    expect(page.get_by_role("link", name="protokoll-auftakt.txt")).to_be_visible()
    accessible(page)
    assert status(site)["kaltenmoor"]["auftaktgespraech"]["status"] == "durchgefuehrt"
    audit = json.loads(site.ok("audit", "--pairing", "kaltenmoor", "--format", "json"))
    assert [e["actor"] for e in audit if e["action"] in ("schedule", "complete")] == [
        "koord",
        "koord",
    ]

    # A refused event: its German message beside the field, nothing changed
    form = page.locator("#form-fachtag-complete")
    form.get_by_label("Durchgeführt am").fill("2026-05-01")
    form.get_by_role("button", name="Als durchgeführt erfassen").click()
    refused = page.locator("#form-fachtag-complete .feldfehler")
    expect(refused).to_contain_text("01.05.2026 liegt in der Zukunft")
    accessible(page)
    assert status(site)["kaltenmoor"]["fachtag"]["status"] == "offen"

    # Gemeinsamer Termin: the Fachtag for all pairings in one step
    for pairing in status(site):
        if pairing != "kaltenmoor":
            site.ok("complete", pairing, "2026", "auftaktgespraech", "--on", "2026-03-30")
    page.get_by_role("link", name="Gemeinsamer Termin").click()
    accessible(page)
    form = page.locator("#form-complete")
    form.get_by_label("Stufe").select_option("fachtag")
    form.get_by_label("alle (jede aktive Partnerschaft)").check()
    form.get_by_label("Durchgeführt am").fill("2026-04-01")
    form.get_by_label("Teilnehmende").fill("40")
    form.get_by_role("button", name="Als durchgeführt erfassen").click()
    expect(page.get_by_role("status")).to_contain_text("Fachtag")
    assert {s["fachtag"]["status"] for s in status(site).values()} == {"durchgefuehrt"}

    # Downloads of the filtered Übersicht, parsed back
    page.goto(f"{site.url}/?jahr=2026&traeger=awo")
    with page.expect_download() as got:
        page.get_by_role("link", name="CSV (Excel)").click()
    raw = Path(got.value.path()).read_bytes()
    assert raw.startswith(b"\xef\xbb\xbf")
    table = list(csv.DictReader(io.StringIO(raw.decode("utf-8-sig")), delimiter=";"))
    assert [r["Partnerschaft"] for r in table] == ["kaltenmoor"]
    assert table[0]["Träger"] == "AWO Kreisverband Lüneburg e. V."
    assert table[0]["Auftaktgespräch: erledigt am"] == "01.04.2026"
    assert table[0]["Fachtag: erledigt"] == "Ja"
    with page.expect_download() as got:
        page.get_by_role("link", name="XLSX").click()
    assert got.value.suggested_filename == "uebersicht-2026.xlsx"
    sheet = load_workbook(io.BytesIO(Path(got.value.path()).read_bytes())).active
    assert sheet is not None
    assert sheet["A2"].value == "kaltenmoor" and sheet.freeze_panes == "A2"

    # The other pages, each checked by axe
    for name in ("Postausgang", "Vorschau", "Protokoll", "Berichte"):
        page.get_by_role("navigation", name="Hauptnavigation").get_by_role(
            "link", name=name
        ).click()
        expect(page.get_by_role("heading", level=1)).to_contain_text(name)
        accessible(page)
    page.get_by_role("button", name="Abmelden").click()
    expect(page.get_by_text("Sie sind abgemeldet.")).to_be_visible()
