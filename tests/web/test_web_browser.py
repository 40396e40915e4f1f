"""The coordinator's journey in a real browser (Debian's chromium, Playwright), axe on every page.

Never ``playwright install``: the browser is ``/usr/bin/chromium`` (``.ci/run`` installs it).
"""

from __future__ import annotations

import csv
import io
import json
import os
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from axe_playwright_python.sync_playwright import Axe
from openpyxl import load_workbook
from playwright.sync_api import Page, expect

from tests.conftest import ROOT
from tests.smtp_sink import free_port, running_sink
from tests.web.conftest import PASSWORD, Site, make_site, running

NOW = "2026-04-02T08:00"
PNG = b"\x89PNG\r\n\x1a\n"


def shots(tmp_path: Path) -> Path:
    """Where screenshots go: ``$ZYKLUS_SCREENSHOTS`` (e.g. ``docs/img``, relative to the
    repository) when set — to refresh the README's pictures — else the test's own folder, so an
    ordinary run leaves the work tree clean."""
    wanted = os.environ.get("ZYKLUS_SCREENSHOTS")
    folder = (ROOT / wanted) if wanted else tmp_path
    folder.mkdir(parents=True, exist_ok=True)
    return folder


def screenshot(page: Page, path: Path) -> None:
    page.screenshot(path=str(path), full_page=True)
    data = path.read_bytes()
    assert data.startswith(PNG) and len(data) > 10_000, path


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Site]:
    s = make_site(tmp_path_factory.mktemp("browser"), NOW)
    with running(s):
        yield s


_axe = Axe()


def accessible(page: Page) -> None:
    """No axe-core violation of impact serious or critical on the page as it is now."""
    results = _axe.run(page)
    bad = [
        (v["id"], v["impact"], [n["target"] for n in v["nodes"]][:3])
        for v in results.response["violations"]
        if v["impact"] in ("serious", "critical")
    ]
    assert bad == [], page.url


def status(site: Site) -> dict[str, dict[str, Any]]:
    data = json.loads(site.ok("status", "--year", "2026", "--format", "json"))
    return {c["pairing"]: c["stages"] for c in data["cycles"]}


def test_the_coordinator_records_a_year_in_the_browser(site: Site, page: Page, tmp_path: Path):
    page.goto(f"{site.url}/")
    expect(page).to_have_url(f"{site.url}/anmelden?weiter=/")
    accessible(page)
    page.get_by_label("Benutzername").fill("koord")
    page.get_by_label("Passwort").fill(PASSWORD)
    page.get_by_role("button", name="Anmelden").click()

    # Übersicht: all 8 pairings with their overdue Auftaktgespräch
    expect(page.get_by_role("heading", name="Übersicht 2026")).to_be_visible()
    rows = page.locator("table tbody tr")
    expect(rows).to_have_count(8)
    expect(page.get_by_text("2 Tage überfällig")).to_have_count(8)
    accessible(page)
    page.set_viewport_size({"width": 1400, "height": 900})
    screenshot(page, shots(tmp_path) / "uebersicht.png")

    # Zyklus page: schedule, then complete with an uploaded protocol
    page.get_by_role("link", name="Kaltenmoor").click()
    expect(page.get_by_role("heading", name="Zyklus 2026: Kaltenmoor")).to_be_visible()
    accessible(page)
    form = page.locator("#form-auftaktgespraech-schedule")
    form.get_by_label("Datum und Uhrzeit").fill("2026-04-10T10:00")
    form.get_by_label("Ort").fill("Gemeinschaftshaus")
    form.get_by_role("button", name="Termin festlegen").click()
    expect(page.get_by_role("status")).to_contain_text("offen → terminiert")
    form = page.locator("#form-auftaktgespraech-complete")
    form.get_by_label("Durchgeführt am").fill("2026-04-01")
    form.get_by_label("Teilnehmende").fill("Kim Koordination, Sam Stadtteil")
    protocol = tmp_path / "protokoll-auftakt.txt"
    protocol.write_text("Protokoll des Auftaktgesprächs", encoding="utf-8")
    form.get_by_label("Nachweis (z. B. Protokoll)").set_input_files(str(protocol))
    form.get_by_role("button", name="Als durchgeführt erfassen").click()
    expect(page.get_by_role("status")).to_contain_text("terminiert → durchgeführt")
    expect(page.get_by_role("link", name="protokoll-auftakt.txt")).to_be_visible()
    accessible(page)
    assert status(site)["kaltenmoor"]["auftaktgespraech"]["status"] == "durchgefuehrt"
    audit = json.loads(site.ok("audit", "--pairing", "kaltenmoor", "--format", "json"))
    assert [e["actor"] for e in audit if e["action"] in ("schedule", "complete")] == [
        "koord",
        "koord",
    ]

    # A refused event: its German message beside the field, nothing changed
    form = page.locator("#form-fachtag-complete")
    form.get_by_label("Durchgeführt am").fill("2026-05-01")
    form.get_by_role("button", name="Als durchgeführt erfassen").click()
    refused = page.locator("#form-fachtag-complete .feldfehler")
    expect(refused).to_contain_text("01.05.2026 liegt in der Zukunft")
    accessible(page)
    assert status(site)["kaltenmoor"]["fachtag"]["status"] == "offen"

    # Gemeinsamer Termin: the Fachtag for all pairings in one step
    for pairing in status(site):
        if pairing != "kaltenmoor":
            site.ok("complete", pairing, "2026", "auftaktgespraech", "--on", "2026-03-30")
    page.get_by_role("link", name="Gemeinsamer Termin").click()
    accessible(page)
    form = page.locator("#form-complete")
    form.get_by_label("Stufe").select_option("fachtag")
    form.get_by_label("alle (jede aktive Partnerschaft)").check()
    form.get_by_label("Durchgeführt am").fill("2026-04-01")
    form.get_by_label("Teilnehmende").fill("40")
    form.get_by_role("button", name="Als durchgeführt erfassen").click()
    expect(page.get_by_role("status")).to_contain_text("Fachtag")
    assert {s["fachtag"]["status"] for s in status(site).values()} == {"durchgefuehrt"}

    # Downloads of the filtered Übersicht, parsed back
    page.goto(f"{site.url}/?jahr=2026&traeger=awo")
    with page.expect_download() as got:
        page.get_by_role("link", name="CSV (Excel)").click()
    raw = Path(got.value.path()).read_bytes()
    assert raw.startswith(b"\xef\xbb\xbf")
    table = list(csv.DictReader(io.StringIO(raw.decode("utf-8-sig")), delimiter=";"))
    assert [r["Partnerschaft"] for r in table] == ["kaltenmoor"]
    assert table[0]["Träger"] == "AWO Kreisverband Lüneburg e. V."
    assert table[0]["Auftaktgespräch: erledigt am"] == "01.04.2026"
    assert table[0]["Fachtag: erledigt"] == "Ja"
    with page.expect_download() as got:
        page.get_by_role("link", name="XLSX").click()
    assert got.value.suggested_filename == "uebersicht-2026.xlsx"
    sheet = load_workbook(io.BytesIO(Path(got.value.path()).read_bytes())).active
    assert sheet is not None
    assert sheet["A2"].value == "kaltenmoor" and sheet.freeze_panes == "A2"

    # The other pages, each checked by axe
    for name in ("Postausgang", "Vorschau", "Protokoll", "Berichte"):
        page.get_by_role("navigation", name="Hauptnavigation").get_by_role(
            "link", name=name
        ).click()
        expect(page.get_by_role("heading", level=1)).to_contain_text(name)
        accessible(page)
    page.get_by_role("button", name="Abmelden").click()
    expect(page.get_by_text("Sie sind abgemeldet.")).to_be_visible()


def sign_in(page: Page, site: Site, login: str) -> None:
    page.goto(f"{site.url}/anmelden")
    page.get_by_label("Benutzername").fill(login)
    page.get_by_label("Passwort").fill(PASSWORD)
    page.get_by_role("button", name="Anmelden").click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("Übersicht")


def sign_out(page: Page) -> None:
    page.get_by_role("button", name="Abmelden").click()
    expect(page.get_by_text("Sie sind abgemeldet.")).to_be_visible()


def focus_style(page: Page) -> dict[str, str]:
    """The focused element's text and the computed styles that make focus visible."""
    found: dict[str, str] = page.evaluate(
        """() => { const e = document.activeElement, s = getComputedStyle(e);
                   return {text: e.textContent.trim(), id: e.id, outline: s.outlineStyle,
                           width: s.outlineWidth, shadow: s.boxShadow}; }"""
    )
    return found


def visibly_focused(style: dict[str, str]) -> bool:
    outlined = style["outline"] != "none" and style["width"] not in ("0px", "")
    return outlined or style["shadow"] not in ("none", "")


def test_the_keyboard_reaches_the_skip_link_first_and_focus_is_visible(site: Site, page: Page):
    page.goto(f"{site.url}/anmelden")
    page.keyboard.press("Tab")
    assert focus_style(page)["text"] == "Zum Inhalt springen"
    sign_in(page, site, "lesend")
    page.keyboard.press("Tab")
    skip = focus_style(page)
    assert skip["text"] == "Zum Inhalt springen" and visibly_focused(skip), skip
    expect(page.get_by_role("link", name="Zum Inhalt springen")).to_be_in_viewport()
    page.keyboard.press("Enter")
    assert focus_style(page)["id"] == "inhalt"  # the skip link moved the focus to the content
    page.keyboard.press("Tab")
    first = focus_style(page)  # the first control of the content: the Jahr filter
    assert visibly_focused(first), first
    page.keyboard.press("Shift+Tab")
    back = focus_style(page)  # back in the header: Abmelden, the last control before the content
    assert back["text"] == "Abmelden" and visibly_focused(back), back
    accessible(page)


# --- The second half of the year: reports, the Verwendungsnachweis, corrections, the outbox ----

LATER = "2027-05-25T09:00"
DOCS = ROOT / "tests" / "data" / "documents"


@pytest.fixture(scope="module")
def later(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Site]:
    """2026 cycles in May 2027: kaltenmoor's meetings held, one tick whose every mail the SMTP
    server refused for good (554), so the Postausgang holds failed messages."""
    port = free_port()
    smtp = f'transport = "smtp"\nhost = "127.0.0.1"\nport = {port}\nsecurity = "none"'
    s = make_site(tmp_path_factory.mktemp("later"), NOW, smtp + '\nusername = ""')
    s.now = LATER
    for stage in ("auftaktgespraech", "fachtag", "auswertungsgespraech"):
        s.ok("complete", "kaltenmoor", "2026", stage, "--on", "2026-11-02")
    s.env["ZYKLUS_PASSWORD"] = PASSWORD  # a colleague for the four eyes on the money
    s.ok("user", "add", "koord2", "--role", "koordinierungsstelle", "--name", "Herr Koord Zwei")
    del s.env["ZYKLUS_PASSWORD"]
    with running_sink(port=port) as sink:
        sink.handler.refuse_next(10_000, "554 5.7.1 Absender abgelehnt")
        s.command("tick")
    with running(s):
        yield s


def outbox(site: Site, status: str) -> list[dict[str, Any]]:
    found: list[dict[str, Any]] = json.loads(
        site.ok("outbox", "--status", status, "--format", "json")
    )["messages"]
    return found


def flashed(page: Page, text: str) -> None:
    expect(page.get_by_role("status")).to_contain_text(text)
    accessible(page)


def test_reports_and_the_verwendungsnachweis_pass_every_step_in_the_browser(
    later: Site, page: Page, tmp_path: Path
):
    sign_in(page, later, "koord")
    page.goto(f"{later.url}/zyklus/kaltenmoor/2026")
    accessible(page)

    # Jahresbericht: submit with upload, return with a reason, submit again, accept
    form = page.locator("#form-jahresbericht-submit")
    form.get_by_label("Datei").set_input_files(str(DOCS / "jahresbericht-2026.md"))
    form.get_by_role("button", name="Einreichung erfassen").click()
    flashed(page, "offen → eingereicht")
    form = page.locator("#form-jahresbericht-return")
    form.get_by_label("Grund").fill("Bitte die Wirkungen unter 2.3 ergänzen.")
    form.get_by_label("Neue Frist").fill("2027-06-30")
    form.get_by_role("button", name="Zurückgeben").click()
    flashed(page, "eingereicht → zurückgegeben")
    form = page.locator("#form-jahresbericht-submit")
    form.get_by_label("Datei").set_input_files(str(DOCS / "jahresbericht-2026.md"))
    form.get_by_role("button", name="Einreichung erfassen").click()
    flashed(page, "zurückgegeben → eingereicht")
    form = page.locator("#form-jahresbericht-accept")
    form.get_by_label("Vermerk").fill("vollständig")
    form.get_by_role("button", name="Annehmen").click()
    flashed(page, "eingereicht → angenommen")

    # Verwendungsnachweis: submit with upload, then the check page with rules and amounts
    form = page.locator("#form-verwendungsnachweis-submit")
    form.get_by_label("Datei").set_input_files(str(DOCS / "verwendungsnachweis-2026.toml"))
    form.get_by_role("button", name="Einreichung erfassen").click()
    flashed(page, "offen → eingereicht")
    page.get_by_role("link", name="Verwendungsnachweis prüfen").click()
    expect(page.get_by_role("heading", level=1)).to_have_text(
        "Verwendungsnachweis 2026: Kaltenmoor"
    )
    rules = page.get_by_role("table", name="Jede Regel mit Beträgen und Ergebnis")
    expect(rules.locator("tbody tr")).to_have_count(9)
    expect(rules).to_contain_text("Verwaltungskosten höchstens 13 % der Personalkosten")
    expect(rules).to_contain_text("Sachkosten höchstens 7.000,00 €")
    expect(rules.get_by_text("nicht erfüllt")).to_have_count(0)
    final = page.get_by_role("table", name="Einnahmen und Ausgaben")
    expect(final.get_by_role("row", name="Kostensumme (1–4)")).to_contain_text("98.000,00 €")
    expect(final.get_by_role("row", name="Differenz (Einnahmen − Kosten)")).to_contain_text("€")
    accessible(page)
    screenshot(page, shots(tmp_path) / "verwendungsnachweis.png")
    # Four eyes: who recorded the submission does not check it; a colleague does
    page.locator("#form-check").get_by_role("button", name="Rechnerisch prüfen").click()
    # the refusal in the error summary (focused, linking the form) and at the form itself
    summary = page.locator("#fehlerliste")
    expect(
        summary.get_by_role(
            "link", name=re.compile("Vier-Augen-Prinzip: kaltenmoor 2026 · koord hat")
        )
    ).to_have_attribute("href", "#form-verwendungsnachweis-check")
    assert page.evaluate("document.activeElement.id") == "fehlerliste"
    expect(
        page.locator("#form-verwendungsnachweis-check").get_by_text(
            "Vier-Augen-Prinzip: kaltenmoor 2026 · koord hat"
        )
    ).to_be_visible()
    accessible(page)
    assert status(later)["kaltenmoor"]["verwendungsnachweis"]["status"] == "eingereicht"
    sign_out(page)
    sign_in(page, later, "koord2")
    page.goto(f"{later.url}/zyklus/kaltenmoor/2026/verwendungsnachweis")
    page.locator("#form-check").get_by_role("button", name="Rechnerisch prüfen").click()
    flashed(page, "eingereicht → geprüft")
    expect(page.get_by_role("button", name="Zur Kenntnis nehmen")).to_have_count(1)
    sign_out(page)

    # The Stabsstellenleitung acknowledges, the Ablage files; neither sees the other's step
    sign_in(page, later, "stab")
    page.goto(f"{later.url}/zyklus/kaltenmoor/2026/verwendungsnachweis")
    expect(page.get_by_role("button", name="Rechnerisch prüfen")).to_have_count(0)
    accessible(page)
    page.get_by_label("Vermerk").fill("gesehen")
    page.get_by_role("button", name="Zur Kenntnis nehmen").click()
    flashed(page, "geprüft → zur Kenntnis genommen")
    sign_out(page)
    sign_in(page, later, "ablage")
    page.goto(f"{later.url}/zyklus/kaltenmoor/2026")
    expect(page.locator("form[id^=form-]").filter(has_text="Ablegen")).to_have_count(1)
    expect(page.get_by_role("button", name="Zur Kenntnis nehmen")).to_have_count(0)
    accessible(page)
    page.locator("#form-verwendungsnachweis-file").get_by_role(
        "button", name="Ablegen (zum Vorgang)"
    ).click()
    flashed(page, "zur Kenntnis genommen → abgelegt")

    stages = status(later)["kaltenmoor"]
    assert (stages["jahresbericht"]["status"], stages["verwendungsnachweis"]["status"]) == (
        "angenommen",
        "abgelegt",
    )
    audit = json.loads(later.ok("audit", "--pairing", "kaltenmoor", "--format", "json"))
    steps = [
        (e["actor"], e["action"])
        for e in audit
        if e["stage"] in ("jahresbericht", "verwendungsnachweis")
        and e["action"] in ("submit", "return", "accept", "check", "acknowledge", "file")
    ]
    assert steps == [
        ("koord", "submit"),
        ("koord", "return"),
        ("koord", "submit"),
        ("koord", "accept"),
        ("koord", "submit"),
        ("koord2", "check"),
        ("stab", "acknowledge"),
        ("ablage", "file"),
    ]


def test_corrections_notes_and_a_failed_message_retried_in_the_browser(
    later: Site, page: Page, tmp_path: Path
):
    sign_in(page, later, "koord")
    page.goto(f"{later.url}/zyklus/bockelsberg/2026")
    accessible(page)

    # Waive, correct (the waiver taken back), extend, note
    form = page.locator("#form-auftaktgespraech-waive")
    form.get_by_label("Grund").fill("Träger im Umbruch")
    form.get_by_role("button", name="Entfallen lassen").click()
    flashed(page, "offen → entfallen")
    expect(page.locator("#form-auftaktgespraech-extend")).to_have_count(0)  # graph: done
    form = page.locator("#form-auftaktgespraech-correct")
    form.get_by_label("letzten Schritt zurücknehmen").check()
    form.get_by_label("Grund").fill("versehentlich erfasst")
    form.get_by_role("button", name="Eintrag korrigieren").click()
    flashed(page, "entfallen → offen")
    form = page.locator("#form-auftaktgespraech-extend")
    form.get_by_label("Neue Frist").fill("2027-06-15")
    form.get_by_label("Grund").fill("Personalwechsel beim Träger")
    form.get_by_role("button", name="Frist verlängern").click()
    flashed(page, "Auftaktgespräch (bockelsberg 2026): offen, neue Frist 15.06.2027")
    expect(page.locator("#auftaktgespraech")).to_contain_text("15.06.2027 (verlängert)")
    expect(page.locator("#notizen")).to_contain_text("Zyklus eröffnet")
    form = page.locator("#form-notiz")
    form.get_by_label("Stufe").select_option("auftaktgespraech")
    form.get_by_label("Notiz").fill("Neue Ansprechpartnerin ab Juni")
    form.get_by_role("button", name="Notiz speichern").click()
    flashed(page, "Notiz gespeichert.")
    screenshot(page, shots(tmp_path) / "zyklus.png")
    audit = json.loads(later.ok("audit", "--pairing", "bockelsberg", "--format", "json"))
    assert [e["action"] for e in audit if e["actor"] == "koord"] == [
        "waive",
        "korrigieren",
        "extend",
        "notiz",
    ]
    assert status(later)["bockelsberg"]["auftaktgespraech"]["status"] == "offen"

    # Postausgang: a message the SMTP server refused, viewed and queued again
    failed = outbox(later, "failed")
    assert failed and all("554" in str(m["last_error"]) for m in failed)
    page.get_by_role("navigation", name="Hauptnavigation").get_by_role(
        "link", name="Postausgang"
    ).click()
    accessible(page)
    page.get_by_role("link", name=f"fehlgeschlagen ({len(failed)})").click()
    expect(page.locator("table tbody tr")).to_have_count(len(failed))
    expect(page.locator("table tbody")).to_contain_text("554 5.7.1 Absender abgelehnt")
    expect(page.locator("table tbody")).to_contain_text("Wochenübersicht")  # kinds in German
    accessible(page)
    screenshot(page, shots(tmp_path) / "postausgang.png")
    first = failed[0]
    page.locator(f'a[href="/postausgang/{first["id"]}"]').click()
    expect(page.get_by_role("heading", level=1)).to_contain_text(f"Nachricht {first['id']}")
    accessible(page)
    page.get_by_role("button", name="Erneut senden").click()
    flashed(page, f"Nachricht {first['id']} erneut eingereiht")
    expect(page.get_by_role("button", name="Erneut senden")).to_have_count(0)
    assert first["id"] in [m["id"] for m in outbox(later, "pending")]
    assert first["id"] not in [m["id"] for m in outbox(later, "failed")]
