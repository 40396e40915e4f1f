"""Requesting a new link: the same answer for every address, mail only to the master data, limits.

Each test has a site of its own: the rate limit per client counts every request from 127.0.0.1,
and what one test stored must not be what another counts (any order passes).
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from sqlmodel import col, select

from cycle.persistence.tables import OutboxMessage
from cycle.persistence.uow import reading
from tests.portal.conftest import KALTENMOOR, Clients, app_of, audit, without_tokens
from tests.web.conftest import Site, csrf, make_site, running

NOW = "2026-12-03T08:00"
REIMERS = "a.reimers@stadt-lueneburg.example.org"
TANDEM = ("j.brandt@stadt-lueneburg.example.org", "p.wendt@lebensraum-diakonie.example.org")


@pytest.fixture
def site(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Site]:
    s = make_site(tmp_path_factory.mktemp("portal-link"), NOW)
    with running(s):
        yield s


def _portal_links(site: Site) -> list[OutboxMessage]:
    app = app_of(site)
    with reading(app.engine) as session:
        rows = list(
            session.exec(select(OutboxMessage).where(col(OutboxMessage.kind) == "portal-link"))
        )
    app.close()
    return rows


def _request(clients: Clients, email: str) -> tuple[int, str]:
    client = clients()
    page = client.get("/portal/neuer-link")
    answer = client.post("/portal/neuer-link", data={"email": email, "csrftoken": csrf(page.text)})
    return answer.status_code, without_tokens(answer.text)


def test_the_answer_is_the_same_for_a_known_and_an_unknown_address(site: Site, clients: Clients):
    known = _request(clients, KALTENMOOR.upper())
    unknown = _request(clients, "niemand@example.org")
    leitung = _request(clients, "s.behrens@awo-lueneburg.example.org")  # in master data, no contact
    assert known == unknown == leitung
    assert known[0] == 200
    messages = _portal_links(site)
    assert [m.to for m in messages] == [f"Lena Hoffmann <{KALTENMOOR}>"]
    payload = messages[0].payload
    # stored with the placeholder; the link is minted only when the mail is delivered
    assert "/portal/anmelden/" not in payload["text"] + payload["html"]
    assert "[persönlicher Zugangslink]" in payload["text"]
    assert payload["zugangslink"] == KALTENMOOR
    actors = {e["actor"] for e in audit(site) if e["after"] == "portal-link"}
    assert actors == {f"{KALTENMOOR} via Portal"}


def test_a_bad_address_is_refused_at_the_field(site: Site, clients: Clients):
    status, body = _request(clients, "kein-at-zeichen")
    assert status == 400
    assert 'aria-invalid="true"' in body and "E-Mail-Adresse" in body


def test_requests_are_limited_per_address_and_per_client(site: Site, clients: Clients):
    before = len(_portal_links(site))
    answers = {_request(clients, TANDEM[0]) for _ in range(4)}  # 3 per address and hour
    assert len(answers) == 1
    assert len(_portal_links(site)) == before + 3
    # 10 per client and hour: 4 counted so far, 3 for an unknown address make 7 (a bad address
    # is refused before it counts). Requests 8–10 are sent, the 11th is not, for any address.
    for _ in range(3):
        _request(clients, "niemand@example.org")
    for email in (TANDEM[1], TANDEM[1], REIMERS, REIMERS):
        _request(clients, email)
    to = [m.to for m in _portal_links(site)]
    assert sum(TANDEM[1] in t for t in to) == 2
    assert sum(REIMERS in t for t in to) == 1
