"""The coordinator keeps the master data in a real browser (Debian's chromium), axe on every page.

A new Träger, Stadtteil and pairing with its contact → the cycle on the Übersicht → the next
tick's reminder in the Maildir addressed to the new contact; a contact change of a running
pairing → the old contact's link answers with the neutral page and the next reminder goes to
the new contact; a ``lesend`` user sees the pages and no form; ``zyklus init`` with the original
config changes none of it and says why; ``zyklus audit`` shows each change with actor, old and new.
"""

from __future__ import annotations

import json
import mailbox
from collections.abc import Iterator
from email import policy
from email.message import EmailMessage
from email.parser import BytesParser

import pytest
from playwright.sync_api import Page, expect

from tests.portal.conftest import mint
from tests.web.conftest import PASSWORD, Site, make_site, running
from tests.web.test_web_browser import accessible

NOW = "2026-02-02T08:00"
NEW_CONTACT = "n.neumann@nachbarschaft.example.org"
OLD_BOCKELSBERG = "m.yildiz@caritas-lueneburg.example.org"
NEW_BOCKELSBERG = "s.sommer@caritas-lueneburg.example.org"


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Site]:
    s = make_site(tmp_path_factory.mktemp("stammdaten-browser"), NOW)
    with running(s):
        yield s


def log_in(page: Page, site: Site, user: str) -> None:
    page.goto(f"{site.url}/anmelden")
    page.get_by_label("Benutzername").fill(user)
    page.get_by_label("Passwort").fill(PASSWORD)
    page.get_by_role("button", name="Anmelden").click()
    expect(page.get_by_role("heading", name="Übersicht 2026")).to_be_visible()


def save_and_confirm(page: Page, expected: str) -> None:
    page.get_by_role("button", name="Speichern", exact=True).first.click()
    expect(page.get_by_role("button", name="Speichern bestätigen")).to_be_visible()
    expect(page.locator("main")).to_contain_text(expected)
    accessible(page)
    page.get_by_role("button", name="Speichern bestätigen").click()
    expect(page.get_by_role("status")).to_contain_text("gespeichert")
    accessible(page)


def delivered(site: Site) -> list[EmailMessage]:
    box = mailbox.Maildir(site.folder / "var" / "mail", create=False)
    parser = BytesParser(policy=policy.default)
    found = [parser.parsebytes(box.get_bytes(key)) for key in box.iterkeys()]
    return [m for m in found if isinstance(m, EmailMessage)]


def test_the_coordinator_keeps_the_master_data_in_the_browser(site: Site, page: Page) -> None:
    old_link = mint(site, OLD_BOCKELSBERG)
    log_in(page, site, "koord")
    page.get_by_role("link", name="Stammdaten").click()
    expect(page.get_by_role("heading", name="Stammdaten", exact=True)).to_be_visible()
    accessible(page)

    page.get_by_role("link", name="Träger anlegen").click()
    accessible(page)
    page.get_by_label("Kennung").fill("nachbarschaft")
    page.get_by_label("Name (Pflichtfeld)", exact=True).fill("Nachbarschaftshilfe Lüneburg e. V.")
    page.get_by_label("Leitung (Pflichtfeld)", exact=True).fill("Greta Groß")
    page.get_by_label("E-Mail der Leitung").fill("leitung@nachbarschaft.example.org")
    page.get_by_label("Anschrift", exact=True).fill("Am Wasser 3, 21335 Lüneburg")
    save_and_confirm(page, "Träger „nachbarschaft“: neu")

    page.goto(f"{site.url}/stammdaten/neu/stadtteil")
    page.get_by_label("Kennung").fill("wilschenbruch")
    page.get_by_label("Name (Pflichtfeld)").fill("Wilschenbruch")
    save_and_confirm(page, "Stadtteil „wilschenbruch“: neu")

    page.goto(f"{site.url}/stammdaten/neu/partnerschaft")
    accessible(page)
    page.get_by_label("Kennung").fill("wilschenbruch")
    page.get_by_label("Träger (Pflichtfeld)").select_option("nachbarschaft")
    page.get_by_label("Stadtteil (Pflichtfeld)").select_option("wilschenbruch")
    page.get_by_label("Beginn").fill("2026-02-01")
    page.get_by_label("Name (Kontakt 1)").fill("Nora Neumann")
    page.get_by_label("E-Mail (Kontakt 1)").fill(NEW_CONTACT)
    save_and_confirm(page, "Eröffnet den Zyklus 2026 (Beginn 01.02.2026)")
    expect(page.locator("main")).to_contain_text("Partnerschaft angelegt")

    page.get_by_role("link", name="Übersicht").click()
    expect(page.get_by_role("link", name="Wilschenbruch")).to_be_visible()
    expect(page.locator("table tbody tr")).to_have_count(9)

    # Personalwechsel at a running pairing
    page.goto(f"{site.url}/stammdaten/partnerschaft/bockelsberg")
    accessible(page)
    form = page.locator("#form-aendern")
    form.get_by_label("Name (Kontakt 1)").fill("Svenja Sommer")
    form.get_by_label("E-Mail (Kontakt 1)").fill(NEW_BOCKELSBERG)
    form.get_by_role("button", name="Speichern").click()
    expect(page.locator("main")).to_contain_text("Kontaktwechsel")
    accessible(page)
    page.get_by_role("button", name="Speichern bestätigen").click()
    expect(page.get_by_role("status")).to_contain_text("gespeichert")
    expect(page.locator("main")).to_contain_text("Svenja Sommer")
    page.goto(f"{site.url}/portal/anmelden/{old_link}")
    expect(page.get_by_role("heading", name="Link nicht mehr gültig")).to_be_visible()

    # A reader sees the pages and no form
    page.goto(f"{site.url}/stammdaten")
    page.get_by_role("button", name="Abmelden").click()
    log_in(page, site, "lesend")
    page.goto(f"{site.url}/stammdaten")
    expect(page.get_by_role("link", name="wilschenbruch", exact=True)).to_be_visible()
    expect(page.get_by_role("link", name="Träger anlegen")).to_have_count(0)
    accessible(page)
    page.goto(f"{site.url}/stammdaten/partnerschaft/bockelsberg")
    expect(page.locator("form#form-aendern")).to_have_count(0)
    expect(page.get_by_role("button", name="Speichern")).to_have_count(0)
    expect(page.locator("main")).to_contain_text("Partnerschaft geändert")
    accessible(page)

    # The next reminders go to the new contacts
    site.now = "2026-03-03T08:05"  # four weeks before the Auftaktgespräch is due
    site.command("tick")
    mails = delivered(site)
    to_new = [m for m in mails if NEW_CONTACT in str(m["To"])]
    assert to_new, [(str(m["To"]), str(m["Subject"])) for m in mails]
    assert "Auftaktgespräch" in str(to_new[0]["Subject"])
    assert [m for m in mails if NEW_BOCKELSBERG in str(m["To"])]
    assert not [m for m in mails if OLD_BOCKELSBERG in f"{m['To']} {m['Cc']}"]

    # init with the original config keeps the edits and says why
    out = site.ok("init")
    assert "weichen von denen in der Datenbank ab" in out
    assert "zyklus stammdaten import config.toml" in out
    status = json.loads(site.ok("status", "--format", "json"))
    assert "wilschenbruch" in {c["pairing"] for c in status["cycles"]}
    audit = json.loads(site.ok("audit", "--format", "json"))
    changed = [e for e in audit if e["action"] == "pairing_geaendert"]
    assert [(e["actor"], e["pairing"]) for e in changed] == [("koord", "bockelsberg")]
    contacts = changed[0]["payload"]["aenderungen"]["contacts"]
    assert contacts["vorher"][0]["email"] == OLD_BOCKELSBERG
    assert contacts["nachher"][0]["email"] == NEW_BOCKELSBERG
    created = {(e["action"], e["actor"]) for e in audit if e["action"].endswith("_angelegt")}
    assert {("traeger_angelegt", "koord"), ("pairing_angelegt", "koord")} <= created
