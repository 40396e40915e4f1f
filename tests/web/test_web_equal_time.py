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
    known: Callable[[int], float],
    unknown: Callable[[int], float],
    pairs: int = PAIRS,
    start: int = 0,
) -> tuple[float, float, float]:
    """Medians of ``pairs`` interleaved runs (the order alternates within each pair) and the
    median of the per-pair ratios slower/faster side (a pair's two requests are neighbours in
    time, so a stretch of load on the machine slows both alike)."""
    a: list[float] = []
    b: list[float] = []
    for i in range(start, start + pairs):
        if i % 2:
            a.append(known(i))
            b.append(unknown(i))
        else:
            b.append(unknown(i))
            a.append(known(i))
    ratios = [x / y for x, y in zip(a, b, strict=True)]
    ratio = statistics.median(ratios)
    return statistics.median(a), statistics.median(b), max(ratio, 1 / ratio)


def same_time(
    known: Callable[[int], float], unknown: Callable[[int], float], pairs: int, rounds: int = 2
) -> tuple[float, float, float]:
    """``medians`` in up to ``rounds`` rounds of ``pairs // rounds`` pairs, until one is within
    the tolerance: a real difference shows in every round, a burst of load on this shared
    2-CPU machine rarely in two (the full suite failed once at 9.3 against 6.9 ms, while
    the module alone measures 7–8 ms for both)."""
    size = pairs // rounds
    found = (0.0, 0.0, float("inf"))
    for r in range(rounds):
        found = medians(known, unknown, size, start=r * size)
        if found[2] < TOLERANCE:
            break
    return found


def test_a_known_and_an_unknown_login_take_the_same_time(site: Site):
    logins = sorted(ROLES)

    def attempt(login: str, n: int) -> float:
        return timed_post(
            site, n, "/anmelden", "/anmelden", {"benutzername": login, "passwort": "falsch-123"}
        )

    known, unknown, ratio = same_time(
        lambda i: attempt(logins[i % len(logins)], 2 * i),
        lambda i: attempt(f"niemand{i}", 2 * i + 1),
        pairs=16,  # argon2 is slow by design
    )
    print(f"login medians: known {known * 1000:.1f} ms, unknown {unknown * 1000:.1f} ms")
    assert ratio < TOLERANCE, (known, unknown, ratio)
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

    asked = 0

    def known_address(i: int) -> float:
        nonlocal asked
        asked += 1
        return ask(contacts[i % len(contacts)], 2 * i)

    known, unknown, ratio = same_time(
        known_address, lambda i: ask(f"niemand{i}@example.org", 2 * i + 1), pairs=PAIRS
    )
    print(f"link request medians: known {known * 1000:.1f} ms, unknown {unknown * 1000:.1f} ms")
    assert ratio < TOLERANCE, (known, unknown, ratio)
    app = app_of(site)
    with reading(app.engine) as session:
        queued = list(session.exec(select(OutboxMessage)))
    app.close()
    # One mail per request for a known address; nothing of the others stayed.
    assert len([m for m in queued if m.kind == "portal-link"]) == asked
    assert not [m for m in queued if "niemand" in json.dumps(m.payload) + m.to]
