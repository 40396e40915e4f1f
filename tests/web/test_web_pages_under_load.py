"""Issue 22 item 7: the Übersicht in pages of 100 with counts over the whole filter, and
``ETag``/304 for unchanged views that changes with every data change, per user and per role.

A real ``zyklus web`` on a generated workspace of 230 pairings (``bench/fixtures.py``).
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from contextlib import closing
from pathlib import Path

import httpx
import pytest
from playwright.sync_api import Page, expect

from bench.fixtures import workspace
from tests.web.conftest import PASSWORD, SECRET, Site, login, running
from tests.web.test_web_browser import accessible

PAIRINGS = 230
NOW = "2026-03-03T08:05"


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Site]:
    folder = tmp_path_factory.mktemp("viele")
    workspace(folder, PAIRINGS)
    s = Site(folder, NOW, {"ZYKLUS_WEB_SECRET": SECRET, "ZYKLUS_USER": "test"})
    s.ok("init")
    s.env["ZYKLUS_PASSWORD"] = PASSWORD
    for login_, role in (("koord", "koordinierungsstelle"), ("lesend", "lesend")):
        s.ok("user", "add", login_, "--role", role, "--name", f"Frau {login_.title()}")
    s.ok("user", "add", "lesend2", "--role", "lesend", "--name", "Herr Zwei")
    del s.env["ZYKLUS_PASSWORD"]
    with running(s):
        yield s


def _pairings(html: str) -> list[str]:
    return re.findall(r'<th scope="row"><a href="/zyklus/([^/"]+)/2026">', html)


def _count(html: str, label: str) -> int:
    found = re.search(rf"<strong>(\d+)</strong> {label}", html)
    assert found, label
    return int(found.group(1))


def test_the_uebersicht_shows_100_pairings_per_page_and_counts_the_whole_filter(site: Site):
    with closing(login(site.url, "lesend")) as c:
        first = c.get("/")
        assert first.status_code == 200
        shown = _pairings(first.text)
        assert len(shown) == 100
        assert _count(first.text, "Zyklen") == PAIRINGS
        assert "Seite 1 von 3" in first.text and "alle anzeigen" in first.text
        third = c.get("/", params={"seite": "3"})
        assert len(_pairings(third.text)) == PAIRINGS - 200
        assert _count(third.text, "Zyklen") == PAIRINGS
        every = c.get("/", params={"alle": "1"})
        all_pairings = _pairings(every.text)
        assert len(all_pairings) == PAIRINGS and len(set(all_pairings)) == PAIRINGS
        assert "seitenweise anzeigen" in every.text
        pages = [_pairings(c.get("/", params={"seite": str(n)}).text) for n in (1, 2, 3)]
        assert [p for page in pages for p in page] == all_pairings  # no gap, no repeat
        # a page past the end shows the last one; a page that is no number is refused in German
        assert _pairings(c.get("/", params={"seite": "99"}).text) == pages[2]
        bad = c.get("/", params={"seite": "zwei"})
        assert bad.status_code == 400 and "Seite" in bad.text
        # the filter stays in the page links, and the counts follow the filter
        filtered = c.get("/", params={"traeger": "traeger-0"})
        assert _count(filtered.text, "Zyklen") == 25
        assert "seite=" not in filtered.text  # one page: no page links


def test_an_unchanged_view_answers_304_and_any_change_gives_a_new_etag(site: Site):
    with closing(login(site.url, "lesend")) as c, closing(login(site.url, "koord")) as k:
        page = c.get("/")
        tag = page.headers["etag"]
        assert page.headers["cache-control"] == "private, no-cache"
        again = c.get("/", headers={"if-none-match": tag})
        assert again.status_code == 304 and again.content == b""
        assert again.headers["etag"] == tag
        # another page, another query, another user, another role: another tag
        assert c.get("/", params={"seite": "2"}).headers["etag"] != tag
        assert k.get("/").headers["etag"] != tag
        with closing(login(site.url, "lesend2")) as other:
            same_role = other.get("/", headers={"if-none-match": tag})
            assert same_role.status_code == 200 and same_role.headers["etag"] != tag
        cycle = c.get("/zyklus/paar-5/2026")
        cycle_tag = cycle.headers["etag"]
        assert c.get("/zyklus/paar-5/2026", headers={"if-none-match": cycle_tag}).status_code == 304
        # a change anywhere (here: a note on another pairing, by the CLI) changes both tags
        site.ok("note", "paar-7", "2026", "Gespräch vereinbart")
        changed = c.get("/", headers={"if-none-match": tag})
        assert changed.status_code == 200 and changed.headers["etag"] != tag
        fresh = c.get("/zyklus/paar-5/2026", headers={"if-none-match": cycle_tag})
        assert fresh.status_code == 200 and fresh.headers["etag"] != cycle_tag
        # a stage change shows at once on the next request with the new tag
        site.ok("schedule", "paar-0", "2026", "auftaktgespraech", "--at", "2026-03-20T10:00")
        after = c.get("/", headers={"if-none-match": changed.headers["etag"]})
        assert after.status_code == 200 and "Termin 20.03.2026" in after.text


def test_a_page_with_a_message_to_show_once_is_not_tagged(site: Site, tmp_path: Path):
    with closing(login(site.url, "koord")) as k:
        form = k.get("/zyklus/paar-9/2026").text
        token = re.search(r'name="csrftoken" value="([^"]+)"', form)
        assert token
        done = k.post(
            "/zyklus/paar-9/2026/notiz", data={"csrftoken": token.group(1), "text": "Hallo"}
        )
        assert done.status_code == 303
        shown = k.get("/zyklus/paar-9/2026")
        assert "etag" not in shown.headers  # the confirmation is shown once
        assert k.get("/zyklus/paar-9/2026").headers.get("etag")


def test_without_a_session_there_is_no_304_but_the_login(site: Site):
    with httpx.Client(base_url=site.url) as anonymous:
        answer = anonymous.get("/", headers={"if-none-match": "*"}, follow_redirects=False)
        assert answer.status_code == 303 and "/anmelden" in answer.headers["location"]


def test_the_pages_of_the_uebersicht_in_a_browser_by_keyboard(site: Site, page: Page):
    page.goto(f"{site.url}/anmelden")
    page.get_by_label("Benutzername").fill("lesend")
    page.get_by_label("Passwort").fill(PASSWORD)
    page.get_by_role("button", name="Anmelden").click()
    expect(page.get_by_role("heading", name="Übersicht 2026")).to_be_visible()
    expect(page.locator("table tbody tr")).to_have_count(100)
    expect(page.get_by_role("navigation", name="Seiten der Übersicht (oben)")).to_be_visible()
    accessible(page)
    page.get_by_role("link", name="nächste Seite").first.focus()
    page.keyboard.press("Enter")
    expect(page).to_have_url(f"{site.url}/?jahr=2026&seite=2")
    expect(page.get_by_text("Seite 2 von 3").first).to_be_visible()
    page.get_by_role("link", name="alle anzeigen").first.click()
    expect(page.locator("table tbody tr")).to_have_count(PAIRINGS)
    accessible(page)
    page.reload()  # the browser asks with If-None-Match and shows its copy on 304
    expect(page.locator("table tbody tr")).to_have_count(PAIRINGS)
