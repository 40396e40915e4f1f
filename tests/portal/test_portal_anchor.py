"""The portal's own writes advance the audit anchor (issue 18, item 6; SPEC §9).

A contact's login is an audit entry written outside the bus; the head it leaves must be in the
anchor file as soon as the request has answered, or a later deletion of it would go unnoticed.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator

import pytest

from tests.portal.conftest import KALTENMOOR, Clients, audit, enter
from tests.web.conftest import Site, make_site, running

NOW = "2026-12-03T08:00"


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Site]:
    s = make_site(tmp_path_factory.mktemp("anker"), NOW)
    with running(s):
        yield s


def _head(site: Site) -> tuple[int, str]:
    with sqlite3.connect(site.folder / "var" / "zyklus.db") as db:
        count, digest = db.execute("SELECT count, hash FROM audit_head").fetchone()
    return int(count), str(digest)


def test_a_portal_login_is_in_the_anchor_file_when_the_answer_arrives(
    site: Site, clients: Clients
) -> None:
    before, _ = _head(site)
    enter(site, clients, KALTENMOOR)
    count, digest = _head(site)
    assert count > before
    assert audit(site)[-1]["action"] == "portal_anmeldung"
    last = (site.folder / "var" / "audit-anker.txt").read_text().splitlines()[-1]
    assert last.split()[1:] == [str(count), digest]
    code, out, err = site.cli("audit", "verify")
    assert code == 0, out + err
