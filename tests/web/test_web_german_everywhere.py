"""A year as the coordinator sees it: local times, German labels, every document (issue 23).

One year of the Lüneburg example is recorded — through the CLI and the web's Gemeinsamer Termin
— and then every page the staff navigation reaches, every download of the Berichte page, the
Übersicht exports and the audit CSV/XLSX are read back as a user would:

- item 4: no time is shown in UTC: each instant the year recorded is looked for in its UTC
  rendering (``18.06.2026 08:00`` for a meeting at 10:00) and must appear nowhere;
- item 8: no stored id (``traeger_angelegt``, ``complete``, ``geprueft``,
  ``auswertungsgespraech``, …) is visible text of a page or a cell of an export;
- item 9: the Berichte page offers the Prüfakte ZIP, the Abschlussnachweis PDF, the Bündelung
  as PDF, DOCX and Markdown, the Verwendungsnachweis as PDF and DOCX, the Jahresbericht skeleton
  as DOCX and the calendar, built by the functions the CLI uses;
- item 7: the joint Fachtag completed in the web form for every pairing with 14 participants
  counts 14 participants and 49,0 Stunden in the Bündelung;
- item 15: the server wrote no warning (SQLAlchemy's included) while serving all of it.
"""

from __future__ import annotations

import contextlib
import html
import io
import re
import subprocess
import zipfile
from collections.abc import Iterator
from datetime import datetime
from zoneinfo import ZoneInfo

import docx
import httpx
import pytest
from openpyxl import load_workbook

from tests.conftest import ROOT
from tests.web.conftest import Site, csrf, login, make_site

BERLIN = ZoneInfo("Europe/Berlin")
VN = ROOT / "tests" / "data" / "documents" / "verwendungsnachweis-2026.toml"
JB = ROOT / "tests" / "data" / "documents" / "jahresbericht-2026.md"
LATER = "2027-06-08T12:00"

# (local time of the command, arguments): times chosen in summer and winter, at full hours
YEAR: list[tuple[str, tuple[str, ...]]] = [
    ("2026-02-02T10:00", ("schedule", "alle", "2026", "auftaktgespraech", "--at",
                          "2026-03-10T10:00", "--location", "Rathaus")),
    ("2026-03-11T09:00", ("complete", "alle", "2026", "auftaktgespraech", "--on", "2026-03-10",
                          "--participants", "3")),
    ("2026-05-04T11:00", ("schedule", "alle", "2026", "fachtag", "--at", "2026-06-18T10:00",
                          "--location", "Glockenhaus")),
]  # fmt: skip
AFTER_FACHTAG: list[tuple[str, tuple[str, ...]]] = [
    ("2026-11-20T15:00", ("complete", "kaltenmoor", "2026", "auswertungsgespraech", "--on",
                          "2026-11-20", "--participants", "4")),
    ("2026-12-01T09:00", ("submit", "kaltenmoor", "2026", "jahresbericht", str(JB))),
    ("2026-12-02T09:00", ("accept", "kaltenmoor", "2026", "jahresbericht")),
    ("2027-05-25T09:00", ("submit", "kaltenmoor", "2026", "verwendungsnachweis", str(VN))),
    ("2027-05-26T14:00", ("check", "kaltenmoor", "2026", "verwendungsnachweis", "--by",
                          "K. Koordinator")),
]  # fmt: skip
# The instants the year holds: command times (audit entries) and the meetings.
INSTANTS = [now for now, _ in YEAR + AFTER_FACHTAG] + ["2026-03-10T10:00", "2026-06-18T10:00"]

RAW_IDS = (
    "traeger_angelegt", "stadtteil_angelegt", "pairing_angelegt", "zyklus_eroeffnet",
    "benachrichtigung_eingereiht", "nachricht_gesendet", "complete", "submit", "schedule",
    "accept", "check", "acknowledge", "geprueft", "durchgefuehrt", "eingereicht_am",
    "zur_kenntnis_genommen", "zurueckgegeben", "termin_bestaetigt", "auftaktgespraech",
    "auswertungsgespraech", "anzahl_teilnehmende", "pending", "sent",
)  # fmt: skip


def _utc_renderings(local: str) -> list[str]:
    """How the local instant looks when it is wrongly shown in UTC."""
    at = datetime.fromisoformat(local).replace(tzinfo=BERLIN).astimezone(ZoneInfo("UTC"))
    day, time = f"{at:%d.%m.%Y}", f"{at:%H:%M}"
    return [f"{day} {time}", f"{day}, {time}", f"{at:%Y-%m-%dT%H:%M}", f"{at:%Y-%m-%d %H:%M}"]


def _local_rendering(local: str) -> str:
    at = datetime.fromisoformat(local)
    return f"{at:%d.%m.%Y}, {at:%H:%M} Uhr"


@pytest.fixture(scope="module")
def year(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Site, dict[str, str]]]:
    """The year recorded, and every text a user sees of it: {where: text}."""
    site = make_site(tmp_path_factory.mktemp("german"), "2026-01-05T09:00")
    for now, args in YEAR:
        site.ok(*args, now=now)
    site.now = "2026-06-19T09:00"
    seen: dict[str, str] = {}
    warnings: list[str] = []
    site.start()
    try:
        with _signed_in(site, "koord") as staff:
            form = staff.get("/termin")
            answer = staff.post(
                "/termin/durchgefuehrt",
                data={
                    "csrftoken": csrf(form.text),
                    "umfang": "alle",
                    "stage": "fachtag",
                    "year": "2026",
                    "on": "2026-06-18",
                    "participants": "14",
                },
            )
            assert answer.status_code == 303, answer.text
            seen["buendelung nach dem Fachtag"] = _text(
                staff, "/berichte/buendelung?jahr=2026&format=md"
            )
    finally:
        warnings.append(_stop(site))
    for now, args in AFTER_FACHTAG:
        site.ok(*args, now=now)
    site.now = LATER
    site.start()
    try:
        with _signed_in(site, "koord") as staff:
            seen.update(_crawl(staff))
            seen.update(_downloads(staff))
    finally:
        warnings.append(_stop(site))
    seen.update(_cli_exports(site))
    seen["server stderr"] = "\n".join(warnings)
    yield site, seen


@contextlib.contextmanager
def _signed_in(site: Site, user: str) -> Iterator[httpx.Client]:
    client = login(site.url, user)
    try:
        yield client
    finally:
        client.close()


def _stop(site: Site) -> str:
    """Stop the server and return what it wrote to stderr."""
    assert site.process is not None and site.process.stderr is not None
    site.process.terminate()
    try:
        _, err = site.process.communicate(timeout=20)
    except subprocess.TimeoutExpired:
        site.process.kill()
        _, err = site.process.communicate()
    site.process = None
    return err.decode("utf-8", "replace")


def _visible(page: str) -> str:
    """The text of an HTML page as shown: no tags, scripts, styles or attribute values."""
    page = re.sub(r"(?s)<(script|style)\b.*?</\1>", " ", page)
    return html.unescape(re.sub(r"<[^>]+>", " ", page))


def _text(client: httpx.Client, url: str) -> str:
    answer = client.get(url)
    assert answer.status_code == 200, (url, answer.status_code, answer.text[:300])
    kind = answer.headers["content-type"]
    if kind.startswith("text/html"):
        return _visible(answer.text)
    if kind.startswith("application/pdf"):
        return _pdf_text(answer.content)
    if "wordprocessingml" in kind:
        return _docx_text(answer.content)
    if "spreadsheetml" in kind:
        return _xlsx_text(answer.content)
    if kind.startswith("application/zip"):
        return _zip_text(answer.content)
    return answer.text


def _pdf_text(data: bytes) -> str:
    done = subprocess.run(["pdftotext", "-", "-"], input=data, capture_output=True, check=True)
    return done.stdout.decode()


def _docx_text(data: bytes) -> str:
    document = docx.Document(io.BytesIO(data))
    cells = [c.text for t in document.tables for row in t.rows for c in row.cells]
    return "\n".join([p.text for p in document.paragraphs] + cells)


def _xlsx_text(data: bytes) -> str:
    sheet = load_workbook(io.BytesIO(data)).active
    assert sheet is not None
    return "\n".join(
        " | ".join("" if c.value is None else _cell(c.value) for c in row)
        for row in sheet.iter_rows()
    )


def _cell(value: object) -> str:
    """A typed cell as a German spreadsheet shows it (date-time cells are local times)."""
    if isinstance(value, datetime):
        return f"{value:%d.%m.%Y %H:%M}"
    return str(value)


def _zip_text(data: bytes) -> str:
    """The dossier's human-readable files: the audit CSV and every PDF (JSON stays raw)."""
    texts = []
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        for name in archive.namelist():
            if name.endswith(".pdf"):
                texts.append(_pdf_text(archive.read(name)))
            elif name.endswith((".csv", ".txt")) and name != "manifest.sha256":
                texts.append(archive.read(name).decode("utf-8-sig"))
    return "\n".join(texts)


def _crawl(staff: httpx.Client) -> dict[str, str]:
    """Every page reachable from the Übersicht through links of the staff site."""
    todo = ["/zyklus/kaltenmoor/2026", "/protokoll", "/?jahr=2026", "/berichte?jahr=2026"]
    todo += ["/postausgang", "/vorschau", "/termin", "/zyklus/kaltenmoor/2026/verwendungsnachweis"]
    found: dict[str, str] = {}
    while todo and len(found) < 80:
        url = todo.pop(0)
        if url in found:
            continue
        answer = staff.get(url)
        assert answer.status_code == 200, (url, answer.status_code)
        if not answer.headers["content-type"].startswith("text/html"):
            continue
        found[url] = _visible(answer.text)
        for link in re.findall(r'href="(/[^"#]*)"', answer.text):
            link = html.unescape(link)
            skip = link.startswith(("/static", "/berichte/", "/nachweis/", "/uebersicht."))
            if not skip and "/html" not in link and link not in found:
                todo.append(link)
    assert "/zyklus/kaltenmoor/2026" in found and "/protokoll" in found
    return found


DOWNLOADS = {
    "Prüfakte": "/berichte/pruefakte?pairing=kaltenmoor&jahr=2026&format=zip",
    "Abschlussnachweis": "/berichte/abschlussnachweis?pairing=kaltenmoor&jahr=2026&format=pdf",
    "Bündelung PDF": "/berichte/buendelung?jahr=2026&format=pdf",
    "Bündelung DOCX": "/berichte/buendelung?jahr=2026&format=docx",
    "Bündelung Markdown": "/berichte/buendelung?jahr=2026&format=md",
    "VN PDF": "/berichte/verwendungsnachweis?pairing=kaltenmoor&jahr=2026&format=pdf",
    "VN DOCX": "/berichte/verwendungsnachweis?pairing=kaltenmoor&jahr=2026&format=docx",
    "Jahresbericht DOCX": "/berichte/jahresbericht?pairing=kaltenmoor&jahr=2026&format=docx",
    "Übersicht CSV": "/uebersicht.csv?jahr=2026",
    "Übersicht XLSX": "/uebersicht.xlsx?jahr=2026",
}


def _downloads(staff: httpx.Client) -> dict[str, str]:
    offered = staff.get("/berichte?jahr=2026").text
    found = {}
    for name, url in DOWNLOADS.items():
        if url.startswith("/berichte/"):
            assert html.escape(url) in offered, f"the Berichte page does not offer {name}"
        found[name] = _text(staff, url)
    calendar = staff.get("/berichte/kalender?jahr=2026&format=ics")
    assert calendar.status_code == 200 and b"BEGIN:VCALENDAR" in calendar.content
    return found


def _cli_exports(site: Site) -> dict[str, str]:
    target = site.folder / "protokoll.xlsx"
    site.ok("audit", "--format", "xlsx", "--output", str(target), now=LATER)
    return {
        "audit CSV": site.ok("audit", "--format", "csv", now=LATER),
        "audit XLSX": _xlsx_text(target.read_bytes()),
        "audit Tabelle": site.ok("audit", now=LATER),
    }


def test_no_time_is_shown_in_utc_on_any_page_export_or_document(year):
    _, seen = year
    for local in INSTANTS:
        for wrong in _utc_renderings(local):
            places = [where for where, text in seen.items() if wrong in text]
            assert places == [], f"{local} (Europe/Berlin) shown as UTC {wrong!r} in {places}"
    protocol = seen["/protokoll"]
    for local in INSTANTS[:3]:
        assert _local_rendering(local) in protocol, local
    assert "Termin: 18.06.2026 10:00" in protocol
    assert "18.06.2026, 10:00 Uhr" in seen["/zyklus/kaltenmoor/2026"]


def test_no_stored_id_is_visible_on_a_page_or_in_an_export(year):
    _, seen = year
    found = {}
    for where, text in seen.items():
        if where == "server stderr":
            continue
        for raw in RAW_IDS:
            # an id stands alone: not part of a file name, an address or a longer word
            if re.search(rf"(?<![\w./@-]){re.escape(raw)}(?![\w./@-])", text):
                found.setdefault(where, []).append(raw)
    assert found == {}, found
    assert "Träger angelegt" in seen["audit CSV"] and "Auswertungsgespräch" in seen["audit CSV"]
    assert "rechnerisch geprüft" in seen["/protokoll"]


def test_numbers_have_the_decimal_comma(year):
    _, seen = year
    points = {
        where: re.findall(r"(?<![\d.])0\.\d+(?![\d.])", text)
        for where, text in seen.items()
        if where != "server stderr"
    }
    assert {where: found for where, found in points.items() if found} == {}
    vn_page = seen["/zyklus/kaltenmoor/2026/verwendungsnachweis"]
    assert "0,75" in vn_page and "0,375" in vn_page


def test_the_joint_fachtag_from_the_web_form_counts_14_participants_once(year):
    _, seen = year
    report = seen["buendelung nach dem Fachtag"]
    assert re.search(r"\| 18\.06\.2026 \| Fachtag \| .* \| 14 \| 3,5 × 14 = 49,0 \|", report)
    assert "112" not in report and "392,0" not in report
    for name in ("Bündelung PDF", "Bündelung DOCX"):
        assert "49,0" in seen[name] and "Σ" in seen[name], name


def test_the_berichte_page_offers_every_document_of_the_cli(year):
    _, seen = year
    assert "abschlussnachweis.pdf" not in seen["Abschlussnachweis"]  # the PDF itself
    assert "Abschlussnachweis Qualitätszyklus 2026" in seen["Abschlussnachweis"]
    assert "Abschlussnachweis Qualitätszyklus 2026" in seen["Prüfakte"]
    assert "Verwendungsnachweis" in seen["VN PDF"] and "Verwendungsnachweis" in seen["VN DOCX"]
    assert "Gegenstand und Inhalt des Berichts" in seen["Jahresbericht DOCX"]


def test_the_server_wrote_no_warning_while_serving_the_year(year):
    _, seen = year
    assert "Warning" not in seen["server stderr"], seen["server stderr"][-2000:]
    assert "Traceback" not in seen["server stderr"]


def test_a_report_for_a_pairing_needs_the_pairing(year):
    site, _ = year
    site.start()
    try:
        with _signed_in(site, "koord") as staff:
            for kind in ("pruefakte", "abschlussnachweis"):
                answer = staff.get(f"/berichte/{kind}?jahr=2026")
                assert answer.status_code == 404, kind
            wrong = staff.get("/berichte/pruefakte?jahr=2026&pairing=gibtsnicht&format=zip")
            assert wrong.status_code == 404
    finally:
        _stop(site)


def test_no_document_without_login(year):
    site, _ = year
    site.start()
    try:
        for url in (DOWNLOADS["Prüfakte"], DOWNLOADS["Abschlussnachweis"]):
            anonymous = httpx.get(f"{site.url}{url}", follow_redirects=False)
            assert anonymous.status_code == 303, url
            assert anonymous.headers["location"].startswith("/anmelden")
            assert not anonymous.content.startswith((b"PK", b"%PDF"))
    finally:
        _stop(site)
