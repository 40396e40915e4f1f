"""``/auskunft`` (SPEC §18): the Koordinierungsstelle downloads the ZIP of an access request;
every other role, a missing CSRF token and a bad address are refused and change nothing."""

from __future__ import annotations

import io
import zipfile
from collections.abc import Iterator
from contextlib import closing

import httpx
import pytest

from tests.web.conftest import Site, csrf, login, make_site, running

ADDRESS = "m.yildiz@caritas-lueneburg.example.org"


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Site]:
    s = make_site(tmp_path_factory.mktemp("auskunft"), "2026-05-04T09:00")
    with running(s):
        yield s


def entries(site: Site) -> int:
    import json

    return len(json.loads(site.ok("audit", "--format", "json")))


def ask(client: httpx.Client, address: str, token: str | None = None) -> httpx.Response:
    page = client.get("/berichte")
    data = {"email": address, "csrftoken": csrf(page.text) if token is None else token}
    return client.post("/auskunft", data=data)


def test_the_koordinierungsstelle_downloads_the_zip_and_the_request_is_logged(site: Site):
    before = entries(site)
    with closing(login(site.url, "koord")) as client:
        assert client.get("/auskunft").status_code == 200
        answer = ask(client, ADDRESS)
    assert answer.status_code == 200, answer.text[:500]
    assert answer.headers["content-type"] == "application/zip"
    with zipfile.ZipFile(io.BytesIO(answer.content)) as archive:
        names = set(archive.namelist())
        assert {"auskunft.json", "zusammenfassung.pdf", "manifest.sha256"} <= names
        assert ADDRESS in archive.read("auskunft.json").decode()
    assert entries(site) == before + 1


@pytest.mark.parametrize("role", ["stab", "ablage", "lesend"])
def test_other_roles_are_refused_and_nothing_is_logged(site: Site, role: str):
    before = entries(site)
    with closing(login(site.url, role)) as client:
        assert client.get("/auskunft").status_code == 403
        answer = ask(client, ADDRESS)
    assert answer.status_code == 403 and "Keine Berechtigung" in answer.text
    assert ADDRESS not in answer.text
    assert entries(site) == before


def test_a_missing_csrf_token_or_a_bad_address_changes_nothing(site: Site):
    before = entries(site)
    with closing(login(site.url, "koord")) as client:
        forged = ask(client, ADDRESS, token="")
        bad = ask(client, "keine-adresse")
    assert forged.status_code == 403
    assert bad.status_code == 400 and "keine E-Mail-Adresse" in bad.text
    assert 'aria-invalid="true"' in bad.text
    assert entries(site) == before
