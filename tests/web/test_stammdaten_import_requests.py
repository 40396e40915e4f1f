"""``/stammdaten/import`` and ``/stammdaten/export`` as requests against a real ``zyklus web``:
preview and apply, and every refusal as an attacker would try it — each refused and nothing
changed (SPEC §15, §16)."""

from __future__ import annotations

import io
import json
import re
from collections.abc import Iterator

import httpx
import pytest
from openpyxl import load_workbook

from cycle.config.settings import MasterData
from cycle.stammdaten_io import parse
from tests.stammdaten_files import cell, edited, thirty
from tests.web.checks import filename_params
from tests.web.conftest import Site, csrf, login, make_site, running
from tests.zip_bomb import xlsx_bomb

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Site]:
    s = make_site(tmp_path_factory.mktemp("import"), "2026-04-02T08:00")
    with running(s):
        yield s


def stored(site: Site) -> str:
    """The stored master data and the audit log's length: what a refusal must not move."""
    audit = json.loads(site.ok("audit", "--format", "json"))
    return site.ok("stammdaten", "export", "--format", "toml") + f"# {len(audit)}"


def stashed(site: Site) -> set[str]:
    folder = site.folder / "var" / "stammdaten-import"
    return {p.name for p in folder.iterdir()} if folder.exists() else set()


def exported(client: httpx.Client) -> bytes:
    answer = client.get("/stammdaten/export", params={"format": "xlsx"})
    assert answer.status_code == 200
    return answer.content


def upload(
    client: httpx.Client, name: str, data: bytes, token: str | None = None
) -> httpx.Response:
    page = client.get("/stammdaten/import")
    return client.post(
        "/stammdaten/import/vorschau",
        data={"csrftoken": csrf(page.text) if token is None else token},
        files={"datei": (name, data, XLSX)},
    )


def apply_form(html: str) -> dict[str, str]:
    form = html.split('action="/stammdaten/import/uebernehmen"')[1].split("</form>")[0]
    return dict(re.findall(r'name="(\w+)" value="([^"]*)"', form))


def test_every_staff_role_downloads_the_export_in_three_formats(site: Site) -> None:
    toml = site.ok("stammdaten", "export", "--format", "toml").encode()
    master = parse(toml, "stammdaten.toml", MasterData()).desired
    client = login(site.url, "lesend")
    for fmt in ("xlsx", "csv", "toml"):
        answer = client.get("/stammdaten/export", params={"format": fmt})
        assert answer.status_code == 200, fmt
        plain, star = filename_params(answer.headers["content-disposition"])
        assert plain == [f"stammdaten-2026-04-02.{fmt}"] and star[0].endswith(f".{fmt}")
        assert parse(answer.content, f"s.{fmt}", master).desired == master
    assert client.get("/stammdaten/export", params={"format": "exe"}).status_code == 400
    page = client.get("/stammdaten/import")
    assert page.status_code == 200
    assert "darf Stammdaten ansehen und exportieren, aber nicht importieren" in page.text
    assert 'action="/stammdaten/import/vorschau"' not in page.text
    client.close()


def test_two_errors_are_shown_at_row_and_column_and_nothing_is_applied_then_the_fix_is(
    site: Site,
) -> None:
    client = login(site.url, "koord")
    before = stored(site)
    workbook = thirty(exported(client))
    broken = edited(
        workbook, {("Partnerschaften", "B12"): "awx", ("Partnerschaften", "J20"): "p11@"}
    )
    answer = upload(client, "dreissig.xlsx", broken)
    assert answer.status_code == 422
    assert "Nichts übernommen:</strong> 2 Probleme in dreissig.xlsx" in answer.text
    assert "Blatt „Partnerschaften“, Zeile 12, Spalte B „Träger“: unbekannter Träger „awx“" in (
        answer.text
    )
    assert "Zeile 20, Spalte J „Kontakt 1 E-Mail“: „p11@“ ist keine gültige" in answer.text
    assert "uebernehmen" not in answer.text
    assert stored(site) == before

    fixed = edited(broken, {("Partnerschaften", "B12"): "awo", ("Partnerschaften", "J20"): None})
    fixed = edited(fixed, {("Partnerschaften", "J20"): "p11@example.org"})
    answer = upload(client, "dreissig.xlsx", fixed)
    assert answer.status_code == 200, answer.text
    assert "44 neu, 0 geändert, 23 unverändert, 0 beendet" in answer.text
    assert answer.text.count('<tr class="status-') == 67  # every row of the file
    assert stored(site) == before  # the preview changes nothing
    form = apply_form(answer.text)
    done = client.post("/stammdaten/import/uebernehmen", data=form)
    assert done.status_code == 303
    assert done.headers["location"] == "/stammdaten/import"
    flash = client.get("/stammdaten/import").text
    assert "Import aus dreissig.xlsx übernommen: 44 Einträge geändert" in flash
    audit = json.loads(site.ok("audit", "--format", "json"))
    created = [e for e in audit if e["action"] == "pairing_angelegt" and e["actor"] == "koord"]
    assert len(created) == 22
    # The same form again: the master data changed since its preview, so it is refused.
    after = stored(site)
    again = client.post("/stammdaten/import/uebernehmen", data=form)
    assert again.status_code == 409
    assert "inzwischen geändert" in again.text
    assert stored(site) == after
    client.close()


def test_a_forged_or_altered_stash_applies_nothing(site: Site) -> None:
    client = login(site.url, "koord")
    xlsx = exported(client)
    awo = cell(xlsx, "Träger", "awo", "Telefon")
    changed = edited(xlsx, {("Träger", awo): "04131 777"})
    answer = upload(client, "telefon.xlsx", changed)
    assert answer.status_code == 200, answer.text
    assert "Telefon: 04131 000-110 → 04131 777" in answer.text
    form = apply_form(answer.text)
    before = stored(site)
    folder = site.folder / "var" / "stammdaten-import"
    for token in ("../../config.toml", "0" * 64 + ".xlsx", form["datei"].upper(), ""):
        refused = client.post("/stammdaten/import/uebernehmen", data={**form, "datei": token})
        assert refused.status_code == 400, token
        assert "Die hochgeladene Datei ist nicht mehr vorhanden" in refused.text
    (folder / form["datei"]).write_bytes(edited(changed, {("Träger", awo): "0190 666"}))
    refused = client.post("/stammdaten/import/uebernehmen", data=form)
    assert refused.status_code == 400
    assert stored(site) == before
    client.close()


def test_other_roles_and_posts_without_csrf_are_refused_before_the_file_is_read(
    site: Site,
) -> None:
    before, files = stored(site), stashed(site)
    koord = login(site.url, "koord")
    xlsx = exported(koord)
    data = edited(xlsx, {("Träger", cell(xlsx, "Träger", "caritas", "Telefon")): "04131 555"})
    for token in ("", "falsch"):
        answer = upload(koord, "s.xlsx", data, token)
        assert answer.status_code == 403
        assert "Sicherheitsprüfung fehlgeschlagen" in answer.text
    preview = upload(koord, "s.xlsx", data)
    form = apply_form(preview.text)
    assert (
        koord.post(
            "/stammdaten/import/uebernehmen", data={**form, "csrftoken": "falsch"}
        ).status_code
        == 403
    )
    koord.close()
    for role in ("lesend", "ablage", "stab"):
        client = login(site.url, role)
        token = csrf(client.get("/stammdaten/import").text)
        answer = upload(client, "s.xlsx", data, token)
        assert answer.status_code == 403 and "Keine Berechtigung" in answer.text
        answer = client.post("/stammdaten/import/uebernehmen", data={**form, "csrftoken": token})
        assert answer.status_code == 403 and "Keine Berechtigung" in answer.text
        client.close()
    assert stored(site) == before
    assert stashed(site) - files == {form["datei"]}  # only the koordinierungsstelle's preview


def test_hostile_workbooks_are_refused_in_german_and_change_nothing(site: Site) -> None:
    client = login(site.url, "koord")
    before, files = stored(site), stashed(site)
    answer = upload(client, "bombe.xlsx", xlsx_bomb(256))
    assert answer.status_code == 422
    assert "entpackt sich auf mehr als 96 MB" in answer.text
    from openpyxl import Workbook

    book = Workbook(write_only=True)
    sheet = book.create_sheet("Stadtteile")
    sheet.append(["Kennung", "Name"])
    for n in range(20_001):
        sheet.append([f"s{n}", f"S {n}"])
    out = io.BytesIO()
    book.save(out)
    answer = upload(client, "riesig.xlsx", out.getvalue())
    assert answer.status_code == 422
    assert "mehr als 20.000 ausgefüllte Zeilen" in answer.text
    answer = upload(client, "alt.xls", b"\xd0\xcf\x11\xe0" + b"\x00" * 100)
    assert answer.status_code == 422 and "Das alte Excel-Format .xls" in answer.text
    missing = client.post(
        "/stammdaten/import/vorschau",
        data={"csrftoken": csrf(client.get("/stammdaten/import").text)},
    )
    assert missing.status_code == 422 and "Bitte eine Datei wählen" in missing.text
    assert stored(site) == before and stashed(site) == files
    client.close()


def test_the_export_is_a_workbook_with_a_sheet_per_kind(site: Site) -> None:
    client = login(site.url, "koord")
    book = load_workbook(io.BytesIO(exported(client)))
    assert book.sheetnames == ["Träger", "Stadtteile", "Partnerschaften"]
    client.close()
