"""Single sign-on in a real browser (Debian's chromium) against ``oidc-provider-mock``: the
button, the provider's own form, the Übersicht as Koordinierungsstelle recording a note; a
``lesend`` group sees no forms; an unmapped group gets the refusal page and no session."""

from __future__ import annotations

import re
from collections.abc import Iterator

import pytest
from playwright.sync_api import Page, expect

from tests.web import conftest as web_conftest
from tests.web.conftest import Site
from tests.web.sso_support import KOORDINATION, LESEND, mock_provider, set_user, sso_site
from tests.web.test_web_browser import accessible


@pytest.fixture(scope="module")
def issuer() -> Iterator[str]:
    with mock_provider() as found:
        yield found


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory, issuer: str) -> Iterator[Site]:
    """``base_url`` is where this site really listens: the provider sends the browser there."""
    s = sso_site(tmp_path_factory.mktemp("sso-browser"), issuer)
    port = web_conftest.free_port()
    text = s.config.read_text(encoding="utf-8")
    text = re.sub(r"(?m)^base_url = .*$", f'base_url = "http://127.0.0.1:{port}"', text, count=1)
    s.config.write_text(text, encoding="utf-8")
    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(web_conftest, "free_port", lambda: port)
        s.start()
    try:
        yield s
    finally:
        s.stop()


def sso_sign_in(page: Page, site: Site, sub: str) -> None:
    page.goto(f"{site.url}/anmelden")
    page.get_by_role("link", name="Mit dem Konto der Stadt anmelden").click()
    expect(page.get_by_role("heading", name="Authorize Client")).to_be_visible()  # the provider
    page.get_by_placeholder("sub").fill(sub)
    page.get_by_role("button", name="Authorize").click()


def test_staff_sign_in_with_the_citys_account_in_the_browser(site: Site, issuer: str, page: Page):
    set_user(issuer, "sub-klara", preferred_username="klara.kern", name="Klara Kern",
             email="klara.kern@stadt.example", groups=[KOORDINATION])  # fmt: skip
    page.goto(f"{site.url}/anmelden")
    accessible(page)
    sso_sign_in(page, site, "sub-klara")
    expect(page.get_by_role("heading", level=1)).to_contain_text("Übersicht")
    expect(page.get_by_text("Klara Kern (Koordinierungsstelle)")).to_be_visible()
    accessible(page)
    page.goto(f"{site.url}/zyklus/kaltenmoor/2026")
    form = page.locator("#form-notiz")
    form.get_by_label("Notiz").fill("Über das Konto der Stadt angemeldet")
    form.get_by_role("button", name="Notiz speichern").click()
    expect(page.get_by_role("status")).to_contain_text("Notiz gespeichert.")
    assert "klara.kern" in site.ok("audit", "--pairing", "kaltenmoor")
    page.get_by_role("button", name="Abmelden").click()
    expect(page).to_have_url(re.compile(rf"^{re.escape(issuer)}/oauth2/end_session"))

    set_user(issuer, "sub-lutz", preferred_username="lutz.lang", name="Lutz Lang",
             groups=[LESEND])  # fmt: skip
    sso_sign_in(page, site, "sub-lutz")
    expect(page.get_by_text("Lutz Lang (lesend)")).to_be_visible()
    page.goto(f"{site.url}/zyklus/kaltenmoor/2026")
    expect(page.get_by_role("heading", level=1)).to_contain_text("Kaltenmoor")
    expect(page.locator("main form")).to_have_count(0)  # reads, records nothing
    accessible(page)
    page.get_by_role("button", name="Abmelden").click()
    # The logged-out page sends the browser on to the provider: wait for it, or the next
    # page.goto races with that navigation.
    expect(page).to_have_url(re.compile(rf"^{re.escape(issuer)}/oauth2/end_session"))

    set_user(issuer, "sub-uwe", preferred_username="uwe.u", name="Uwe U", groups=["bauamt"])
    sso_sign_in(page, site, "sub-uwe")
    expect(page.get_by_role("heading", level=1)).to_have_text("Keine Berechtigung")
    expect(page.get_by_text("keiner Rolle in zyklus zugeordnet")).to_be_visible()
    accessible(page)
    page.goto(f"{site.url}/")
    expect(page).to_have_url(f"{site.url}/anmelden?weiter=/")  # no session
    assert "uwe.u" not in site.ok("user", "list")
