"""The daily view (issue 23 item 12), on 08.06.2027 with the 2026 cycles still open.

The Übersicht opens on the oldest year with open work and names the others; "Wartet auf mich"
lists per role what waits for it, each with a link; a date a Träger proposed in the portal is
taken over with one button — the same ``schedule`` command, audited as the coordinator.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Page, expect

from tests.portal.conftest import KALTENMOOR, exchange, mint
from tests.web.conftest import PASSWORD, Site, csrf, login, make_site, running
from tests.web.test_web_browser import accessible

DATA = Path(__file__).resolve().parents[1] / "data" / "documents" / "verwendungsnachweis-2026.toml"
REPORT = Path(__file__).resolve().parents[2] / "demo" / "jahresbericht-kaltenmoor-2026.md"
EARLIER = ("auftaktgespraech", "fachtag", "auswertungsgespraech")
VN = "verwendungsnachweis"


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Site]:
    s = make_site(tmp_path_factory.mktemp("daily"), "2026-01-05T09:00")
    for pairing in ("kaltenmoor", "bockelsberg", "ebensberg", "kreideberg"):
        for stage in EARLIER:
            s.ok("waive", pairing, "2026", stage, "--reason", "Test", now="2026-12-01T09:00")
    s.ok("submit", "kaltenmoor", "2026", "jahresbericht", str(REPORT), now="2026-12-18T10:00")
    for pairing in ("bockelsberg", "ebensberg", "kreideberg"):
        s.ok("waive", pairing, "2026", "jahresbericht", "--reason", "Test", now="2026-12-20T09:00")
        s.ok("submit", pairing, "2026", VN, str(DATA), now="2027-05-20T10:00")
    for pairing in ("ebensberg", "kreideberg"):  # checked by another person (four eyes)
        s.ok("check", pairing, "2026", VN, "--by", "K. Kollegin", now="2027-05-25T10:00")
    s.ok("acknowledge", "kreideberg", "2026", VN, "--by", "Frau Stab", now="2027-06-01T10:00")
    s.now = "2027-06-08T12:00"
    s.ok("tick", now="2027-06-08T11:00")  # opens the 2027 cycles, an hour before the proposal
    with running(s):
        portal = login_contact(s)
        token = csrf(portal.get("/portal/termine").text)
        base = "/portal/termine/kaltenmoor/2027/auftaktgespraech"
        sent = portal.post(
            f"{base}/vorschlagen", data={"csrftoken": token, "termin1": "2027-06-21T10:00"}
        )
        assert sent.status_code == 303, sent.text
        portal.close()
        yield s


def login_contact(site: Site):  # type: ignore[no-untyped-def]
    import httpx

    client = httpx.Client(base_url=site.url, follow_redirects=False, timeout=30)
    assert exchange(client, mint(site, KALTENMOOR)).status_code == 303
    return client


def _waiting(site: Site, user: str) -> list[str]:
    client = login(site.url, user)
    try:
        page = client.get("/")
    finally:
        client.close()
    assert page.status_code == 200
    section = re.search(r'<section class="wartet".*?</section>', page.text, re.S)
    assert section
    return re.findall(r'<a href="[^"]+">([^<]+)</a>', section.group(0))


def test_each_role_sees_what_waits_for_it(site: Site) -> None:
    assert _waiting(site, "koord") == [
        "Jahresbericht 2026 · Kaltenmoor: annehmen",
        "Verwendungsnachweis 2026 · Bockelsberg: rechnerisch prüfen",
        "Auftaktgespräch 2027 · Kaltenmoor: Terminvorschlag beantworten",
    ]
    assert _waiting(site, "stab") == ["Verwendungsnachweis 2026 · Ebensberg: zur Kenntnis nehmen"]
    assert _waiting(site, "ablage") == ["Verwendungsnachweis 2026 · Kreideberg/Ochtmissen: ablegen"]
    assert _waiting(site, "lesend") == []


def test_the_overview_opens_on_the_oldest_year_with_open_work(site: Site, page: Page) -> None:
    page.goto(f"{site.url}/anmelden")
    page.get_by_label("Benutzername").fill("koord")
    page.get_by_label("Passwort").fill(PASSWORD)
    page.get_by_role("button", name="Anmelden").click()
    expect(page.get_by_role("heading", name="Übersicht 2026")).to_be_visible()
    expect(page.get_by_text("Offene Arbeit auch in:")).to_contain_text("2027")
    accessible(page)
    page.get_by_role(
        "link", name="Verwendungsnachweis 2026 · Bockelsberg: rechnerisch prüfen"
    ).click()
    expect(page).to_have_url(f"{site.url}/zyklus/bockelsberg/2026/verwendungsnachweis")

    # the proposal: one button takes it over (the schedule command, as the coordinator)
    page.goto(f"{site.url}/")
    page.get_by_role(
        "link", name="Auftaktgespräch 2027 · Kaltenmoor: Terminvorschlag beantworten"
    ).click()
    expect(page).to_have_url(re.compile(r"/zyklus/kaltenmoor/2027#antworten-auftaktgespraech$"))
    accessible(page)
    page.get_by_role("button", name="Vorschlag übernehmen: 21.06.2027, 10:00 Uhr").click()
    expect(page.get_by_role("status")).to_contain_text("offen → terminiert")
    data = json.loads(site.ok("status", "--year", "2027", "--format", "json"))
    stage = {c["pairing"]: c["stages"] for c in data["cycles"]}["kaltenmoor"]["auftaktgespraech"]
    assert stage["status"] == "terminiert"
    assert stage["scheduled_at"].startswith("2027-06-21T10:00")
    audit = json.loads(site.ok("audit", "--pairing", "kaltenmoor", "--format", "json"))
    assert [e["actor"] for e in audit if e["action"] == "schedule"][-1] == "koord"
    assert "Terminvorschlag beantworten" not in " ".join(_waiting(site, "koord"))


def test_the_berichte_page_opens_on_the_same_year_as_the_overview(site: Site) -> None:
    """June 2027: the 2026 cycles still have open work, so Berichte offers their documents."""
    client = login(site.url, "koord")
    try:
        page = client.get("/berichte").text
        assert "<h2>Alle Partnerschaften 2026</h2>" in page
        assert "/berichte/verwendungsnachweis?pairing=kaltenmoor&amp;jahr=2026" in page
        chosen = client.get("/berichte?jahr=2027").text  # an explicit year still wins
        assert "<h2>Alle Partnerschaften 2027</h2>" in chosen
    finally:
        client.close()
