"""The audit log proves itself (issue 18, item 6; SPEC §9).

Each case is what an attacker with write access to the SQLite file *and* to the anchor file
does, with plain SQL and plain file writes; ``zyklus audit verify`` must exit 1 and name the
problem — the empty anchor file and the chain re-hashed without the key even without
``--anchor``. The replay cases edit one column of ``stage_state`` that the log determines.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from cycle.persistence import audit
from tests.conftest import Run
from tests.test_audit_anchor import KEY, _db, _history, _rehash, _verify

DOCUMENTS = Path(__file__).parent / "data" / "documents"
ROOT = Path(__file__).parent.parent


@pytest.fixture
def keyed(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ZYKLUS_AUDIT_KEY", KEY)


def _plain(zyklus: Run) -> tuple[int, str]:
    """``zyklus audit verify`` without ``--anchor``."""
    result = zyklus("audit", "verify", now="2026-03-01")
    return result.code, result.out + result.err


def _anchor_file(workspace: Path) -> Path:
    return workspace / "var" / "audit-anker.txt"


def _head(workspace: Path) -> tuple[int, str]:
    with _db(workspace) as db:
        count, digest = db.execute("SELECT count, hash FROM audit_head").fetchone()
    return int(count), str(digest)


def test_a_chain_rehashed_in_plain_sha256_fails_with_and_without_anchor(
    zyklus: Run, workspace: Path, keyed: None
) -> None:
    _history(zyklus)
    with _db(workspace) as db:
        db.execute("UPDATE audit SET actor = 'jemand' WHERE id = 5")
    _rehash(workspace, 1)  # every entry plain SHA-256, the head row rewritten to match
    count, digest = _head(workspace)
    forged = audit.seal(count, digest, None)  # the best seal an attacker without the key makes
    with _db(workspace) as db:
        db.execute(
            "UPDATE audit_head SET published_count = ?, published_hash = ?, published_seal = ?",
            (count, digest, forged),
        )
    for code, text in (_plain(zyklus), _verify(zyklus, workspace)):
        assert code == 1, text
        assert "nur mit SHA-256 gebildet (ohne Schlüssel), obwohl $ZYKLUS_AUDIT_KEY" in text
        assert "ohne Schlüssel neu berechnet" in text
    with _db(workspace) as db:  # no mark at all: still refused
        db.execute("UPDATE audit_head SET published_count = NULL, published_seal = NULL")
    code, text = _plain(zyklus)
    assert code == 1 and "ohne Schlüssel neu berechnet" in text


def test_an_emptied_anchor_file_fails_with_and_without_anchor(
    zyklus: Run, workspace: Path, keyed: None
) -> None:
    _history(zyklus)
    count, _ = _head(workspace)
    anchor = _anchor_file(workspace)
    anchor.write_bytes(b"")
    for code, text in (_plain(zyklus), _verify(zyklus, workspace)):
        assert code == 1, text
        assert f"Ankerdatei {anchor} ist leer, veröffentlicht war bis Eintrag {count}" in text
    anchor.unlink()
    code, text = _plain(zyklus)
    assert code == 1 and f"Die Ankerdatei {anchor} fehlt" in text


def test_a_shortened_anchor_file_with_the_tail_deleted_fails(
    zyklus: Run, workspace: Path, keyed: None
) -> None:
    _history(zyklus)
    last, _ = _head(workspace)
    anchor = _anchor_file(workspace)
    lines = anchor.read_text().splitlines()
    _, kept, kept_hash = lines[-3].split()
    with _db(workspace) as db:
        db.execute("DELETE FROM audit WHERE id > ?", (int(kept),))
        db.execute("UPDATE audit_head SET count = ?, hash = ?", (int(kept), kept_hash))
    anchor.write_text("\n".join(lines[:-2]) + "\n")  # the file ends where the log now ends
    for code, text in (_plain(zyklus), _verify(zyklus, workspace)):
        assert code == 1, text
        assert f"Veröffentlicht war bereits Eintrag {last} (Kopfzeile)" in text
        assert f"endet bei Eintrag {kept}: Einträge wurden gelöscht" in text
    forged = audit.seal(int(kept), kept_hash, None)
    with _db(workspace) as db:  # the mark lowered to match, sealed without the key
        db.execute(
            "UPDATE audit_head SET published_count = ?, published_hash = ?, published_seal = ?",
            (int(kept), kept_hash, forged),
        )
    code, text = _verify(zyklus, workspace)
    assert code == 1 and "ist nicht mit dem Schlüssel besiegelt" in text


def test_a_shortened_anchor_file_alone_fails(zyklus: Run, workspace: Path, keyed: None) -> None:
    _history(zyklus)
    last, _ = _head(workspace)
    anchor = _anchor_file(workspace)
    lines = anchor.read_text().splitlines()
    anchor.write_text("\n".join(lines[:-1]) + "\n")
    code, text = _plain(zyklus)
    assert code == 1
    shortened = lines[-2].split()[1]
    assert f"endet bei Eintrag {shortened}, veröffentlicht war bereits Eintrag {last}" in text
    assert "die Ankerdatei wurde gekürzt" in text


def test_entries_after_the_last_tick_are_anchored_and_their_deletion_fails(
    zyklus: Run, workspace: Path, keyed: None
) -> None:
    _history(zyklus)  # ends with a tick
    at_tick, tick_hash = _head(workspace)
    assert zyklus("note", "kaltenmoor", "2026", "Telefonat", now="2026-02-03T10:00").code == 0
    waived = zyklus(
        "waive", "bockelsberg", "2026", "fachtag", "--reason", "Umbau", now="2026-02-03T11:00"
    )
    assert waived.code == 0, waived.err
    count, digest = _head(workspace)
    assert count > at_tick
    anchor = _anchor_file(workspace)
    assert anchor.read_text().splitlines()[-1].split()[1:] == [str(count), digest]
    with _db(workspace) as db:  # remove everything after the tick, as if it never happened
        db.execute("DELETE FROM audit WHERE id > ?", (at_tick,))
        db.execute("UPDATE audit_head SET count = ?, hash = ?", (at_tick, tick_hash))
        db.execute(
            "UPDATE stage_state SET status = 'offen', done_on = NULL, facts = '{}'"
            " WHERE stage_id = 'fachtag' AND cycle_id ="
            " (SELECT id FROM cycle WHERE pairing_id = 'bockelsberg' AND year = 2026)"
        )
    code, text = _verify(zyklus, workspace)
    assert code == 1
    assert f"Veröffentlicht war bereits Eintrag {count} (Kopfzeile)" in text
    lines = anchor.read_text().splitlines()
    keep = [line for line in lines if int(line.split()[1]) <= at_tick]
    anchor.write_text("\n".join(keep) + "\n")
    with _db(workspace) as db:
        db.execute("UPDATE audit_head SET published_count = NULL, published_seal = NULL")
    code, text = _verify(zyklus, workspace)
    assert code == 1 and "nennt keinen veröffentlichten Stand" in text


def _stage_sql(pairing: str, stage: str) -> str:
    return (
        f" WHERE stage_id = '{stage}' AND cycle_id ="
        f" (SELECT id FROM cycle WHERE pairing_id = '{pairing}' AND year = 2026)"
    )


def test_an_edited_done_on_fails(zyklus: Run, workspace: Path, keyed: None) -> None:
    _history(zyklus)  # hanseviertel's fachtag was waived on 01.02.2026
    with _db(workspace) as db:
        db.execute(
            "UPDATE stage_state SET done_on = '2026-01-15'" + _stage_sql("hanseviertel", "fachtag")
        )
    code, text = _verify(zyklus, workspace)
    assert code == 1
    assert "hanseviertel 2026 · fachtag: „erledigt am“ in der Datenbank 15.01.2026" in text
    assert "laut Protokoll 01.02.2026" in text and "ohne Protokolleintrag geändert" in text


def test_an_edited_due_date_fails(zyklus: Run, workspace: Path, keyed: None) -> None:
    _history(zyklus)
    with _db(workspace) as db:
        db.execute(
            "UPDATE stage_state SET due = '2026-12-31'" + _stage_sql("kaltenmoor", "fachtag")
        )
    code, text = _verify(zyklus, workspace)
    assert code == 1
    assert "kaltenmoor 2026 · fachtag: Frist in der Datenbank 31.12.2026, laut Protokoll" in text


def _submitted(zyklus: Run) -> None:
    """kaltenmoor's Verwendungsnachweis 2026, submitted after the four stages before it."""
    assert zyklus("init", now="2026-01-05T09:00").code == 0
    for stage in ("auftaktgespraech", "fachtag", "auswertungsgespraech", "jahresbericht"):
        waived = zyklus(
            "waive", "kaltenmoor", "2026", stage, "--reason", "Test", now="2027-05-20T09:00"
        )
        assert waived.code == 0, waived.err
    vn = str(DOCUMENTS / "verwendungsnachweis-2026.toml")
    submitted = zyklus(
        "submit", "kaltenmoor", "2026", "verwendungsnachweis", vn, now="2027-06-01T09:00"
    )
    assert submitted.code == 0, submitted.err


def test_an_edited_verwendungsnachweis_amount_fails(
    zyklus: Run, workspace: Path, keyed: None
) -> None:
    _submitted(zyklus)
    code, text = _verify(zyklus, workspace)
    assert code == 0, text
    where = _stage_sql("kaltenmoor", "verwendungsnachweis")
    with _db(workspace) as db:
        (was,) = db.execute(
            "SELECT json_extract(facts, '$.einreichung.verwendungsnachweis.kostensumme')"
            " FROM stage_state" + where
        ).fetchone()
        db.execute(
            "UPDATE stage_state SET facts = json_set(facts,"
            " '$.einreichung.verwendungsnachweis.kostensumme', '99.00')" + where
        )
    code, text = _verify(zyklus, workspace)
    assert code == 1
    assert "kaltenmoor 2026 · verwendungsnachweis: Angabe" in text
    assert "„einreichung.verwendungsnachweis.kostensumme“ in der Datenbank „99.00“" in text
    assert f"laut Protokoll „{was}“" in text


def test_an_edited_sha256_of_the_submitted_file_fails(
    zyklus: Run, workspace: Path, keyed: None
) -> None:
    _submitted(zyklus)
    where = _stage_sql("kaltenmoor", "verwendungsnachweis")
    with _db(workspace) as db:
        db.execute(
            "UPDATE stage_state SET facts = json_set(facts, '$.einreichung.sha256', ?)" + where,
            ("f" * 64,),
        )
    code, text = _verify(zyklus, workspace)
    assert code == 1
    assert "„einreichung.sha256“ in der Datenbank „ffffffff" in text


def test_a_busy_year_replays_to_exactly_the_stored_stages(
    zyklus: Run, workspace: Path, keyed: None, tmp_path: Path
) -> None:
    """No false alarm: every kind of step the log replays, then ``verify`` passes."""
    evidence = tmp_path / "protokoll.txt"
    evidence.write_text("Protokoll des Auftaktgesprächs\n")
    report = str(DOCUMENTS / "jahresbericht-2026.md")
    vn = str(DOCUMENTS / "verwendungsnachweis-2026.toml")
    steps: list[tuple[str, tuple[str, ...]]] = [
        ("2026-01-05T07:00", ("init",)),
        ("2026-01-20T09:00", ("schedule", "kaltenmoor", "2026", "auftaktgespraech", "--at",
                              "2026-02-10T10:00", "--location", "Rathaus")),
        ("2026-02-11T09:00", ("complete", "kaltenmoor", "2026", "auftaktgespraech", "--on",
                              "2026-02-10", "--participants", "A. Muster, B. Beispiel",
                              "--note", "gut", "--evidence", str(evidence))),
        ("2026-02-12T09:00", ("correct", "kaltenmoor", "2026", "auftaktgespraech", "--on",
                              "2026-02-09", "--reason", "Tippfehler")),
        ("2026-02-13T09:00", ("complete", "hanseviertel,innenstadt", "2026",
                              "auftaktgespraech", "--on", "2026-02-13", "--participants", "9")),
        ("2026-02-14T09:00", ("correct", "innenstadt", "2026", "auftaktgespraech", "--reopen",
                              "--reason", "falsche Partnerschaft")),
        ("2026-02-15T09:00", ("extend", "hanseviertel", "2026", "jahresbericht", "--until",
                              "2027-02-15", "--reason", "Elternzeit")),
        ("2026-02-16T23:30", ("waive", "kaltenmoor", "2026", "fachtag", "--reason", "Umbau")),
        ("2026-03-05T09:00", ("end", "bockelsberg", "--on", "2026-03-05", "--reason", "Wechsel",
                              "--successor", "ebensberg")),
        ("2026-11-30T09:00", ("waive", "hanseviertel", "2026", "fachtag", "--reason", "x")),
        ("2026-11-30T09:05", ("waive", "hanseviertel", "2026", "auswertungsgespraech",
                              "--reason", "x")),
        ("2026-12-01T09:00", ("submit", "hanseviertel", "2026", "jahresbericht", report)),
        ("2026-12-02T09:00", ("return", "hanseviertel", "2026", "jahresbericht", "--reason",
                              "Kapitel fehlt", "--due", "2027-01-31")),
        ("2026-12-03T09:00", ("submit", "hanseviertel", "2026", "jahresbericht", report)),
        ("2026-12-04T09:00", ("accept", "hanseviertel", "2026", "jahresbericht")),
        ("2026-12-05T09:00", ("tick", "--no-deliver")),
        ("2027-06-01T09:00", ("submit", "hanseviertel", "2026", "verwendungsnachweis", vn)),
        ("2027-06-02T09:00", ("check", "hanseviertel", "2026", "verwendungsnachweis",
                              "--by", "pruefer")),
        ("2027-06-03T09:00", ("acknowledge", "hanseviertel", "2026", "verwendungsnachweis",
                              "--by", "leitung")),
        ("2027-06-04T09:00", ("file", "hanseviertel", "2026", "verwendungsnachweis",
                              "--by", "ablage")),
    ]  # fmt: skip
    for now, args in steps:
        result = zyklus(*args, now=now)
        assert result.code == 0, (args, result.out, result.err)
    code, text = _verify(zyklus, workspace)
    assert code == 0, text
    assert "Stufen (Status, Frist, Erledigt am, Fakten) stimmen mit dem Protokoll überein" in text


def test_several_processes_appending_keep_the_anchor_file_whole(
    zyklus: Run, workspace: Path, keyed: None
) -> None:
    assert zyklus("init", now="2026-01-05T07:00").code == 0
    env = {**os.environ, "ZYKLUS_AUDIT_KEY": KEY, "ZYKLUS_USER": "test"}
    config = str(workspace / "config.toml")

    def note(i: int) -> subprocess.Popen[bytes]:
        args = ["--config", config, "--now", "2026-01-06T09:00", "note", "kaltenmoor", "2026"]
        return subprocess.Popen(
            [sys.executable, "-m", "cycle", *args, f"Notiz {i}"], env=env, cwd=ROOT,
            stdout=subprocess.PIPE, stderr=subprocess.PIPE,
        )  # fmt: skip

    processes = [note(i) for i in range(6)]
    for process in processes:
        _, err = process.communicate(timeout=120)
        assert process.returncode == 0, err.decode()
    lines = _anchor_file(workspace).read_text().splitlines()
    counts = [int(line.split()[1]) for line in lines]
    assert all(len(line.split()) == 3 for line in lines)
    assert counts == sorted(set(counts))  # never interleaved, never backwards
    count, digest = _head(workspace)
    assert lines[-1].split()[1:] == [str(count), digest]
    code, text = _verify(zyklus, workspace)
    assert code == 0, text


def test_due_dates_moved_by_a_config_change_are_logged_and_replayed(
    zyklus: Run, workspace: Path, keyed: None
) -> None:
    _history(zyklus)
    config = workspace / "config.toml"
    config.write_text(config.read_text().replace('due = "12-15"', 'due = "12-10"'))
    again = zyklus("init", now="2026-02-03T09:00")
    assert again.code == 0, again.err
    with _db(workspace) as db:
        dues = {d for (d,) in db.execute(
            "SELECT due FROM stage_state WHERE stage_id = 'auswertungsgespraech'"
        )}  # fmt: skip
        (payload,) = db.execute(
            "SELECT payload FROM audit WHERE action = 'fristen_neu_berechnet'"
            " AND stage_id = 'auswertungsgespraech'"
        ).fetchone()
    assert dues == {"2026-12-10"}
    assert '"frist":"2026-12-10"' in payload and '"kaltenmoor"' in payload
    code, text = _verify(zyklus, workspace)
    assert code == 0, text
