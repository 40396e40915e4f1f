"""Every path and query parameter is parsed: a bad one is a German 404/400, never a 500.

The URLs of the security campaign (issue 18) and their neighbours, against a real
``zyklus web``, as the Koordinierungsstelle and as a Träger contact in the portal. Every answer
carries the security headers; downloads name their file in one ``filename`` and one
``filename*`` parameter that nothing of a query can break.
"""

from __future__ import annotations

import re
from collections.abc import Iterator

import httpx
import pytest

from cycle.config.settings import Settings
from tests.portal.conftest import KALTENMOOR, app_of, exchange, mint
from tests.web.checks import assert_security_headers, filename_params
from tests.web.conftest import Site, csrf, login, make_site, running

HUGE = "99999999999999999999"  # 20 digits: above SQLite's 64-bit integers
HUGER = "12345678901234567890123"  # 23 digits

BAD_STAFF_URLS = [
    f"/?jahr={v}"
    for v in ("²", HUGE, HUGER, "-1", "1999", "2101", "٢٠٢٦", "2026.0", "%00", "+2026", " 2026")
] + [
    "/berichte?jahr=²",
    f"/berichte?jahr={HUGE}",
    "/protokoll?jahr=²",
    f"/protokoll?jahr={HUGER}",
    f"/protokoll?pairing=kaltenmoor&jahr={HUGE}",
    "/protokoll?pairing=" + "x" * 5000,
    "/protokoll?wer=a%00b",
    "/uebersicht.csv?jahr=²",
    f"/uebersicht.csv?jahr={HUGE}",
    f"/uebersicht.xlsx?jahr={HUGER}",
    "/uebersicht.exe",
    "/zyklus/kaltenmoor/²",
    f"/zyklus/kaltenmoor/{HUGE}",
    f"/zyklus/kaltenmoor/{HUGER}",
    "/zyklus/kaltenmoor/1999",
    "/zyklus/kaltenmoor/2026x",
    "/zyklus/kaltenmoor/٢٠٢٦",
    f"/zyklus/kaltenmoor/{HUGE}/verwendungsnachweis",
    "/zyklus/unbekannt/2026",
    f"/postausgang/{HUGER}",
    f"/postausgang/{HUGE}",
    "/postausgang/9223372036854775808",  # 2**63
    "/postausgang/999999999999999999",  # 18 digits: parsed, not there
    "/postausgang/²",
    "/postausgang/-1",
    f"/postausgang/{HUGER}/html",
    "/postausgang?status=gibtsnicht",
    "/vorschau?wochen=²",
    f"/vorschau?wochen={HUGE}",
    "/vorschau?wochen=0",
    "/berichte/kalender?jahr=²",
    f"/berichte/kalender?jahr={HUGE}",
    f"/berichte/buendelung?jahr={HUGER}",
    "/berichte/verwendungsnachweis?pairing=kaltenmoor&jahr=2026&format=exe",
    "/berichte/jahresbericht?pairing=unbekannt&jahr=2026",
    "/berichte/gibtsnicht?jahr=2026",
    "/nachweis/" + "f" * 64,
    "/nachweis/²",
]
BAD_PORTAL_URLS = [
    f"/portal/jahresbericht/kaltenmoor/{HUGE}",
    f"/portal/jahresbericht/kaltenmoor/{HUGER}/vorlage.docx",
    "/portal/jahresbericht/kaltenmoor/²",
    "/portal/jahresbericht/kaltenmoor/1999",
    f"/portal/verwendungsnachweis/kaltenmoor/{HUGE}",
    "/portal/verwendungsnachweis/kaltenmoor/٢٠٢٦",
    f"/portal/verwendungsnachweis/kaltenmoor/{HUGER}/verwendungsnachweis.pdf",
    f"/portal/termine/kaltenmoor/{HUGE}/auftaktgespraech/leitfaden",
    "/portal/termine/kaltenmoor/²/auftaktgespraech/leitfaden",
    "/portal/jahresbericht/bockelsberg/2026",  # another contact's pairing
    "/portal/gibtsnicht",
    "/portal/kalender/" + "x" * 300 + ".ics",
]


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Site]:
    s = make_site(tmp_path_factory.mktemp("params"), "2026-04-02T08:00")
    with running(s):
        yield s


@pytest.fixture(scope="module")
def staff(site: Site) -> Iterator[httpx.Client]:
    client = login(site.url, "koord")
    yield client
    client.close()


@pytest.fixture(scope="module")
def contact(site: Site) -> Iterator[httpx.Client]:
    client = httpx.Client(base_url=site.url, follow_redirects=False, timeout=30)
    assert exchange(client, mint(site, KALTENMOOR)).status_code == 303
    yield client
    client.close()


def assert_german_refusal(answer: httpx.Response) -> None:
    assert answer.status_code in (400, 404), (answer.status_code, answer.text[:300])
    assert_security_headers(answer)
    if answer.headers["content-type"].startswith("text/html"):
        assert '<html lang="de"' in answer.text
        assert "Nicht gefunden" in answer.text or "Ungültige Angabe" in answer.text
    assert "Traceback" not in answer.text and "Internal Server Error" not in answer.text


@pytest.mark.parametrize("url", BAD_STAFF_URLS)
def test_a_bad_parameter_of_a_staff_page_is_a_german_400_or_404(staff: httpx.Client, url: str):
    assert_german_refusal(staff.get(url))


@pytest.mark.parametrize("url", BAD_PORTAL_URLS)
def test_a_bad_parameter_of_a_portal_page_is_a_german_404(contact: httpx.Client, url: str):
    answer = contact.get(url)
    assert_german_refusal(answer)
    if url.endswith(".ics"):
        return  # the feed answers calendar programs in plain text
    assert answer.status_code == 404
    assert "Diese Seite gibt es in Ihrem Portal nicht." in answer.text


def test_a_bad_year_names_the_field_and_a_good_or_empty_one_still_works(staff: httpx.Client):
    answer = staff.get("/?jahr=²")
    assert answer.status_code == 400
    assert "Jahr: „²“ ist kein Jahr; bitte eine Jahreszahl von 2000 bis 2100." in answer.text
    assert "Übersicht 2026" in staff.get("/?jahr=").text
    assert "Übersicht 2031" in staff.get("/?jahr=2031").text
    assert staff.get("/uebersicht.csv?jahr=2100").status_code == 200
    assert staff.get("/zyklus/kaltenmoor/2026").status_code == 200
    assert staff.get("/vorschau?wochen=2").status_code == 200


def test_a_post_to_a_cycle_with_a_huge_year_is_a_404_and_changes_nothing(
    site: Site, staff: httpx.Client
):
    token = csrf(staff.get("/zyklus/kaltenmoor/2026").text)
    before = site.ok("audit", "--format", "json")
    for url in (f"/zyklus/kaltenmoor/{HUGE}/notiz", f"/zyklus/kaltenmoor/{HUGER}/fachtag/note"):
        answer = staff.post(url, data={"csrftoken": token, "text": "x"})
        assert_german_refusal(answer)
    answer = staff.post(f"/postausgang/{HUGER}/erneut", data={"csrftoken": token})
    assert_german_refusal(answer)
    assert site.ok("audit", "--format", "json") == before


def test_a_portal_post_with_a_huge_year_is_a_404(contact: httpx.Client):
    token = csrf(contact.get("/portal/kalender").text)
    answer = contact.post(
        f"/portal/termine/kaltenmoor/{HUGE}/auftaktgespraech/vorschlagen",
        data={"csrftoken": token, "termin1": "2026-05-04T10:00"},
    )
    assert_german_refusal(answer)


# --- Content-Disposition (issue 18 item 4) ---------------------------------------------------


@pytest.mark.parametrize(
    "pairing",
    [
        'x"; filename=evil.exe',
        "x\nSet-Cookie: a=b",
        "x\r\nX-Evil: 1",
        "%22%3B%20filename%3Devil.exe",
        "Wirtschaft",
    ],
)
def test_a_query_cannot_add_a_second_filename_or_a_header(staff: httpx.Client, pairing: str):
    answer = staff.get("/berichte/buendelung", params={"jahr": "2026", "pairing": pairing})
    assert_german_refusal(answer)
    assert "content-disposition" not in answer.headers
    assert "x-evil" not in answer.headers and "a=b" not in answer.headers.get("set-cookie", "")


def test_every_report_download_names_its_file_once(site: Site, staff: httpx.Client):
    field = next(iter(sorted({p.handlungsfeld for p in _settings(site).pairings.values()})))
    for url, name in (
        (f"/berichte/buendelung?jahr=2026&pairing={field}", f"buendelung-{field}-2026.md"),
        ("/berichte/kalender?pairing=kaltenmoor", "kalender-kaltenmoor.ics"),
        ("/uebersicht.csv?jahr=2026", "uebersicht-2026.csv"),
    ):
        answer = staff.get(url)
        assert answer.status_code == 200, (url, answer.text[:300])
        header = answer.headers["content-disposition"]
        plain, star = filename_params(header)
        assert len(plain) == 1 and len(star) == 1, header
        assert plain[0] == name and star[0] == name


def test_an_evidence_file_with_a_hostile_name_downloads_under_a_clean_one(
    site: Site, staff: httpx.Client
):
    token = csrf(staff.get("/zyklus/bockelsberg/2026").text)
    hostile = 'Protokoll "Ä"; filename=evil.exe;\\..\\x\u202egpj.txt'
    answer = staff.post(
        "/zyklus/bockelsberg/2026/auftaktgespraech/complete",
        data={"csrftoken": token, "on": "2026-03-30", "participants": "4"},
        files={"evidence": (hostile, b"Protokoll des Gespraechs")},
    )
    assert answer.status_code == 303, answer.text[:500]
    page = staff.get("/zyklus/bockelsberg/2026").text
    link = re.search(r'href="(/nachweis/[0-9a-f]{64})"', page)
    assert link
    download = staff.get(link.group(1))
    assert download.status_code == 200 and download.content == b"Protokoll des Gespraechs"
    header = download.headers["content-disposition"]
    plain, star = filename_params(header)
    assert len(plain) == 1 and len(star) == 1, header
    assert re.fullmatch(r"[A-Za-z0-9._ -]+", plain[0]), plain
    name = star[0]
    assert "Ä" in name and '"' not in name and "\\" not in name and "\u202e" not in name


def _settings(site: Site) -> Settings:
    app = app_of(site)
    try:
        return app.settings
    finally:
        app.close()
