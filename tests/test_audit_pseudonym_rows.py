"""How many clear values an everything-due tick puts beside the chain (SPEC §9, §18; issue 22
item 9): one per contact address and cycle, the software's own name once per year and batch,
none for an empty value — and the log still reads "zyklus" and the addresses in clear."""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path

from tests.conftest import Run


def _ok(zyklus: Run, *args: str, now: str) -> str:
    result = zyklus(*args, now=now)
    assert result.code == 0, (args, result.err)
    return result.out


def test_an_everything_due_tick_stores_one_clear_value_per_address_and_one_for_zyklus(
    zyklus: Run, workspace: Path
) -> None:
    _ok(zyklus, "init", now="2026-01-05T09:00")
    _ok(zyklus, "tick", now="2026-03-03T08:05")  # every pairing's first reminder
    db = sqlite3.connect(workspace / "var" / "zyklus.db")
    values = [json.loads(v)["v"] for (v,) in db.execute("SELECT value FROM audit_klartext")]
    queued = db.execute(
        "SELECT count(*) FROM audit WHERE action = 'benachrichtigung_eingereiht'"
    ).fetchone()[0]
    cycles = db.execute("SELECT count(*) FROM cycle").fetchone()[0]
    assert queued >= cycles > 1
    per_cycle = db.execute(
        "SELECT count(*) FROM audit_klartext WHERE value = ? AND pairing_id IS NOT NULL",
        (json.dumps({"v": "zyklus"}, separators=(",", ":")),),
    ).fetchone()[0]
    assert "zyklus" in values and per_cycle == 0  # one per year and batch, not one per cycle
    assert [] not in values and "" not in values  # an empty cc names nobody
    clear_actors = db.execute(
        "SELECT count(*) FROM audit WHERE actor NOT LIKE 'pseudonym:%'"
    ).fetchone()[0]
    assert clear_actors == 0  # every actor is still a pseudonym in the chain
    payloads = [
        json.loads(p)
        for (p,) in db.execute(
            "SELECT payload FROM audit WHERE action = 'benachrichtigung_eingereiht'"
        )
    ]
    assert all(p["an"].startswith("pseudonym:") for p in payloads)
    assert {p["cc"] == [] or p["cc"].startswith("pseudonym:") for p in payloads} == {True}
    db.close()

    _ok(zyklus, "audit", "verify", now="2026-03-03T09:00")
    log = json.loads(_ok(zyklus, "audit", "--format", "json", now="2026-03-03T09:00"))
    entries = log["entries"] if isinstance(log, dict) else log
    reminders = [e for e in entries if e["action"] == "benachrichtigung_eingereiht"]
    assert reminders and {e["actor"] for e in reminders} == {"zyklus"}
    assert all("@" in e["payload"]["an"][0] for e in reminders)
