"""Single sign-on (SPEC §17) against a real OpenID provider running locally: the account
logic, every refusal of issue 20 item 4 as a request, and ``zyklus audit`` listing them."""

from __future__ import annotations

import re
import socket
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import httpx
import pytest
from joserfc.jwk import RSAKey

from cycle.views.labels import sso_refusal
from cycle.webbase.security import CSRF_COOKIE, Secret
from tests.web.conftest import PASSWORD, SECRET, Site, csrf, login, running
from tests.web.sso_support import (
    KOORDINATION,
    LESEND,
    LocalProvider,
    authorize,
    callback_path,
    configure,
    mock_provider,
    query_of,
    set_user,
    sign_in,
    sso_site,
    start,
)

Client = Callable[[], httpx.Client]


@pytest.fixture(scope="module")
def issuer() -> Iterator[str]:
    with mock_provider() as found:
        yield found


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory, issuer: str) -> Iterator[Site]:
    s = sso_site(tmp_path_factory.mktemp("sso"), issuer)
    with running(s):
        yield s


@pytest.fixture
def client(site: Site) -> Iterator[Client]:
    opened: list[httpx.Client] = []

    def make() -> httpx.Client:
        made = httpx.Client(base_url=site.url, follow_redirects=False, timeout=30)
        opened.append(made)
        return made

    yield make
    for made in opened:
        made.close()


def _signed_in(client: httpx.Client) -> bool:
    return client.get("/").status_code == 200


def _users(site: Site) -> str:
    return site.ok("user", "list")


def _audit(site: Site) -> str:
    """``zyklus audit`` as the table (German labels) and as CSV (ids and payloads)."""
    return site.ok("audit") + site.ok("audit", "--format", "csv")


def test_the_first_login_creates_the_account_and_each_login_updates_it(
    site: Site, issuer: str, client: Client
):
    set_user(issuer, "sub-anna", preferred_username="anna.koch", name="Anna Koch",
             email="anna.koch@stadt.example", groups=[KOORDINATION, LESEND])  # fmt: skip
    browser = client()
    answer = sign_in(browser, "sub-anna")
    assert answer.status_code == 303 and answer.headers["location"] == "/"
    page = browser.get("/")
    assert page.status_code == 200 and "Anna Koch (Koordinierungsstelle)" in page.text
    assert "anna.koch" in _users(site) and "anna.koch@stadt.example" in _users(site)

    set_user(issuer, "sub-anna", preferred_username="anna.koch", name="Anna Koch-Berg",
             email="a.koch-berg@stadt.example", groups=[LESEND])  # fmt: skip
    second = client()
    assert sign_in(second, "sub-anna").status_code == 303
    assert not _signed_in(browser)  # the role was lowered: the open session ended at once
    assert "Anna Koch-Berg (lesend)" in second.get("/").text
    listed = _users(site)
    assert "a.koch-berg@stadt.example" in listed and listed.count("anna.koch") == 1
    audit = _audit(site)
    assert "Anmeldung über SSO" in audit and "Rolle geändert" in audit
    assert "anna.koch via SSO" in audit


def test_a_lesend_user_sees_no_form_and_may_not_post(site: Site, issuer: str, client: Client):
    set_user(issuer, "sub-lena", preferred_username="lena.lau", name="Lena Lau", groups=[LESEND])
    browser = client()
    assert sign_in(browser, "sub-lena").status_code == 303
    cycle = browser.get("/zyklus/kaltenmoor/2026")
    assert cycle.status_code == 200 and "Termin festlegen" not in cycle.text
    data = {"csrftoken": csrf(cycle.text), "at": "2026-12-20T10:00"}
    refused = browser.post("/zyklus/kaltenmoor/2026/auftaktgespraech/schedule", data=data)
    assert refused.status_code == 403


def test_an_entra_group_guid_maps_to_its_role(site: Site, issuer: str, client: Client):
    set_user(issuer, "sub-emil", email="emil.ernst@stadt.example", name="Emil Ernst",
             groups=["a1b2c3d4-0000-4000-8000-00000000abcd"])  # fmt: skip
    browser = client()
    assert sign_in(browser, "sub-emil").status_code == 303  # login from "email"
    assert "Emil Ernst (Stabsstellenleitung)" in browser.get("/").text


def test_a_user_without_a_mapped_role_gets_the_refusal_page_and_no_session(
    site: Site, issuer: str, client: Client
):
    set_user(issuer, "sub-otto", preferred_username="otto.ohne", groups=["bauamt"])
    browser = client()
    answer = sign_in(browser, "sub-otto")
    assert answer.status_code == 403
    assert "keiner Rolle in zyklus zugeordnet" in answer.text
    assert "stadtteilarbeit@stadt-lueneburg.example.org" in answer.text  # whom to ask
    assert "zyklus_sitzung" not in answer.headers.get("set-cookie", "")
    assert not _signed_in(browser)
    assert "otto.ohne" not in _users(site)
    assert "keine Rolle beim Anbieter" in _audit(site)


def test_a_role_removed_in_the_provider_removes_access_and_disabled_stays_disabled(
    site: Site, issuer: str, client: Client
):
    set_user(issuer, "sub-rita", preferred_username="rita.rot", groups=[KOORDINATION])
    first = client()
    assert sign_in(first, "sub-rita").status_code == 303
    set_user(issuer, "sub-rita", preferred_username="rita.rot", groups=[])
    assert sign_in(client(), "sub-rita").status_code == 403
    assert not _signed_in(first)
    assert "keine Rolle beim Anbieter" in _audit(site)
    set_user(issuer, "sub-rita", preferred_username="rita.rot", groups=[KOORDINATION])
    again = sign_in(client(), "sub-rita")  # the group is back, the account stays disabled
    assert again.status_code == 403 and "gesperrt" in again.text
    site.ok("user", "enable", "rita.rot")
    assert sign_in(client(), "sub-rita").status_code == 303


def test_a_forged_or_missing_state_is_refused(site: Site, issuer: str, client: Client):
    set_user(issuer, "sub-fritz", preferred_username="fritz.f", groups=[KOORDINATION])
    browser = client()
    url = authorize(start(browser).headers["location"], "sub-fritz")
    code = query_of(url)["code"]
    for query in (f"code={code}&state=gefaelscht", f"code={code}"):
        answer = browser.get(f"/anmelden/oidc/callback?{query}")
        assert answer.status_code == 400 and "Anmeldung abgelehnt" in answer.text
        assert not _signed_in(browser)
    # The attempt is gone: its real state does not work afterwards either (single use)
    assert browser.get(callback_path(url)).status_code in (400, 403)
    assert not _signed_in(browser)


def test_a_state_from_another_browser_is_refused(site: Site, issuer: str, client: Client):
    set_user(issuer, "sub-gabi", preferred_username="gabi.g", groups=[KOORDINATION])
    url = authorize(start(client()).headers["location"], "sub-gabi")
    attacker = client()  # has the victim's callback URL, not the victim's browser cookie
    assert attacker.get(callback_path(url)).status_code == 400
    assert not _signed_in(attacker)
    assert "gabi.g" not in _users(site)


def test_a_replayed_code_is_refused(site: Site, issuer: str, client: Client):
    set_user(issuer, "sub-hans", preferred_username="hans.h", groups=[KOORDINATION])
    browser = client()
    url = authorize(start(browser).headers["location"], "sub-hans")
    assert browser.get(callback_path(url)).status_code == 303
    replay = client()
    new_state = query_of(start(replay).headers["location"])["state"]
    old_code = query_of(url)["code"]
    answer = replay.get(f"/anmelden/oidc/callback?code={old_code}&state={new_state}")
    assert answer.status_code == 403 and "Anmeldung abgelehnt" in answer.text
    assert not _signed_in(replay)
    assert "Anmeldung über SSO abgelehnt" in _audit(site) and "invalid_grant" in _audit(site)


def test_logout_sends_an_sso_user_to_the_providers_end_session(
    site: Site, issuer: str, client: Client
):
    set_user(issuer, "sub-ina", preferred_username="ina.i", groups=[KOORDINATION])
    browser = client()
    assert sign_in(browser, "sub-ina").status_code == 303
    page = browser.get("/")
    answer = browser.post("/abmelden", data={"csrftoken": csrf(page.text)})
    assert answer.status_code == 200 and "Sie sind bei zyklus abgemeldet." in answer.text
    refresh = re.search(r'http-equiv="refresh" content="0; url=([^"]+)"', answer.text)
    assert refresh and refresh[1].startswith(f"{issuer}/oauth2/end_session?")
    assert "post_logout_redirect_uri=" in refresh[1] and "Abmelden" not in answer.text
    assert not _signed_in(browser)
    page = login(site.url, "koord")  # a local account goes back to the login page
    gone = page.post("/abmelden", data={"csrftoken": csrf(page.get("/").text)})
    assert gone.status_code == 303 and gone.headers["location"] == "/anmelden?abgemeldet=1"
    page.close()


def test_the_login_page_shows_the_button_beside_the_form(site: Site, client: Client):
    page = client().get("/anmelden")
    assert "Mit dem Konto der Stadt anmelden" in page.text and 'name="passwort"' in page.text


# --- tokens the mock cannot make: a local provider with crafted ID tokens ----------------------


@pytest.fixture(scope="module")
def local() -> Iterator[LocalProvider]:
    with LocalProvider() as provider:
        yield provider


@pytest.fixture(scope="module")
def local_site(tmp_path_factory: pytest.TempPathFactory, local: LocalProvider) -> Iterator[Site]:
    s = sso_site(tmp_path_factory.mktemp("sso-lokal"), local.issuer)
    with running(s):
        yield s


def _with_token(site: Site, local: LocalProvider, **changes: object) -> httpx.Response:
    """Start a sign-on, answer the token request with a crafted token, return our answer."""
    key = changes.pop("key", None)
    with httpx.Client(base_url=site.url, follow_redirects=False, timeout=30) as browser:
        location = start(browser).headers["location"]
        params = query_of(location)
        assert params["code_challenge_method"] == "S256" and params["code_challenge"]
        nonce = changes.pop("nonce", params["nonce"])  # None: the token carries none
        local.next_token = local.token(nonce, key=key, **changes)  # type: ignore[arg-type]
        code = f"code-{time.monotonic_ns()}"
        answer = browser.get(f"/anmelden/oidc/callback?code={code}&state={params['state']}")
        answer.read()
        if answer.status_code == 303:
            assert browser.get("/").status_code == 200
        return answer


def test_a_well_formed_token_signs_in(local_site: Site, local: LocalProvider):
    assert _with_token(local_site, local).status_code == 303  # the control for the refusals


@pytest.mark.parametrize(
    ("changes", "reason"),
    [
        ({"aud": "eine-andere-anwendung"}, "aud"),
        ({"aud": ["eine-andere-anwendung", "zyklus"], "azp": "eine-andere-anwendung"}, "aud"),
        ({"exp": 1_700_000_000, "iat": 1_699_999_000}, "abgelaufen"),
        ({"nonce": "ein-anderer-nonce"}, "nonce"),
        ({"iss": "https://login.falsch.example"}, "iss"),
        ({"iat": 4_102_444_800}, "iat"),  # issued in the year 2100
        ({"nonce": None}, "unvollstaendig"),
    ],
)
def test_a_token_with_a_wrong_claim_is_refused(
    local_site: Site, local: LocalProvider, changes: dict[str, object], reason: str
):
    before = _users(local_site)
    answer = _with_token(local_site, local, **changes)
    assert answer.status_code == 403 and "Anmeldung abgelehnt" in answer.text
    assert _users(local_site) == before
    assert f"Grund: {sso_refusal(reason)}" in _audit(local_site)
    assert sso_refusal(reason) != reason  # German, never the id


def test_a_token_signed_with_an_unknown_key_is_refused(local_site: Site, local: LocalProvider):
    stranger = RSAKey.generate_key(2048, parameters={"kid": "fremd", "use": "sig"})
    answer = _with_token(local_site, local, key=stranger)
    assert answer.status_code == 403
    assert "Signaturschlüssel des Anbieters unbekannt" in _audit(local_site)
    impostor = RSAKey.generate_key(2048, parameters={"kid": local.key.kid, "use": "sig"})
    answer = _with_token(local_site, local, key=impostor)  # a known kid, a wrong signature
    assert answer.status_code == 403
    assert "Signatur des ID-Tokens ungültig" in _audit(local_site)


def test_a_rotated_key_is_fetched_and_accepted(local_site: Site, local: LocalProvider):
    new = RSAKey.generate_key(2048, parameters={"kid": "schluessel-2", "use": "sig"})
    local.published = [local.key, new]
    try:
        assert _with_token(local_site, local, key=new).status_code == 303
    finally:
        local.published = [local.key]


def test_a_provider_that_does_not_answer_gets_the_german_page_after_a_short_timeout(
    tmp_path: Path, local: LocalProvider
):
    silent = socket.socket()
    silent.bind(("127.0.0.1", 0))
    silent.listen(8)  # accepts connections, never answers
    try:
        site = sso_site(tmp_path, f"http://127.0.0.1:{silent.getsockname()[1]}", timeout_s=1)
        with running(site), httpx.Client(base_url=site.url, timeout=30) as browser:
            began = time.monotonic()
            answer = browser.get("/anmelden/oidc")
            assert time.monotonic() - began < 10
            assert answer.status_code == 503
            assert "Anmeldedienst der Stadt antwortet gerade nicht" in answer.text
            assert browser.get("/anmelden").status_code == 200  # the rest keeps working
        assert "Anbieter nicht erreichbar" in _audit(site)
    finally:
        silent.close()


def test_without_local_login_the_form_is_gone_and_a_password_post_is_refused(
    tmp_path: Path, local: LocalProvider
):
    site = sso_site(tmp_path, local.issuer, local_login=False)
    with running(site), httpx.Client(base_url=site.url, follow_redirects=False) as browser:
        page = browser.get("/anmelden")
        assert "Mit dem Konto der Stadt anmelden" in page.text
        assert 'name="passwort"' not in page.text
        # An attacker posts the old form anyway, with a valid CSRF token for its cookie
        token = Secret(SECRET).csrf_token(browser.cookies[CSRF_COOKIE])
        data = {"benutzername": "koord", "passwort": PASSWORD, "csrftoken": token}
        answer = browser.post("/anmelden", data=data)
        assert answer.status_code == 403 and "mit Passwort ist abgeschaltet" in answer.text
        assert "zyklus_sitzung" not in answer.headers.get("set-cookie", "")
        assert not _signed_in(browser)
    configure(site, local.issuer, local_login=True)  # the emergency: the operator switches it on
    with running(site), httpx.Client(base_url=site.url, follow_redirects=False) as browser:
        page = browser.get("/anmelden")
        data = {"benutzername": "koord", "passwort": PASSWORD, "csrftoken": csrf(page.text)}
        assert browser.post("/anmelden", data=data).status_code == 303
