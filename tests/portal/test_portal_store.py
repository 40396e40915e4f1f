"""The token store and the form translation on a real SQLite file, without a web server."""

from __future__ import annotations

import asyncio
import dataclasses
import re
import tomllib
from datetime import date, timedelta
from pathlib import Path

import httpx
import pytest
from sqlmodel import select

from cycle.bootstrap import App, bootstrap
from cycle.config.settings import Settings, VerwendungsnachweisRules
from cycle.documents import parse, parse_and_validate
from cycle.mail import links
from cycle.persistence import portal_store
from cycle.persistence.tables import PortalToken
from cycle.persistence.uow import transaction
from cycle.portal import vn_form
from cycle.server.app import create_app
from tests.conftest import ROOT, Run
from tests.portal.conftest import BOCKELSBERG, KALTENMOOR

NOW = "2026-12-03T08:00"
VN = ROOT / "tests" / "data" / "documents" / "verwendungsnachweis-2026.toml"


@pytest.fixture
def app(workspace: Path, zyklus: Run) -> App:
    assert zyklus("init", now=NOW).code == 0
    made = bootstrap(str(workspace / "config.toml"), NOW, {"ZYKLUS_WEB_SECRET": "x" * 32})
    yield made
    made.close()


def _without_contact(settings: Settings, pairing: str) -> Settings:
    pairings = dict(settings.pairings)
    pairings[pairing] = dataclasses.replace(pairings[pairing], contacts=())
    return dataclasses.replace(settings, pairings=pairings)


def test_a_contact_removed_from_the_master_data_loses_links_sessions_and_feeds(app: App):
    now = app.now()
    with transaction(app.engine) as session:
        login = portal_store.mint(session, app.settings, KALTENMOOR, portal_store.LOGIN, now)
        other = portal_store.mint(session, app.settings, KALTENMOOR, portal_store.LOGIN, now)
        feed = portal_store.mint(session, app.settings, KALTENMOOR, portal_store.FEED, now)
    assert login and other and feed
    with transaction(app.engine) as session:
        opened = portal_store.exchange(session, app.settings, login, now, 60)
    assert opened is not None
    cookie, access = opened
    assert access.pairings == {"kaltenmoor"}
    removed = _without_contact(app.settings, "kaltenmoor")
    with transaction(app.engine) as session:
        assert portal_store.session_access(session, app.settings, cookie, now) == access
        assert portal_store.session_access(session, removed, cookie, now) is None
        assert portal_store.feed_access(session, removed, feed, now) is None
        assert portal_store.peek(session, removed, other, now) is None
        assert portal_store.exchange(session, removed, other, now, 60) is None
        assert portal_store.mint(session, removed, KALTENMOOR, portal_store.LOGIN, now) is None


def test_only_the_hash_is_stored_and_links_are_minted_only_for_contacts(app: App):
    now = app.now()
    with transaction(app.engine) as session:
        connection = session.connection()

        def mint(address: str, outbox_id: int) -> str | None:
            return portal_store.mint_for_message(connection, app.settings, outbox_id, address, now)

        first = mint(KALTENMOOR, 1)
        other = mint(BOCKELSBERG, 2)
        leitung = mint("s.behrens@awo-lueneburg.example.org", 3)
        upper = mint(KALTENMOOR.upper(), 4)
    with transaction(app.engine) as session:
        rows = list(session.exec(select(PortalToken)))
    assert len({first, other, upper}) == 3  # a new link for every message
    assert leitung is None  # the Träger's Leitung is in the master data, but no pairing contact
    assert first is not None and first.startswith("http://127.0.0.1:8000/portal/anmelden/")
    token = first.rsplit("/", 1)[1]
    assert len(token) >= 43  # 32 random bytes, base64url
    assert {r.token_hash for r in rows} >= {portal_store.digest(token)}
    assert all(token not in (r.token_hash, r.email) for r in rows)
    assert {(r.outbox_id, r.email) for r in rows} == {
        (1, KALTENMOOR),
        (2, BOCKELSBERG),
        (4, KALTENMOOR),
    }
    expires = {r.expires_at - r.created_at for r in rows}
    assert expires == {timedelta(days=14)}


def test_a_message_minted_again_revokes_its_earlier_unused_link(app: App):
    now = app.now()
    with transaction(app.engine) as session:
        connection = session.connection()
        first = portal_store.mint_for_message(connection, app.settings, 7, KALTENMOOR, now)
        second = portal_store.mint_for_message(connection, app.settings, 7, KALTENMOOR, now)
        beside = portal_store.mint_for_message(connection, app.settings, 8, KALTENMOOR, now)
    assert first and second and beside
    with transaction(app.engine) as session:
        assert portal_store.peek(session, app.settings, first.rsplit("/", 1)[1], now) is None
        for url in (second, beside):  # the other message's link is left alone
            found = portal_store.peek(session, app.settings, url.rsplit("/", 1)[1], now)
            assert found is not None and found.email == KALTENMOOR


def test_the_session_cookie_is_secure_when_base_url_is_https(app: App):
    https = dataclasses.replace(
        app.settings,
        web=dataclasses.replace(app.settings.web, base_url="https://zyklus.stadt.example"),
    )
    secure_app = dataclasses.replace(app, settings=https)
    with transaction(app.engine) as session:
        token = portal_store.mint(session, https, KALTENMOOR, portal_store.LOGIN, app.now())
    answer = asyncio.run(_exchange_over_asgi(secure_app, token))
    assert answer.status_code == 303
    cookie = next(
        c for c in answer.headers.get_list("set-cookie") if c.startswith("zyklus_portal=")
    )
    assert "; Secure" in cookie and "HttpOnly" in cookie


async def _exchange_over_asgi(app: App, token: str) -> httpx.Response:
    transport = httpx.ASGITransport(app=create_app(app))
    async with httpx.AsyncClient(transport=transport, base_url="https://testserver") as client:
        page = await client.get(f"/portal/anmelden/{token}")
        field = re.search(r'name="csrftoken" value="([^"]+)"', page.text)
        assert field is not None
        return await client.post(f"/portal/anmelden/{token}", data={"csrftoken": field[1]})


def _form_of_file() -> vn_form.VnForm:
    parsed = parse(VN.read_text(encoding="utf-8"))
    assert not isinstance(parsed, list)
    return vn_form.from_document(parsed)


def test_the_form_becomes_the_same_document_as_the_toml_file():
    original = parse(VN.read_text(encoding="utf-8"))
    assert not isinstance(original, list)
    again = parse(vn_form.to_toml(_form_of_file(), 2026))
    # the form shows Kostensumme and Differenz computed; it does not ask for them
    assert again == dataclasses.replace(
        original, kostensumme_angegeben=None, differenz_angegeben=None
    )


def test_german_amounts_and_awkward_text_survive_the_translation():
    form = _form_of_file()
    form.values["zuschuss"] = "98.000,00 €"
    form.values["verwaltungskosten"] = "9.880"
    form.personal[0]["stellenanteil"] = "0,375"
    form.personal[1]["kosten"] = "0.375"  # no thousands after a leading zero (refused later)
    form.values["erlaeuterung"] = 'Rest "zurück"\\ an die Stadt\nZeile 2\x7f'
    form.values["unterschrift.datum"] = "20.05.2027"
    text = vn_form.to_toml(form, 2026)
    data = tomllib.loads(text)
    assert data["zuschuss"] == "98000.00"
    assert data["verwaltungskosten"] == "9880"
    assert data["erlaeuterung"] == 'Rest "zurück"\\ an die Stadt\nZeile 2\x7f'
    assert data["unterschrift"]["datum"] == date(2027, 5, 20)
    assert data["personal"][0]["stellenanteil"] == "0.375"
    assert data["personal"][1]["kosten"] == "0.375"


def test_the_form_is_checked_by_the_same_rules_as_the_file():
    rules = VerwendungsnachweisRules()
    form = _form_of_file()
    form.values["verwaltungskosten"] = "10640.00"  # 14 % of 76.000,00 €
    form.values["unterschrift.name"] = ""
    form.personal[1]["stellenanteil"] = "1,5"
    result = parse_and_validate(vn_form.to_toml(form, 2026), 2026, rules, date(2027, 5, 25))
    assert isinstance(result, list)
    fields = [p.field for p in result]
    assert "verwaltungskosten" in fields
    assert "personal[2].stellenanteil" in fields
    assert "unterschrift.name" in fields
    sums = vn_form.sums(form, rules)
    assert sums.text("verwaltung_max") == "9.880,00 €"
    assert sums.text("personal_rows") == "76.000,00 €"


def test_empty_rows_are_dropped_and_blank_amounts_are_missing():
    from starlette.datastructures import FormData

    rules = VerwendungsnachweisRules()
    data = FormData(
        [
            ("zuschuss", "1000"),
            ("personal[1].name", ""),
            ("personal[2].name", "Muster"),
            ("personal[2].kosten", "10,5"),
            ("angebote[1].bezeichnung", ""),
        ]
    )
    form = vn_form.read(data, rules)
    assert form.personal == [
        {
            "name": "Muster",
            "vorname": "",
            "qualifikation": "",
            "verguetungsgruppe": "",
            "stellenanteil": "",
            "kosten": "10,5",
        }
    ]
    assert form.angebote == []
    result = parse(vn_form.to_toml(form, 2026))
    assert isinstance(result, list)
    fields = {p.field for p in result}
    assert {"personalkosten", "personal[1].stellenanteil", "unterschrift.datum"} <= fields
    assert "personal[1].name" not in fields


def test_only_a_mail_to_exactly_one_contact_without_cc_gets_the_personal_placeholder(
    app: App,
):
    kontakt = f"Lena Hoffmann <{KALTENMOOR}>"
    tandem = (
        "Julia Brandt <j.brandt@stadt-lueneburg.example.org>",
        "Paul Wendt <p.wendt@lebensraum-diakonie.example.org>",
    )
    leitung = "Sabine Behrens <s.behrens@awo-lueneburg.example.org>"
    koordination = "Koordinierungsstelle <stadtteilarbeit@stadt-lueneburg.example.org>"
    settings = app.settings
    own = links.footer(settings, (kontakt,), ())
    assert links.PLACEHOLDER in own[0] and "gültig 14 Tage" in own[0]
    assert f'<a href="{links.PLACEHOLDER}">' in own[1]
    shared = [
        links.footer(settings, (kontakt, leitung), ()),
        links.footer(settings, tandem, ()),
        links.footer(settings, (kontakt,), (koordination,)),
        links.footer(settings, (leitung,), (kontakt,)),
    ]
    for text, html in shared:
        assert links.PLACEHOLDER not in text + html and "/anmelden" not in text + html
        assert "http://127.0.0.1:8000/portal/\n" in text and "keinen persönlichen Link" in text
    assert links.footer(settings, (leitung,), ()) == ("", "")
    assert links.footer(settings, (koordination,), (leitung,)) == ("", "")


def test_the_migrations_create_exactly_the_portal_tables_of_the_models(app: App):
    from alembic.autogenerate import compare_metadata
    from alembic.runtime.migration import MigrationContext
    from sqlmodel import SQLModel

    with app.engine.connect() as connection:
        context = MigrationContext.configure(connection, opts={"compare_type": False})
        diff = compare_metadata(context, SQLModel.metadata)
    ours = ("portal_token", "portal_session", "portal_request", "meeting_reply")
    assert [d for d in diff if any(name in repr(d) for name in ours)] == []
