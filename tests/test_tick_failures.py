"""Delivery failures end to end (issue 3): SMTP down, refused recipients, retry.

Real aiosmtpd on 127.0.0.1, a real SQLite file, the CLI in-process with ``--now``.
"""

from __future__ import annotations

import json
from collections import Counter
from pathlib import Path

from tests.conftest import Run
from tests.smtp_sink import SmtpSink, free_port, running_sink
from tests.smtp_sink import smtp_sink as smtp_sink  # the fixture
from tests.test_tick_support import (
    FIRST_TICK,
    KOORDINIERUNGSSTELLE,
    addresses,
    body,
    message_ids,
    outbox,
    tick,
    use_smtp,
)

HOFFMANN = "l.hoffmann@awo-lueneburg.example.org"
KRUEGER, SAID = "t.krueger@drk-lueneburg.example.org", "m.said@drk-lueneburg.example.org"
UNKNOWN = "550 5.1.1 Postfach unbekannt"


def _init(zyklus: Run, workspace: Path, port: int) -> None:
    use_smtp(workspace, port)
    result = zyklus("init", now="2026-01-05T09:00")
    assert result.code == 0, result.err


def test_with_smtp_down_everything_stays_pending_and_goes_out_exactly_once_when_it_is_back(
    zyklus: Run, workspace: Path
) -> None:
    port = free_port()  # nothing listens here yet
    _init(zyklus, workspace, port)
    down = tick(zyklus, "2026-03-03T08:05")
    assert (down["enqueued"], down["sent"], down["failed"], down["deferred"]) == (
        FIRST_TICK,
        0,
        0,
        FIRST_TICK,
    )
    pending = outbox(zyklus, "2026-03-03T08:05", "pending")
    assert len(pending) == FIRST_TICK
    # the server was never reached: no attempt counted; the outage backoff starts at the base
    assert all(r["last_error"] and r["attempts"] == 0 for r in pending)
    assert {r["next_attempt_at"] for r in pending} == {"2026-03-03T07:06:00+00:00"}  # + 60 s

    with running_sink(port=port) as sink:
        early = tick(zyklus, "2026-03-03T08:05:30")  # the backoff has not passed yet
        assert (early["sent"], early["deferred"]) == (0, 0)
        assert not sink.messages
        back = tick(zyklus, "2026-03-03T08:07")
        assert (back["enqueued"], back["sent"], back["failed"], back["deferred"]) == (
            0,
            FIRST_TICK,
            0,
            0,
        )
        assert tick(zyklus, "2026-03-03T09:00")["sent"] == 0
        ids = message_ids(sink.messages)
    assert len(ids) == FIRST_TICK and len(set(ids)) == FIRST_TICK
    rows = outbox(zyklus, "2026-03-03T09:00")
    assert sorted(ids) == sorted(r["message_id"] for r in rows)
    assert {(r["status"], r["attempts"]) for r in rows} == {("sent", 1)}


def test_a_server_that_answers_451_defers_and_the_next_drain_delivers(
    zyklus: Run, workspace: Path, smtp_sink: SmtpSink
) -> None:
    _init(zyklus, workspace, smtp_sink.port)
    smtp_sink.handler.refuse_next(3)
    first = tick(zyklus, "2026-03-03T08:05")
    assert (first["sent"], first["deferred"]) == (FIRST_TICK - 3, 3)
    later = tick(zyklus, "2026-03-03T08:10")
    assert (later["sent"], later["deferred"]) == (3, 0)
    assert sorted(Counter(message_ids(smtp_sink.messages)).values()) == [1] * FIRST_TICK


def _zustellfehler(sink: SmtpSink) -> list[str]:
    return [
        body(m)
        for m in sink.messages
        if str(m.message["Subject"]).startswith("Zustellfehler")
        and addresses(m, "To") == [KOORDINIERUNGSSTELLE]
    ]


def test_a_refused_recipient_fails_the_message_and_tells_the_koordinierungsstelle(
    zyklus: Run, workspace: Path, smtp_sink: SmtpSink
) -> None:
    _init(zyklus, workspace, smtp_sink.port)
    smtp_sink.handler.refuse_recipient(HOFFMANN, UNKNOWN)
    report = tick(zyklus, "2026-03-03T08:05")
    assert report["failed"] == 1
    # the other reminders, the weekly overview and the zustellfehler
    assert report["sent"] == FIRST_TICK
    (failed,) = outbox(zyklus, "2026-03-03T08:06", "failed")
    assert "Kaltenmoor" in failed["subject"] and "550" in failed["last_error"]
    assert failed["keys"] == ["kaltenmoor/2026/auftaktgespraech/2026-03-31/erinnerung/1"]
    (notice,) = _zustellfehler(smtp_sink)
    assert HOFFMANN in notice and "550" in notice and "Kaltenmoor" in notice
    assert "zyklus outbox retry --failed" in notice

    retried = zyklus("outbox", "retry", "--failed", now="2026-03-03T09:00")
    assert retried.code == 0, retried.err
    assert f"Nachricht {failed['id']} erneut eingereiht" in retried.out
    (again,) = outbox(zyklus, "2026-03-03T09:00", "pending")
    assert (again["id"], again["attempts"]) == (failed["id"], 0)
    audit = json.loads(zyklus("audit", "--format", "json", now="2026-03-03T09:00").out)
    assert [e["action"] for e in audit].count("nachricht_erneut_eingereiht") == 1

    smtp_sink.handler.recipient_replies.clear()  # the address was fixed on the server side
    assert tick(zyklus, "2026-03-03T09:01")["sent"] == 1
    delivered = [m for m in smtp_sink.messages if addresses(m, "To") == [HOFFMANN]]
    assert len(delivered) == 1
    assert str(delivered[0].message["Message-ID"]) == failed["message_id"]
    assert not outbox(zyklus, "2026-03-03T09:02", "failed")


def test_a_message_that_fails_again_after_a_retry_raises_a_second_zustellfehler(
    zyklus: Run, workspace: Path, smtp_sink: SmtpSink
) -> None:
    _init(zyklus, workspace, smtp_sink.port)
    smtp_sink.handler.refuse_recipient(HOFFMANN, UNKNOWN)
    assert tick(zyklus, "2026-03-03T08:05")["failed"] == 1
    (failed,) = outbox(zyklus, "2026-03-03T08:06", "failed")
    assert zyklus("outbox", "retry", str(failed["id"]), now="2026-03-03T09:00").code == 0
    second = tick(zyklus, "2026-03-03T09:01")
    assert (second["failed"], second["sent"]) == (1, 1)
    assert len(_zustellfehler(smtp_sink)) == 2
    assert [r["id"] for r in outbox(zyklus, "2026-03-03T09:02", "failed")] == [failed["id"]]


def test_all_recipients_refused_fails_while_one_of_several_refused_is_sent_and_recorded(
    zyklus: Run, workspace: Path, smtp_sink: SmtpSink
) -> None:
    _init(zyklus, workspace, smtp_sink.port)
    smtp_sink.handler.refuse_recipient(KRUEGER, UNKNOWN)
    smtp_sink.handler.refuse_recipient(HOFFMANN, UNKNOWN)
    assert tick(zyklus, "2026-03-03T08:05")["failed"] == 2
    failed = outbox(zyklus, "2026-03-03T08:06", "failed")
    assert sorted(r["keys"][0].split("/")[0] for r in failed) == ["kaltenmoor", "luene-moorfeld"]
    # issue 13 item 6: one notice per drain lists every message that failed in it
    (bundled,) = _zustellfehler(smtp_sink)
    assert "2 Nachrichten konnten nicht zugestellt werden" in bundled
    assert "Kaltenmoor" in bundled and "Moorfeld" in bundled
    assert HOFFMANN in bundled and KRUEGER in bundled
    # Each contact of the DRK tandem has a reminder of their own: Miriam Said's went out.
    assert [m for m in smtp_sink.messages if m.rcpt_tos == [SAID]]

    # The level-1 escalation goes to both contacts and the Leitung in one message: with one
    # recipient refused it reaches the others, and the refusal is recorded.
    smtp_sink.handler.recipient_replies.pop(HOFFMANN)
    report = tick(zyklus, "2026-04-01T08:05")
    assert report["failed"] == 0 and report["sent"] >= 9  # 8 escalations and the notice
    rows = outbox(zyklus, "2026-04-01T08:06")
    (drk,) = [r for r in rows if r["kind"] == "eskalation" and "Moorfeld" in r["subject"]]
    assert drk["status"] == "sent" and list(drk["refused"]) == [KRUEGER]
    assert UNKNOWN in drk["refused"][KRUEGER]
    (received,) = [
        m for m in smtp_sink.messages if str(m.message["Message-ID"]) == drk["message_id"]
    ]
    assert SAID in received.rcpt_tos and KRUEGER not in received.rcpt_tos
    assert KRUEGER in addresses(received, "To")
    # The refused recipient is reported to the Koordinierungsstelle as well.
    notices = _zustellfehler(smtp_sink)
    assert len(notices) == 2
    assert KRUEGER in notices[1] and "Moorfeld" in notices[1]
