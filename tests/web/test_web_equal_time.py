"""Equal time: how long an answer takes does not tell whether a login or an address is known.

Medians over interleaved requests to a real ``zyklus web`` on loopback. Each request comes from
an address of its own (127.0.0.N: the limits per client stay out of the way), each known
address is asked for at most as often as its limit allows, so every request does its full work.
"""

from __future__ import annotations

import json
import statistics
import time
from collections.abc import Callable, Iterator

import httpx
import pytest
from sqlmodel import select

from cycle.persistence.portal_store import MAX_REQUESTS_PER_ADDRESS
from cycle.persistence.tables import OutboxMessage
from cycle.persistence.uow import reading
from tests.portal.conftest import app_of
from tests.web.conftest import ROLES, Site, csrf, make_site, running

PAIRS = 24
TOLERANCE = 1.2  # the slower median at most 20 % above the faster


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Site]:
    s = make_site(tmp_path_factory.mktemp("gleichlauf"), "2026-12-03T08:00")
    with running(s):
        yield s


def client_from(site: Site, n: int) -> httpx.Client:
    """A client whose requests come from 127.0.0.<n+2> (another address for every request)."""
    transport = httpx.HTTPTransport(local_address=f"127.0.{n // 250}.{n % 250 + 2}")
    return httpx.Client(base_url=site.url, transport=transport, timeout=30)


def timed_post(site: Site, n: int, page: str, path: str, data: dict[str, str]) -> float:
    with client_from(site, n) as client:
        token = csrf(client.get(page).text)
        start = time.perf_counter()
        answer = client.post(path, data={**data, "csrftoken": token})
        elapsed = time.perf_counter() - start
    assert answer.status_code in (200, 401), answer.text[:300]
    return elapsed


def medians(
    known: Callable[[int], float], unknown: Callable[[int], float], pairs: int = PAIRS
) -> tuple[float, float]:
    """Medians of ``pairs`` interleaved runs (the order alternates within each pair)."""
    a: list[float] = []
    b: list[float] = []
    for i in range(pairs):
        if i % 2:
            a.append(known(i))
            b.append(unknown(i))
        else:
            b.append(unknown(i))
            a.append(known(i))
    return statistics.median(a), statistics.median(b)


def test_a_known_and_an_unknown_login_take_the_same_time(site: Site):
    logins = sorted(ROLES)

    def attempt(login: str, n: int) -> float:
        return timed_post(
            site, n, "/anmelden", "/anmelden", {"benutzername": login, "passwort": "falsch-123"}
        )

    known, unknown = medians(
        lambda i: attempt(logins[i % len(logins)], 2 * i),
        lambda i: attempt(f"niemand{i}", 2 * i + 1),
        pairs=16,  # argon2 is slow by design
    )
    print(f"login medians: known {known * 1000:.1f} ms, unknown {unknown * 1000:.1f} ms")
    assert max(known, unknown) / min(known, unknown) < TOLERANCE, (known, unknown)
    assert min(known, unknown) > 0.005  # both paths verify a password (argon2 takes time)


def test_a_link_request_takes_the_same_time_for_a_known_and_an_unknown_address(site: Site):
    app = app_of(site)
    contacts = sorted({c.email for p in app.settings.pairings.values() for c in p.contacts})
    app.close()
    assert len(contacts) * MAX_REQUESTS_PER_ADDRESS >= PAIRS
    base = 1000  # client addresses apart from the login test's

    def ask(email: str, n: int) -> float:
        return timed_post(
            site, base + n, "/portal/neuer-link", "/portal/neuer-link", {"email": email}
        )

    known, unknown = medians(
        lambda i: ask(contacts[i % len(contacts)], 2 * i),
        lambda i: ask(f"niemand{i}@example.org", 2 * i + 1),
    )
    print(f"link request medians: known {known * 1000:.1f} ms, unknown {unknown * 1000:.1f} ms")
    assert max(known, unknown) / min(known, unknown) < TOLERANCE, (known, unknown)
    app = app_of(site)
    with reading(app.engine) as session:
        queued = list(session.exec(select(OutboxMessage)))
    app.close()
    # One mail per request for a known address; nothing of the others stayed.
    assert len([m for m in queued if m.kind == "portal-link"]) == PAIRS
    assert not [m for m in queued if "niemand" in json.dumps(m.payload) + m.to]
