"""Pictures where people would rather look than read (issue 23 item 13), in chromium.

The Zyklus page shows the pairing's year as a server-side SVG timeline, the Übersicht the
stages due against done per month: no script, nothing the CSP refuses (the browser would say
so in the console), a text alternative (``role="img"``, ``<title>``, ``<desc>``), axe-clean at
1,280 px and 375 px. The Abschlussnachweis PDF the Berichte page offers prints the same
timeline on the server's day.
"""

from __future__ import annotations

import html
import subprocess
from collections.abc import Iterator

import pytest
from playwright.sync_api import ConsoleMessage, Page, expect

from tests.web.conftest import PASSWORD, Site, login, make_site, running
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
    # one stage done, today once (the legend's samples are in their own group)
    expect(page.locator("svg#zeitleiste > circle.bild-haken")).to_have_count(1)
    expect(page.locator("svg#zeitleiste > line.bild-heute")).to_have_count(1)
    expect(svg.locator("g.bild-legende text.bild-klein")).to_have_text(
        ["offen", "erledigt", "überfällig", "Frist", "erledigt am", "heute"]
    )
    text = svg.locator("desc").text_content() or ""
    assert (
        "Auftaktgespräch: 01.01.2026 bis 31.03.2026, durchgeführt, erledigt am 10.03.2026" in text
    )
    assert "Verwendungsnachweis:" in text and "30.06.2027" in text
    frame = page.locator("figure.bild-rahmen").bounding_box()  # on a phone the picture keeps
    assert frame is not None and frame["width"] <= width  # its size and scrolls in its frame
    box = svg.bounding_box()
    assert box is not None and box["width"] >= 640
    assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")
    accessible(page)
    assert page.locator("script").count() == 0
    assert not [c for c in complaints if "Content Security Policy" in c], complaints


def test_the_abschlussnachweis_of_the_berichte_page_carries_the_timeline(site: Site) -> None:
    url = "/berichte/abschlussnachweis?pairing=kaltenmoor&jahr=2026&format=pdf"
    staff = login(site.url, "koord")
    try:
        assert html.escape(url) in staff.get("/berichte?jahr=2026").text
        answer = staff.get(url)
    finally:
        staff.close()
    assert answer.status_code == 200 and answer.content.startswith(b"%PDF")
    text = subprocess.run(
        ["pdftotext", "-layout", "-", "-"], input=answer.content, capture_output=True, check=True
    ).stdout.decode()
    section = " ".join(text[text.index("Zeitleiste") : text.index("Stufen\n")].split())
    assert "Stand 02.04.2026 (Datum dieses Nachweises)" in section  # the server's day
    assert "Jan Feb Mär Apr" in section and "Verwendungsnachweis" in section
    assert "Stufe Zeitfenster Stand" in section
    assert (
        "Auftaktgespräch 01.01.2026 bis 31.03.2026 durchgeführt, erledigt am 10.03.2026" in section
    )
    assert "Fachtag 01.04.2026 bis 30.09.2026 offen" in section
    fonts = subprocess.run(
        ["pdffonts", "-"], input=answer.content, capture_output=True, check=True
    ).stdout.decode()
    rows = fonts.splitlines()[2:]
    assert rows and all(row.split()[-5] == "yes" for row in rows), fonts
