"""Request-level tests against a real ``zyklus web``: login, session, CSRF, roles, refusals."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from starlette.routing import Route

from cycle.server.app import routes
from tests.conftest import ROOT
from tests.web.conftest import PASSWORD, Site, csrf, login, make_site, running

VN_OK = ROOT / "tests" / "data" / "documents" / "verwendungsnachweis-2026.toml"
SAMPLE = {
    "pairing": "kaltenmoor",
    "year": "2026",
    "stage": "auftaktgespraech",
    "event": "complete",
    "id": "1",
    "sha": "0" * 64,
    "kind": "kalender",
    "fmt": "csv",
    "art": "partnerschaft",
    "ident": "kaltenmoor",
    "token": "x" * 43,
    "login": "lesend",
}
# Public: a set-password link is its own credential (tests/web/test_web_users.py)
LINK_PAGES = "/passwort/"
# Every field any form has, valid, so that only the role decides.
FORM = {
    "at": "2027-06-10T10:00",
    "on": "2027-05-20",
    "until": "2027-07-31",
    "due": "2027-07-31",
    "reason": "Test",
    "text": "Notiz",
    "stage": "auftaktgespraech",
    "year": "2026",
    "umfang": "alle",
    "participants": "3",
}
FILES = {"upload": ("bericht.md", b"# Bericht\n"), "evidence": ("protokoll.txt", b"Protokoll")}


def _paths(method: str) -> list[str]:
    found = []
    for route in routes():
        if isinstance(route, Route) and route.methods and method in route.methods:
            found.append(re.sub(r"\{(\w+)(:\w+)?\}", lambda m: SAMPLE[m.group(1)], route.path))
    return found


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Site]:
    """2026 cycles; the Verwendungsnachweis of kaltenmoor checked, of hanseviertel submitted."""
    s = make_site(tmp_path_factory.mktemp("web"), "2026-04-02T08:00", "upload_max_mb = 1")
    for pairing in ("kaltenmoor", "hanseviertel"):
        for stage in ("auftaktgespraech", "fachtag", "auswertungsgespraech", "jahresbericht"):
            s.ok("waive", pairing, "2026", stage, "--reason", "Test")
        s.ok("submit", pairing, "2026", "verwendungsnachweis", str(VN_OK), now="2027-05-25T09:00")
    # four eyes: the operator "test" submitted, the Koordinierungsstelle's "koord" checks
    s.ok(
        "check",
        "kaltenmoor",
        "2026",
        "verwendungsnachweis",
        "--by",
        "koord",
        now="2027-05-25T09:00",
    )
    s.now = "2027-05-25T09:00"
    with running(s):
        yield s


def _audit(site: Site) -> list[dict[str, object]]:
    entries: list[dict[str, object]] = json.loads(site.ok("audit", "--format", "json"))
    return entries


def _status(site: Site, pairing: str, stage: str, year: int = 2026) -> str:
    data = json.loads(site.ok("status", "--year", str(year), "--format", "json"))
    cycle = next(c for c in data["cycles"] if c["pairing"] == pairing)
    return str(cycle["stages"][stage]["status"])


def test_every_page_redirects_to_the_login_without_a_session(site: Site):
    pages = _paths("GET")
    assert "/" in pages and "/zyklus/kaltenmoor/2026" in pages
    with httpx.Client(base_url=site.url, follow_redirects=False) as client:
        for path in pages:
            if path.startswith(("/anmelden", LINK_PAGES)):
                continue
            answer = client.get(path)
            if path in ("/datenschutz", "/impressum", "/barrierefreiheit"):
                assert answer.status_code == 200, path  # public (SPEC §18)
                continue
            assert answer.status_code == 303, path
            assert answer.headers["location"].startswith("/anmelden?weiter="), path
        for path in _paths("POST"):
            if path != "/anmelden" and not path.startswith(LINK_PAGES):
                assert client.post(path, data={}).status_code == 303, path


def test_the_login_page_has_the_fields_of_the_spec_and_the_security_headers(site: Site):
    answer = httpx.get(f"{site.url}/anmelden")
    assert answer.status_code == 200
    html = answer.text
    assert '<html lang="de">' in html
    assert re.search(r'<label for="benutzername">Benutzername</label>', html)
    assert re.search(r'<label for="passwort">Passwort</label>', html)
    assert '<button type="submit">Anmelden</button>' in html
    headers = answer.headers
    assert "frame-ancestors 'none'" in headers["content-security-policy"]
    assert "script-src 'self'" in headers["content-security-policy"]
    assert "unsafe-inline" not in headers["content-security-policy"]
    assert headers["referrer-policy"] == "same-origin"
    assert headers["x-content-type-options"] == "nosniff"
    assert "<script" not in html
    assert "http://" not in html and "https://" not in html  # nothing from another host


def test_login_sets_a_new_httponly_samesite_session_and_logout_ends_it(site: Site):
    client = httpx.Client(base_url=site.url, follow_redirects=False)
    before = client.get("/anmelden")
    old_csrf = client.cookies["zyklus_csrf"]
    answer = client.post(
        "/anmelden",
        data={"benutzername": "koord", "passwort": PASSWORD, "csrftoken": csrf(before.text)},
    )
    assert answer.status_code == 303 and answer.headers["location"] == "/"
    cookies = answer.headers.get_list("set-cookie")
    session = next(c for c in cookies if c.startswith("zyklus_sitzung="))
    assert "HttpOnly" in session and "samesite=lax" in session.lower()
    assert "Max-Age=28800" in session and "Secure" not in session  # base_url is http
    assert client.cookies["zyklus_csrf"] != old_csrf  # renewed at login
    page = client.get("/")
    assert page.status_code == 200 and "Frau Koord" in page.text
    out = client.post("/abmelden", data={"csrftoken": csrf(page.text)})
    assert out.status_code == 303
    assert client.get("/").status_code == 303
    client.close()


def test_a_wrong_password_gets_the_neutral_message_and_many_attempts_lock_the_login(site: Site):
    with httpx.Client(base_url=site.url, follow_redirects=False) as client:
        token = csrf(client.get("/anmelden").text)
        for _ in range(5):
            wrong = client.post(
                "/anmelden", data={"benutzername": "ablage", "passwort": "x", "csrftoken": token}
            )
            assert wrong.status_code == 401
            assert "Anmeldung fehlgeschlagen" in wrong.text
        locked = client.post(
            "/anmelden", data={"benutzername": "ablage", "passwort": PASSWORD, "csrftoken": token}
        )
        assert locked.status_code == 401
        assert "Anmeldung fehlgeschlagen" in locked.text
        unknown = client.post(
            "/anmelden", data={"benutzername": "niemand", "passwort": "x", "csrftoken": token}
        )
        assert unknown.text.count("Anmeldung fehlgeschlagen") == 1  # same neutral answer


def test_a_post_without_a_valid_csrf_token_is_refused_and_changes_nothing(site: Site):
    client = login(site.url, "koord")
    before = len(_audit(site))
    for path in _paths("POST"):
        for data in ({}, {"csrftoken": "falsch"}):
            answer = client.post(path, data={**FORM, **data})
            assert answer.status_code == 403, path
            assert "Sicherheitsprüfung fehlgeschlagen" in answer.text
    assert len(_audit(site)) == before
    assert client.get("/").status_code == 200  # still logged in
    client.close()


def test_a_reading_user_sees_every_page_and_is_refused_on_every_post(site: Site):
    client = login(site.url, "lesend")
    for path in _paths("GET"):
        if path in ("/auskunft", "/benutzer"):  # the Koordinierungsstelle's only (SPEC §16, §18)
            assert client.get(path).status_code == 403, path
        elif not path.startswith(("/anmelden", "/nachweis/", "/postausgang/", LINK_PAGES)):
            assert client.get(path).status_code in (200, 409), path
    page = client.get("/zyklus/kaltenmoor/2026")
    assert '<form method="post" action="/zyklus/' not in page.text  # no event forms offered
    token = csrf(page.text)
    before = len(_audit(site))
    for path in _paths("POST"):
        if path in ("/anmelden", "/abmelden") or path.startswith(LINK_PAGES):
            continue
        answer = client.post(path, data={**FORM, "csrftoken": token}, files=FILES)
        assert answer.status_code == 403, (path, answer.text[:300])
        assert "Keine Berechtigung" in answer.text
    assert len(_audit(site)) == before
    client.close()


def test_the_stabsstellenleitung_can_acknowledge_but_not_check(site: Site):
    client = login(site.url, "stab")
    page = client.get("/zyklus/kaltenmoor/2026/verwendungsnachweis")
    assert page.status_code == 200
    assert "Zur Kenntnis nehmen" in page.text and "Rechnerisch prüfen</button>" not in page.text
    token = csrf(page.text)
    refused = client.post(
        "/zyklus/hanseviertel/2026/verwendungsnachweis/check", data={"csrftoken": token}
    )
    assert refused.status_code == 403
    assert "Als Stabsstellenleitung dürfen Sie nicht" in refused.text
    assert _status(site, "hanseviertel", "verwendungsnachweis") == "eingereicht"
    done = client.post(
        "/zyklus/kaltenmoor/2026/verwendungsnachweis/acknowledge",
        data={"csrftoken": token, "weiter": "/zyklus/kaltenmoor/2026/verwendungsnachweis"},
    )
    assert done.status_code == 303
    assert done.headers["location"] == "/zyklus/kaltenmoor/2026/verwendungsnachweis"
    assert _status(site, "kaltenmoor", "verwendungsnachweis") == "zur_kenntnis_genommen"
    entry = [e for e in _audit(site) if not str(e["action"]).startswith("benachrichtigung")][-1]
    assert (entry["actor"], entry["action"]) == ("stab", "acknowledge")
    client.close()


def test_the_check_page_lists_every_rule_with_amounts_and_the_schlussrechnung(site: Site):
    client = login(site.url, "koord")
    page = client.get("/zyklus/hanseviertel/2026/verwendungsnachweis").text
    for text in (
        "Verwaltungskosten höchstens 13 % der Personalkosten",
        "Sachkosten höchstens 7.000,00 €",
        "Stadtteilmanagementbudget höchstens 6.000,00 €",
        "Kostensumme (1–4)",
        "98.000,00 €",
        "Rechnerisch prüfen</button>",
    ):
        assert text in page, text
    assert page.count("erfüllt") >= 9 and "nicht erfüllt" not in page
    client.close()


def test_a_refused_event_shows_its_german_message_beside_the_field_and_changes_nothing(
    site: Site,
):
    client = login(site.url, "koord")
    token = csrf(client.get("/zyklus/bockelsberg/2026").text)
    before = len(_audit(site))
    answer = client.post(
        "/zyklus/bockelsberg/2026/auftaktgespraech/complete",
        data={"csrftoken": token, "on": "2027-06-30"},
    )
    assert answer.status_code == 422
    field = re.search(r'<p class="feldfehler" id="fehler-on">([^<]+)</p>', answer.text)
    assert field and "liegt in der Zukunft" in field.group(1)
    assert 'aria-invalid="true"' in answer.text
    assert len(_audit(site)) == before
    assert _status(site, "bockelsberg", "auftaktgespraech") == "offen"
    client.close()


def test_an_upload_over_the_limit_is_refused_before_it_is_read(site: Site):
    client = login(site.url, "koord")
    token = csrf(client.get("/zyklus/bockelsberg/2026").text)
    before = len(_audit(site))
    answer = client.post(
        "/zyklus/bockelsberg/2026/auftaktgespraech/complete",
        data={"csrftoken": token, "on": "2026-03-30"},
        files={"evidence": ("gross.bin", b"x" * (2 * 1024 * 1024))},
    )
    assert answer.status_code == 413
    assert "größer als 1 MB" in answer.text
    assert len(_audit(site)) == before
    client.close()


def test_the_csv_is_for_a_german_excel_and_the_xlsx_has_dates_and_a_filter(site: Site):
    client = login(site.url, "koord")
    csv = client.get("/uebersicht.csv?jahr=2026&traeger=awo")
    assert csv.status_code == 200
    assert csv.content.startswith(b"\xef\xbb\xbf")
    lines = csv.content.decode("utf-8-sig").splitlines()
    head = lines[0].split(";")
    assert head[:3] == ["Partnerschaft", "Träger", "Stadtteil"]
    kaltenmoor = dict(zip(head, lines[1].split(";"), strict=True))
    assert kaltenmoor["Partnerschaft"] == "kaltenmoor" and len(lines) == 2  # filtered
    assert kaltenmoor["Auftaktgespräch: Frist"] == "31.03.2026"
    assert kaltenmoor["Auftaktgespräch: erledigt"] == "Ja"  # waived counts as done
    assert kaltenmoor["Verwendungsnachweis: erledigt"] == "Nein"
    xlsx = client.get("/uebersicht.xlsx?jahr=2026")
    from io import BytesIO

    from openpyxl import load_workbook

    sheet = load_workbook(BytesIO(xlsx.content)).active
    assert sheet is not None
    assert sheet.freeze_panes == "A2" and sheet.auto_filter.ref
    assert sheet.max_row == 9  # header and 8 pairings
    assert sheet.cell(2, 8).is_date
    client.close()


def test_a_disabled_user_loses_the_session_at_once(site: Site):
    site.env["ZYKLUS_PASSWORD"] = PASSWORD
    try:
        site.ok("user", "add", "kurz", "--role", "lesend", "--name", "Kurz Zeit")
    finally:
        del site.env["ZYKLUS_PASSWORD"]
    client = login(site.url, "kurz")
    assert client.get("/").status_code == 200
    site.ok("user", "disable", "kurz")
    assert client.get("/").status_code == 303
    client.close()


def test_the_evidence_of_an_event_can_be_downloaded(site: Site, tmp_path: Path):
    client = login(site.url, "koord")
    page = client.get("/zyklus/kaltenmoor/2026/verwendungsnachweis")
    assert page.status_code == 200
    cycle = client.get("/zyklus/kaltenmoor/2026").text
    link = re.search(r'href="(/nachweis/[0-9a-f]{64})"', cycle)
    assert link
    answer = client.get(link.group(1))
    assert answer.status_code == 200
    assert answer.content == VN_OK.read_bytes()
    assert "verwendungsnachweis-2026.toml" in answer.headers["content-disposition"]
    client.close()


def test_the_group_meeting_needs_an_unambiguous_choice_of_pairings(site: Site):
    client = login(site.url, "koord")
    token = csrf(client.get("/termin").text)
    before = len(_audit(site))
    base = {"csrftoken": token, "stage": "fachtag", "year": "2027", "at": "2027-09-10T10:00"}
    for data, message in (
        ({"umfang": "alle", "pairing": ["innenstadt"]}, "und einzelne Partnerschaften angekreuzt"),
        ({"umfang": "auswahl"}, "keine Partnerschaft angekreuzt"),
        ({"pairing": ["innenstadt"]}, "Bitte „alle“ oder „nur diese“"),
    ):
        answer = client.post("/termin/terminieren", data={**base, **data})
        assert answer.status_code == 422, data
        assert message in answer.text, data
        kept = [v for v in ("alle", "auswahl") if f'value="{v}" checked' in answer.text]
        assert kept == ([data["umfang"]] if "umfang" in data else []), data  # as chosen
    assert len(_audit(site)) == before
    chosen = client.post(
        "/termin/terminieren",
        data={**base, "umfang": "auswahl", "pairing": ["innenstadt", "kreideberg"]},
    )
    assert chosen.status_code == 303
    added = [e for e in _audit(site)[before:] if e["action"] == "schedule"]
    assert sorted(str(e["pairing"]) for e in added) == ["innenstadt", "kreideberg"]
    assert _status(site, "kreideberg", "fachtag", 2027) == "terminiert"
    client.close()


def test_dates_a_contact_proposed_in_the_portal_show_on_the_zyklus_page(site: Site):
    import os
    from datetime import datetime, timedelta

    from cycle.bootstrap import bootstrap
    from cycle.clock import BERLIN
    from cycle.service import commands as c
    from cycle.service.principal import Principal, Role

    now = datetime.fromisoformat(site.now).replace(tzinfo=BERLIN)
    proposed = (now + timedelta(days=30)).replace(hour=10, minute=0)
    app = bootstrap(str(site.config), site.now, {**os.environ, **site.env})
    try:
        contact = Principal(
            "m.yildiz@caritas-lueneburg.example.org",
            Role.TRAEGER,
            frozenset({"bockelsberg"}),
            "Portal",
        )
        proposal = c.ProposeDates(
            "bockelsberg",
            2026,
            "auswertungsgespraech",
            dates=(proposed,),
            note="Dienstag passt am besten",
        )
        app.bus.handle(proposal, contact)
    finally:
        app.close()
    client = login(site.url, "lesend")
    try:
        page = client.get("/zyklus/bockelsberg/2026").text
    finally:
        client.close()
    assert "Antworten aus dem Portal" in page
    shown = f"{proposed:%d.%m.%Y}, 10:00 Uhr"
    assert f"m.yildiz@caritas-lueneburg.example.org: schlägt vor: {shown}" in page
    assert "Dienstag passt am besten" in page


def test_the_koordinierungsstelle_revokes_a_contacts_portal_access_from_the_zyklus_page(
    site: Site,
):
    client = login(site.url, "koord")
    try:
        page = client.get("/zyklus/bockelsberg/2026")
        assert "Portalzugang widerrufen" in page.text
        token = csrf(page.text)
        stranger = client.post(
            "/zyklus/bockelsberg/2026/portal-widerrufen",
            data={"csrftoken": token, "email": "l.hoffmann@awo-lueneburg.example.org"},
        )
        assert stranger.status_code == 404  # not a contact of this pairing: nothing revoked
        answer = client.post(
            "/zyklus/bockelsberg/2026/portal-widerrufen",
            data={"csrftoken": token, "email": "m.yildiz@caritas-lueneburg.example.org"},
        )
        assert answer.status_code == 303
    finally:
        client.close()
    revoked = [e for e in _audit(site) if e["action"] == "portal_widerrufen"]
    assert [e["actor"] for e in revoked] == ["koord"]


def test_the_zyklus_page_names_who_each_notification_went_to(site: Site):
    # The reminders of 03.03.2026 (recorded before the module's clock): the DRK tandem's
    # contacts each got their own (issue 10 item 9), the page tells the two apart.
    site.ok("tick", "--no-deliver", now="2026-03-03T08:05")
    client = login(site.url, "lesend")
    try:
        page = client.get("/zyklus/luene-moorfeld/2026").text
    finally:
        client.close()
    table = page[page.index("<caption>Benachrichtigungen Auftaktgespräch") :]
    table = table[: table.index("</table>")]
    assert '<th scope="col">An</th>' in table
    assert '<td class="klein">Tobias Krüger</td>' in table
    assert '<td class="klein">Miriam Said</td>' in table


def _sign_off(client: httpx.Client, pairing: str, event: str) -> httpx.Response:
    page = client.get(f"/zyklus/{pairing}/2026/verwendungsnachweis")
    path = f"/zyklus/{pairing}/2026/verwendungsnachweis/{event}"
    return client.post(path, data={"csrftoken": csrf(page.text)})


def _alert(answer: httpx.Response) -> str:
    found = re.search(r'<div class="meldung fehler">(.*?)</div>', answer.text, re.S)
    return found.group(1) if found else ""


def test_four_eyes_in_the_web_application(site: Site):
    """``[policy] vier_augen``: who checked does not acknowledge, who recorded does not check."""
    for pairing, by in (("innenstadt", "test"), ("kreideberg", "koord")):
        for stage in ("auftaktgespraech", "fachtag", "auswertungsgespraech", "jahresbericht"):
            site.ok("waive", pairing, "2026", stage, "--reason", "Test")
        site.ok("submit", pairing, "2026", "verwendungsnachweis", str(VN_OK), "--by", by)
    koord, stab = login(site.url, "koord"), login(site.url, "stab")
    try:
        before = len(_audit(site))
        refused = _sign_off(koord, "kreideberg", "check")  # koord recorded this one
        assert refused.status_code == 409
        assert "Vier-Augen-Prinzip: kreideberg 2026 · koord hat diesen" in _alert(refused)
        assert _status(site, "kreideberg", "verwendungsnachweis") == "eingereicht"
        assert len(_audit(site)) == before
        assert _sign_off(koord, "innenstadt", "check").status_code == 303
        before = len(_audit(site))
        refused = _sign_off(koord, "innenstadt", "acknowledge")  # the Koordinierungsstelle may
        assert refused.status_code == 409
        assert "koord hat diesen Verwendungsnachweis geprüft" in _alert(refused)
        assert _status(site, "innenstadt", "verwendungsnachweis") == "geprueft"
        assert len(_audit(site)) == before
        assert _sign_off(stab, "innenstadt", "acknowledge").status_code == 303
        assert _status(site, "innenstadt", "verwendungsnachweis") == "zur_kenntnis_genommen"
    finally:
        koord.close()
        stab.close()


def test_a_note_with_bidi_controls_is_stored_and_shown_without_them(site: Site):
    client = login(site.url, "koord")
    try:
        page = client.get("/zyklus/ebensberg/2026")
        text = "Rechnung\u202egnp.exe \u2066geprüft\u2069 \u202aok\u202c"
        answer = client.post(
            "/zyklus/ebensberg/2026/notiz", data={"csrftoken": csrf(page.text), "text": text}
        )
        assert answer.status_code == 303
        shown = client.get("/zyklus/ebensberg/2026").text
    finally:
        client.close()
    stored = [e for e in _audit(site) if e["action"] == "notiz" and e["pairing"] == "ebensberg"]
    assert [e["payload"] for e in stored] == [{"notiz": "Rechnunggnp.exe geprüft ok"}]
    assert "Rechnunggnp.exe geprüft ok" in shown
    assert not set(shown) & {chr(c) for c in (*range(0x202A, 0x202F), *range(0x2066, 0x206A))}
