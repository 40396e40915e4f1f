"""Never remind or escalate a Träger for the city's delay (issue 23 item 1).

Kaltenmoor hands in its Jahresbericht on 18.12.2026; the Koordinierungsstelle accepts it only on
10.06.2027. Until then the Träger cannot submit the Verwendungsnachweis (it requires the
Jahresbericht): its first reminder (02.06.2027) is held — recorded as skipped with the reason —
and the overview says "wartet auf Prüfung (Jahresbericht)". After the acceptance the series
resumes: the second reminder (23.06.2027) and the escalations go out.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path

from tests.conftest import Run
from tests.test_tick_support import ok_json, outbox, tick

REPORT = Path(__file__).resolve().parents[1] / "demo" / "jahresbericht-kaltenmoor-2026.md"
MEETINGS = ("auftaktgespraech", "fachtag", "auswertungsgespraech")


def _event(on: str, command: str, stage: str, **more: str) -> str:
    lines = [f"on = {on}", f'command = "{command}"', 'pairing = "kaltenmoor"', "year = 2026"]
    lines.append(f'stage = "{stage}"')
    lines += [f'{key} = "{value}"' for key, value in more.items()]
    return "[[event]]\n" + "\n".join(lines) + "\n"


def _scenario(folder: Path, accept_on: str | None) -> Path:
    shutil.copy(REPORT, folder / "bericht.md")
    events = [_event("2026-12-01", "waive", s, reason="Testfall") for s in MEETINGS]
    events.append(_event("2026-12-18", "submit", "jahresbericht", file="bericht.md"))
    if accept_on:
        events.append(_event(accept_on, "accept", "jahresbericht"))
    path = folder / "szenario.toml"
    path.write_text("\n".join(events), encoding="utf-8")
    return path


def _vn_points(zyklus: Run, scenario: Path) -> list[tuple[str, int, str]]:
    result = zyklus(
        "simulate",
        *("--from", "2026-12-01", "--to", "2027-07-31", "--scenario", str(scenario)),
        *("--format", "json"),
        now="2026-12-01T07:00",
    )
    assert result.code == 0, result.err
    rows = json.loads(result.out)
    return sorted(
        {
            (r["kind"], r["level"], r["at"][:10])
            for r in rows
            if r["pairing"] == "kaltenmoor" and r["stage"] == "verwendungsnachweis"
        }
    )


def test_simulate_plans_nothing_while_the_jahresbericht_waits_and_resumes_after_acceptance(
    zyklus: Run, tmp_path: Path
) -> None:
    # The city never accepts: no reminder, no escalation (not to the Leitung, not upwards).
    assert _vn_points(zyklus, _scenario(tmp_path, None)) == []
    # Accepted on 10.06.2027: the first reminder (02.06.) stays skipped, the rest follows.
    assert _vn_points(zyklus, _scenario(tmp_path, "2027-06-10")) == [
        ("erinnerung", 2, "2027-06-23"),
        ("eskalation", 1, "2027-07-01"),
        ("eskalation", 2, "2027-07-14"),
    ]


def test_the_tick_records_the_held_reminder_with_its_reason_and_sends_the_next_one(
    zyklus: Run,
) -> None:
    assert zyklus("init", now="2026-01-05T09:00").code == 0
    for stage in MEETINGS:
        waived = zyklus(
            "waive", "kaltenmoor", "2026", stage, "--reason", "Testfall", now="2026-12-01T10:00"
        )
        assert waived.code == 0, waived.err
    submitted = zyklus(
        "submit", "kaltenmoor", "2026", "jahresbericht", str(REPORT), now="2026-12-18T10:00"
    )
    assert submitted.code == 0, submitted.err

    tick(zyklus, "2027-06-02T08:05")
    held = [
        n
        for n in outbox(zyklus, "2027-06-02T08:05", "skipped")
        if n["pairing"] == "kaltenmoor" and n["stage"] == "verwendungsnachweis"
    ]
    assert [(n["kind"], n["level"], n["reason"]) for n in held] == [
        ("erinnerung", 1, "wartet auf Prüfung (Jahresbericht)")
    ]
    queued = outbox(zyklus, "2027-06-02T08:05")
    assert not [k for m in queued for k in m["keys"] if k.startswith("kaltenmoor/2026/verw")]
    status = zyklus("status", "--year", "2026", "--stadtteil", "kaltenmoor", now="2027-06-02T09:00")
    assert "wartet seit 166 Tagen auf Prüfung (Jahresbericht)" in " ".join(status.out.split())
    assert "Tage überfällig" not in status.out and "0 mit überfälligen" in status.out

    accepted = zyklus("accept", "kaltenmoor", "2026", "jahresbericht", now="2027-06-10T10:00")
    assert accepted.code == 0, accepted.err
    tick(zyklus, "2027-06-23T08:05")
    keys = [k for m in outbox(zyklus, "2027-06-23T08:05") for k in m["keys"]]
    assert "kaltenmoor/2026/verwendungsnachweis/2027-06-30/erinnerung/2" in keys
    data = ok_json(zyklus, "outbox", "--status", "skipped", now="2027-06-23T08:06")
    assert (
        len([n for n in data["notifications"] if n["key"].startswith("kaltenmoor/2026/verw")]) == 1
    )
