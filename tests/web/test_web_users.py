"""The Benutzer page and the one-time set-password link (SPEC §16), against a real ``zyklus
web`` and real ticks delivering into the Maildir; refusals tried as an attacker would."""

from __future__ import annotations

import mailbox
import re
from collections.abc import Callable, Iterator
from email import policy
from email.message import EmailMessage
from email.parser import BytesParser
from pathlib import Path

import httpx
import pytest
from sqlmodel import col, select

from cycle.bootstrap import bootstrap
from cycle.persistence.tables import OutboxMessage
from cycle.persistence.uow import reading
from tests.web.conftest import PASSWORD, Site, csrf, login, make_site, running

NOW = "2026-04-02T08:00"
NEW_PASSWORD = "mein-eigenes-passwort-2026"
LINK = re.compile(r"https?://[^\s\"'<>]+/passwort/([A-Za-z0-9_-]{20,})")


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Site]:
    s = make_site(tmp_path_factory.mktemp("benutzer"), NOW)
    with running(s):
        yield s


Login = Callable[[str | None], httpx.Client]


@pytest.fixture
def clients(site: Site) -> Iterator[Login]:
    """``clients(user)``: a client logged in as ``user`` (``None``: anonymous), closed after."""
    opened: list[httpx.Client] = []

    def make(user: str | None) -> httpx.Client:
        if user is None:
            client = httpx.Client(base_url=site.url, follow_redirects=False, timeout=30)
        else:
            client = login(site.url, user)
        opened.append(client)
        return client

    yield make
    for client in opened:
        client.close()


def _mails(site: Site, to: str) -> list[EmailMessage]:
    box = mailbox.Maildir(site.folder / "var" / "mail", create=False)
    parser = BytesParser(policy=policy.default)
    found = [parser.parsebytes(box.get_bytes(key)) for key in box.iterkeys()]
    return [m for m in found if isinstance(m, EmailMessage) and to in str(m["To"])]


def _body(mail: EmailMessage) -> str:
    parts = [mail.get_body(("plain",)), mail.get_body(("html",))]
    return "".join(str(p.get_content()) for p in parts if p is not None)


def _stored_payloads(site: Site) -> str:
    app = bootstrap(str(site.config), site.now, site.env)
    try:
        with reading(app.engine) as session:
            rows = session.exec(select(OutboxMessage).order_by(col(OutboxMessage.id)))
            return "\n".join(str(r.payload) for r in rows)
    finally:
        app.close()


def _users(site: Site) -> str:
    return site.ok("user", "list")


def _add(client: httpx.Client, **fields: str) -> httpx.Response:
    page = client.get("/benutzer")
    assert page.status_code == 200, page.text
    return client.post("/benutzer", data={**fields, "csrftoken": csrf(page.text)})


def _post(client: httpx.Client, path: str, **fields: str) -> httpx.Response:
    page = client.get("/")
    return client.post(path, data={**fields, "csrftoken": csrf(page.text)})


def _link_of(site: Site, address: str) -> str:
    site.command("tick")  # delivers the mail: the link is minted now, not before
    [mail] = _mails(site, address)
    assert str(mail["Subject"]) == "Ihr Zugang zu zyklus: bitte Passwort festlegen"
    tokens = set(LINK.findall(_body(mail)))
    assert len(tokens) == 1, _body(mail)
    return tokens.pop()


def _can_log_in(site: Site, user: str, password: str) -> bool:
    with httpx.Client(base_url=site.url, follow_redirects=False, timeout=30) as client:
        page = client.get("/anmelden")
        data = {"benutzername": user, "passwort": password, "csrftoken": csrf(page.text)}
        return client.post("/anmelden", data=data).status_code == 303


def test_a_new_user_gets_a_mailed_link_sets_the_password_once_and_logs_in(
    site: Site, clients: Login
):
    koord = clients("koord")
    answer = _add(
        koord, login="m.weber", name="Marta Weber", email="m.weber@stadt.example", role="ablage"
    )
    assert answer.status_code == 303
    assert "Marta Weber" in koord.get("/benutzer").text
    assert "/passwort/" not in _stored_payloads(site)  # the stored mail holds no live link
    token = _link_of(site, "m.weber@stadt.example")
    assert token not in _stored_payloads(site)

    anonymous = clients(None)
    form = anonymous.get(f"/passwort/{token}")
    assert form.status_code == 200 and "Passwort festlegen" in form.text
    assert anonymous.get(f"/passwort/{token}").status_code == 200  # opening it uses nothing
    fields = {"csrftoken": csrf(form.text)}
    other = anonymous.post(
        f"/passwort/{token}", data={**fields, "passwort": NEW_PASSWORD, "wiederholung": "anders"}
    )
    assert other.status_code == 422 and "stimmen nicht überein" in other.text
    short = anonymous.post(
        f"/passwort/{token}", data={**fields, "passwort": "kurz", "wiederholung": "kurz"}
    )
    assert short.status_code == 422 and "mindestens 12 Zeichen" in short.text
    without_csrf = anonymous.post(
        f"/passwort/{token}", data={"passwort": NEW_PASSWORD, "wiederholung": NEW_PASSWORD}
    )
    assert without_csrf.status_code == 403
    assert not _can_log_in(site, "m.weber", NEW_PASSWORD)
    done = anonymous.post(
        f"/passwort/{token}",
        data={**fields, "passwort": NEW_PASSWORD, "wiederholung": NEW_PASSWORD},
    )
    assert done.status_code == 303 and done.headers["location"] == "/anmelden?passwort=1"
    assert _can_log_in(site, "m.weber", NEW_PASSWORD)

    # Used once: the same link is refused with the neutral page and changes nothing
    again = anonymous.get(f"/passwort/{token}")
    assert again.status_code == 404 and "nicht (mehr) gültig" in again.text
    reuse = anonymous.post(
        f"/passwort/{token}",
        data={**fields, "passwort": "ein-anderes-passwort", "wiederholung": "ein-anderes-passwort"},
    )
    assert reuse.status_code == 404 and "nicht (mehr) gültig" in reuse.text
    assert not _can_log_in(site, "m.weber", "ein-anderes-passwort")
    assert _can_log_in(site, "m.weber", NEW_PASSWORD)
    unknown = anonymous.get("/passwort/" + "x" * 43)
    assert unknown.status_code == 404 and unknown.text.count("nicht (mehr) gültig") == 1
    audit = site.ok("audit")
    assert "Passwort mit Link festgelegt" in audit and "m.weber via Link" in audit


def test_an_expired_link_is_refused_with_the_neutral_page(tmp_path: Path):
    site = make_site(tmp_path, NOW)
    site.ok("user", "add", "j.ott", "--role", "lesend", "--name", "Jan Ott", "--email",
            "j.ott@stadt.example", "--link")  # fmt: skip
    token = _link_of(site, "j.ott@stadt.example")
    site.now = "2026-04-03T08:01"  # 24 hours and a minute later
    with (
        running(site),
        httpx.Client(base_url=site.url, follow_redirects=False, timeout=30) as client,
    ):
        page = client.get(f"/passwort/{token}")
        assert page.status_code == 404 and "nicht (mehr) gültig" in page.text
        fields = {"passwort": NEW_PASSWORD, "wiederholung": NEW_PASSWORD}
        fields["csrftoken"] = csrf(client.get("/anmelden").text)
        answer = client.post(f"/passwort/{token}", data=fields)
        assert answer.status_code == 404 and "nicht (mehr) gültig" in answer.text
        assert not _can_log_in(site, "j.ott", NEW_PASSWORD)


def test_bad_input_is_shown_at_its_field_and_nothing_is_added(site: Site, clients: Login):
    koord = clients("koord")
    before = _users(site)
    bad = _add(koord, login="Ä B", name="", email="keine-adresse", role="lesend")
    assert bad.status_code == 422
    assert 'id="fehler-login"' in bad.text and 'id="fehler-email"' in bad.text
    assert 'id="fehler-name"' in bad.text and "keine gültige E-Mail-Adresse" in bad.text
    twice = _add(koord, login="koord", name="Doppelt", email="d@stadt.example", role="lesend")
    assert twice.status_code == 409 and "gibt es schon" in twice.text
    assert _users(site) == before


@pytest.mark.parametrize("role_user", ["stab", "ablage", "lesend"])
def test_other_roles_are_refused_on_every_user_action_and_nothing_changes(
    site: Site, role_user: str, clients: Login
):
    before, outbox_before = _users(site), _stored_payloads(site)
    client = clients(role_user)
    assert client.get("/benutzer").status_code == 403
    assert "/benutzer" not in client.get("/").text  # no navigation link either
    fields = {"login": "eindringling", "name": "X", "email": "x@stadt.example", "role": "lesend"}
    assert (
        _post(client, "/benutzer", **{**fields, "role": "koordinierungsstelle"}).status_code == 403
    )
    assert _post(client, "/benutzer/koord/sperren").status_code == 403
    assert (
        _post(client, f"/benutzer/{role_user}/rolle", role="koordinierungsstelle").status_code
        == 403
    )
    assert _post(client, "/benutzer/koord/rolle", role="lesend").status_code == 403
    assert _users(site) == before and _stored_payloads(site) == outbox_before


def test_a_post_without_csrf_token_is_refused_and_nothing_changes(site: Site, clients: Login):
    before = _users(site)
    koord = clients("koord")
    data = {"login": "ohne.csrf", "name": "X", "email": "x@stadt.example", "role": "lesend"}
    assert koord.post("/benutzer", data=data).status_code == 403
    assert koord.post("/benutzer/stab/sperren").status_code == 403
    wrong = {"csrftoken": "gefaelscht", "role": "lesend"}
    assert koord.post("/benutzer/stab/rolle", data=wrong).status_code == 403
    assert _users(site) == before


def test_disabling_or_lowering_a_role_ends_the_sessions_at_once(site: Site, clients: Login):
    koord, lesend, stab = (
        clients("koord"),
        clients("lesend"),
        clients("stab"),
    )
    assert lesend.get("/").status_code == 200 and stab.get("/").status_code == 200
    assert _post(koord, "/benutzer/lesend/sperren").status_code == 303
    assert lesend.get("/").status_code == 303  # back to the login page
    assert not _can_log_in(site, "lesend", PASSWORD)
    assert "gesperrt" in koord.get("/benutzer").text
    assert _post(koord, "/benutzer/lesend/entsperren").status_code == 303
    assert _can_log_in(site, "lesend", PASSWORD)
    assert _post(koord, "/benutzer/stab/rolle", role="lesend").status_code == 303
    assert stab.get("/").status_code == 303
    assert "stab" in _users(site) and re.search(r"stab\s.*lesend", _users(site))
    assert _post(koord, "/benutzer/stab/rolle", role="stabsstellenleitung").status_code == 303
    audit = site.ok("audit")
    assert "Benutzer gesperrt" in audit and "Benutzer entsperrt" in audit
    assert "Rolle geändert" in audit


def test_the_last_active_coordinator_can_be_neither_disabled_nor_demoted(
    site: Site, clients: Login
):
    koord = clients("koord")
    before = _users(site)
    refused = _post(koord, "/benutzer/koord/sperren")
    assert (
        refused.status_code == 409
        and "letzte aktive Konto der Koordinierungsstelle" in refused.text
    )
    demoted = _post(koord, "/benutzer/koord/rolle", role="lesend")
    assert demoted.status_code == 409 and "weder gesperrt noch herabgestuft" in demoted.text
    assert _users(site) == before
    assert koord.get("/benutzer").status_code == 200  # still signed in
