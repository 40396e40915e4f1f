"""The portal on a real ``zyklus web`` (``tests.web.conftest.Site``) and a real SQLite file.

Links are minted with the token store itself (``portal_store.mint``) where a test is not about
how a link reaches the contact; the browser journey takes its link from a delivered mail.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Iterator
from datetime import timedelta

import httpx
import pytest

from cycle.bootstrap import App, bootstrap
from cycle.persistence import portal_store
from cycle.persistence.uow import transaction
from tests.web.conftest import Site, csrf

KALTENMOOR = "l.hoffmann@awo-lueneburg.example.org"  # the contact of pairing kaltenmoor (AWO)
BOCKELSBERG = "m.yildiz@caritas-lueneburg.example.org"  # the contact of pairing bockelsberg
# What would give away pairing bockelsberg (B) in a page of kaltenmoor's contact (A).
DATA_OF_B = ("Bockelsberg", "bockelsberg", "Caritas", "Yıldız", "yildiz")


def app_of(site: Site, now: str | None = None) -> App:
    return bootstrap(str(site.config), now or site.now, site.env)


def mint(site: Site, email: str, purpose: str = "login", days_ago: int = 0) -> str:
    app = app_of(site)
    try:
        with transaction(app.engine) as session:
            token = portal_store.mint(
                session, app.settings, email, purpose, app.now() - timedelta(days=days_ago)
            )
    finally:
        app.close()
    assert token is not None
    return token


def without_tokens(html: str) -> str:
    """A page without its per-request CSRF token (to compare two answers byte for byte)."""
    return re.sub(r'name="csrftoken" value="[^"]*"', 'name="csrftoken" value=""', html)


def exchange(client: httpx.Client, token: str) -> httpx.Response:
    page = client.get(f"/portal/anmelden/{token}")
    field = re.search(r'name="csrftoken" value="([^"]+)"', page.text)
    return client.post(f"/portal/anmelden/{token}", data={"csrftoken": field[1] if field else ""})


Clients = Callable[[], httpx.Client]


@pytest.fixture
def clients(site: Site) -> Iterator[Clients]:
    """Makes HTTP clients for ``site`` (redirects not followed); all closed afterwards."""
    made: list[httpx.Client] = []

    def new() -> httpx.Client:
        made.append(httpx.Client(base_url=site.url, follow_redirects=False, timeout=30))
        return made[-1]

    yield new
    for client in made:
        client.close()


def enter(site: Site, clients: Clients, email: str) -> httpx.Client:
    """A client with a portal session of ``email``."""
    client = clients()
    answer = exchange(client, mint(site, email))
    assert answer.status_code == 303, answer.text
    assert answer.headers["location"] == "/portal/"
    return client


def form_token(client: httpx.Client, path: str = "/portal/kalender") -> str:
    return csrf(client.get(path).text)


def audit(site: Site) -> list[dict[str, object]]:
    entries: list[dict[str, object]] = json.loads(site.ok("audit", "--format", "json"))
    return entries
