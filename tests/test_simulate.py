"""zyklus simulate: the year's mails, on a throwaway copy (issue: reminders and escalations)."""

from __future__ import annotations

import json
from collections import defaultdict
from pathlib import Path

from tests.conftest import Run

NOW = "2026-01-01T07:00"


def _simulate(zyklus: Run, *args: str) -> list[dict]:
    result = zyklus("simulate", "--format", "json", *args, now=NOW)
    assert result.code == 0, result.err
    return json.loads(result.out)


def _days(rows: list[dict], pairing: str, stage: str) -> list[tuple[str, int, str]]:
    """The notifications of one stage; a reminder to each contact of a tandem counts once (each
    contact gets their own), an escalation's copy for the Leitung counts on its own."""
    found: list[tuple[str, int, str]] = []
    for r in rows:
        if r["pairing"] == pairing and r["stage"] == stage:
            day = (r["kind"], r["level"], r["at"][:10])
            if r["kind"] != "erinnerung" or day not in found:
                found.append(day)
    return found


def test_a_year_without_events_reminds_and_escalates_every_pairing_on_the_right_days(
    zyklus: Run,
):
    rows = _simulate(zyklus, "--from", "2026-01-01", "--to", "2027-07-31")
    pairings = {r["pairing"] for r in rows if r["pairing"]}
    assert len(pairings) >= 8
    for pairing in pairings:
        assert _days(rows, pairing, "auftaktgespraech")[:4] == [
            ("erinnerung", 1, "2026-03-03"),
            ("erinnerung", 2, "2026-03-24"),
            ("eskalation", 1, "2026-04-01"),
            ("eskalation", 2, "2026-04-14"),
        ]
        assert _days(rows, pairing, "fachtag") == [
            ("erinnerung", 1, "2026-09-02"),
            ("erinnerung", 2, "2026-09-23"),
            ("eskalation", 1, "2026-10-01"),
            ("eskalation", 2, "2026-10-14"),
        ]
        jahresbericht = _days(rows, pairing, "jahresbericht")
        assert ("eskalation", 1, "2027-01-04") in jahresbericht
        assert [(k, lvl) for k, lvl, _ in _days(rows, pairing, "verwendungsnachweis")] == [
            ("erinnerung", 1),
            ("erinnerung", 2),
            ("eskalation", 1),
            ("eskalation", 2),  # to the Stabsstellenleitung
            ("eskalation", 2),  # the Träger's Leitung's own copy
        ]


def test_level_two_escalations_go_to_the_stabsstellenleitung(zyklus: Run):
    rows = _simulate(zyklus, "--from", "2026-04-14", "--to", "2026-04-14")
    level_two = [r for r in rows if r["kind"] == "eskalation" and r["level"] == 2]
    to_stabsstelle = [r for r in level_two if "stabsstelle" in r["to"][0].lower()]
    copies = [r for r in level_two if r not in to_stabsstelle]
    assert to_stabsstelle and len(copies) == len(to_stabsstelle)
    for row in to_stabsstelle:
        assert len(row["to"]) == 1
        assert [cc for cc in row["cc"] if "stadtteilarbeit" in cc] == row["cc"]  # no Leitung
    for row in copies:  # each Träger's Leitung its own escalation, nobody in copy
        assert len(row["to"]) == 1 and row["cc"] == []


def test_scheduling_sends_an_invitation_and_replaces_the_reminders(zyklus: Run, tmp_path: Path):
    scenario = tmp_path / "szenario.toml"
    scenario.write_text(
        '[[event]]\non = 2026-02-02\ncommand = "schedule"\npairing = "kaltenmoor"\n'
        'year = 2026\nstage = "auftaktgespraech"\nat = 2026-03-10T10:00:00\n'
        'location = "Stadtteilhaus Kaltenmoor"\n\n'
        '[[event]]\non = 2026-03-10\ncommand = "complete"\npairing = "kaltenmoor"\n'
        'year = 2026\nstage = "auftaktgespraech"\nparticipants = ["A", "B", "C"]\n',
        encoding="utf-8",
    )
    rows = _simulate(
        zyklus, "--from", "2026-01-01", "--to", "2026-04-30", "--scenario", str(scenario)
    )
    kaltenmoor = _days(rows, "kaltenmoor", "auftaktgespraech")
    # A scheduled meeting gets its meeting reminder instead of "please schedule" reminders.
    assert kaltenmoor == [("einladung", 0, "2026-02-02"), ("terminerinnerung", 1, "2026-03-03")]
    assert ("eskalation", 1, "2026-04-01") in _days(rows, "bockelsberg", "auftaktgespraech")


def test_reminders_to_the_same_people_on_one_day_are_listed_each(zyklus: Run):
    rows = _simulate(zyklus, "--from", "2026-03-03", "--to", "2026-03-03")
    by_kind: dict[str, int] = defaultdict(int)
    for row in rows:
        by_kind[row["kind"]] += 1
    assert by_kind["erinnerung"] >= 8


def test_the_real_database_is_untouched(zyklus: Run, workspace: Path):
    _simulate(zyklus, "--from", "2026-01-01", "--to", "2026-03-31")
    assert not (workspace / "var" / "zyklus.db").exists()
    zyklus("init", now=NOW)
    before = zyklus("audit", "--format", "json", now=NOW).out
    _simulate(zyklus, "--from", "2026-03-01", "--to", "2026-04-30")
    assert zyklus("audit", "--format", "json", now=NOW).out == before
    assert json.loads(zyklus("outbox", "--format", "json", now=NOW).out)["messages"] == []


def test_a_bad_scenario_is_refused_with_every_problem(zyklus: Run, tmp_path: Path):
    scenario = tmp_path / "kaputt.toml"
    scenario.write_text(
        '[[event]]\non = "gestern"\ncommand = "fliegen"\n\n'
        '[[event]]\non = 2026-02-02\ncommand = "waive"\npairing = "kaltenmoor"\n',
        encoding="utf-8",
    )
    result = zyklus(
        "simulate",
        "--from",
        "2026-01-01",
        "--to",
        "2026-02-28",
        "--scenario",
        str(scenario),
        now=NOW,
    )
    assert result.code == 2
    assert "event[1].command" in result.err and "event[2].year" in result.err
    assert "event[2].reason" in result.err and "Traceback" not in result.err


def test_a_stage_can_switch_off_its_reminders_in_the_config(zyklus: Run, workspace: Path):
    config = workspace / "config.toml"
    text = config.read_text(encoding="utf-8")
    anchor = 'leitfaden = "vorlagen/leitfaden-fachtag.md"\n'
    assert anchor in text
    config.write_text(
        text.replace(anchor, anchor + "remind_before_days = []\nescalate_after_days = [3]\n", 1),
        encoding="utf-8",
    )
    rows = _simulate(zyklus, "--from", "2026-08-01", "--to", "2026-10-31")
    assert _days(rows, "kaltenmoor", "fachtag") == [("eskalation", 1, "2026-10-05")]
