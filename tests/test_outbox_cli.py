"""``zyklus outbox`` and ``zyklus outbox retry`` through the CLI (real SQLite, real SMTP sink)."""

from __future__ import annotations

import json
from pathlib import Path

from tests.conftest import Run
from tests.smtp_sink import SmtpSink, free_port
from tests.smtp_sink import smtp_sink as smtp_sink  # the fixture
from tests.test_tick_support import FIRST_TICK, outbox, tick, use_smtp

HOFFMANN = "l.hoffmann@awo-lueneburg.example.org"
HEADERS = ("Nr.", "Art", "An", "Betreff", "Status", "Versuche", "nächster Versuch", "Fehler")


def _init(zyklus: Run, workspace: Path, port: int, now: str = "2026-01-05T09:00") -> None:
    use_smtp(workspace, port)
    assert zyklus("init", now=now).code == 0


def test_an_empty_outbox_lists_no_messages(zyklus: Run, workspace: Path) -> None:
    _init(zyklus, workspace, free_port())
    result = zyklus("outbox", now="2026-01-05T09:05")
    assert result.code == 0, result.err
    assert all(h in result.out for h in HEADERS)
    assert result.out.rstrip().endswith("0 Nachrichten.")
    assert json.loads(zyklus("outbox", "--format", "json", now="2026-01-05T09:05").out) == {
        "status": None,
        "messages": [],
    }


def test_the_table_shows_sent_and_pending_messages_in_german(
    zyklus: Run, workspace: Path, smtp_sink: SmtpSink
) -> None:
    _init(zyklus, workspace, smtp_sink.port)
    tick(zyklus, "2026-03-03T08:05")
    sent = zyklus("outbox", "--status", "sent", now="2026-03-03T08:06")
    assert sent.code == 0, sent.err
    assert all(h in sent.out for h in HEADERS)
    assert "Auftaktgespräch" in sent.out and "gesendet" in sent.out
    assert sent.out.rstrip().endswith(f"{FIRST_TICK} Nachrichten ({FIRST_TICK} gesendet).")
    assert (
        zyklus("outbox", "--status", "failed", now="2026-03-03T08:06")
        .out.rstrip()
        .endswith("0 Nachrichten.")
    )


def test_pending_messages_show_the_next_attempt_and_the_error(zyklus: Run, workspace: Path) -> None:
    _init(zyklus, workspace, free_port())  # nothing listens: SMTP is down
    tick(zyklus, "2026-03-03T08:05")
    result = zyklus("outbox", "--status", "pending", now="2026-03-03T08:05")
    assert result.code == 0, result.err
    assert "ausstehend" in result.out and "03.03.2026 08:06" in result.out
    assert result.out.rstrip().endswith(f"{FIRST_TICK} Nachrichten ({FIRST_TICK} ausstehend).")
    (row, *_) = outbox(zyklus, "2026-03-03T08:05", "pending")
    assert row["last_error"] and row["last_error"].split()[0] in result.out
    assert set(row) >= {"id", "message_id", "kind", "to", "subject", "status", "attempts", "keys"}


def test_skipped_notifications_are_listed_with_german_dates(
    zyklus: Run, workspace: Path, smtp_sink: SmtpSink
) -> None:
    _init(zyklus, workspace, smtp_sink.port, now="2026-04-20T09:00")
    tick(zyklus, "2026-04-20T09:00")
    result = zyklus("outbox", "--status", "skipped", now="2026-04-20T09:01")
    assert result.code == 0, result.err
    assert "Partnerschaft" in result.out and "fällig am" in result.out
    assert "31.03.2026" in result.out and "24.03.2026" in result.out
    assert result.out.rstrip().endswith("24 übersprungene Benachrichtigungen (nicht gesendet).")
    rows = outbox(zyklus, "2026-04-20T09:01", "skipped")
    kaltenmoor = sorted(
        (n["kind"], n["level"], n["point_on"]) for n in rows if n["pairing"] == "kaltenmoor"
    )
    assert kaltenmoor == [
        ("erinnerung", 1, "2026-03-03"),
        ("erinnerung", 2, "2026-03-24"),
        ("eskalation", 1, "2026-04-01"),
    ]


def test_retry_refuses_an_unknown_or_not_failed_message_in_german(
    zyklus: Run, workspace: Path, smtp_sink: SmtpSink
) -> None:
    _init(zyklus, workspace, smtp_sink.port)
    tick(zyklus, "2026-03-03T08:05")
    unknown = zyklus("outbox", "retry", "999", now="2026-03-03T09:00")
    assert unknown.code == 1
    assert unknown.err.strip() == "Fehler: Nachricht 999 gibt es im Postausgang nicht."
    sent = zyklus("outbox", "retry", "1", now="2026-03-03T09:00")
    assert sent.code == 1
    assert "Nachricht 1 ist nicht fehlgeschlagen (Status: gesendet)" in sent.err
    nothing = zyklus("outbox", "retry", "--failed", now="2026-03-03T09:00")
    assert (nothing.code, nothing.out.strip()) == (
        0,
        "Keine fehlgeschlagenen Nachrichten im Postausgang.",
    )
    assert {r["status"] for r in outbox(zyklus, "2026-03-03T09:00")} == {"sent"}


def test_retry_needs_exactly_one_of_id_and_failed(zyklus: Run, workspace: Path) -> None:
    _init(zyklus, workspace, free_port())
    for args in (("outbox", "retry"), ("outbox", "retry", "1", "--failed"), ("outbox", "1")):
        result = zyklus(*args, now="2026-03-03T09:00")
        assert result.code == 2, args
        assert "Traceback" not in result.err and "Fehler:" in result.err


def test_retry_of_one_failed_message_requeues_it_audited_and_the_log_stays_intact(
    zyklus: Run, workspace: Path, smtp_sink: SmtpSink
) -> None:
    _init(zyklus, workspace, smtp_sink.port)
    smtp_sink.handler.refuse_recipient(HOFFMANN, "550 5.1.1 Postfach unbekannt")
    tick(zyklus, "2026-03-03T08:05")
    (failed,) = outbox(zyklus, "2026-03-03T08:06", "failed")
    table = zyklus("outbox", "--status", "failed", now="2026-03-03T08:06").out
    assert "fehlgeschlagen" in table and "550" in table

    result = zyklus("outbox", "retry", str(failed["id"]), now="2026-03-03T10:00")
    assert result.code == 0, result.err
    assert result.out.splitlines()[-1] == (
        "1 Nachricht wieder ausstehend; "
        "Zustellung beim nächsten Durchlauf (zyklus tick oder der laufende Dienst)."
    )
    (pending,) = outbox(zyklus, "2026-03-03T10:00", "pending")
    assert pending["id"] == failed["id"] and pending["attempts"] == 0
    assert pending["next_attempt_at"] == "2026-03-03T09:00:00+00:00"
    entries = json.loads(zyklus("audit", "--format", "json", now="2026-03-03T10:00").out)
    (entry,) = [e for e in entries if e["action"] == "nachricht_erneut_eingereiht"]
    assert (entry["before"], entry["after"], entry["actor"]) == ("failed", "pending", "test")
    assert entry["payload"]["message_id"] == failed["message_id"]
    assert "550" in entry["payload"]["fehler"]
    assert zyklus("audit", "verify", now="2026-03-03T10:00").code == 0
