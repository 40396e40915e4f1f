"""No staff member ever sees a live portal link (issue 18 item 1, SPEC §14 "Who sees a link").

A real ``zyklus web`` and real ticks delivering into the Maildir: reminders to single contacts
(personal links), invitations, a cancellation, a level-1 escalation, a receipt with Cc and a
requested link (shared or personal). Then, as an attacker with a staff account would: every page,
download and export that ``lesend``, ``ablage`` and ``stabsstellenleitung`` can fetch (and the
CLI's outbox listings and the Prüfakte) is searched for anything that opens the portal — each
string shaped like a token is checked against the live login links, and every link path found is
tried. Positive controls: the links in the delivered mails are live and log in.
"""

from __future__ import annotations

import io
import json
import mailbox
import re
import zipfile
from collections.abc import Iterator
from email import policy
from email.message import EmailMessage
from email.parser import BytesParser
from pathlib import Path

import httpx
import pypdf
import pytest
from sqlmodel import col, select
from starlette.routing import Route

from cycle.persistence.portal_store import LOGIN, digest
from cycle.persistence.tables import OutboxMessage, PortalToken
from cycle.persistence.uow import reading
from cycle.server.app import routes
from tests.conftest import ROOT
from tests.portal.conftest import KALTENMOOR, app_of, exchange
from tests.web.conftest import Site, csrf, login, make_site, running

VN_OK = ROOT / "tests" / "data" / "documents" / "verwendungsnachweis-2026.toml"
BASE = "http://127.0.0.1:8000"
PLACEHOLDER = "[persönlicher Zugangslink]"
TOKEN = re.compile(r"(?<![A-Za-z0-9_-])[A-Za-z0-9_-]{43}(?![A-Za-z0-9_-])")
LINK = re.compile(r"/portal/anmelden/([A-Za-z0-9_%-]+)")
SAMPLE = {
    "pairing": "kaltenmoor",
    "year": "2026",
    "kind": "kalender",
    "fmt": "csv",
    "sha": "0" * 64,
}
DOWNLOADS = [
    "/uebersicht.csv?jahr=2026",
    "/uebersicht.xlsx?jahr=2026",
    "/berichte/kalender?format=ics",
    "/berichte/jahresbericht?pairing=kaltenmoor&jahr=2026&format=docx",
    "/berichte/verwendungsnachweis?pairing=hanseviertel&jahr=2026&format=pdf",
    "/berichte/verwendungsnachweis?pairing=hanseviertel&jahr=2026&format=html",
    "/berichte/buendelung?jahr=2026&format=md",
    "/zyklus/hanseviertel/2026",
    "/zyklus/bockelsberg/2026",
    "/zyklus/hanseviertel/2026/verwendungsnachweis",
    "/protokoll?jahr=2026",
    "/vorschau",
]
STATUSES = ("pending", "ungewiss", "sent", "failed")


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Site]:
    """Every kind of mail that can reach a contact, delivered into the Maildir."""
    s = make_site(tmp_path_factory.mktemp("links"), "2026-01-05T09:00")
    s.ok("schedule", "kaltenmoor", "2026", "auftaktgespraech", "--at", "2026-03-26T10:00")
    s.ok("schedule", "bockelsberg", "2026", "auftaktgespraech", "--at", "2026-03-25T10:00")
    s.ok("waive", "bockelsberg", "2026", "auftaktgespraech", "--reason", "Test")  # Absage
    s.ok("tick", now="2026-03-03T08:05")  # a reminder to each contact on their own
    s.ok("tick", now="2026-04-01T08:05")  # level-1 escalations: contacts + Leitung, Cc KS
    for stage in ("auftaktgespraech", "fachtag", "auswertungsgespraech", "jahresbericht"):
        s.ok("waive", "hanseviertel", "2026", stage, "--reason", "Test", now="2026-04-02T09:00")
    s.ok(
        "submit", "hanseviertel", "2026", "verwendungsnachweis", str(VN_OK), now="2027-05-25T09:00"
    )
    check = ("check", "hanseviertel", "2026", "verwendungsnachweis", "--by", "K. Koordinator")
    s.ok(*check, now="2027-05-25T09:05")  # four eyes: not the submitter
    s.now = "2027-05-25T09:10"
    with running(s):
        client = httpx.Client(base_url=s.url, follow_redirects=False, timeout=30)
        page = client.get("/portal/neuer-link")
        answer = client.post(
            "/portal/neuer-link", data={"email": KALTENMOOR, "csrftoken": csrf(page.text)}
        )
        assert answer.status_code == 200
        client.close()
        s.ok("tick", now="2027-05-25T09:15")  # delivers the receipt and the requested link
        # Before any test logs in: a login's housekeeping prunes links long expired (those of
        # the 2026 ticks), and the search must still know every link that was ever minted.
        MINTED[s.folder] = _minted_now(s)
        yield s


def _maildir(site: Site) -> list[EmailMessage]:
    box = mailbox.Maildir(site.folder / "var" / "mail", create=False)
    parser = BytesParser(policy=policy.default)
    found = [parser.parsebytes(box.get_bytes(key)) for key in box.iterkeys()]
    return [m for m in found if isinstance(m, EmailMessage)]


def _body(mail: EmailMessage) -> str:
    parts = [mail.get_body(("plain",)), mail.get_body(("html",))]
    return "".join(str(p.get_content()) for p in parts if p is not None)


MINTED: dict[Path, set[str]] = {}  # site folder → hashes minted before any test ran


def _minted(site: Site) -> set[str]:
    """The hashes of every login link ever minted (live, used, expired or revoked): no string
    a staff member can see may be any of them."""
    return MINTED[site.folder] | _minted_now(site)


def _minted_now(site: Site) -> set[str]:
    app = app_of(site)
    try:
        with reading(app.engine) as session:
            query = select(col(PortalToken.token_hash)).where(col(PortalToken.purpose) == LOGIN)
            return set(session.exec(query))
    finally:
        app.close()


def _readable(data: bytes) -> str:
    """Everything a person could read in a download: ZIP members (XLSX, DOCX, the Prüfakte)
    one by one, the text of PDFs, and the bytes as text."""
    if data.startswith(b"PK\x03\x04"):
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            return "\n".join(_readable(archive.read(name)) for name in archive.namelist())
    if data.startswith(b"%PDF"):
        reader = pypdf.PdfReader(io.BytesIO(data))
        return "\n".join(page.extract_text() for page in reader.pages)
    return data.decode("utf-8", errors="replace")


def _outbox_ids(site: Site) -> list[int]:
    app = app_of(site)
    try:
        with reading(app.engine) as session:
            return [int(i) for i in session.exec(select(col(OutboxMessage.id)))]
    finally:
        app.close()


def _get_paths() -> list[str]:
    found = []
    for route in routes():
        if isinstance(route, Route) and route.methods and "GET" in route.methods:
            path = re.sub(r"\{(\w+)(:\w+)?\}", lambda m: SAMPLE.get(m.group(1), "1"), route.path)
            found.append(path)
    return found


def _staff_sees(site: Site, user: str) -> dict[str, str]:
    """Every page and download ``user`` can fetch: path → readable text."""
    client = login(site.url, user)
    paths = [*_get_paths(), *DOWNLOADS]
    paths += [f"/postausgang?status={s}" for s in STATUSES]
    for ident in _outbox_ids(site):
        paths += [f"/postausgang/{ident}", f"/postausgang/{ident}/html"]
    seen = {}
    for path in dict.fromkeys(paths):
        answer = client.get(path)
        seen[path] = _readable(answer.content)
    client.close()
    return seen


def _cli_shows(site: Site, folder: Path) -> dict[str, str]:
    """The CLI's outbox listings and exports, the audit export and the Prüfakten."""
    shown: dict[str, str] = {}
    for fmt in ("json", "table"):
        for status in (None, "sent", "skipped"):
            args = ["outbox", "--format", fmt, *(["--status", status] if status else [])]
            shown[" ".join(args)] = site.ok(*args)
    for fmt in ("csv", "xlsx"):
        target = folder / f"postausgang.{fmt}"
        site.ok("outbox", "--format", fmt, "--output", str(target))
        shown[f"outbox {fmt}"] = _readable(target.read_bytes())
    shown["audit json"] = site.ok("audit", "--format", "json")
    for pairing in ("kaltenmoor", "bockelsberg", "hanseviertel"):
        target = folder / f"akte-{pairing}.zip"
        site.ok("report", "pruefakte", pairing, "2026", "--output", str(target))
        shown[f"pruefakte {pairing}"] = _readable(target.read_bytes())
    return shown


def _opens_the_portal(text: str, live: set[str]) -> list[str]:
    found = [t for t in TOKEN.findall(text) if digest(t) in live]
    found += [m for m in LINK.findall(text)]
    return found


def test_the_delivered_mails_carry_live_links_only_when_addressed_to_one_contact(site: Site):
    mails = _maildir(site)
    live = _minted(site)
    with_link = [m for m in mails if "/portal/anmelden/" in _body(m)]
    shared = [m for m in mails if len(m["To"].addresses) > 1 or m["Cc"] is not None]
    kinds = {str(m["Subject"]).split(":")[0] for m in shared}
    # a reminder to each of the eight contacts whose Auftaktgespräch was neither scheduled nor
    # waived, each on their own, and the requested link
    assert len(with_link) == 9
    to_contacts = {"Einladung", "Abgesagt", "Eingangsbestätigung", "Frist überschritten"}
    assert to_contacts <= kinds
    for mail in with_link:
        assert len(mail["To"].addresses) == 1 and mail["Cc"] is None, mail["Subject"]
        tokens = {t for t in LINK.findall(_body(mail))}
        assert len(tokens) == 1 and PLACEHOLDER not in _body(mail)
        assert digest(tokens.pop()) in live  # positive control: a minted link
    for mail in shared:
        text = _body(mail)
        assert "/portal/anmelden/" not in text and PLACEHOLDER not in text
        if str(mail["Subject"]).split(":")[0] in to_contacts:  # where to get one's own link
            assert f"{BASE}/portal/" in text and "Ihren eigenen Link erhalten Sie" in text


@pytest.mark.parametrize("user", ["lesend", "ablage", "stab"])
def test_no_page_or_download_a_staff_role_can_fetch_opens_the_portal(site: Site, user: str):
    live = _minted(site)
    assert len(live) == 9  # the links in the mails (the search has something to find)
    seen = _staff_sees(site, user)
    leaks = {path: hits for path, text in seen.items() if (hits := _opens_the_portal(text, live))}
    assert leaks == {}
    placeholders = [p for p, text in seen.items() if PLACEHOLDER in text]
    assert placeholders  # the message views show the placeholder where the link went
    assert all(p.startswith("/postausgang/") for p in placeholders)


def test_no_cli_listing_export_or_pruefakte_opens_the_portal(site: Site, tmp_path: Path):
    live = _minted(site)
    shown = _cli_shows(site, tmp_path)
    leaks = {name: hits for name, text in shown.items() if (hits := _opens_the_portal(text, live))}
    assert leaks == {}
    assert (
        "protokoll/eintraege.json" in zipfile.ZipFile(tmp_path / "akte-kaltenmoor.zip").namelist()
    )


def test_a_token_found_in_a_stored_mail_does_not_log_in_but_the_delivered_one_does(site: Site):
    app = app_of(site)
    try:
        with reading(app.engine) as session:
            rows = list(session.exec(select(OutboxMessage)))
    finally:
        app.close()
    candidates = {t for r in rows for t in TOKEN.findall(json.dumps(r.payload))}
    for token in sorted(candidates)[:20]:  # whatever looks like a token: none is a link
        assert not _logs_in(site, token)
    [requested] = [m for m in _maildir(site) if str(m["Subject"]) == "Ihr Link zum Träger-Portal"]
    [token] = set(LINK.findall(_body(requested)))
    [row] = [r for r in rows if r.message_id == requested["Message-ID"]]
    assert PLACEHOLDER in row.payload["text"] and token not in json.dumps(row.payload)
    client = httpx.Client(base_url=site.url, follow_redirects=False, timeout=30)
    opened = exchange(client, token)
    assert opened.status_code == 303 and opened.headers["location"] == "/portal/"
    assert client.get("/portal/").status_code == 200  # Weiter → a session of the contact
    client.close()
    assert not _logs_in(site, token)  # once


def _logs_in(site: Site, token: str) -> bool:
    with httpx.Client(base_url=site.url, follow_redirects=False, timeout=30) as client:
        answer = exchange(client, token)
        return answer.status_code == 303 and answer.headers["location"] == "/portal/"
