"""The corners of a real year (issue 10): windows, plausible dates and years, adoption mid-year."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.conftest import Run


@pytest.fixture
def ready(zyklus: Run) -> Run:
    assert zyklus("init", now="2026-01-05T09:00").code == 0
    return zyklus


def _cycles(zyklus: Run, now: str, year: int = 2026) -> dict[str, dict[str, object]]:
    result = zyklus("status", "--year", str(year), "--format", "json", now=now)
    assert result.code == 0, result.err
    return {c["pairing"]: c for c in json.loads(result.out)["cycles"]}


def _audit(zyklus: Run, now: str) -> list[dict[str, object]]:
    listing = zyklus("audit", "--pairing", "kaltenmoor", "--format", "json", now=now)
    entries: list[dict[str, object]] = json.loads(listing.out)
    return entries


def test_a_meeting_held_before_its_stage_opens_is_refused_naming_the_window(ready: Run):
    before = _audit(ready, "2026-05-02T09:00")
    early = ready(
        "complete", "kaltenmoor", "2026", "fachtag", "--on", "2026-03-20", now="2026-05-02T09:00"
    )
    assert early.code == 1
    assert "Fehler: --on: 20.03.2026 liegt vor dem Zeitraum von Fachtag 2026 (ab 01.04.2026)." in (
        early.err
    )
    assert "--trotzdem: " in early.err
    assert _audit(ready, "2026-05-02T09:00") == before


def test_with_trotzdem_and_a_reason_the_date_is_recorded_and_the_reason_audited(ready: Run):
    args = ("complete", "kaltenmoor", "2026", "auftaktgespraech", "--on", "2026-03-02")
    assert ready(*args, now="2026-03-03T09:00").code == 0
    fachtag = ("complete", "kaltenmoor", "2026", "fachtag", "--on", "2026-03-20", "--trotzdem")
    no_reason = ready(*fachtag, now="2026-05-02T09:00")
    assert no_reason.code == 1
    done = ready(*fachtag, "--reason", "Fachtag vorgezogen", now="2026-05-02T09:00")
    assert done.code == 0, done.err
    [entry] = [
        e
        for e in _audit(ready, "2026-05-02T09:00")
        if e["action"] == "complete" and e["stage"] == "fachtag"
    ]
    assert entry["payload"]["ausserhalb_zeitraum"] == {  # type: ignore[index]
        "tag": "2026-03-20",
        "grund": "Fachtag vorgezogen",
    }


def test_scheduling_in_the_past_is_refused_with_a_pointer_to_recording_it_as_held(ready: Run):
    past = ready(
        "schedule",
        "kaltenmoor",
        "2026",
        "auftaktgespraech",
        "--at",
        "2026-03-02T10:00",
        now="2026-03-03T09:00",
    )
    assert past.code == 2
    assert "--at: 02.03.2026, 10:00 Uhr liegt in der Vergangenheit" in past.err
    assert "als durchgeführt erfasst" in past.err


def test_a_mistyped_past_year_opens_no_cycle(ready: Run):
    wrong = ready("complete", "kaltenmoor", "2025", "auftaktgespraech", now="2026-03-03T09:00")
    assert wrong.code == 1
    assert "kaltenmoor: kein Zyklus im Jahr 2025" in wrong.err
    assert _cycles(ready, "2026-03-03T09:00", 2025) == {}


def test_adopted_on_15_may_the_first_tick_escalates_nothing_due_before(
    zyklus: Run, workspace: Path
):
    config = workspace / "config.toml"
    config.write_text(
        config.read_text(encoding="utf-8") + "\n[betrieb]\nstart = 2026-05-15\n", encoding="utf-8"
    )
    assert zyklus("init", now="2026-05-15T07:00").code == 0
    tick = zyklus("tick", "--no-deliver", now="2026-05-15T08:05")
    assert tick.code == 0, tick.err
    queued = [line.split()[0] for line in tick.out.splitlines()[1:]]
    assert queued == ["wochenuebersicht"]  # the weekly overview only: no reminder, no escalation
    cycles = _cycles(zyklus, "2026-05-15T09:00")
    kaltenmoor = cycles["kaltenmoor"]["stages"]
    assert kaltenmoor["auftaktgespraech"]["status"] == "offen"  # type: ignore[index]
    assert kaltenmoor["auftaktgespraech"]["overdue_days"] == 0  # type: ignore[index]
    late = zyklus(
        "complete",
        "kaltenmoor",
        "2026",
        "auftaktgespraech",
        "--on",
        "2026-03-10",
        now="2026-05-15T09:00",
    )
    assert late.code == 0, late.err


def test_a_submission_waiting_for_the_check_is_not_overdue_but_says_how_long_it_waits(
    ready: Run, workspace: Path
):
    for stage in ("auftaktgespraech", "fachtag", "auswertungsgespraech", "jahresbericht"):
        assert (
            ready(
                "waive", "kaltenmoor", "2026", stage, "--reason", "Test", now="2027-05-20T09:00"
            ).code
            == 0
        )
    vn = Path(__file__).parent / "data" / "documents" / "verwendungsnachweis-2026.toml"
    assert (
        ready(
            "submit", "kaltenmoor", "2026", "verwendungsnachweis", str(vn), now="2027-06-01T09:00"
        ).code
        == 0
    )
    cell = _cycles(ready, "2027-07-13T09:00")["kaltenmoor"]["stages"]["verwendungsnachweis"]  # type: ignore[index]
    assert cell["status"] == "eingereicht"
    assert cell["overdue_days"] == 0
    assert cell["waiting_days"] == 42
    table = ready("status", "--year", "2026", "--traeger", "awo", now="2027-07-13T09:00")
    assert "wartet seit 42 Tagen auf Prüfung" in table.out


def test_the_fachtag_not_yet_scheduled_reminds_only_the_koordinierungsstelle(ready: Run):
    tick = ready("tick", "--no-deliver", now="2026-09-02T08:05")
    assert tick.code == 0, tick.err
    fachtag = [line for line in tick.out.splitlines() if " fachtag " in line]
    assert len(fachtag) == 8  # one per pairing, bundled into one message
    for line in fachtag:
        assert line.strip().startswith("erinnerung 1")
        assert line.endswith("<stadtteilarbeit@stadt-lueneburg.example.org>")
    late = ready("tick", "--no-deliver", now="2026-10-15T08:05")
    escalations = [line for line in late.out.splitlines() if " fachtag " in line]
    assert escalations and all("stabsstellenleitung05@" not in line for line in escalations)
    assert all(
        line.endswith("<stadtteilarbeit@stadt-lueneburg.example.org>") for line in escalations
    )


def test_the_verwendungsnachweis_of_the_last_contract_year_is_still_reminded(
    zyklus: Run, workspace: Path
):
    config = workspace / "config.toml"
    text = config.read_text(encoding="utf-8")
    config.write_text(
        text.replace("start = 2020-01-01\n", "start = 2020-01-01\nend = 2026-12-31\n", 1),
        encoding="utf-8",
    )
    assert zyklus("init", now="2026-01-05T09:00").code == 0
    tick = zyklus("tick", "--no-deliver", now="2027-06-02T08:05")
    assert tick.code == 0, tick.err
    owed = [line for line in tick.out.splitlines() if "kaltenmoor verwendungsnachweis" in line]
    assert len(owed) == 1
    assert owed[0].startswith("  erinnerung 1 · kaltenmoor verwendungsnachweis → ")
    assert "@awo-lueneburg.example.org" in owed[0]  # the (former) Träger's contacts


def test_simulate_lists_the_cycle_year_and_nothing_before_from(ready: Run):
    result = ready(
        "simulate",
        "--from",
        "2026-04-20",
        "--to",
        "2026-04-30",
        "--format",
        "json",
        now="2026-01-05T09:00",
    )
    assert result.code == 0, result.err
    items = json.loads(result.out)
    assert items, "the catch-up of 20.04. produces mails"
    assert all(item["at"] >= "2026-04-20" for item in items)
    assert {item["year"] for item in items if item["kind"] != "wochenuebersicht"} == {2026}


def test_status_takes_a_traeger_by_name_and_suggests_a_close_id(ready: Run):
    by_name = ready(
        "status",
        "--traeger",
        "caritasverband lüneburg e. v.",
        "--format",
        "json",
        now="2026-03-10T09:00",
    )
    assert by_name.code == 0, by_name.err
    assert [c["pairing"] for c in json.loads(by_name.out)["cycles"]] == ["bockelsberg"]
    unknown = ready("status", "--traeger", "awo-x", now="2026-03-10T09:00")
    assert unknown.code == 2
    assert unknown.err == "Fehler: --traeger: unbekannter Träger „awo-x“ (meinten Sie „awo“?)\n"


def test_the_abschlussnachweis_shows_notes_and_names_the_other_pairing_of_a_hand_over(
    ready: Run,
):
    ended = ready(
        "end",
        "bockelsberg",
        "--on",
        "2026-03-05",
        "--reason",
        "Wechsel",
        "--successor",
        "ebensberg",
        now="2026-03-05T09:00",
    )
    assert ended.code == 0, ended.err
    assert (
        ready(
            "note", "ebensberg", "2026", "Übergabeprotokoll liegt vor", now="2026-03-05T10:00"
        ).code
        == 0
    )
    successor = ready("report", "abschluss", "ebensberg", "2026", now="2026-03-06T09:00").out
    assert "Übernommen von bockelsberg am 05.03.2026" in successor
    assert "Notiz 05.03.2026 (test): Übergabeprotokoll liegt vor" in successor
    predecessor = ready("report", "abschluss", "bockelsberg", "2026", now="2026-03-06T09:00").out
    assert "Beendet am 05.03.2026, Nachfolge: ebensberg" in predecessor


def test_a_joint_workshop_of_three_pairings_is_one_gespraech_in_the_buendelung(ready: Run):
    joint = ready(
        "complete",
        "kaltenmoor,bockelsberg,innenstadt",
        "2026",
        "auftaktgespraech",
        "--on",
        "2026-03-10",
        "--participants",
        "A. Berg, C. Dorn, E. Falk",
        now="2026-03-11T09:00",
    )
    assert joint.code == 0, joint.err
    single = ready(
        "complete",
        "kreideberg",
        "2026",
        "auftaktgespraech",
        "--on",
        "2026-03-12",
        "--participants",
        "2",
        now="2026-03-12T12:00",
    )
    assert single.code == 0, single.err
    report = ready("report", "buendelung", "2026", now="2026-03-13T09:00")
    assert report.code == 0, report.err
    assert "2 Gespräche" in report.out
    assert "4 Angebote" in report.out  # each pairing still listed under its Angebot
    # effort: 3.5 h × (3 participants once + 2)
    assert "17,5 Stunden" in report.out


def test_the_audit_listing_speaks_german_with_umlauts(ready: Run):
    listing = ready("audit", "--pairing", "kaltenmoor", now="2026-01-05T09:00")
    assert listing.code == 0, listing.err
    assert "Zyklus eröffnet" in listing.out
    assert "Partnerschaft angelegt" in listing.out
    assert "zyklus_eroeffnet" not in listing.out


def test_every_option_and_argument_has_a_german_help_text():
    import argparse

    from cycle.cli.main import build_parser

    missing = []

    def walk(parser: argparse.ArgumentParser, name: str) -> None:
        for action in parser._actions:
            if isinstance(action, argparse._SubParsersAction):
                for sub, subparser in action.choices.items():
                    walk(subparser, f"{name} {sub}")
            elif action.help is None:
                missing.append(f"{name} {action.option_strings or action.dest}")

    walk(build_parser(), "zyklus")
    assert missing == []


def test_a_cycle_opened_by_mistake_is_cancelled_while_nothing_was_sent(ready: Run):
    opened = ready(
        "schedule",
        "kaltenmoor",
        "2027",
        "auftaktgespraech",
        "--at",
        "2027-02-10T10:00",
        now="2026-12-01T09:00",
    )
    assert opened.code == 0  # the 2027 cycle now exists, with an invitation queued
    refused = ready(
        "cancel-cycle", "kaltenmoor", "2027", "--reason", "falsches Jahr", now="2026-12-01T10:00"
    )
    assert refused.code == 1
    assert "bereits 1 Nachricht(en) versandt" in refused.err
    ok = ready("cancel-cycle", "bockelsberg", "2026", "--reason", "Irrtum", now="2026-01-06T10:00")
    assert ok.code == 0, ok.err
    assert ok.out == "bockelsberg 2026: Zyklus storniert (Irrtum).\n"
    status = ready("status", "--year", "2026", "--format", "json", now="2026-01-06T10:00")
    states = {c["pairing"]: c["state"] for c in json.loads(status.out)["cycles"]}
    assert states["bockelsberg"] == "beendet" and states["kaltenmoor"] != "beendet"
    tick = ready("tick", "--no-deliver", now="2026-03-03T08:05")
    assert "bockelsberg" not in tick.out  # nothing is sent for a cancelled cycle
    log = ready("audit", "--pairing", "bockelsberg", now="2026-03-03T09:00").out
    assert "Zyklus storniert" in log


def test_counts_are_german_in_singular_and_plural(ready: Run):
    one = ready("status", "--traeger", "awo", now="2026-03-10T09:00")
    assert "1 Zyklus, davon 0 mit überfälligen Stufen." in one.out
    many = ready("status", now="2026-04-10T09:00")
    assert "8 Zyklen, davon 8 mit überfälligen Stufen." in many.out


def test_the_simulation_as_csv_opens_in_a_german_spreadsheet(ready: Run):
    import csv
    import io

    result = ready(
        "simulate",
        "--from",
        "2026-03-03",
        "--to",
        "2026-03-03",
        "--format",
        "csv",
        now="2026-01-05T09:00",
    )
    assert result.code == 0, result.err
    assert result.out.startswith("\ufeff")
    rows = list(csv.reader(io.StringIO(result.out.lstrip("\ufeff")), delimiter=";"))
    assert rows[0][:3] == ["Zeitpunkt", "Art", "Ebene"]
    assert rows[1][0] == "03.03.2026 08:00"
    assert {row[1] for row in rows[1:]} == {"erinnerung", "wochenuebersicht"}
