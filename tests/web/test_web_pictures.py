"""Pictures where people would rather look than read (issue 23 item 13), in chromium.

The Zyklus page shows the pairing's year as a server-side SVG timeline, the Übersicht the
stages due against done per month: no script, nothing the CSP refuses (the browser would say
so in the console), a text alternative (``role="img"``, ``<title>``, ``<desc>``), axe-clean at
1,280 px and 375 px.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from playwright.sync_api import ConsoleMessage, Page, expect

from tests.web.conftest import PASSWORD, Site, make_site, running
from tests.web.test_web_browser import accessible

NOW = "2026-04-02T08:00"


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Site]:
    s = make_site(tmp_path_factory.mktemp("pictures"), NOW)
    s.ok("complete", "kaltenmoor", "2026", "auftaktgespraech", "--on", "2026-03-10",
         "--participants", "3", now="2026-03-10T12:00")  # fmt: skip
    with running(s):
        yield s


@pytest.mark.parametrize("width", [1280, 375])
def test_the_timeline_and_the_chart(site: Site, page: Page, width: int) -> None:
    complaints: list[str] = []

    def listen(message: ConsoleMessage) -> None:
        if message.type in ("error", "warning"):
            complaints.append(message.text)

    page.on("console", listen)
    page.set_viewport_size({"width": width, "height": 900})
    page.goto(f"{site.url}/anmelden")
    page.get_by_label("Benutzername").fill("koord")
    page.get_by_label("Passwort").fill(PASSWORD)
    page.get_by_role("button", name="Anmelden").click()

    chart = page.locator("svg#erledigt-faellig")
    expect(chart).to_have_attribute("role", "img")
    expect(chart.locator("title")).to_have_text("Stufen 2026: fällig und erledigt je Monat")
    desc = chart.locator("desc").text_content() or ""
    assert "März 2026: 8 fällig, 1 erledigt" in desc  # every Auftaktgespräch; Kaltenmoor's done
    assert page.get_by_role("img", name="Stufen 2026: fällig und erledigt je Monat").is_visible()
    accessible(page)

    page.goto(f"{site.url}/zyklus/kaltenmoor/2026")
    timeline = page.get_by_role("img", name="Zeitleiste: Zyklus 2026 · Kaltenmoor")
    expect(timeline).to_be_visible()
    svg = page.locator("svg#zeitleiste")
    expect(svg.locator("circle.bild-haken")).to_have_count(1)  # one stage done
    expect(svg.locator("line.bild-heute")).to_have_count(1)
    text = svg.locator("desc").text_content() or ""
    assert (
        "Auftaktgespräch: 01.01.2026 bis 31.03.2026, durchgeführt, erledigt am 10.03.2026" in text
    )
    assert "Verwendungsnachweis:" in text and "30.06.2027" in text
    box = svg.bounding_box()
    assert box is not None and box["width"] <= width
    assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")
    accessible(page)
    assert page.locator("script").count() == 0
    assert not [c for c in complaints if "Content Security Policy" in c], complaints
