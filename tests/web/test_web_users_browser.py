"""The Benutzer page and the set-password page in a real browser (Debian's chromium), axe on
each: a coordinator adds a colleague, the colleague sets the password with the mailed link
and signs in."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from playwright.sync_api import Page, expect

from tests.web.conftest import Site, make_site, running
from tests.web.test_web_browser import accessible, sign_in, sign_out
from tests.web.test_web_users import NEW_PASSWORD, _link_of

NOW = "2026-04-02T08:00"


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Site]:
    s = make_site(tmp_path_factory.mktemp("benutzer-browser"), NOW)
    with running(s):
        yield s


def test_a_coordinator_adds_a_colleague_who_sets_a_password_and_signs_in(site: Site, page: Page):
    sign_in(page, site, "koord")
    page.get_by_role("link", name="Benutzer").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Benutzer")
    accessible(page)
    page.get_by_label("E-Mail (Pflichtfeld)").fill("keine-adresse")
    page.get_by_label("Benutzername (Pflichtfeld)").fill("l.brandt")
    page.get_by_label("Name (Pflichtfeld)", exact=True).fill("Lea Brandt")
    page.get_by_label("E-Mail (Pflichtfeld)").evaluate("e => e.type = 'text'")  # past the browser
    page.get_by_role("button", name="Speichern").click()
    expect(page.locator("#fehler-email")).to_contain_text("keine gültige E-Mail-Adresse")
    accessible(page)
    page.get_by_label("E-Mail (Pflichtfeld)").fill("l.brandt@stadt.example")
    page.get_by_label("Rolle", exact=True).select_option("stabsstellenleitung")
    page.get_by_role("button", name="Speichern").click()
    expect(page.get_by_role("status")).to_contain_text("l.brandt@stadt.example")
    expect(page.get_by_role("cell", name="Lea Brandt")).to_be_visible()
    sign_out(page)

    token = _link_of(site, "l.brandt@stadt.example")
    page.goto(f"{site.url}/passwort/{token}")
    expect(page.get_by_role("heading", level=1)).to_have_text("Passwort festlegen")
    accessible(page)
    page.get_by_label("Neues Passwort").fill(NEW_PASSWORD)
    page.get_by_label("Passwort wiederholen").fill(NEW_PASSWORD)
    page.get_by_role("button", name="Passwort speichern").click()
    expect(page.get_by_text("Ihr Passwort ist festgelegt.")).to_be_visible()
    page.get_by_label("Benutzername").fill("l.brandt")
    page.get_by_label("Passwort").fill(NEW_PASSWORD)
    page.get_by_role("button", name="Anmelden").click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("Übersicht")
    expect(page.get_by_role("link", name="Benutzer")).to_have_count(0)  # not for her role
    sign_out(page)
    page.goto(f"{site.url}/passwort/{token}")
    expect(page.get_by_text("nicht (mehr) gültig")).to_be_visible()
    accessible(page)
