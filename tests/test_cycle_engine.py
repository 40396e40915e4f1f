"""The cycle engine end to end through the CLI (issue: the cycle engine)."""

from __future__ import annotations

import json
import sqlite3
import subprocess
import sys
from pathlib import Path

from tests.conftest import ROOT, Run

DUE_2026 = {
    "auftaktgespraech": "2026-03-31",
    "fachtag": "2026-09-30",
    "auswertungsgespraech": "2026-12-15",
    "jahresbericht": "2026-12-31",
    "verwendungsnachweis": "2027-06-30",
}


def _status(zyklus: Run, now: str) -> dict[str, dict]:
    result = zyklus("status", "--year", "2026", "--format", "json", now=now)
    assert result.code == 0, result.err
    return {c["pairing"]: c for c in json.loads(result.out)["cycles"]}


def _audit_count(zyklus: Run, now: str) -> int:
    return len(json.loads(zyklus("audit", "--format", "json", now=now).out))


def test_a_fresh_database_lists_every_pairing_with_five_stages_and_their_due_dates(zyklus: Run):
    assert zyklus("init", now="2026-01-05T09:00").code == 0
    cycles = _status(zyklus, "2026-01-05T09:00")
    assert len(cycles) >= 8
    for cycle in cycles.values():
        assert {k: v["due"] for k, v in cycle["stages"].items()} == DUE_2026
        assert cycle["state"] == "auftaktgespraech"
        assert all(s["status"] == "offen" and not s["done"] for s in cycle["stages"].values())


def test_init_is_idempotent(zyklus: Run):
    zyklus("init", now="2026-01-05T09:00")
    before = _audit_count(zyklus, "2026-01-05T09:00")
    second = zyklus("init", now="2026-01-06T09:00")
    assert second.code == 0
    assert "0 Änderungen" in second.out
    assert _audit_count(zyklus, "2026-01-06T09:00") == before


def test_a_report_before_the_meetings_is_refused_and_changes_nothing(zyklus: Run, tmp_path: Path):
    zyklus("init", now="2026-01-05T09:00")
    report = tmp_path / "bericht.pdf"
    report.write_bytes(b"%PDF-1.4 fake")
    before = _audit_count(zyklus, "2026-01-05T09:00")
    result = zyklus(
        "submit", "kaltenmoor", "2026", "jahresbericht", str(report), now="2026-02-01T09:00"
    )
    assert result.code == 1
    assert "Auswertungsgespräch" in result.err and "Traceback" not in result.err
    assert (
        _status(zyklus, "2026-02-01T09:00")["kaltenmoor"]["stages"]["jahresbericht"]["status"]
        == "offen"
    )
    assert _audit_count(zyklus, "2026-02-01T09:00") == before


def test_schedule_then_complete_moves_the_auftaktgespraech_to_durchgefuehrt(zyklus: Run):
    zyklus("init", now="2026-01-05T09:00")
    scheduled = zyklus(
        "schedule",
        "kaltenmoor",
        "2026",
        "auftaktgespraech",
        "--at",
        "2026-03-10T10:00",
        "--location",
        "Stadtteilhaus",
        now="2026-02-01T09:00",
    )
    assert scheduled.code == 0, scheduled.err
    stage = _status(zyklus, "2026-02-01T09:00")["kaltenmoor"]["stages"]["auftaktgespraech"]
    assert stage["status"] == "terminiert"
    assert stage["scheduled_at"] == "2026-03-10T10:00:00+01:00"
    done = zyklus(
        "complete",
        "kaltenmoor",
        "2026",
        "auftaktgespraech",
        "--on",
        "2026-03-10",
        "--participants",
        "A. Muster, B. Beispiel",
        now="2026-03-11T09:00",
    )
    assert done.code == 0, done.err
    cycle = _status(zyklus, "2026-03-11T09:00")["kaltenmoor"]
    stage = cycle["stages"]["auftaktgespraech"]
    assert (stage["status"], stage["done"], stage["done_on"]) == (
        "durchgefuehrt",
        True,
        "2026-03-10",
    )
    assert cycle["state"] == "fachtag"


def test_an_open_auftaktgespraech_is_two_days_overdue_on_the_second_of_april(zyklus: Run):
    zyklus("init", now="2026-01-05T09:00")
    stage = _status(zyklus, "2026-04-02T08:00")["bockelsberg"]["stages"]["auftaktgespraech"]
    assert stage["overdue_days"] == 2


def test_a_stage_due_on_reformationstag_saturday_moves_to_monday(zyklus: Run, workspace: Path):
    config = workspace / "config.toml"
    text = config.read_text(encoding="utf-8")
    config.write_text(text.replace('due = "09-30"', 'due = "10-31"', 1), encoding="utf-8")
    zyklus("init", now="2026-01-05T09:00")
    assert (
        _status(zyklus, "2026-01-05T09:00")["kaltenmoor"]["stages"]["fachtag"]["due"]
        == "2026-11-02"
    )


def test_audit_verify_detects_an_edited_row(zyklus: Run, workspace: Path):
    zyklus("init", now="2026-01-05T09:00")
    zyklus(
        "waive", "hanseviertel", "2026", "fachtag", "--reason", "Krankheit", now="2026-02-01T09:00"
    )
    assert zyklus("audit", "verify", now="2026-02-01T09:00").code == 0
    with sqlite3.connect(workspace / "var" / "zyklus.db") as db:
        db.execute("UPDATE audit SET actor = 'jemand' WHERE id = 3")
    result = zyklus("audit", "verify", now="2026-02-01T09:00")
    assert result.code == 1
    assert "Eintrag 3" in result.out


def test_audit_verify_detects_a_deleted_row_and_a_deleted_tail(zyklus: Run, workspace: Path):
    zyklus("init", now="2026-01-05T09:00")
    with sqlite3.connect(workspace / "var" / "zyklus.db") as db:
        last = db.execute("SELECT max(id) FROM audit").fetchone()[0]
        db.execute("DELETE FROM audit WHERE id = ?", (last,))
    tail = zyklus("audit", "verify", now="2026-02-01T09:00")
    assert tail.code == 1 and f"Eintrag {last}" in tail.out
    with sqlite3.connect(workspace / "var" / "zyklus.db") as db:
        db.execute("DELETE FROM audit WHERE id = 2")
    middle = zyklus("audit", "verify", now="2026-02-01T09:00")
    assert middle.code == 1 and "Eintrag 2 fehlt" in middle.out


def test_a_config_with_an_unknown_traeger_and_a_misspelt_key_fails_init(
    zyklus: Run, workspace: Path
):
    config = workspace / "config.toml"
    text = config.read_text(encoding="utf-8")
    text = text.replace('traeger = "awo"', 'traeger = "gibtsnicht"', 1)
    text = text.replace("\n[policy]\n", "\n[policy]\nremind_befor_days = [3]\n", 1)
    config.write_text(text, encoding="utf-8")
    result = zyklus("init", now="2026-01-05T09:00")
    assert result.code == 2
    assert "gibtsnicht" in result.err and "remind_befor_days" in result.err
    assert "Traceback" not in result.err
    assert not (workspace / "var" / "zyklus.db").exists()


def test_commands_before_init_ask_for_init(zyklus: Run):
    result = zyklus("status", now="2026-01-05T09:00")
    assert result.code == 2 and "zyklus init" in result.err


def test_unknown_pairing_and_stage_are_usage_errors(zyklus: Run):
    zyklus("init", now="2026-01-05T09:00")
    assert zyklus("waive", "nirgendwo", "2026", "fachtag", "--reason", "x").code == 2
    result = zyklus("waive", "kaltenmoor", "2026", "fachtg", "--reason", "x")
    assert result.code == 2 and "unbekannte Stufe" in result.err


def test_bad_arguments_get_german_messages_and_exit_two(zyklus: Run):
    result = zyklus("schedule", "kaltenmoor", "2026", "auftaktgespraech", "--at", "morgen")
    assert result.code == 2
    assert "--at" in result.err and "kein Zeitpunkt" in result.err


def test_the_help_does_not_import_the_database_layer():
    code = (
        "import sys; from cycle.cli.main import build_parser; build_parser().format_help();"
        "print(sorted(m for m in ('sqlalchemy', 'sqlmodel', 'jinja2', 'holidays', "
        "'transitions') if m in sys.modules))"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, check=True
    ).stdout
    assert out.strip() == "[]"


def test_status_filters_and_csv(zyklus: Run):
    zyklus("init", now="2026-01-05T09:00")
    zyklus("complete", "kaltenmoor", "2026", "auftaktgespraech", now="2026-03-10T12:00")
    overdue = _status_args(zyklus, "--overdue", now="2026-04-02T08:00")
    assert "kaltenmoor" not in overdue and "bockelsberg" in overdue
    assert list(_status_args(zyklus, "--traeger", "awo", now="2026-04-02T08:00")) == ["kaltenmoor"]
    # German office format (issue 11): ";", BOM, Ja/Nein, 31.03.2026
    csv_out = zyklus("status", "--format", "csv", now="2026-04-02T08:00").out.splitlines()
    assert csv_out[0].startswith("\ufeffPartnerschaft;Träger;Stadtteil;Jahr;Stand;Stufe;Status")
    assert len(csv_out) == 1 + 8 * 5


def _status_args(zyklus: Run, *args: str, now: str) -> dict[str, dict]:
    result = zyklus("status", "--format", "json", *args, now=now)
    assert result.code == 0, result.err
    return {c["pairing"]: c for c in json.loads(result.out)["cycles"]}


def test_the_clock_can_be_frozen_by_the_environment(zyklus: Run, monkeypatch):
    zyklus("init", now="2026-01-05T09:00")
    monkeypatch.setenv("ZYKLUS_NOW", "2026-04-02T08:00")
    out = json.loads(zyklus("status", "--format", "json").out)
    assert out["now"] == "2026-04-02T08:00:00+02:00"
    monkeypatch.setenv("ZYKLUS_NOW", "gestern")
    bad = zyklus("status")
    assert bad.code == 2 and "--now" in bad.err


def test_the_installed_console_script_runs_end_to_end(workspace: Path):
    script = Path(sys.executable).parent / "zyklus"
    config = str(workspace / "config.toml")

    def run(*args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [str(script), "--config", config, "--now", "2026-04-02T08:00", *args],
            capture_output=True,
            text=True,
            check=False,
        )

    assert run("init").returncode == 0
    status = run("status", "--format", "json")
    assert status.returncode == 0
    assert json.loads(status.stdout)["cycles"][0]["stages"]["auftaktgespraech"]["overdue_days"] == 2
    refused = run("accept", "kaltenmoor", "2026", "jahresbericht")
    assert refused.returncode == 1 and "Traceback" not in refused.stderr
    assert refused.stderr.startswith("Fehler: ")
