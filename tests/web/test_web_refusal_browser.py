"""Refusals where the eye is, forms that do not trap (issue 23 items 5 and 6), in chromium.

A refused form comes back with the GOV.UK error summary first in <main>: it has the focus
(``document.activeElement``), links each message to its field, the typed values are kept and
the field is marked (``aria-invalid``, ``aria-describedby``). The correction's kind is a
required choice without a default; "Durchgeführt am" starts at the scheduled day.
"""

from __future__ import annotations

import json
from collections.abc import Iterator

import pytest
from playwright.sync_api import Page, expect

from tests.web.conftest import PASSWORD, Site, make_site, running
from tests.web.test_web_browser import accessible

NOW = "2026-04-02T08:00"


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Site]:
    s = make_site(tmp_path_factory.mktemp("refusals"), NOW)
    # held last week, recorded as scheduled before it: the form should offer that day
    s.ok("schedule", "kaltenmoor", "2026", "auftaktgespraech", "--at", "2026-03-26T10:00",
         "--location", "Stadtteilhaus", now="2026-03-20T09:00")  # fmt: skip
    with running(s):
        yield s


def _login(site: Site, page: Page) -> None:
    page.goto(f"{site.url}/anmelden")
    page.get_by_label("Benutzername").fill("koord")
    page.get_by_label("Passwort").fill(PASSWORD)
    page.get_by_role("button", name="Anmelden").click()


def _stage(site: Site, stage: str) -> dict[str, object]:
    data = json.loads(site.ok("status", "--year", "2026", "--format", "json"))
    cycles = {c["pairing"]: c["stages"] for c in data["cycles"]}
    return dict(cycles["kaltenmoor"][stage])


def test_a_refused_form_puts_the_focus_on_the_summary_that_links_the_field(
    site: Site, page: Page
) -> None:
    _login(site, page)
    page.goto(f"{site.url}/zyklus/kaltenmoor/2026")
    form = page.locator("#form-auftaktgespraech-complete")
    form.get_by_label("Durchgeführt am").fill("2026-05-01")
    form.get_by_label("Teilnehmende").fill("Kim Koordination")
    form.get_by_role("button", name="Als durchgeführt erfassen").click()

    summary = page.locator("#fehlerliste")
    expect(summary).to_be_visible()
    expect(summary).to_contain_text("es wurde nichts gespeichert")
    assert page.evaluate("document.activeElement.id") == "fehlerliste"
    # first in <main>, above the page's heading
    assert page.evaluate("document.querySelector('main').firstElementChild.id") == "fehlerliste"
    link = summary.get_by_role("link", name="01.05.2026 liegt in der Zukunft")
    expect(link).to_have_attribute("href", "#auftaktgespraech-complete-on")
    field = page.locator("#auftaktgespraech-complete-on")
    expect(field).to_have_value("2026-05-01")  # typed values are kept
    expect(page.locator("#auftaktgespraech-complete-participants")).to_have_value(
        "Kim Koordination"
    )
    expect(field).to_have_attribute("aria-invalid", "true")
    described = field.get_attribute("aria-describedby")
    assert (
        described
        and "01.05.2026 liegt in der Zukunft" in page.locator(f"#{described}").inner_text()
    )
    link.click()
    assert page.evaluate("document.activeElement.id") == "auftaktgespraech-complete-on"
    accessible(page)
    assert _stage(site, "auftaktgespraech")["status"] == "terminiert"


def test_the_correction_kind_has_no_default_and_is_required(site: Site, page: Page) -> None:
    _login(site, page)
    page.goto(f"{site.url}/zyklus/kaltenmoor/2026")
    form = page.locator("#form-auftaktgespraech-correct")
    expect(form.get_by_role("radio")).to_have_count(3)
    for radio in form.get_by_role("radio").all():
        expect(radio).not_to_be_checked()
    form.get_by_label("Richtiger Termin").fill("2026-03-27T10:00")
    form.get_by_label("Grund").fill("Tippfehler")
    form.get_by_role("button").click()
    summary = page.locator("#fehlerliste")
    expect(summary).to_contain_text("Was korrigieren? Bitte eine der Möglichkeiten wählen.")
    assert page.evaluate("document.activeElement.id") == "fehlerliste"
    group = page.locator("#auftaktgespraech-correct-reopen")
    expect(group).to_have_attribute("aria-invalid", "true")
    expect(page.locator("#auftaktgespraech-correct-at")).to_have_value("2026-03-27T10:00")
    accessible(page)
    stage = _stage(site, "auftaktgespraech")
    assert stage["status"] == "terminiert"
    assert str(stage["scheduled_at"]).startswith("2026-03-26T10:00")


def test_durchgefuehrt_am_starts_at_the_scheduled_day(site: Site, page: Page) -> None:
    _login(site, page)
    page.goto(f"{site.url}/zyklus/kaltenmoor/2026")
    held = page.locator("#form-auftaktgespraech-complete").get_by_label("Durchgeführt am")
    expect(held).to_have_value("2026-03-26")
    # a meeting without a date offers an empty field
    page.goto(f"{site.url}/zyklus/bockelsberg/2026")
    empty = page.locator("#form-auftaktgespraech-complete").get_by_label("Durchgeführt am")
    expect(empty).to_have_value("")
