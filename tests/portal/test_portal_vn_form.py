"""The Verwendungsnachweis in the portal (issue 23 item 10), in chromium at 1,280 px and 375 px.

The reminder leads to the form with the contact's own link; the form offers more rows without
"Prüfen", flags a missing signer in the error summary, never says "jetzt einreichen" (nor offers
the button) while Einreichen would be refused — here: the Jahresbericht waits for acceptance —,
and fits both widths without scrolling the page sideways (wide tables scroll in their box).
"""

from __future__ import annotations

import re
from collections.abc import Iterator

import pytest
from playwright.sync_api import Page, expect

from tests.conftest import ROOT
from tests.portal.conftest import KALTENMOOR, mint
from tests.portal.test_portal_browser import accessible, fill_vn, mails_to, portal_link, tick
from tests.web.conftest import Site, make_site, running

REPORT = ROOT / "tests" / "data" / "documents" / "jahresbericht-2026.md"
FORM = "/portal/verwendungsnachweis/kaltenmoor/2026"
WIDTHS = (1280, 375)


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Site]:
    s = make_site(tmp_path_factory.mktemp("portal-vn"), "2026-01-05T09:00")
    for stage in ("auftaktgespraech", "fachtag", "auswertungsgespraech"):
        s.ok("waive", "kaltenmoor", "2026", stage, "--reason", "Test", now="2026-12-01T09:00")
    s.ok("submit", "kaltenmoor", "2026", "jahresbericht", str(REPORT), now="2026-12-18T10:00")
    s.now = "2027-06-02T08:05"  # the first reminder of the Verwendungsnachweis is due
    with running(s):
        yield s


def _enter(site: Site, page: Page, path: str | None = None) -> None:
    page.goto(site.url + (path or f"/portal/anmelden/{mint(site, KALTENMOOR)}"))
    page.get_by_role("button", name="Weiter").click()


def _fits(page: Page) -> None:
    """No horizontal scrolling of the page itself."""
    assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth"), page.url


@pytest.mark.parametrize("width", WIDTHS)
def test_the_form_while_the_jahresbericht_waits_for_acceptance(
    site: Site, page: Page, width: int
) -> None:
    page.set_viewport_size({"width": width, "height": 900})
    _enter(site, page)
    page.goto(site.url + FORM)
    expect(page.get_by_text("Einreichen ist noch nicht möglich")).to_be_visible()
    expect(page.get_by_role("button", name="Einreichen")).to_have_count(0)
    _fits(page)
    accessible(page)

    # more rows without "Prüfen": the typed values stay, nothing is checked
    page.get_by_label("Name, Zeile 1", exact=True).fill("Hoffmann")
    expect(page.get_by_label("Name, Zeile 4", exact=True)).to_have_count(0)
    page.get_by_role("button", name="Weitere Zeilen").first.click()
    expect(page.get_by_label("Name, Zeile 6", exact=True)).to_be_visible()
    expect(page.get_by_label("Name, Zeile 1", exact=True)).to_have_value("Hoffmann")
    expect(page.locator("#fehlerliste")).to_have_count(0)
    _fits(page)

    # all rules met, but the Jahresbericht waits: never "jetzt einreichen"
    fill_vn(page, "9.880,00")
    page.get_by_role("button", name="Prüfen").click()
    status = page.get_by_role("status")
    expect(status).to_contain_text("Alle Regeln sind erfüllt. Einreichen ist noch nicht möglich")
    expect(status).not_to_contain_text("jetzt einreichen")
    expect(page.get_by_role("button", name="Einreichen")).to_have_count(0)
    _fits(page)
    accessible(page)

    # a missing signer: flagged in the summary (focused), linked to the field
    page.get_by_label("Name der unterzeichnenden Person").fill("")
    page.get_by_role("button", name="Prüfen").click()
    summary = page.locator("#fehlerliste")
    expect(summary).to_contain_text("rechtsverbindliche Unterschrift")
    assert page.evaluate("document.activeElement.id") == "fehlerliste"
    link = summary.get_by_role("link", name=re.compile("rechtsverbindliche Unterschrift"))
    expect(link).to_have_attribute("href", "#vn-unterschrift.name")
    signer = page.get_by_label("Name der unterzeichnenden Person")
    expect(signer).to_have_attribute("aria-invalid", "true")
    _fits(page)
    accessible(page)


def test_the_reminder_leads_to_the_form_with_the_contacts_own_link(site: Site, page: Page) -> None:
    site.ok("accept", "kaltenmoor", "2026", "jahresbericht", now="2027-06-01T10:00")
    tick(site)
    [reminder] = [
        m for m in mails_to(site, KALTENMOOR) if "Verwendungsnachweis" in str(m["Subject"])
    ]
    body = reminder.get_body(preferencelist=("plain",))
    assert body is not None
    text = body.get_content()
    assert "im Träger-Portal aus und reichen Sie ihn dort ein" in text
    assert f"?weiter={FORM}" in text
    link = portal_link(reminder)
    page.set_viewport_size({"width": 375, "height": 800})
    page.goto(site.url + link + f"?weiter={FORM}")
    page.get_by_role("button", name="Weiter").click()
    expect(page).to_have_url(site.url + FORM)
    expect(page.get_by_role("button", name="Einreichen")).to_be_visible()
    _fits(page)
    accessible(page)


def test_a_login_link_never_leads_off_the_portal(site: Site, page: Page) -> None:
    for wanted in ("https://evil.example.org/", "//evil.example.org/portal/", "/zyklus/x"):
        page.goto(f"{site.url}/portal/anmelden/{mint(site, KALTENMOOR)}?weiter={wanted}")
        page.get_by_role("button", name="Weiter").click()
        expect(page).to_have_url(f"{site.url}/portal/")
