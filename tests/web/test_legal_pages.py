"""The pages every public body publishes (SPEC §18): linked in the footer of every staff and
portal page (the login pages included), public, rendered from Markdown without raw HTML; the
accessibility statement names its date and a working feedback channel. A real ``zyklus web``
and Debian's chromium; every page visited is checked with axe."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from axe_playwright_python.sync_playwright import Axe
from playwright.sync_api import Page, expect

from tests.conftest import Run
from tests.portal.conftest import KALTENMOOR, mint
from tests.web.conftest import PASSWORD, Site, make_site, running

LINKS = {
    "Datenschutz": "/datenschutz",
    "Impressum": "/impressum",
    "Barrierefreiheit": "/barrierefreiheit",
}
STAFF_PAGES = (
    "/",
    "/termin",
    "/postausgang",
    "/vorschau",
    "/protokoll",
    "/berichte",
    "/auskunft",
    "/zyklus/kaltenmoor/2026",
    "/zyklus/kaltenmoor/2026/verwendungsnachweis",
    "/gibt-es-nicht",
)
PORTAL_PAGES = (
    "/portal/",
    "/portal/termine",
    "/portal/jahresbericht",
    "/portal/verwendungsnachweis",
    "/portal/kalender",
)
_axe = Axe()


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Site]:
    folder = tmp_path_factory.mktemp("rechtliches")
    s = make_site(folder, "2026-05-04T09:00")
    (folder / "datenschutz.md").write_text(
        "# Datenschutz der Stadt\n\n<script>alert(1)</script>\n\n"
        "[Klick](javascript:alert(2)) und [Stadt](https://www.lueneburg.de)\n",
        encoding="utf-8",
    )
    text = (folder / "config.toml").read_text(encoding="utf-8")
    text += '\n[rechtliches]\ndatenschutz = "datenschutz.md"\nstand = 2026-11-30\n'
    (folder / "config.toml").write_text(text, encoding="utf-8")
    with running(s):
        yield s


def footer_and_axe(page: Page) -> None:
    footer = page.locator("footer")
    for label, href in LINKS.items():
        link = footer.get_by_role("link", name=label, exact=True)
        expect(link).to_have_attribute("href", href)
    bad = [
        (v["id"], [n["target"] for n in v["nodes"]][:3])
        for v in _axe.run(page).response["violations"]
        if v["impact"] in ("serious", "critical")
    ]
    assert bad == [], page.url


def test_every_staff_and_portal_page_links_the_three_legal_pages(site: Site, page: Page):
    page.goto(f"{site.url}/anmelden")
    footer_and_axe(page)  # the login page, before anyone is logged in
    page.get_by_label("Benutzername").fill("koord")
    page.get_by_label("Passwort").fill(PASSWORD)
    page.get_by_role("button", name="Anmelden").click()
    for path in STAFF_PAGES:
        page.goto(site.url + path)
        footer_and_axe(page)
    page.goto(f"{site.url}/portal/neuer-link")  # the portal's login page
    footer_and_axe(page)
    page.goto(f"{site.url}/portal/anmelden/{mint(site, KALTENMOOR)}")
    footer_and_axe(page)
    page.get_by_role("button").first.click()
    for path in PORTAL_PAGES:
        page.goto(site.url + path)
        footer_and_axe(page)
    page.get_by_role("button", name="Abmelden").click()
    footer_and_axe(page)
    for label in LINKS:  # each legal page is reachable from the footer, and accessible itself
        page.locator("footer").get_by_role("link", name=label, exact=True).click()
        footer_and_axe(page)
        expect(page.locator("h1")).to_have_count(1)


def test_every_page_reflows_at_320_px_without_scrolling_sideways(site: Site, page: Page):
    """WCAG 1.4.10 (and zoom 400 % of 1280 px): only a wide data table scrolls, inside the
    content area; the page itself is never wider than the window."""
    page.set_viewport_size({"width": 320, "height": 640})
    page.goto(f"{site.url}/anmelden")
    wide = []
    page.get_by_label("Benutzername").fill("koord")
    page.get_by_label("Passwort").fill(PASSWORD)
    page.get_by_role("button", name="Anmelden").click()
    paths = (*STAFF_PAGES, *LINKS.values())
    page.goto(f"{site.url}/portal/anmelden/{mint(site, KALTENMOOR)}")
    page.get_by_role("button").first.click()
    for path in (*paths, *PORTAL_PAGES):
        page.goto(site.url + path)
        width = page.evaluate("document.documentElement.scrollWidth")
        if width > 320:
            wide.append((path, width))
    assert wide == []


def test_the_accessibility_statement_names_its_date_and_a_feedback_channel(site: Site):
    answer = httpx.get(f"{site.url}/barrierefreiheit", follow_redirects=False)
    assert answer.status_code == 200  # public: no login
    html = answer.text
    assert "Erklärung zur Barrierefreiheit" in html
    assert "am 30.11.2026 erstellt" in html
    assert "Nicht barrierefreie Inhalte" in html and "Schlichtungsverfahren" in html
    assert 'href="mailto:stadtteilarbeit@stadt-lueneburg.example.org?subject=' in html
    assert "NBGG" in html and "BITV 2.0" in html


def test_a_legal_text_cannot_bring_markup_or_scripts(site: Site):
    html = httpx.get(f"{site.url}/datenschutz").text
    assert "<h1>Datenschutz der Stadt</h1>" in html
    assert "<script>" not in html and "&lt;script&gt;" in html
    assert 'href="javascript:' not in html
    assert '<a href="https://www.lueneburg.de">Stadt</a>' in html


def test_the_shipped_defaults_say_what_must_be_filled_in(site: Site):
    for path in ("/impressum", "/barrierefreiheit"):
        html = httpx.get(site.url + path).text
        assert "BITTE AUSFÜLLEN" in html, path


def test_a_missing_legal_text_is_a_config_error_naming_the_key(zyklus: Run, workspace: Path):
    config = workspace / "config.toml"
    config.write_text(
        config.read_text(encoding="utf-8") + '\n[rechtliches]\nimpressum = "fehlt.md"\n',
        encoding="utf-8",
    )
    result = zyklus("status")
    assert result.code == 2
    assert "rechtliches.impressum: Datei „fehlt.md“ nicht gefunden" in result.err
