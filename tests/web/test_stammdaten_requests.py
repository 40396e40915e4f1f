"""Request-level tests of the Stammdaten pages (SPEC §16) against a real ``zyklus web``.

Reading roles see the lists and record pages without forms; a POST without CSRF or by another
role is refused and changes nothing; a form goes preview → confirm; an error stands at its field;
``zyklus init`` with the original config changes none of the edits and says why.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator

import httpx
import pytest

from tests.web.conftest import Site, csrf, login, make_site, running

PAIRING_FORM = {
    "id": "wilschenbruch",
    "traeger": "awo",
    "stadtteil": "kaltenmoor",
    "handlungsfeld": "Gemeinwesenarbeit",
    "start": "2026-07-01",
    "kontakt_name_1": "Nora Neumann",
    "kontakt_email_1": "n.neumann@awo-lueneburg.example.org",
    "schritt": "pruefen",
}


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Site]:
    s = make_site(tmp_path_factory.mktemp("stammdaten"), "2026-04-02T08:00")
    with running(s):
        yield s


def _audit(site: Site) -> list[dict[str, object]]:
    rows: list[dict[str, object]] = json.loads(site.ok("audit", "--format", "json"))
    return rows


def test_every_staff_role_reads_the_lists_and_records_but_only_the_koordinierungsstelle_gets_forms(
    site: Site,
) -> None:
    for role in ("lesend", "stab", "ablage"):
        client = login(site.url, role)
        listing = client.get("/stammdaten")
        assert listing.status_code == 200
        assert "Arbeiterwohlfahrt" in listing.text or "AWO" in listing.text
        assert "Lena Hoffmann" in listing.text
        assert re.search(r'href="/stammdaten"[^>]*>Stammdaten</a>', listing.text)  # navigation
        assert "/stammdaten/neu/" not in listing.text
        record = client.get("/stammdaten/partnerschaft/kaltenmoor")
        assert record.status_code == 200
        assert "Änderungsverlauf" in record.text and "Partnerschaft angelegt" in record.text
        assert '<form method="post" action="/stammdaten' not in record.text
        new = client.get("/stammdaten/neu/traeger")
        assert '<form method="post" action="/stammdaten' not in new.text
        assert "Keine Berechtigung" in new.text
        client.close()
    koord = login(site.url, "koord")
    assert "/stammdaten/neu/partnerschaft" in koord.get("/stammdaten").text
    assert 'id="form-aendern"' in koord.get("/stammdaten/partnerschaft/kaltenmoor").text
    koord.close()


def test_a_post_without_csrf_or_by_another_role_is_refused_and_changes_nothing(site: Site) -> None:
    before = len(_audit(site))
    koord = login(site.url, "koord")
    for data in ({}, {"csrftoken": "falsch"}):
        answer = koord.post("/stammdaten/neu/partnerschaft", data={**PAIRING_FORM, **data})
        assert answer.status_code == 403
        assert "Sicherheitsprüfung fehlgeschlagen" in answer.text
    for role in ("lesend", "stab", "ablage"):
        client = login(site.url, role)
        token = csrf(client.get("/stammdaten").text)
        for path in ("/stammdaten/neu/partnerschaft", "/stammdaten/partnerschaft/kaltenmoor"):
            data = {**PAIRING_FORM, "csrftoken": token, "schritt": "speichern"}
            answer = client.post(path, data=data)
            assert answer.status_code == 403, (role, path)
            assert "Keine Berechtigung" in answer.text
        client.close()
    koord.close()
    assert len(_audit(site)) == before
    assert "wilschenbruch" not in site.ok("status", "--format", "json")


def test_an_error_stands_at_its_field_and_nothing_is_stored(site: Site) -> None:
    client = login(site.url, "koord")
    token = csrf(client.get("/stammdaten/neu/partnerschaft").text)
    before = len(_audit(site))
    bad = {**PAIRING_FORM, "csrftoken": token, "kontakt_email_1": "kein-at", "id": "x y"}
    answer = client.post("/stammdaten/neu/partnerschaft", data=bad)
    assert answer.status_code == 422
    assert re.search(
        r'id="fehler-kontakte">[^<]*„kein-at“ ist keine gültige E-Mail-Adresse', answer.text
    )
    assert re.search(r'id="fehler-id">[^<]*„x y“ ist keine gültige Kennung', answer.text)
    assert 'aria-invalid="true"' in answer.text
    overlap = {**PAIRING_FORM, "csrftoken": token, "handlungsfeld": "Stadtteilmanagement"}
    overlap["angebot"] = "Stadtteilmanagement"
    answer = client.post("/stammdaten/neu/partnerschaft", data={**overlap, "schritt": "speichern"})
    assert answer.status_code == 422
    assert "überschneidet sich zeitlich mit „kaltenmoor“" in answer.text
    assert len(_audit(site)) == before
    client.close()


def test_a_change_is_previewed_then_saved_audited_and_kept_by_a_later_init(site: Site) -> None:
    client = login(site.url, "koord")
    page = client.get("/stammdaten/traeger/awo")
    token = csrf(page.text)
    form = dict(re.findall(r'name="([a-z_]+)" type="(?:text|email)" value="([^"]*)"', page.text))
    form.update(csrftoken=token, schritt="pruefen", anschrift="Neue Straße 1, 21335 Lüneburg")
    preview = client.post("/stammdaten/traeger/awo", data=form)
    assert preview.status_code == 200
    assert "Neue Straße 1, 21335 Lüneburg" in preview.text
    assert "erscheinen in den nächsten Dokumenten" in preview.text
    assert "Speichern bestätigen" in preview.text
    assert len([e for e in _audit(site) if e["action"] == "traeger_geaendert"]) == 0
    confirm = dict(
        re.findall(r'<input type="hidden" name="([a-z_]+)" value="([^"]*)"', preview.text)
    )
    saved = client.post("/stammdaten/traeger/awo", data=confirm)
    assert saved.status_code == 303, saved.text[:500]
    record = client.get("/stammdaten/traeger/awo").text
    assert "Träger „awo“ gespeichert." in record
    assert "Neue Straße 1, 21335 Lüneburg" in record
    changed = [e for e in _audit(site) if e["action"] == "traeger_geaendert"]
    assert len(changed) == 1 and changed[0]["actor"] == "koord"
    diff = changed[0]["payload"]["aenderungen"]  # type: ignore[index]
    assert diff["anschrift"]["nachher"] == "Neue Straße 1, 21335 Lüneburg"
    out = site.ok("init")
    assert "weichen von denen in der Datenbank ab" in out
    assert "zyklus stammdaten import config.toml" in out
    assert "Neue Straße 1, 21335 Lüneburg" in client.get("/stammdaten/traeger/awo").text
    text = site.ok("audit")
    assert "Träger geändert" in text and "koord" in text
    client.close()


def test_the_stale_confirmation_of_an_old_preview_is_refused(site: Site) -> None:
    client = login(site.url, "koord")
    page = client.get("/stammdaten/stadtteil/kaltenmoor")
    data = {"csrftoken": csrf(page.text), "name": "Kaltenmoor (Nord)", "schritt": "speichern"}
    answer = client.post("/stammdaten/stadtteil/kaltenmoor", data={**data, "version": "alt"})
    assert answer.status_code == 422
    assert "inzwischen geändert" in answer.text
    assert "Kaltenmoor (Nord)" not in client.get("/stammdaten").text
    client.close()


def test_a_reader_gets_404_for_an_unknown_record(site: Site) -> None:
    with httpx.Client(base_url=site.url) as anonymous:
        assert anonymous.get("/stammdaten", follow_redirects=False).status_code == 303
    client = login(site.url, "lesend")
    assert client.get("/stammdaten/partnerschaft/gibt-es-nicht").status_code == 404
    assert client.get("/stammdaten/unsinn/kaltenmoor").status_code == 404
    client.close()


def test_ending_a_pairing_shows_its_effect_first_and_then_ends_its_cycle(site: Site) -> None:
    client = login(site.url, "koord")
    page = client.get("/stammdaten/partnerschaft/schuetzenplatz")
    assert 'id="form-beenden"' in page.text
    data = {
        "csrftoken": csrf(page.text),
        "schritt": "pruefen",
        "beenden": "ja",
        "end": "2026-04-01",
        "grund": "Vertrag gekündigt",
    }
    preview = client.post("/stammdaten/partnerschaft/schuetzenplatz", data=data)
    assert preview.status_code == 200
    assert "Partnerschaft „schuetzenplatz“: beendet" in preview.text
    assert "Beendet die Partnerschaft zum 01.04.2026" in preview.text
    assert '"cycles"' in site.ok("status", "--format", "json")
    confirm = dict(
        re.findall(r'<input type="hidden" name="([a-z_]+)" value="([^"]*)"', preview.text)
    )
    assert client.post("/stammdaten/partnerschaft/schuetzenplatz", data=confirm).status_code == 303
    cycles = json.loads(site.ok("status", "--format", "json"))["cycles"]
    (ended,) = [c for c in cycles if c["pairing"] == "schuetzenplatz"]
    assert ended["ended_on"] == "2026-04-01"
    audit = [e for e in _audit(site) if e["pairing"] == "schuetzenplatz"]
    actions = [e["action"] for e in audit]
    assert "pairing_geaendert" in actions and "partnerschaft_beendet" in actions
    assert {e["actor"] for e in audit if e["action"] == "partnerschaft_beendet"} == {"koord"}
    record = client.get("/stammdaten/partnerschaft/schuetzenplatz").text
    assert 'id="form-beenden"' not in record  # ended: no second end
    assert "Partnerschaft beendet" in record and "Vertrag gekündigt" in record
    client.close()
