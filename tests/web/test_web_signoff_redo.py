"""Issue 18 item 7 at request level: "Eintrag korrigieren" twice, then "zur Kenntnis nehmen"
again on the same day, clicked through a real ``zyklus web`` (it answered 500 with a SQL dump)."""

from __future__ import annotations

import json
from collections.abc import Iterator

import httpx
import pytest

from tests.conftest import ROOT
from tests.web.conftest import Site, csrf, login, make_site, running

VN_OK = ROOT / "tests" / "data" / "documents" / "verwendungsnachweis-2026.toml"
PAGE = "/zyklus/kaltenmoor/2026"
VN_PAGE = f"{PAGE}/verwendungsnachweis"


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Site]:
    """kaltenmoor's Verwendungsnachweis 2026 submitted and checked; the web's day 03.06.2027."""
    s = make_site(tmp_path_factory.mktemp("redo"), "2026-04-02T08:00")
    for stage in ("auftaktgespraech", "fachtag", "auswertungsgespraech", "jahresbericht"):
        s.ok("waive", "kaltenmoor", "2026", stage, "--reason", "Test")
    s.ok("submit", "kaltenmoor", "2026", "verwendungsnachweis", str(VN_OK), now="2027-06-01T09:00")
    check = ("check", "kaltenmoor", "2026", "verwendungsnachweis", "--by", "K. Koordinator")
    s.ok(*check, now="2027-06-02T09:00")  # four eyes: not the submitter
    s.now = "2027-06-03T09:00"
    with running(s):
        yield s


def _click(client: httpx.Client, page: str, event: str, **fields: str) -> httpx.Response:
    token = csrf(client.get(page).text)
    return client.post(f"{VN_PAGE}/{event}", data={"csrftoken": token, "weiter": page, **fields})


def _status(site: Site) -> str:
    data = json.loads(site.ok("status", "--year", "2026", "--format", "json"))
    cycle = next(c for c in data["cycles"] if c["pairing"] == "kaltenmoor")
    return str(cycle["stages"]["verwendungsnachweis"]["status"])


def test_acknowledging_again_after_two_corrections_on_one_day_works_and_mails_each_time(
    site: Site,
):
    stab, koord = login(site.url, "stab"), login(site.url, "koord")
    correct = {"reason": "Versehen", "art": "reopen"}
    for _round in range(2):
        done = _click(stab, VN_PAGE, "acknowledge")
        assert done.status_code == 303, done.text
        assert _status(site) == "zur_kenntnis_genommen"
        for after in ("geprueft", "eingereicht"):  # "Eintrag korrigieren" twice
            undone = _click(koord, PAGE, "correct", **correct)
            assert undone.status_code == 303, undone.text
            assert _status(site) == after
        assert _click(koord, VN_PAGE, "check").status_code == 303
        assert _status(site) == "geprueft"
    again = _click(stab, VN_PAGE, "acknowledge")
    assert again.status_code == 303, again.text  # was: 500 with a raw SQL dump
    assert _status(site) == "zur_kenntnis_genommen"
    assert stab.get(again.headers["location"]).status_code == 200
    messages = json.loads(site.ok("outbox", "--format", "json"))["messages"]
    tasks = [m for m in messages if m["kind"] == "aufgabe"]
    # the check of 02.06., three acknowledgements and two checks redone today
    assert (
        sorted(m["subject"].split(":")[0] for m in tasks)
        == ["Zum Vorgang"] * 3 + ["Zur Kenntnisnahme"] * 3
    )
    stab.close()
    koord.close()
