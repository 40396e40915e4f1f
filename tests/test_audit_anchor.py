"""The anchored audit log (SPEC §9, issue 13): each tampering case of an attacker with database
access makes ``zyklus audit verify --anchor var/audit-anker.txt`` exit 1 naming the problem."""

from __future__ import annotations

import sqlite3
from email import message_from_bytes, policy
from pathlib import Path

import pytest
from sqlmodel import Session, col, select

from cycle.persistence import audit
from cycle.persistence.db import make_engine
from cycle.persistence.tables import AuditEntry, AuditHead
from tests.conftest import Run

KEY = "ein-geheimer-schluessel-fuer-tests-0123456789"


@pytest.fixture
def keyed(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ZYKLUS_AUDIT_KEY", KEY)


def _history(zyklus: Run) -> None:
    """A few weeks of real use: init, two ticks (with the weekly overview), events between."""
    assert zyklus("init", now="2026-01-05T07:00").code == 0
    assert zyklus("tick", now="2026-01-05T09:00").code == 0
    zyklus(
        "schedule", "kaltenmoor", "2026", "auftaktgespraech", "--at", "2026-02-10T10:00",
        now="2026-01-20T09:00",
    )  # fmt: skip
    zyklus("waive", "hanseviertel", "2026", "fachtag", "--reason", "Krankheit", now="2026-02-01")
    assert zyklus("tick", now="2026-02-02T09:00").code == 0


def _verify(zyklus: Run, workspace: Path) -> tuple[int, str]:
    result = zyklus(
        "audit", "verify", "--anchor", str(workspace / "var" / "audit-anker.txt"), now="2026-03-01"
    )
    return result.code, result.out + result.err


def _db(workspace: Path) -> sqlite3.Connection:
    return sqlite3.connect(workspace / "var" / "zyklus.db")


def _rehash(workspace: Path, start: int, secret: bytes | None = None) -> None:
    """What an attacker without the key can do: recompute the chain from ``start`` and the head."""
    engine = make_engine(f"sqlite:///{workspace / 'var' / 'zyklus.db'}")
    with Session(engine) as session, session.begin():
        rows = list(session.exec(select(AuditEntry).order_by(col(AuditEntry.id))))
        prev = rows[start - 2].hash if start > 1 else audit.GENESIS
        for row in rows[start - 1 :]:
            assert row.id is not None
            change = audit.Change(
                row.action, row.pairing_id, row.year, row.stage_id, row.before, row.after
            )
            fields = audit.fields_of(row.id, row.at, row.actor, change, row.payload)
            row.prev_hash, row.hash = prev, audit.digest(prev, fields, secret)
            session.add(row)
            prev = row.hash
        head = session.get(AuditHead, 1)
        assert head is not None
        head.count, head.hash = len(rows), prev
        session.add(head)
    engine.dispose()


def test_an_untouched_database_verifies_against_its_anchors(
    zyklus: Run, workspace: Path, keyed: None
) -> None:
    _history(zyklus)
    lines = (workspace / "var" / "audit-anker.txt").read_text().splitlines()
    with _db(workspace) as db:
        count, digest, mark, mark_hash, seal = db.execute(
            "SELECT count, hash, published_count, published_hash, published_seal FROM audit_head"
        ).fetchone()
        hashes = dict(db.execute("SELECT id, hash FROM audit"))
    counts = [int(line.split()[1]) for line in lines]
    assert counts == sorted(set(counts))  # one line per change of the head, never backwards
    assert len(lines) >= 5  # init, tick, schedule, waive, tick: every command, not only ticks
    assert all(hashes[int(n)] == h for _, n, h in (line.split() for line in lines))
    assert lines[-1].split()[1:] == [str(count), digest]
    assert (mark, mark_hash) == (count, digest) and seal.startswith("hmac:")
    assert all(h.startswith("hmac:") for h in hashes.values())
    code, text = _verify(zyklus, workspace)
    assert code == 0, text
    n = len(lines)
    assert f"{count} Einträge, Hash-Kette intakt, {n} Anker der Ankerdatei und {n} aus" in text
    assert "Warnung" not in text


def test_a_tick_without_news_does_not_repeat_the_anchor_line(
    zyklus: Run, workspace: Path, keyed: None
) -> None:
    _history(zyklus)
    anchor = workspace / "var" / "audit-anker.txt"
    before = anchor.read_text()
    assert zyklus("tick", "--no-deliver", now="2026-02-02T09:30").code == 0
    assert anchor.read_text() == before


def test_the_weekly_overview_mail_prints_the_head_hash_as_an_anchor(
    zyklus: Run, workspace: Path, keyed: None
) -> None:
    _history(zyklus)
    mails = [
        message_from_bytes(p.read_bytes(), policy=policy.default)
        for p in (workspace / "var" / "mail" / "new").iterdir()
    ]
    weekly = [m for m in mails if str(m["Subject"]).startswith("Wochenübersicht")]
    assert len(weekly) == 2
    with _db(workspace) as db:
        hashes = {h for (h,) in db.execute("SELECT hash FROM audit")}
    for mail in weekly:
        text = mail.get_body(("plain",)).get_content()  # type: ignore[union-attr]
        html = mail.get_body(("html",)).get_content()  # type: ignore[union-attr]
        anchor = text.split("zyklus audit verify --anchor ")[1].split()[0]
        assert anchor in hashes and anchor in html
        result = zyklus("audit", "verify", "--anchor", anchor, now="2026-03-01")
        assert result.code == 0, result.out + result.err


def test_a_deleted_tail_with_a_rewritten_head_is_found_by_the_anchor(
    zyklus: Run, workspace: Path, keyed: None
) -> None:
    _history(zyklus)
    with _db(workspace) as db:
        last = db.execute("SELECT max(id) FROM audit").fetchone()[0]
        db.execute("DELETE FROM audit WHERE id > ?", (last - 3,))
        keep = db.execute("SELECT hash FROM audit WHERE id = ?", (last - 3,)).fetchone()[0]
        db.execute("UPDATE audit_head SET count = ?, hash = ?", (last - 3, keep))
    code, text = _verify(zyklus, workspace)
    assert code == 1
    assert f"Veröffentlicht war bereits Eintrag {last} (Kopfzeile)" in text
    assert f"das Protokoll endet bei Eintrag {last - 3}: Einträge wurden gelöscht" in text
    with _db(workspace) as db:  # the mark lowered as well, with a seal made up without the key
        db.execute(
            "UPDATE audit_head SET published_count = ?, published_hash = ?", (last - 3, keep)
        )
    code, text = _verify(zyklus, workspace)
    assert code == 1 and "Siegel passt nicht" in text
    with _db(workspace) as db:  # the mark removed: the anchor file still reaches the old end
        db.execute("UPDATE audit_head SET published_count = NULL, published_seal = NULL")
    code, text = _verify(zyklus, workspace)
    assert code == 1 and "nennt keinen veröffentlichten Stand" in text
    with _db(workspace) as db:
        db.execute("UPDATE audit_head SET published_count = ?, published_seal = ?", (last, "x"))
    code, text = _verify(zyklus, workspace)
    assert code == 1 and "Siegel passt nicht" in text


def test_a_deleted_tail_without_the_head_is_named(
    zyklus: Run, workspace: Path, keyed: None
) -> None:
    _history(zyklus)
    with _db(workspace) as db:
        last = db.execute("SELECT max(id) FROM audit").fetchone()[0]
        db.execute("DELETE FROM audit WHERE id > ?", (last - 2,))
    code, text = _verify(zyklus, workspace)
    assert code == 1 and f"Eintrag {last - 1} bis {last} fehlen" in text
    with _db(workspace) as db:
        db.execute("DELETE FROM audit_head")
    code, text = _verify(zyklus, workspace)
    assert code == 1 and "Kopfzeile des Protokolls (audit_head) fehlt" in text


def test_a_forged_entry_with_an_updated_head_is_found(
    zyklus: Run, workspace: Path, keyed: None
) -> None:
    _history(zyklus)
    with _db(workspace) as db:
        last, prev, at = db.execute("SELECT id, hash, at FROM audit ORDER BY id DESC").fetchone()
        db.execute(
            "INSERT INTO audit (id, at, actor, action, pairing_id, year, stage_id, before, after,"
            " payload, prev_hash, hash) VALUES (?, ?, 'ks', 'notiz', 'kaltenmoor', 2026, NULL,"
            " NULL, NULL, '{}', ?, 'x')",
            (last + 1, at, prev),
        )
    _rehash(workspace, last + 1)  # plain SHA-256: the attacker has no key
    code, text = _verify(zyklus, workspace)
    assert code == 1
    assert f"Eintrag {last + 1} (notiz) ist ohne Schlüssel gehasht" in text
    _rehash(workspace, last + 1, b"ein-geratener-schluessel")  # a guessed key
    code, text = _verify(zyklus, workspace)
    assert code == 1 and f"Eintrag {last + 1} (notiz) wurde verändert" in text


def test_an_edited_entry_with_the_chain_rehashed_without_the_key_is_found(
    zyklus: Run, workspace: Path, keyed: None
) -> None:
    _history(zyklus)
    with _db(workspace) as db:
        db.execute("UPDATE audit SET actor = 'jemand' WHERE id = 5")
    _rehash(workspace, 5)
    code, text = _verify(zyklus, workspace)
    assert code == 1
    assert "Eintrag 5" in text and "ohne Schlüssel gehasht, obwohl ab Eintrag 1" in text
    _rehash(workspace, 1)  # the whole chain in plain SHA-256: the key is configured
    code, text = _verify(zyklus, workspace)
    assert code == 1
    assert "nur mit SHA-256 gebildet (ohne Schlüssel), obwohl $ZYKLUS_AUDIT_KEY gesetzt" in text
    assert "ohne Schlüssel neu berechnet" in text


def test_a_status_changed_without_an_audit_entry_is_found(
    zyklus: Run, workspace: Path, keyed: None
) -> None:
    _history(zyklus)
    with _db(workspace) as db:
        db.execute(
            "UPDATE stage_state SET status = 'durchgefuehrt' WHERE stage_id = 'auftaktgespraech'"
            " AND cycle_id = (SELECT id FROM cycle WHERE pairing_id = 'kaltenmoor' AND year = 2026)"
        )
    code, text = _verify(zyklus, workspace)
    assert code == 1
    assert "kaltenmoor 2026 · auftaktgespraech" in text
    assert "„durchgefuehrt“, laut Protokoll „terminiert“" in text
    assert "ohne Protokolleintrag geändert" in text


def test_without_a_key_init_and_verify_warn_that_only_accidents_are_detected(
    zyklus: Run, workspace: Path
) -> None:
    init = zyklus("init", now="2026-01-05T07:00")
    assert init.code == 0 and "nur mit SHA-256" in init.err
    assert "versehentliche Änderungen" in init.err
    result = zyklus("audit", "verify", now="2026-01-05T08:00")
    assert result.code == 0 and "ZYKLUS_AUDIT_KEY ist nicht gesetzt" in result.err


def test_an_old_plain_log_keeps_verifying_after_a_key_is_introduced(
    zyklus: Run, workspace: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    assert zyklus("init", now="2026-01-05T07:00").code == 0
    with _db(workspace) as db:
        plain = db.execute("SELECT max(id) FROM audit").fetchone()[0]
    monkeypatch.setenv("ZYKLUS_AUDIT_KEY", KEY)
    assert zyklus("tick", now="2026-01-05T09:00").code == 0
    with _db(workspace) as db:
        schemes = [h.startswith("hmac:") for (h,) in db.execute("SELECT hash FROM audit")]
    assert schemes == [False] * plain + [True] * (len(schemes) - plain)
    code, text = _verify(zyklus, workspace)
    assert code == 0, text
    assert f"Einträge 1 bis {plain} stammen aus der Zeit vor dem Schlüssel" in text


def test_a_keyed_log_without_its_key_refuses_to_write_and_to_verify(
    zyklus: Run, workspace: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("ZYKLUS_AUDIT_KEY", KEY)
    assert zyklus("init", now="2026-01-05T07:00").code == 0
    with _db(workspace) as db:
        before = db.execute("SELECT count(*) FROM audit").fetchone()[0]
    monkeypatch.delenv("ZYKLUS_AUDIT_KEY")
    waive = zyklus("waive", "hanseviertel", "2026", "fachtag", "--reason", "x", now="2026-02-01")
    assert waive.code == 2 and "ZYKLUS_AUDIT_KEY ist nicht gesetzt" in waive.err
    with _db(workspace) as db:
        assert db.execute("SELECT count(*) FROM audit").fetchone()[0] == before
    verify = zyklus("audit", "verify", now="2026-02-01")
    assert verify.code == 2 and "ohne den Schlüssel kann das Protokoll nicht geprüft" in verify.err


def test_a_wrong_key_makes_every_keyed_entry_fail(
    zyklus: Run, workspace: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("ZYKLUS_AUDIT_KEY", KEY)
    assert zyklus("init", now="2026-01-05T07:00").code == 0
    monkeypatch.setenv("ZYKLUS_AUDIT_KEY", "ein-anderer-schluessel-0123456789")
    result = zyklus("audit", "verify", now="2026-01-06")
    assert result.code == 1 and "Eintrag 1 (" in result.out and "wurde verändert" in result.out


def test_bad_anchor_arguments_and_short_keys_are_usage_errors(
    zyklus: Run, workspace: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    assert zyklus("init", now="2026-01-05T07:00").code == 0
    nonsense = zyklus("audit", "verify", "--anchor", "gibtsnicht", now="2026-01-06")
    assert nonsense.code == 2 and "weder eine Ankerdatei noch ein Hash" in nonsense.err
    broken = workspace / "anker.txt"
    broken.write_text("2026-01-05T08:00:00Z 3 kein-hash\n")
    bad = zyklus("audit", "verify", "--anchor", str(broken), now="2026-01-06")
    assert bad.code == 2 and "Zeile 1: erwartet „ZEIT ANZAHL HASH“" in bad.err
    unknown = zyklus("audit", "verify", "--anchor", "0" * 63 + "1", now="2026-01-06")
    assert unknown.code == 1 and "kommt im Protokoll nicht mehr vor" in unknown.out
    listing = zyklus("audit", "--anchor", "x", now="2026-01-06")
    assert listing.code == 2 and "--anchor gilt nur" in listing.err
    monkeypatch.setenv("ZYKLUS_AUDIT_KEY", "kurz")
    short = zyklus("audit", "verify", now="2026-01-06")
    assert short.code == 2 and "Protokollschlüssel ist zu kurz" in short.err


def test_a_simulation_never_writes_into_the_real_anchor_file(
    zyklus: Run, workspace: Path, keyed: None
) -> None:
    assert zyklus("init", now="2026-01-05T07:00").code == 0
    anchor = workspace / "var" / "audit-anker.txt"
    before = anchor.read_bytes()
    result = zyklus("simulate", "--from", "2026-01-05", "--to", "2026-01-20", now="2026-01-05")
    assert result.code == 0, result.err
    assert anchor.read_bytes() == before
