"""One status query on every surface: a stage waiting for the city is never overdue.

The Jahresbericht 2026 of kaltenmoor (due 31.12.2026) is handed in late, on 20.01.2027, and not
yet accepted. On 10.02.2027 it has waited 21 days for the Prüfung; it is not "41 Tage
überfällig" — not in ``zyklus status``, the Übersicht, the Zyklus page, the portal's Meine Fristen
nor the weekly overview (the portal once computed its own "überfällig" and said so).
"""

from __future__ import annotations

import json
import mailbox
import re
from collections.abc import Iterator
from email import message_from_bytes, policy
from email.message import EmailMessage

import pytest

from tests.conftest import ROOT
from tests.portal.conftest import KALTENMOOR, Clients, enter
from tests.web.conftest import Site, login, make_site, running

NOW = "2027-02-10T09:00"
WAITING = "wartet seit 21 Tagen auf Prüfung"
LATE = "41 Tage überfällig"


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Site]:
    s = make_site(tmp_path_factory.mktemp("one-status"), NOW)
    for stage in ("auftaktgespraech", "fachtag", "auswertungsgespraech"):
        s.ok("complete", "kaltenmoor", "2026", stage, "--on", "2026-11-20", now="2026-11-20T12:00")
    report = ROOT / "tests" / "data" / "documents" / "jahresbericht-2026.md"
    s.ok("submit", "kaltenmoor", "2026", "jahresbericht", str(report), now="2027-01-20T10:00")
    s.ok("tick", now="2027-02-08T08:00")  # a Monday: the weekly overview goes out
    with running(s):
        yield s


def _text(html: str) -> str:
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", html))


def test_status_json_counts_waiting_days_and_no_overdue_days(site: Site):
    status = json.loads(site.ok("status", "--year", "2026", "--format", "json"))
    cycle = next(c for c in status["cycles"] if c["pairing"] == "kaltenmoor")
    report = cycle["stages"]["jahresbericht"]
    assert (report["status"], report["overdue_days"], report["waiting_days"]) == (
        "eingereicht",
        0,
        21,
    )
    table = site.ok("status", "--year", "2026")
    assert "wartet seit 21 Tagen" in table and LATE not in table


def test_the_uebersicht_and_the_zyklus_page_say_waiting(site: Site):
    client = login(site.url, "koord")
    try:
        html = client.get("/?jahr=2026").text
        start = html.index('<a href="/zyklus/kaltenmoor/2026">')
        row = _text(html[start : html.index("</tr>", start)])
        assert f"eingereicht · {WAITING}" in row
        assert "überfällig" not in row
        assert LATE not in _text(html)
        page = _text(client.get("/zyklus/kaltenmoor/2026").text)
        assert WAITING in page and LATE not in page
    finally:
        client.close()


def test_the_portal_says_waiting_and_asks_nothing_of_the_traeger(site: Site, clients: Clients):
    client = enter(site, clients, KALTENMOOR)
    fristen = _text(client.get("/portal/").text)
    assert f"eingereicht – {WAITING}" in fristen
    assert "Liegt der Koordinierungsstelle vor – Sie müssen nichts tun." in fristen
    assert "überfällig" not in fristen.split("Jahresbericht")[1][:200]
    assert LATE not in fristen


def test_the_weekly_overview_lists_it_as_waiting(site: Site):
    digests = [
        m
        for m in _mails(site)
        if str(m["Subject"]).startswith("Wochenübersicht") and "KW 6/2027" in str(m["Subject"])
    ]
    assert len(digests) == 1
    body = digests[0].get_body(("plain",))
    assert body is not None
    text = body.get_content()
    line = next(x for x in text.splitlines() if "Kaltenmoor" in x and "Jahresbericht" in x)
    assert line.endswith("– wartet seit 19 Tagen auf Prüfung")  # on Monday, 08.02.2027
    assert "überfällig" not in line


def _mails(site: Site) -> list[EmailMessage]:
    box = mailbox.Maildir(site.folder / "var" / "mail", factory=None, create=False)
    found = []
    for key in box.iterkeys():
        parsed = message_from_bytes(box.get_bytes(key), policy=policy.default)
        assert isinstance(parsed, EmailMessage)
        found.append(parsed)
    return found
