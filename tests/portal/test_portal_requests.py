"""Request-level security tests of the portal against a real ``zyklus web``, as an attacker tries.

Contact A (kaltenmoor, AWO) holds a session; every portal URL and form is tried with the ids of
pairing B (bockelsberg, Caritas): each answers 403 or 404, shows nothing of B, changes nothing.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator

import httpx
import icalendar
import pytest
from sqlmodel import col, select
from starlette.routing import Route

from cycle.persistence.tables import MeetingReply, PortalToken, StageState
from cycle.persistence.uow import reading
from cycle.portal import routes
from cycle.views.calendar_export import load_entries
from tests.portal.conftest import (
    BOCKELSBERG,
    DATA_OF_B,
    KALTENMOOR,
    Clients,
    app_of,
    audit,
    enter,
    exchange,
    form_token,
    mint,
    without_tokens,
)
from tests.web.conftest import Site, make_site, running

NOW = "2026-12-03T08:00"
LANGE = "s.lange@paritaetischer.example.org"  # the contact of pairing ebensberg
MEETING = "2026-12-10T10:00"


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Site]:
    """2026 cycles; the Auswertungsgespräch of both pairings scheduled for 10.12.2026."""
    s = make_site(tmp_path_factory.mktemp("portal"), NOW)
    for pairing in ("kaltenmoor", "bockelsberg"):
        s.ok("schedule", pairing, "2026", "auswertungsgespraech", "--at", MEETING)
    with running(s):
        yield s


def _token_row(site: Site, token: str) -> PortalToken:
    from cycle.persistence.portal_store import digest

    app = app_of(site)
    with reading(app.engine) as session:
        row = session.exec(
            select(PortalToken).where(col(PortalToken.token_hash) == digest(token))
        ).one()
    app.close()
    return row


def test_opening_a_link_shows_weiter_and_uses_nothing(site: Site, clients: Clients):
    token = mint(site, KALTENMOOR)
    client = clients()
    for _ in range(3):  # a mail scanner, a preview, the contact
        page = client.get(f"/portal/anmelden/{token}")
        assert page.status_code == 200
        assert ">Weiter</button>" in page.text
        assert "zyklus_portal" not in page.headers.get("set-cookie", "")
    assert _token_row(site, token).used_at is None
    answer = exchange(client, token)
    assert answer.status_code == 303
    assert _token_row(site, token).used_at is not None


def test_a_used_link_is_refused_and_opens_no_session(site: Site, clients: Clients):
    token = mint(site, KALTENMOOR)
    assert exchange(clients(), token).status_code == 303
    other = clients()
    again = exchange(other, token)
    assert again.status_code == 410
    assert "zyklus_portal" not in again.headers.get("set-cookie", "")
    assert "Neuen Link anfordern" in again.text
    assert other.get("/portal/").status_code == 303


def test_an_expired_link_is_refused_with_the_same_page_as_an_unknown_one(
    site: Site, clients: Clients
):
    expired = mint(site, KALTENMOOR, days_ago=15)  # [portal] link_days = 14
    still_valid = mint(site, KALTENMOOR, days_ago=13)
    client = clients()
    answers = {
        name: exchange(client, token)
        for name, token in (("abgelaufen", expired), ("unbekannt", "x" * 43))
    }
    assert {a.status_code for a in answers.values()} == {410}
    assert without_tokens(answers["abgelaufen"].text) == without_tokens(answers["unbekannt"].text)
    assert client.get(f"/portal/anmelden/{expired}").status_code == 410
    assert exchange(client, still_valid).status_code == 303


def test_the_exchange_needs_the_form_token_and_uses_nothing_without_it(
    site: Site, clients: Clients
):
    token = mint(site, KALTENMOOR)
    client = clients()
    client.get(f"/portal/anmelden/{token}")
    forged = client.post(f"/portal/anmelden/{token}", data={"csrftoken": "gefaelscht"})
    assert forged.status_code == 403
    assert _token_row(site, token).used_at is None


def test_session_cookie_and_portal_headers(site: Site, clients: Clients):
    client = clients()
    answer = exchange(client, mint(site, KALTENMOOR))
    cookie = next(
        c for c in answer.headers.get_list("set-cookie") if c.startswith("zyklus_portal=")
    )
    assert "HttpOnly" in cookie
    assert "SameSite=lax" in cookie
    assert "Path=/portal" in cookie
    assert "Secure" not in cookie  # base_url is http here; https: see test_portal_store
    for path in ("/portal/", "/portal/neuer-link", "/portal/anmelden/unbekannt"):
        page = client.get(path)
        assert page.headers["referrer-policy"] == "no-referrer", path
        assert page.headers["cache-control"] == "no-store", path


def test_meine_fristen_shows_only_the_contacts_pairings(site: Site, clients: Clients):
    page = enter(site, clients, KALTENMOOR).get("/portal/")
    assert page.status_code == 200
    assert "Kaltenmoor 2026" in page.text
    assert "10.12.2026, 10:00 Uhr" in page.text  # the scheduled Auswertungsgespräch
    assert "31.12.2026" in page.text  # the Jahresbericht's due date
    assert "30.06.2027" in page.text  # the Verwendungsnachweis 2026, due in the next year
    for word in DATA_OF_B:
        assert word not in page.text


SAMPLE = {"pairing": "bockelsberg", "year": "2026", "stage": "auswertungsgespraech"}
VN_FIELDS = {
    "zuschuss": "98000.00",
    "personalkosten": "76000.00",
    "verwaltungskosten": "9880.00",
    "sachkosten": "6500.00",
    "gemeinwesenarbeit": "0.00",
    "erlaeuterung": "Rest",
    "personal[1].name": "Muster",
    "personal[1].vorname": "Erika",
    "personal[1].qualifikation": "B.A.",
    "personal[1].verguetungsgruppe": "S 12",
    "personal[1].stellenanteil": "1",
    "personal[1].kosten": "76000.00",
    "unterschrift.name": "Erika Muster",
    "unterschrift.datum": "2026-12-01",
}


def _foreign_paths(method: str, pairing: str) -> list[str]:
    """Every portal route naming a pairing, filled with ``pairing`` (B, or tricks like 'alle')."""
    found = []
    for route in routes():
        if not isinstance(route, Route) or "{pairing}" not in route.path:
            continue
        if method in (route.methods or set()):
            path = re.sub(
                r"\{(\w+)(:\w+)?\}",
                lambda m: pairing if m[1] == "pairing" else SAMPLE[m[1]],
                route.path,
            )
            found.append("/portal" + path)
    return found


@pytest.mark.parametrize(
    "pairing", ["bockelsberg", "alle", "kaltenmoor,bockelsberg", "BOCKELSBERG"]
)
def test_no_url_or_form_of_the_portal_opens_another_pairing(
    site: Site, clients: Clients, pairing: str
):
    client = enter(site, clients, KALTENMOOR)
    token = form_token(client)
    before = _foreign_state(site)  # what other tests of this module left (any order)
    gets, posts = _foreign_paths("GET", pairing), _foreign_paths("POST", pairing)
    assert len(gets) >= 4 and len(posts) >= 4  # jahresbericht, vorlage, vn, pdf / 4 forms
    own = [p.replace(f"/{pairing}/", "/kaltenmoor/") for p in gets if "pdf" not in p]
    assert {client.get(p).status_code for p in own} == {200}  # the same URLs for A's own pairing
    for path in gets:
        answer = client.get(path)
        assert answer.status_code in (403, 404), path
        assert not [w for w in DATA_OF_B if w in answer.text], path
    fields = {
        "csrftoken": token,
        "aktion": "einreichen",
        "at": "2026-12-10T10:00:00+01:00",
        "termin1": "2026-12-17T10:00",
        **VN_FIELDS,
    }
    report = {"bericht": ("bericht.pdf", b"%PDF-1.4\n", "application/pdf")}
    for path in posts:
        answer = client.post(path, data=fields, files=report if "jahresbericht" in path else None)
        assert answer.status_code in (403, 404), path
        assert not [w for w in DATA_OF_B if w in answer.text], path
    assert _foreign_state(site) == before
    assert not [
        e
        for e in audit(site)
        if e["actor"] == f"{KALTENMOOR} via Portal"
        and e["pairing"] != ""
        and e["pairing"] != "kaltenmoor"
    ]


def _foreign_state(site: Site) -> tuple[list[int | None], list[tuple[str, str]]]:
    """Meeting replies of pairings other than kaltenmoor, and every submitted stage."""
    app = app_of(site)
    with reading(app.engine) as session:
        replies = session.exec(
            select(MeetingReply.id).where(MeetingReply.pairing_id != "kaltenmoor")
        )
        states = session.exec(
            select(StageState.stage_id, StageState.status).where(
                col(StageState.status) == "eingereicht"
            )
        )
        found = (sorted(replies), sorted(states))
    app.close()
    return found


def test_a_link_of_pairing_a_opens_a_session_of_pairing_a_only(site: Site, clients: Clients):
    client = enter(site, clients, KALTENMOOR)
    for path in (
        "/portal/",
        "/portal/termine",
        "/portal/jahresbericht",
        "/portal/verwendungsnachweis",
    ):
        page = client.get(path)
        assert page.status_code == 200, path
        assert "Kaltenmoor" in page.text, path
        assert not [w for w in DATA_OF_B if w in page.text], path


def test_confirm_and_propose_are_audited_as_the_contact_via_portal(site: Site, clients: Clients):
    client = enter(site, clients, KALTENMOOR)
    token = form_token(client, "/portal/termine")
    base = "/portal/termine/kaltenmoor/2026/auswertungsgespraech"
    stale = client.post(
        f"{base}/bestaetigen", data={"csrftoken": token, "at": "2026-12-11T10:00:00+01:00"}
    )
    assert stale.status_code == 422 and "inzwischen geändert" in stale.text
    ok = client.post(
        f"{base}/bestaetigen", data={"csrftoken": token, "at": "2026-12-10T10:00:00+01:00"}
    )
    assert ok.status_code == 303
    past = client.post(
        f"{base}/vorschlagen", data={"csrftoken": token, "termin1": "2026-11-01T10:00"}
    )
    assert past.status_code == 422 and "in der Zukunft" in past.text
    three = {f"termin{n}": f"2026-12-1{n}T10:00" for n in range(1, 4)}
    sent = client.post(
        f"{base}/vorschlagen", data={"csrftoken": token, **three, "notiz": "Lieber vormittags"}
    )
    assert sent.status_code == 303
    page = client.get("/portal/termine")
    assert "Lieber vormittags" in page.text
    mine = [e for e in audit(site) if e["actor"] == f"{KALTENMOOR} via Portal"]
    actions = [e["action"] for e in mine if e["pairing"] == "kaltenmoor"]
    assert actions[-2:] == ["termin_bestaetigt", "termine_vorgeschlagen"]
    app = app_of(site)
    from cycle.views.meeting_replies import meeting_replies

    with reading(app.engine) as session:
        replies = meeting_replies(session, "kaltenmoor", 2026)
    app.close()
    assert [r.kind for r in replies[:2]] == ["vorgeschlagen", "bestaetigt"]
    assert len(replies[0].dates) == 3 and replies[0].note == "Lieber vormittags"


def _feed_url(client: httpx.Client) -> str:
    page = client.post("/portal/kalender", data={"csrftoken": form_token(client)})
    assert page.status_code == 200
    found = re.search(r'<code id="kalender-adresse">([^<]+)</code>', page.text)
    assert found, page.text
    return found[1]


def _feed_path(url: str) -> str:
    return url[url.index("/portal/") :]


def test_the_feed_holds_every_deadline_and_meeting_of_the_contact_and_none_of_another(
    site: Site, clients: Clients
):
    client = enter(site, clients, KALTENMOOR)
    path = _feed_path(_feed_url(client))
    answer = httpx.get(site.url + path)  # no cookie: a calendar program subscribes
    assert answer.status_code == 200
    assert answer.headers["content-type"].startswith("text/calendar")
    calendar = icalendar.Calendar.from_ical(answer.content)
    events = {str(e["UID"]): e for e in calendar.walk("VEVENT")}
    app = app_of(site)
    expected = {e.uid for e in load_entries(app.view_context(), "kaltenmoor", None)}
    others = {e.uid for e in load_entries(app.view_context(), "bockelsberg", None)}
    app.close()
    assert set(events) == expected
    assert len(expected) == 6  # five deadlines of 2026 and the scheduled Auswertungsgespräch
    assert not (set(events) & (others - expected))
    assert not [w for w in DATA_OF_B if w in answer.text]
    summaries = {str(e["SUMMARY"]) for e in events.values()}
    assert "Auswertungsgespräch Kaltenmoor" in summaries


def test_a_new_feed_address_ends_the_old_one(site: Site, clients: Clients):
    client = enter(site, clients, KALTENMOOR)
    first = _feed_path(_feed_url(client))
    second = _feed_path(_feed_url(client))
    assert httpx.get(site.url + first).status_code == 404
    assert httpx.get(site.url + second).status_code == 200


def test_revocation_ends_the_open_session_the_links_and_the_feed(site: Site, clients: Clients):
    # a contact no other test of this module uses: the counts are this test's own
    client = enter(site, clients, LANGE)
    feed = _feed_path(_feed_url(client))
    unused = mint(site, LANGE)
    assert client.get("/portal/").status_code == 200
    assert httpx.get(site.url + feed).status_code == 200
    out = site.ok("portal", "revoke", LANGE.upper())
    # one link: the one minted here
    assert "1 Links, 1 Sitzungen, 1 Kalenderadressen" in out
    after = client.get("/portal/")
    assert after.status_code == 303
    assert after.headers["location"].startswith("/portal/neuer-link")
    assert httpx.get(site.url + feed).status_code == 404
    assert exchange(clients(), unused).status_code == 410
    revoked = [e for e in audit(site) if e["action"] == "portal_widerrufen"]
    assert revoked[-1]["actor"] == "test"


def test_unknown_portal_paths_and_tokens_answer_404_without_data(site: Site, clients: Clients):
    client = enter(site, clients, KALTENMOOR)
    assert client.get("/portal/gibt-es-nicht").status_code == 404
    assert httpx.get(f"{site.url}/portal/kalender/{'x' * 43}.ics").status_code == 404
    login = mint(site, KALTENMOOR)  # a login token is no feed token
    assert httpx.get(f"{site.url}/portal/kalender/{login}.ics").status_code == 404


def test_a_shared_invitation_names_the_portal_and_carries_no_personal_link(site: Site):
    from cycle.persistence.tables import OutboxMessage

    app = app_of(site)
    with reading(app.engine) as session:
        messages = list(session.exec(select(OutboxMessage)))
    app.close()
    invitations = {m.to: m.payload for m in messages if m.kind == "einladung"}
    assert len(invitations) == 2
    for to, payload in invitations.items():
        assert len(to.split(", ")) > 1  # the contact, the Leitung and the Koordinierungsstelle
        stored = f"{payload['text']}{payload['html']}"
        assert "/portal/anmelden/" not in stored and "[persönlicher Zugangslink]" not in stored
        assert "Ihren eigenen Link erhalten Sie" in payload["text"]
        assert "http://127.0.0.1:8000/portal/\n" in payload["text"]
        assert "zugangslink" not in payload


def test_a_proposal_with_bidi_controls_is_stored_and_shown_without_them(
    site: Site, clients: Clients
):
    client = enter(site, clients, BOCKELSBERG)
    token = form_token(client, "/portal/termine")
    base = "/portal/termine/bockelsberg/2026/auswertungsgespraech"
    note = "Lieber \u202eSGATSNEID\u202c \u2067vormittags\u2069"
    sent = client.post(
        f"{base}/vorschlagen",
        data={"csrftoken": token, "termin1": "2026-12-14T10:00", "notiz": note},
    )
    assert sent.status_code == 303
    page = client.get("/portal/termine").text
    assert "Lieber SGATSNEID vormittags" in page
    assert not set(page) & {chr(c) for c in (*range(0x202A, 0x202F), *range(0x2066, 0x206A))}
    app = app_of(site)
    from cycle.views.meeting_replies import meeting_replies

    with reading(app.engine) as session:
        replies = meeting_replies(session, "bockelsberg", 2026)
    app.close()
    assert replies[0].note == "Lieber SGATSNEID vormittags"


def stages_of(site: Site, pairing: str = "kaltenmoor") -> dict[str, str]:
    data = json.loads(site.ok("status", "--year", "2026", "--format", "json"))
    cycle = next(c for c in data["cycles"] if c["pairing"] == pairing)
    return {stage: str(s["status"]) for stage, s in cycle["stages"].items()}


def _personal_rows(count: int) -> dict[str, str]:
    """``count`` Personal rows of 2.500 € each, the sums to match (a proof without problems)."""
    total = 2500 * count
    fields = {
        "zuschuss": f"{total + total * 13 // 100 + 6500}.00",
        "personalkosten": f"{total}.00",
        "verwaltungskosten": f"{total * 13 // 100}.00",
        "sachkosten": "6500.00",
        "gemeinwesenarbeit": "0.00",
        "erlaeuterung": "",
        "unterschrift.name": "Lena Hoffmann",
        "unterschrift.datum": "2026-12-01",
    }
    for i in range(1, count + 1):
        fields |= {
            f"personal[{i}].name": f"Name{i}",
            f"personal[{i}].vorname": "Vorname",
            f"personal[{i}].qualifikation": "B.A.",
            f"personal[{i}].verguetungsgruppe": "S 12",
            f"personal[{i}].stellenanteil": "0.1",
            f"personal[{i}].kosten": "2500.00",
        }
    return fields


def test_more_personal_rows_than_the_form_offers_are_refused_never_dropped(
    site: Site, clients: Clients
):
    client = enter(site, clients, KALTENMOOR)
    path = "/portal/verwendungsnachweis/kaltenmoor/2026"
    token = form_token(client, path)
    thirty = client.post(path, data={"csrftoken": token, **_personal_rows(30)})
    assert thirty.status_code == 200, thirty.text  # "Prüfen": 30 rows pass every rule
    before = (len(audit(site)), stages_of(site)["verwendungsnachweis"])
    for action in ("pruefen", "einreichen"):
        answer = client.post(
            path, data={"csrftoken": token, "aktion": action, **_personal_rows(31)}
        )
        assert answer.status_code == 422
        message = "Das Formular nimmt höchstens 30 Personalzeilen auf, ausgefüllt sind 31."
        assert message in answer.text
        assert 'value="Name31"' in answer.text  # shown again, not lost
    # a row number the page never offered is read too, and refused the same way
    far = {f"personal[999].{k}": v for k, v in (("name", "Spät"), ("kosten", "1.00"))}
    answer = client.post(
        path, data={"csrftoken": token, "aktion": "einreichen", **_personal_rows(30), **far}
    )
    assert answer.status_code == 422 and "ausgefüllt sind 31" in answer.text
    assert (len(audit(site)), stages_of(site)["verwendungsnachweis"]) == before
