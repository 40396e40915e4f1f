"""A Träger contact's year in a real browser (Debian's chromium), from a reminder in the Maildir.

The reminder comes from ``zyklus tick`` on a reminder day; its link is read from the delivered
mail; every portal page the journey visits is checked with axe-core (no serious or critical
violation).
"""

from __future__ import annotations

import email
import json
import os
import re
import subprocess
from collections.abc import Iterator
from email import policy
from email.message import EmailMessage
from pathlib import Path
from typing import Any

import pytest
from axe_playwright_python.sync_playwright import Axe
from playwright.sync_api import Page, expect

from tests.conftest import ROOT
from tests.portal.conftest import KALTENMOOR, audit
from tests.web.conftest import ZYKLUS, Site, make_site, running

NOW = "2026-12-03T08:00"  # 28 days before the Jahresbericht is due: the first reminder
REPORT = ROOT / "tests" / "data" / "documents" / "jahresbericht-2026.md"
_axe = Axe()


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Site]:
    """2026: the three meetings of kaltenmoor held; the reminder tick has run."""
    s = make_site(tmp_path_factory.mktemp("portal-browser"), NOW)
    for stage in ("auftaktgespraech", "fachtag", "auswertungsgespraech"):
        s.ok("complete", "kaltenmoor", "2026", stage, "--on", "2026-11-20", "--participants", "3")
    with running(s):
        yield s


def tick(site: Site) -> None:
    """``zyklus tick`` as its own process (Playwright's loop runs in this thread)."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("ZYKLUS_")} | site.env
    command = [str(ZYKLUS), "--config", str(site.config), "--now", site.now, "tick"]
    done = subprocess.run(command, env=env, capture_output=True, text=True, check=False)
    assert done.returncode == 0, done.stderr


def accessible(page: Page) -> None:
    results = _axe.run(page)
    bad = [
        (v["id"], v["impact"], [n["target"] for n in v["nodes"]][:3])
        for v in results.response["violations"]
        if v["impact"] in ("serious", "critical")
    ]
    assert bad == [], page.url


def mails_to(site: Site, address: str) -> list[EmailMessage]:
    found = []
    for path in sorted((site.folder / "var" / "mail" / "new").iterdir()):
        message = email.message_from_bytes(path.read_bytes(), policy=policy.default)
        assert isinstance(message, EmailMessage)
        if address in str(message["To"]):
            found.append(message)
    return found


def portal_link(message: EmailMessage) -> str:
    """The portal path from the plain-text part of a mail."""
    part = message.get_body(preferencelist=("plain",))
    assert part is not None
    text = part.get_content()
    found = re.search(r"http://127\.0\.0\.1:8000(/portal/anmelden/[A-Za-z0-9_-]+)", text)
    assert found, text
    return found[1]


def stages(site: Site) -> dict[str, Any]:
    data = json.loads(site.ok("status", "--format", "json"))
    cycle: dict[str, Any] = next(c for c in data["cycles"] if c["pairing"] == "kaltenmoor")
    return cycle["stages"]


def evidence_files(site: Site) -> int:
    return sum(1 for p in (site.folder / "var" / "evidence").rglob("*") if p.is_file())


def fill_vn(page: Page, verwaltung: str) -> None:
    values = {
        "Zuschuss der Hansestadt": "98.000,00",
        "1. Personalkosten (Summe)": "76.000,00",
        "2. Verwaltungs- und Leitungskosten (Pauschale)": verwaltung,
        "3. Arbeitsplatzbezogene Sachkosten": "6.500,00",
        "4. Präventive Angebote der Gemeinwesenarbeit (Stadtteilmanagementbudget)": "5.620,00",
        "Name der unterzeichnenden Person": "Sabine Behrens, AWO Kreisverband Lüneburg e. V.",
    }
    for label, value in values.items():
        page.get_by_label(label, exact=True).fill(value)
    page.get_by_label("Datum der Unterschrift").fill("2026-12-01")
    rows = [
        ("Hoffmann", "Lena", "Sozialarbeiterin (B.A.)", "S 12", "0,75", "52.000,00"),
        ("Beispiel", "Jonas", "Sozialpädagoge (B.A.)", "S 11b", "0,375", "24.000,00"),
    ]
    columns = ("Name", "Vorname", "Qualifikation", "Vergütungsgruppe", "Stellenanteil")
    for i, row in enumerate(rows, 1):
        for column, value in zip((*columns, "Personalkosten"), row, strict=True):
            page.get_by_label(f"{column}, Zeile {i}", exact=True).fill(value)
    offers = [
        ("Stadtteilfest", "2.500,00"),
        ("Nachbarschaftscafé", "1.200,00"),
        ("Stadtteilzeitung", "1.920,00"),
    ]
    for i, (name, amount) in enumerate(offers, 1):
        page.get_by_label(f"Projekt / Angebot, Zeile {i}", exact=True).fill(name)
        page.get_by_label(f"Betrag, Zeile {i}", exact=True).fill(amount)


def test_a_contact_answers_her_reminder_in_the_portal(site: Site, page: Page, tmp_path: Path):
    page = page
    tick(site)
    [reminder] = [m for m in mails_to(site, KALTENMOOR) if "Erinnerung" in str(m["Subject"])]
    assert "Jahresbericht" in str(reminder["Subject"])
    link = portal_link(reminder)

    # The link from the mail: a page with "Weiter" (opening it changes nothing).
    page.goto(site.url + link)
    expect(page.get_by_role("heading", level=1)).to_have_text("Anmelden im Träger-Portal")
    accessible(page)
    page.get_by_role("button", name="Weiter").click()

    # Meine Fristen: the right stages, statuses and dates.
    expect(page).to_have_url(f"{site.url}/portal/")
    expect(page).to_have_title("Meine Fristen – Träger-Portal – zyklus")
    accessible(page)
    rows = page.locator("table").first.locator("tbody tr")
    expect(rows).to_have_count(5)
    expect(rows.nth(0)).to_contain_text("Auftaktgespräch")
    expect(rows.nth(0)).to_contain_text("durchgeführt")
    expect(rows.nth(3)).to_contain_text("Jahresbericht")
    expect(rows.nth(3)).to_contain_text("31.12.2026")
    expect(rows.nth(3)).to_contain_text("offen")
    expect(rows.nth(3)).to_contain_text("Jahresbericht hochladen bis 31.12.2026")
    expect(rows.nth(4)).to_contain_text("30.06.2027")

    # Jahresbericht: the unchanged skeleton is refused with its gaps, nothing is stored.
    page.get_by_role("link", name="Jahresbericht 2026 hochladen").click()
    accessible(page)
    with page.expect_download() as download:
        page.get_by_role("link", name=re.compile("Vorlage Jahresbericht 2026")).click()
    skeleton = tmp_path / "jahresbericht-vorlage.docx"
    download.value.save_as(skeleton)
    stored = evidence_files(site)
    page.get_by_label(re.compile("^Jahresbericht \\(Word")).set_input_files(skeleton)
    page.get_by_role("button", name="Jahresbericht einreichen").click()
    alert = page.locator("#fehler-bericht")
    expect(alert).to_contain_text("Nicht eingereicht")
    expect(alert).to_contain_text("Herausforderungen im Stadtteil")
    accessible(page)
    assert stages(site)["jahresbericht"]["status"] == "offen"
    assert evidence_files(site) == stored

    # The filled report: eingereicht, the contact via Portal in the audit log, receipt queued.
    page.get_by_label(re.compile("^Jahresbericht \\(Word")).set_input_files(REPORT)
    page.get_by_role("button", name="Jahresbericht einreichen").click()
    expect(page.get_by_role("status")).to_contain_text("Jahresbericht 2026 eingereicht")
    accessible(page)
    assert stages(site)["jahresbericht"]["status"] == "eingereicht"
    submitted = [e for e in audit(site) if e["action"] == "submit" and e["pairing"] == "kaltenmoor"]
    assert submitted[-1]["actor"] == f"{KALTENMOOR} via Portal"
    pending = json.loads(site.ok("outbox", "--status", "pending", "--format", "json"))
    receipts = [m for m in pending["messages"] if m["kind"] == "eingangsbestaetigung"]
    assert [KALTENMOOR in m["to"] for m in receipts] == [True]

    # The Koordinierungsstelle accepts it; the Verwendungsnachweis becomes possible.
    site.ok("accept", "kaltenmoor", "2026", "jahresbericht")

    # Verwendungsnachweis with 14 % Verwaltungskosten: refused at the field, nothing stored.
    nav = page.get_by_role("navigation", name="Portalnavigation")
    nav.get_by_role("link", name="Verwendungsnachweis").click()
    accessible(page)
    page.get_by_role("link", name=re.compile("Verwendungsnachweis 2026 – Kaltenmoor")).click()
    accessible(page)
    fill_vn(page, "10.640,00")
    stored = evidence_files(site)
    page.get_by_role("button", name="Einreichen").click()
    field = page.get_by_label("2. Verwaltungs- und Leitungskosten (Pauschale)", exact=True)
    expect(field).to_have_attribute("aria-invalid", "true")
    expect(page.locator("#fehler-verwaltungskosten")).to_contain_text(
        "10.640,00 € übersteigen 13 % der Personalkosten (höchstens 9.880,00 €)"
    )
    expect(page.get_by_role("alert")).to_contain_text("es wurde nichts gespeichert")
    accessible(page)
    assert stages(site)["verwendungsnachweis"]["status"] == "offen"
    assert evidence_files(site) == stored

    # Corrected: checked first (sums shown), then submitted; the PDF can be downloaded.
    field.fill("9.880,00")
    page.get_by_role("button", name="Prüfen").click()
    expect(page.get_by_role("status")).to_contain_text("Alle Regeln sind erfüllt")
    expect(page.get_by_role("row", name=re.compile("Differenz"))).to_contain_text("0,00 €")
    page.get_by_role("button", name="Einreichen").click()
    expect(page.get_by_role("status")).to_contain_text("Verwendungsnachweis 2026 eingereicht")
    accessible(page)
    assert stages(site)["verwendungsnachweis"]["status"] == "eingereicht"
    with page.expect_download() as download:
        page.get_by_role("link", name=re.compile("als PDF herunterladen")).click()
    pdf = tmp_path / "vn.pdf"
    download.value.save_as(pdf)
    assert pdf.read_bytes().startswith(b"%PDF")
    proofs = [
        e for e in audit(site) if e["action"] == "submit" and e["stage"] == "verwendungsnachweis"
    ]
    assert proofs[-1]["actor"] == f"{KALTENMOOR} via Portal"

    # The other pages of the portal, each checked with axe; a calendar address is made.
    nav = page.get_by_role("navigation", name="Portalnavigation")
    for name in ("Meine Fristen", "Termine", "Kalender"):
        nav.get_by_role("link", name=name).click()
        expect(page.get_by_role("heading", level=1)).to_have_text(name)
        accessible(page)
    page.get_by_role("button", name="Kalenderadresse erzeugen").click()
    expect(page.locator("#kalender-adresse")).to_contain_text("/portal/kalender/")
    accessible(page)
    page.get_by_role("button", name="Abmelden").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Abgemeldet")
    accessible(page)
    page.goto(site.url + link)  # the link from the mail was used once
    expect(page.get_by_role("heading", level=1)).to_have_text("Link nicht mehr gültig")
    accessible(page)
