"""Every page of the staff application and the Träger portal, at 1,280 px and 375 px (issue 23).

One seeded site in June 2027 with data in every state (a Verwendungsnachweis filed, others
submitted, checked and acknowledged, a Jahresbericht waiting for acceptance and one returned,
an extended deadline, a waived stage, a Träger's date proposal waiting for an answer, a mail
the SMTP server refused for good, a set-password link), one browser. Each page is checked as
each staff role sees it, as a Träger contact who came in through the link in a delivered mail
sees it, and as an anonymous visitor sees it:

- axe-core finds no violation of impact serious or critical, at 1,280 px and at 375 px;
- at 375 px neither the page nor its ``<main>`` scrolls sideways: a wide table scrolls inside
  its own labelled box (``.rahmen``), a picture inside its frame.

The visited pages come from the router: a GET route that is neither visited nor listed in
``EXCLUDED`` (with the reason: not HTML) fails ``test_every_get_route_is_visited_or_excluded``.
With ``$ZYKLUS_SHOTS_375`` set to a folder, the 375 px pages are saved there as screenshots.
"""

from __future__ import annotations

import json
import os
import re
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest
from axe_playwright_python.sync_playwright import Axe
from playwright.sync_api import Page, expect
from starlette.routing import BaseRoute, Mount, Route, compile_path

from cycle.server import app as server_app
from cycle.server import health
from tests.conftest import ROOT
from tests.portal.conftest import KALTENMOOR, exchange, mint
from tests.smtp_sink import Received, free_port, running_sink
from tests.web.conftest import PASSWORD, ROLES, Site, csrf, make_site, running

NOW = "2027-06-08T12:00"
DOCS = ROOT / "tests" / "data" / "documents"
WIDTHS = (1280, 375)
REFUSED = "h.voss@paulus-lueneburg.example.org"  # schuetzenplatz: its mail fails for good
NEW_USER = "neu@stadt-lueneburg.example.org"  # gets a set-password link by mail

# GET routes that serve no HTML page, so there is nothing for axe or a phone to look at.
EXCLUDED = {
    "/healthz": "plain text for the load balancer",
    "/readyz": "plain text for the load balancer",
    "/metrics": "Prometheus text",
    "/anmelden/oidc": "redirects to the identity provider (single sign-on)",
    "/anmelden/oidc/callback": "redirects back from the identity provider",
    "/uebersicht.{fmt:str}": "CSV/XLSX download of the Übersicht",
    "/nachweis/{sha}": "download of an uploaded evidence file",
    "/berichte/{kind}": "document downloads (PDF, DOCX, ZIP, Markdown, iCalendar)",
    "/stammdaten/export": "XLSX/CSV/TOML download",
    "/static": "the stylesheet",
    "/portal/jahresbericht/{pairing}/{year:jahr}/vorlage.docx": "DOCX download",
    "/portal/verwendungsnachweis/{pairing}/{year:jahr}/verwendungsnachweis.pdf": "PDF download",
    "/portal/termine/{pairing}/{year:jahr}/{stage}/leitfaden": "download of the guide",
    "/portal/kalender/{token}.ics": "iCalendar feed",
}


def get_routes() -> dict[str, re.Pattern[str]]:
    """Every GET route of the application (health and portal included): template → regex."""
    found: dict[str, re.Pattern[str]] = {}

    def walk(routes: list[BaseRoute], prefix: str) -> None:
        for route in routes:
            if isinstance(route, Mount):
                inner = route.app
                while not hasattr(inner, "routes") and hasattr(inner, "app"):
                    inner = inner.app  # the portal's NoReferrer wrapper
                if hasattr(inner, "routes"):
                    walk(inner.routes, prefix + route.path)
                else:  # static files: everything below the prefix
                    found[prefix + route.path] = re.compile(re.escape(prefix + route.path) + "/")
            elif isinstance(route, Route) and route.methods and "GET" in route.methods:
                template = prefix + route.path
                found[template] = compile_path(template)[0]

    walk([*health.routes(None), *server_app.routes()], "")
    found["/metrics"] = compile_path("/metrics")[0]  # only with [web] metrics = true
    return found


def template_of(path: str, routes: dict[str, re.Pattern[str]]) -> str | None:
    """The route that answers ``path`` (first match, as Starlette does), None for a 404 page."""
    bare = path.split("?")[0].split("#")[0]
    return next((t for t, regex in routes.items() if regex.match(bare)), None)


@dataclass(frozen=True)
class Visit:
    who: str  # "anonym", a staff login, "koord-mail", "portal" or "abgemeldet"
    path: str
    status: tuple[int, ...] = (200,)  # the answers expected


# A page another role may not open shows the refusal (403), which is a page too.
OK_OR_REFUSED = (200, 403)


@dataclass
class Seeded:
    site: Site
    portal_link: str  # the path of a personal link from a delivered mail
    password_link: str  # the same for a new staff user
    message_ids: list[int]  # a failed, a sent and a pending message


# --- The site --------------------------------------------------------------------------------

VN = "verwendungsnachweis"
JB = "jahresbericht"


def seed(s: Site, protocol: Path) -> None:
    """A year 2026 with every state a page can show, then the 2027 cycles opened."""
    ok = s.ok
    ok("complete", "kaltenmoor", "2026", "auftaktgespraech", "--on", "2026-03-10",
       "--participants", "Lena Hoffmann, Sabine Behrens", "--evidence", str(protocol),
       now="2026-03-10T12:00")  # fmt: skip
    ok("extend", "innenstadt", "2026", "auftaktgespraech", "--until", "2026-05-15",
       "--reason", "Personalwechsel beim Träger", now="2026-03-20T10:00")  # fmt: skip
    for p in ("bockelsberg", "innenstadt", "kreideberg", "hanseviertel", "ebensberg",
              "luene-moorfeld"):  # fmt: skip
        ok("complete", p, "2026", "auftaktgespraech", "--participants", "3", now="2026-04-21T10:00")
    ok("schedule", "alle", "2026", "fachtag", "--at", "2026-06-18T09:30",
       "--location", "Glockenhaus Lüneburg", now="2026-04-15T10:00")  # fmt: skip
    held = "kaltenmoor,bockelsberg,innenstadt,kreideberg,hanseviertel,ebensberg,luene-moorfeld"
    ok("complete", held, "2026", "fachtag", "--participants", "14", now="2026-06-18T16:00")
    ok("complete", "kaltenmoor", "2026", "auswertungsgespraech", "--participants", "3",
       now="2026-11-20T12:00")  # fmt: skip
    ok("complete", "innenstadt", "2026", "auswertungsgespraech", "--participants", "4",
       now="2026-11-25T12:00")  # fmt: skip
    for p in ("bockelsberg", "kreideberg", "hanseviertel", "ebensberg", "luene-moorfeld"):
        ok("waive", p, "2026", "auswertungsgespraech", "--reason", "Personalwechsel",
           now="2026-11-25T09:00")  # fmt: skip
    report = str(DOCS / "jahresbericht-2026.md")
    for p in ("kaltenmoor", "bockelsberg", "luene-moorfeld", "innenstadt"):
        ok("submit", p, "2026", JB, report, now="2026-12-18T10:00")
    for p in ("kaltenmoor", "luene-moorfeld"):
        ok("accept", p, "2026", JB, now="2026-12-22T10:00")
    ok("return", "innenstadt", "2026", JB, "--reason", "Bitte die Wirkungen ergänzen.",
       "--due", "2027-07-30", now="2026-12-22T10:30")  # fmt: skip
    for p in ("kreideberg", "hanseviertel", "ebensberg"):
        ok("waive", p, "2026", JB, "--reason", "Test", now="2026-12-20T09:00")
    vn = str(DOCS / "verwendungsnachweis-2026.toml")
    for p in ("kaltenmoor", "ebensberg", "kreideberg", "hanseviertel"):
        ok("submit", p, "2026", VN, vn, now="2027-05-20T10:00")
    for p in ("kaltenmoor", "kreideberg", "hanseviertel"):
        ok("check", p, "2026", VN, "--by", "K. Kollegin", now="2027-05-25T10:00")
    for p in ("kaltenmoor", "hanseviertel"):
        ok("acknowledge", p, "2026", VN, "--by", "Frau Stab", now="2027-06-01T10:00")
    ok("file", "kaltenmoor", "2026", VN, "--by", "Herr Ablage", now="2027-06-03T10:00")
    ok("note", "bockelsberg", "2026", "Neue Ansprechpartnerin ab Juni", now="2027-06-04T10:00")
    ok("user", "add", "neu", "--role", "lesend", "--name", "Nina Neu", "--email", NEW_USER,
       "--link", now="2027-06-08T10:00")  # fmt: skip


def _text(received: Received) -> str:
    part = received.message.get_body(preferencelist=("plain",))
    return str(part.get_content()) if part is not None else ""


def _found(pattern: str, received: list[Received], to: str) -> str:
    """The first match of ``pattern`` in the plain text of a mail delivered to ``to`` alone."""
    for r in received:
        found = re.search(pattern, _text(r))
        if r.rcpt_tos == [to] and found:
            return found[0]
    raise AssertionError([(r.rcpt_tos, str(r.message["Subject"])) for r in received])


def _ids(site: Site, status: str) -> list[int]:
    listed = json.loads(site.ok("outbox", "--status", status, "--format", "json"))
    return [int(m["id"]) for m in listed["messages"]]


@pytest.fixture(scope="module")
def seeded(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Seeded]:
    folder = tmp_path_factory.mktemp("every-page")
    port = free_port()
    smtp = f'transport = "smtp"\nhost = "127.0.0.1"\nport = {port}\nsecurity = "none"'
    s = make_site(folder, "2026-01-05T09:00", smtp + '\nusername = ""')
    protocol = folder / "protokoll-auftakt.txt"
    protocol.write_text("Protokoll des Auftaktgesprächs", encoding="utf-8")
    seed(s, protocol)
    with running_sink(port=port) as sink:
        sink.handler.refuse_recipient(REFUSED, "550 5.1.1 Postfach unbekannt")
        s.now = "2027-06-08T11:00"
        s.command("tick")  # opens the 2027 cycles, delivers (one recipient refused for good)
        received = list(sink.handler.messages)
    s.now = NOW
    s.ok("schedule", "bockelsberg", "2027", "auftaktgespraech", "--at", "2027-06-22T10:00",
         "--location", "Stadtteilhaus Bockelsberg, großer Saal")  # fmt: skip  # one pending mail
    portal = _found(r"/portal/anmelden/[A-Za-z0-9_-]+\S*", received, CONTACT)
    password = _found(r"/passwort/[A-Za-z0-9_-]+", received, NEW_USER)
    messages = [*_ids(s, "failed")[:1], *_ids(s, "sent")[:1], *_ids(s, "pending")[:1]]
    assert len(messages) == 3, messages  # one message of each state
    with running(s):
        with httpx.Client(base_url=s.url, follow_redirects=False, timeout=30) as kaltenmoor:
            assert exchange(kaltenmoor, mint(s, KALTENMOOR)).status_code == 303
            answer = kaltenmoor.post(  # a Träger's date proposal, waiting for an answer
                "/portal/termine/kaltenmoor/2027/auftaktgespraech/vorschlagen",
                data={"csrftoken": csrf(kaltenmoor.get("/portal/termine").text),
                      "termin1": "2027-06-21T10:00"},
            )  # fmt: skip
            assert answer.status_code == 303, answer.text
        yield Seeded(s, portal, password, messages)


# --- The pages -------------------------------------------------------------------------------

STAFF = (
    "/",
    "/?jahr=2027",
    "/?ueberfaellig=1",
    "/termin",
    "/zyklus/kaltenmoor/2026",
    "/zyklus/bockelsberg/2026",
    "/zyklus/innenstadt/2026",
    "/zyklus/schuetzenplatz/2026",
    "/zyklus/kaltenmoor/2027",
    "/zyklus/bockelsberg/2027",
    "/zyklus/kaltenmoor/2026/verwendungsnachweis",
    "/zyklus/ebensberg/2026/verwendungsnachweis",
    "/zyklus/kreideberg/2026/verwendungsnachweis",
    "/zyklus/hanseviertel/2026/verwendungsnachweis",
    "/postausgang",
    "/postausgang?status=failed",
    "/vorschau",
    "/protokoll",
    "/berichte",
    "/auskunft",
    "/stammdaten",
    "/stammdaten/import",
    "/stammdaten/traeger/awo",
    "/stammdaten/stadtteil/kaltenmoor",
    "/stammdaten/partnerschaft/innenstadt",
    "/stammdaten/neu/traeger",
    "/stammdaten/neu/stadtteil",
    "/stammdaten/neu/partnerschaft",
    "/benutzer",
    "/gibt-es-nicht",
)
CONTACT = "t.krueger@drk-lueneburg.example.org"  # luene-moorfeld: its Verwendungsnachweis is due
PORTAL = (
    "/portal/",
    "/portal/termine",
    "/portal/jahresbericht",
    "/portal/jahresbericht/luene-moorfeld/2026",
    "/portal/jahresbericht/luene-moorfeld/2027",
    "/portal/verwendungsnachweis",
    "/portal/verwendungsnachweis/luene-moorfeld/2026",
    "/portal/kalender",
    "/portal/gibt-es-nicht",
)
LEGAL = ("/datenschutz", "/impressum", "/barrierefreiheit")


# What differs by role: the forms a role may use (sign-off steps, "Wartet auf mich"), and the
# refusal (403) of a page only the Koordinierungsstelle may open. Pages that only read are the
# same for every role and visited once, as the Koordinierungsstelle.
BY_ROLE = {
    "stab": ("/", "/zyklus/kreideberg/2026", "/zyklus/kreideberg/2026/verwendungsnachweis"),
    "ablage": ("/", "/zyklus/hanseviertel/2026", "/zyklus/hanseviertel/2026/verwendungsnachweis"),
    "lesend": (
        "/",
        "/termin",
        "/zyklus/bockelsberg/2026",
        "/zyklus/kaltenmoor/2027",
        "/zyklus/ebensberg/2026/verwendungsnachweis",
        "/auskunft",
        "/stammdaten",
        "/stammdaten/import",
        "/stammdaten/traeger/awo",
        "/stammdaten/neu/traeger",
        "/benutzer",
    ),
}


def visits(seeded: Seeded) -> list[Visit]:
    """Every page as each of its visitors sees it."""
    messages = [f"/postausgang/{i}" for i in seeded.message_ids]
    found = [Visit("anonym", p) for p in ("/anmelden", *LEGAL, seeded.password_link)]
    found += [Visit("anonym", p) for p in ("/portal/neuer-link", seeded.portal_link)]
    found += [Visit("anonym", "/portal/anmelden/kein-gueltiger-link", (410,))]
    found += [Visit("koord", p, (404,) if p == "/gibt-es-nicht" else (200,)) for p in STAFF]
    found += [Visit("koord", p) for p in messages]
    found += [Visit("koord-mail", f"{messages[0]}/html")]
    for login, paths in BY_ROLE.items():
        found += [Visit(login, p, OK_OR_REFUSED) for p in (*paths, messages[0])]
    found += [
        Visit("portal", p, (404,) if p.endswith("/gibt-es-nicht") else (200,)) for p in PORTAL
    ]
    found += [Visit("abgemeldet", "/portal/abgemeldet")]
    return found


def test_every_get_route_is_visited_or_excluded(seeded: Seeded) -> None:
    """A new GET route fails here until it is visited below (with real values for its
    parameters) or excluded with the reason it serves no HTML page."""
    routes = get_routes()
    visited = {t for v in visits(seeded) if (t := template_of(v.path, routes)) is not None}
    missing = sorted(set(routes) - visited - set(EXCLUDED))
    assert missing == [], "GET routes neither visited nor in EXCLUDED (with the reason)"
    assert sorted(set(EXCLUDED) - set(routes)) == []  # no stale exclusion
    assert sorted(visited & set(EXCLUDED)) == []
    # every kind of page is there: staff pages, portal pages, public pages, error pages
    assert {v.who for v in visits(seeded)} == {
        *ROLES,
        "anonym",
        "koord-mail",
        "portal",
        "abgemeldet",
    }


_axe = Axe()
SHOTS = os.environ.get("ZYKLUS_SHOTS_375")


# What scrolls sideways at 375 px: the page, or <main> as a whole (its overflow-x: auto is a
# last resort; a wide table belongs in its own scrolling box, ``.rahmen``).
WIDE = """() => {
  const found = [];
  const page = document.documentElement;
  if (page.scrollWidth > window.innerWidth) found.push(`page ${page.scrollWidth} px`);
  const main = document.querySelector("main");
  if (main && main.scrollWidth > main.clientWidth) {
    found.push(`main ${main.scrollWidth} px`);
    for (const e of main.querySelectorAll("*")) {
      const r = e.getBoundingClientRect();
      if (r.right > main.getBoundingClientRect().right + 1 && !e.closest(".rahmen")) {
        const name = e.tagName.toLowerCase() + (e.id ? "#" + e.id : "");
        found.push(`${name}${e.className ? "." + e.className : ""} ${Math.round(r.right)} px`);
        if (found.length > 6) break;
      }
    }
  }
  return found.join(", ");
}"""


def problems_of(page: Page, label: str) -> list[str]:
    """axe at both widths, the page's own width at 375 px (the page was loaded at 1,280 px)."""
    found = []
    for width in WIDTHS:
        page.set_viewport_size({"width": width, "height": 900})
        bad = [
            (v["id"], v["impact"], [n["target"] for n in v["nodes"]][:3])
            for v in _axe.run(page).response["violations"]
            if v["impact"] in ("serious", "critical")
        ]
        if bad:
            found.append(f"{label} at {width} px: {bad}")
    wide = page.evaluate(WIDE)
    if wide:
        found.append(f"{label} scrolls sideways at 375 px: {wide}")
    if SHOTS:
        name = re.sub(r"[^a-z0-9]+", "-", label.lower()).strip("-")
        page.screenshot(path=str(Path(SHOTS) / f"{name}.png"), full_page=True)
    page.set_viewport_size({"width": WIDTHS[0], "height": 900})
    return found


def sign_in(page: Page, url: str, login: str) -> None:
    page.context.clear_cookies()
    page.goto(f"{url}/anmelden")
    page.get_by_label("Benutzername").fill(login)
    page.get_by_label("Passwort").fill(PASSWORD)
    page.get_by_role("button", name="Anmelden").click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("Übersicht")


def test_every_page_is_accessible_at_1280_and_375_px(seeded: Seeded, page: Page) -> None:
    url = seeded.site.url
    problems: list[str] = []
    who = ""
    for visit in visits(seeded):
        if visit.who == "koord-mail":  # a mail's HTML runs sandboxed: axe needs the CSP lifted
            assert page.context.browser is not None
            lifted = page.context.browser.new_context(
                bypass_csp=True, storage_state=page.context.storage_state()
            )
            problems += check(lifted.new_page(), url, visit)
            lifted.close()
            continue
        if visit.who != who:
            who = visit.who
            enter(page, seeded, who)
        problems += check(page, url, visit)
    assert problems == [], "\n".join(problems)


def check(page: Page, url: str, visit: Visit) -> list[str]:
    answer = page.goto(url + visit.path)
    assert answer is not None
    found = []
    if answer.status not in visit.status:
        found.append(f"{visit.who} {visit.path}: HTTP {answer.status}")
    return found + problems_of(page, f"{visit.who} {visit.path}")


def enter(page: Page, seeded: Seeded, who: str) -> None:
    url = seeded.site.url
    if who in ROLES:
        sign_in(page, url, who)
    elif who == "portal":
        page.context.clear_cookies()
        page.goto(url + seeded.portal_link)
        page.get_by_role("button", name="Weiter").click()
        expect(page).to_have_url(re.compile("/portal/verwendungsnachweis/luene-moorfeld/2026$"))
    elif who == "abgemeldet":
        page.goto(f"{url}/portal/")
        page.get_by_role("button", name="Abmelden").click()
    else:
        page.context.clear_cookies()


def test_the_pages_after_a_refused_form_are_accessible_too(seeded: Seeded, page: Page) -> None:
    """Answers to a POST: a refused login, a refused event (the error summary, the marked field)
    and the portal's neutral answer to a link request; each refused, nothing changed."""
    url, problems = seeded.site.url, []
    before = seeded.site.ok("audit", "--format", "json")
    page.goto(f"{url}/anmelden")
    page.get_by_label("Benutzername").fill("koord")
    page.get_by_label("Passwort").fill("falsches-passwort-123")
    page.get_by_role("button", name="Anmelden").click()
    expect(page.get_by_text("Anmeldung fehlgeschlagen")).to_be_visible()
    problems += problems_of(page, "refused login")

    page.goto(f"{url}/portal/neuer-link")
    page.get_by_label("Ihre E-Mail-Adresse").fill("unbekannt@example.org")
    page.get_by_role("button", name="Neuen Link anfordern").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Link angefordert")
    problems += problems_of(page, "link requested")

    sign_in(page, url, "koord")
    page.goto(f"{url}/zyklus/kaltenmoor/2027")
    form = page.locator("#form-auftaktgespraech-complete")
    form.get_by_label("Durchgeführt am").fill("2027-07-01")  # in the future: refused
    form.get_by_role("button", name="Als durchgeführt erfassen").click()
    expect(page.locator("#fehlerliste")).to_be_visible()
    problems += problems_of(page, "refused event")
    assert problems == [], "\n".join(problems)
    assert seeded.site.ok("audit", "--format", "json") == before
