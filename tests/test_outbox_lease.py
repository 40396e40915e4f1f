"""The outbox claim and its marks against real parts (issue 7 item 9, issue 13 item 2).

Real SQLite files, a real aiosmtpd sink on 127.0.0.1, ``zyklus run`` as a subprocess killed with
SIGKILL, the CLI in-process with ``--now``. The test config uses ``timeout_seconds = 5``, so a
send is bounded by 709 s (DATA waits 600 s) and the lease is 889 s (``cycle.mail.outbox``).
"""

from __future__ import annotations

import json
import logging
import signal
import sqlite3
from collections import Counter
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import event, func, select, text
from sqlmodel import Session, col

from cycle.mail.outbox import DEFAULT_SEND_DEADLINE, LOCK_WAIT, SqlOutbox, lease_for
from cycle.persistence.db import make_engine
from cycle.persistence.tables import AuditEntry, Notification, OutboxMessage
from notifications.delivery import send_deadline
from notifications.smtp import SmtpTransport
from tests.conftest import Run
from tests.smtp_sink import SmtpSink, free_port, running_sink
from tests.smtp_sink import smtp_sink as smtp_sink  # the fixture
from tests.test_service import _app, _ready, running, wait_until
from tests.test_tick_support import FIRST_TICK, message_ids, outbox, tick, use_smtp

BERLIN = ZoneInfo("Europe/Berlin")
NOW = "2026-03-03T08:05"  # 8 reminders + the weekly overview are due
AT = datetime(2026, 3, 3, 8, 5, tzinfo=BERLIN)
TEST_LEASE = timedelta(seconds=889)


def test_the_lease_outlasts_the_bounded_send_and_the_database_waits() -> None:
    shipped = SmtpTransport("mail.example.org", 587, timeout=30)
    assert send_deadline(shipped) == DEFAULT_SEND_DEADLINE == timedelta(seconds=1234)
    assert lease_for(DEFAULT_SEND_DEADLINE) == timedelta(seconds=1414)
    tests = SmtpTransport("127.0.0.1", 25, "none", timeout=5)
    assert lease_for(send_deadline(tests)) == TEST_LEASE
    assert lease_for(send_deadline(tests)) > send_deadline(tests) + 4 * LOCK_WAIT


def test_the_lock_wait_in_the_lease_is_the_database_busy_timeout(
    zyklus: Run, workspace: Path, smtp_sink: SmtpSink
) -> None:
    _ready(zyklus, workspace, smtp_sink)
    app = _app(workspace, NOW)
    try:
        with app.engine.connect() as connection:
            busy = connection.execute(text("PRAGMA busy_timeout")).scalar_one()
    finally:
        app.close()
    assert timedelta(milliseconds=busy) == LOCK_WAIT


# --- conditional marks -----------------------------------------------------------------------


def _row(session: Session, id: object) -> OutboxMessage:
    row = session.get_one(OutboxMessage, id)
    session.refresh(row)
    return row


def _audit_count(session: Session, action: str) -> int:
    query = select(func.count()).where(col(AuditEntry.action) == action)
    return int(session.execute(query).scalar_one())


def test_a_mark_by_a_process_that_does_not_hold_the_lease_changes_nothing(
    zyklus: Run, workspace: Path, smtp_sink: SmtpSink
) -> None:
    _ready(zyklus, workspace, smtp_sink)
    assert tick(zyklus, NOW, "--no-deliver")["enqueued"] == FIRST_TICK
    app = _app(workspace, NOW)
    try:
        first, other = SqlOutbox(app.engine, "erster"), SqlOutbox(app.engine, "anderer")
        (pending,) = first.claim(AT, 1)
        assert pending.attempts == 0  # the claim counts no attempt
        later = AT + timedelta(minutes=1)
        assert other.mark_sent(pending.id, later, {}) is False
        assert other.defer(pending.id, later, later, "451", attempted=True) is False
        assert other.mark_failed(pending.id, later, "550", attempted=True) is False
        with Session(app.engine) as session:
            row = _row(session, pending.id)
            assert (row.status, row.attempts, row.lease_owner) == ("pending", 0, "erster")
            assert (row.last_error, row.sent_at) == (None, None)
            assert _audit_count(session, "nachricht_gesendet") == 0
            assert _audit_count(session, "nachricht_fehlgeschlagen") == 0

        assert first.mark_sent(pending.id, later, {}) is True
        assert first.mark_sent(pending.id, later, {}) is False  # only once
        with Session(app.engine) as session:
            row = _row(session, pending.id)
            assert (row.status, row.attempts, row.lease_owner) == ("sent", 1, None)
            assert _audit_count(session, "nachricht_gesendet") == 1
    finally:
        app.close()


def test_each_sent_message_is_audited_with_the_keys_of_its_own_notifications(
    zyklus: Run, workspace: Path, smtp_sink: SmtpSink
) -> None:
    _ready(zyklus, workspace, smtp_sink)
    assert tick(zyklus, NOW, "--no-deliver")["enqueued"] == FIRST_TICK
    app = _app(workspace, NOW)
    try:
        outbox_ = SqlOutbox(app.engine, "pruefer")
        claimed = outbox_.claim(AT, FIRST_TICK)
        assert len(claimed) == FIRST_TICK
        for pending in claimed:
            assert outbox_.mark_sent(pending.id, AT, {}) is True
        with Session(app.engine) as session:
            expected: dict[str, list[str]] = {}
            for key, message_id in session.execute(
                select(col(Notification.key), col(OutboxMessage.message_id)).join(
                    OutboxMessage, col(Notification.message_id) == col(OutboxMessage.id)
                )
            ):
                expected.setdefault(message_id, []).append(key)
            entries = session.execute(
                select(col(AuditEntry.payload)).where(
                    col(AuditEntry.action) == "nachricht_gesendet"
                )
            ).scalars()
            audited = {p["message_id"]: p["keys"] for p in map(json.loads, entries)}
    finally:
        app.close()
    assert len(audited) == FIRST_TICK
    assert {m: sorted(keys) for m, keys in audited.items()} == {
        m: sorted(keys) for m, keys in expected.items()
    }


def test_the_longest_due_message_is_claimed_first(
    zyklus: Run, workspace: Path, smtp_sink: SmtpSink
) -> None:
    _ready(zyklus, workspace, smtp_sink)
    assert tick(zyklus, NOW, "--no-deliver")["enqueued"] == FIRST_TICK
    app = _app(workspace, NOW)
    try:
        outbox_ = SqlOutbox(app.engine, "reihenfolge")
        first, second, *rest = outbox_.claim(AT, FIRST_TICK)
        later = AT + timedelta(minutes=10)
        assert outbox_.defer(second.id, AT, AT + timedelta(minutes=5), "451", attempted=True)
        for pending in (first, *rest):
            assert outbox_.defer(pending.id, AT, later, "451", attempted=True)
        order = [p.id for p in outbox_.claim(later, FIRST_TICK)]
    finally:
        app.close()
    assert len(order) == FIRST_TICK
    assert order[0] == second.id  # due since 5 minutes, the others only now
    assert order[1:] == sorted(order[1:])  # equally due: by id


def test_after_the_lease_ran_out_the_new_owner_wins_and_the_old_one_is_ignored(
    zyklus: Run, workspace: Path, smtp_sink: SmtpSink
) -> None:
    _ready(zyklus, workspace, smtp_sink)
    assert tick(zyklus, NOW, "--no-deliver")["enqueued"] == FIRST_TICK
    app = _app(workspace, NOW)
    try:
        slow, new = SqlOutbox(app.engine, "langsam"), SqlOutbox(app.engine, "neu")
        (first,) = slow.claim(AT, 1)
        assert new.claim(AT + slow.lease - timedelta(seconds=1), FIRST_TICK)[0].id != first.id
        after = AT + slow.lease + timedelta(seconds=1)
        (taken,) = [p for p in new.claim(after, FIRST_TICK) if p.id == first.id]
        assert slow.mark_failed(first.id, after, "451 zu spät", attempted=True) is False
        assert slow.defer(first.id, after, after, "zu spät", attempted=True) is False
        assert new.mark_sent(taken.id, after, {}) is True
        with Session(app.engine) as session:
            row = _row(session, first.id)
            assert (row.status, row.attempts, row.last_error) == ("sent", 1, None)
            assert _audit_count(session, "nachricht_fehlgeschlagen") == 0
    finally:
        app.close()


def test_a_claim_that_never_sent_uses_up_no_attempt(
    zyklus: Run, workspace: Path, smtp_sink: SmtpSink
) -> None:
    _ready(zyklus, workspace, smtp_sink)
    assert tick(zyklus, NOW, "--no-deliver")["enqueued"] == FIRST_TICK
    app = _app(workspace, NOW)
    try:
        deadline = send_deadline(SmtpTransport("127.0.0.1", smtp_sink.port, "none", timeout=5))
        crashed = SqlOutbox(app.engine, "abgestuerzt", send_deadline=deadline)
        assert crashed.lease == TEST_LEASE
        claimed = crashed.claim(AT, FIRST_TICK)  # … and the process dies before sending
        assert len(claimed) == FIRST_TICK
    finally:
        app.close()
    assert tick(zyklus, "2026-03-03T08:06")["sent"] == 0  # leased
    expired = AT + TEST_LEASE + timedelta(seconds=1)
    assert tick(zyklus, expired.strftime("%Y-%m-%dT%H:%M:%S"))["sent"] == FIRST_TICK
    rows = outbox(zyklus, "2026-03-03T09:00")
    assert {(r["status"], r["attempts"]) for r in rows} == {("sent", 1)}
    assert sorted(Counter(message_ids(smtp_sink.messages)).values()) == [1] * FIRST_TICK


# --- kill -9 while the server is slow to answer DATA -----------------------------------------


def _lease_owner(workspace: Path, message_id: str) -> str | None:
    app = _app(workspace, NOW)
    try:
        with Session(app.engine) as session:
            query = select(col(OutboxMessage.lease_owner)).where(
                col(OutboxMessage.message_id) == message_id
            )
            owner: str | None = session.execute(query).scalar_one()
            return owner
    finally:
        app.close()


def test_kill_9_with_a_send_in_flight_and_a_restart_within_the_lease_sends_nothing_twice(
    zyklus: Run, workspace: Path, smtp_sink: SmtpSink
) -> None:
    _ready(zyklus, workspace, smtp_sink)
    smtp_sink.handler.stalls = [0.0, 0.0, 2.0]  # the third DATA is answered only after 2 s
    with running(workspace) as dienst:
        wait_until(lambda: smtp_sink.handler.data_started >= 3, "the third DATA")
        dienst.process.send_signal(signal.SIGKILL)
        assert dienst.process.wait(10) == -signal.SIGKILL
    # The server still accepts the third message: it arrived, but zyklus never heard the 250.
    wait_until(lambda: len(smtp_sink.messages) == 3, "the stalled message to be stored")
    in_flight = message_ids(smtp_sink.messages)[2]
    (row,) = [r for r in outbox(zyklus, NOW) if r["message_id"] == in_flight]
    # handed over before the crash: ungewiss (issue 13 item 3), no attempt recorded
    assert (row["status"], row["attempts"]) == ("ungewiss", 0)
    assert _lease_owner(workspace, in_flight) is not None

    with running(workspace, "2026-03-03T08:07") as restarted:  # 2 minutes: within the lease
        restarted.wait_for("Dienst läuft")
        assert restarted.stop(signal.SIGTERM) == 0
    assert f"zugestellt {FIRST_TICK - 3}" in "\n".join(restarted.lines)
    counts = Counter(message_ids(smtp_sink.messages))
    # the one in flight was not re-sent
    assert len(counts) == FIRST_TICK and set(counts.values()) == {1}
    rows = {r["message_id"]: r for r in outbox(zyklus, "2026-03-03T08:07")}
    assert rows.pop(in_flight)["status"] == "ungewiss"
    assert {(r["status"], r["attempts"]) for r in rows.values()} == {("sent", 1)}

    # Not right after the lease: an ungewiss message waits the long delay (60 minutes) ...
    expired = (AT + TEST_LEASE + timedelta(minutes=1)).strftime("%Y-%m-%dT%H:%M")
    assert tick(zyklus, expired)["sent"] == 0
    # ... then it is tried once more (the one case of a second copy), same Message-ID.
    waited = (AT + timedelta(minutes=61)).strftime("%Y-%m-%dT%H:%M")
    assert tick(zyklus, waited)["sent"] == 1
    assert Counter(message_ids(smtp_sink.messages))[in_flight] == 2
    assert {r["status"] for r in outbox(zyklus, waited)} == {"sent"}


# --- hours of outage, then greylisting -------------------------------------------------------


def test_hours_of_outage_then_one_451_fail_nothing_and_everything_is_delivered_once(
    zyklus: Run, workspace: Path
) -> None:
    port = free_port()  # nothing listens here for four hours
    config = use_smtp(workspace, port)
    config.write_text(
        config.read_text(encoding="utf-8").replace("max_attempts = 8", "max_attempts = 2"),
        encoding="utf-8",
    )
    assert zyklus("init", now="2026-01-05T09:00").code == 0
    for minutes in range(0, 4 * 60 + 1, 20):
        at = AT + timedelta(minutes=minutes)
        report = tick(zyklus, at.strftime("%Y-%m-%dT%H:%M"))
        assert (report["sent"], report["failed"], report["deferred"]) == (0, 0, FIRST_TICK)
        rows = outbox(zyklus, at.strftime("%Y-%m-%dT%H:%M"), "pending")
        assert {r["attempts"] for r in rows} == {0}  # the server was never reached
        waits = {datetime.fromisoformat(r["next_attempt_at"]) - at for r in rows}
        assert max(waits) <= timedelta(minutes=15)  # the outage backoff is capped
    back = AT + timedelta(hours=4, minutes=20)
    with running_sink(port=port) as sink:
        sink.handler.refuse_next(FIRST_TICK, "451 4.7.1 Greylisting, bitte später erneut versuchen")
        greylisted = tick(zyklus, back.strftime("%Y-%m-%dT%H:%M"))
        assert (greylisted["sent"], greylisted["failed"], greylisted["deferred"]) == (
            0,
            0,
            FIRST_TICK,
        )
        rows = outbox(zyklus, back.strftime("%Y-%m-%dT%H:%M"), "pending")
        assert {r["attempts"] for r in rows} == {1} and all("451" in r["last_error"] for r in rows)
        done = (back + timedelta(minutes=2)).strftime("%Y-%m-%dT%H:%M")
        delivered = tick(zyklus, done)
        assert (delivered["sent"], delivered["failed"]) == (FIRST_TICK, 0)
        counts = Counter(message_ids(sink.messages))
    assert len(counts) == FIRST_TICK and set(counts.values()) == {1}
    rows = outbox(zyklus, done)
    assert {(r["status"], r["attempts"]) for r in rows} == {("sent", 2)}


# --- a foreign write lock longer than the busy timeout ---------------------------------------


class _ReleaseOnRetry(logging.Handler):
    """Ends the foreign lock when the outbox logs its first retry (deterministic, no sleeps)."""

    def __init__(self, blocker: sqlite3.Connection) -> None:
        super().__init__()
        self.blocker, self.retries = blocker, 0

    def emit(self, record: logging.LogRecord) -> None:
        if "erneut" in record.getMessage():
            self.retries += 1
            if self.blocker.in_transaction:
                self.blocker.commit()


def test_a_locked_database_delays_a_claim_and_a_mark_is_retried_until_it_is_written(
    zyklus: Run, workspace: Path, smtp_sink: SmtpSink
) -> None:
    _ready(zyklus, workspace, smtp_sink)
    assert tick(zyklus, NOW, "--no-deliver")["enqueued"] == FIRST_TICK
    database = workspace / "var" / "zyklus.db"
    engine = make_engine(f"sqlite:///{database}")

    @event.listens_for(engine, "connect")
    def _impatient(dbapi_connection: Any, _record: Any) -> None:
        dbapi_connection.execute("PRAGMA busy_timeout=50")  # instead of 30 s

    outbox_ = SqlOutbox(engine, "dienst")
    blocker = sqlite3.connect(database, isolation_level=None)
    handler = _ReleaseOnRetry(blocker)
    logger = logging.getLogger("zyklus.zustellung")
    logger.addHandler(handler)
    try:
        (pending,) = outbox_.claim(AT, 1)
        blocker.execute("BEGIN IMMEDIATE")
        assert outbox_.claim(AT, 1) == []  # locked: nothing claimed, no error
        assert blocker.in_transaction and handler.retries == 0
        assert outbox_.mark_sent(pending.id, AT, {}) is True  # retried after the lock ended
        assert handler.retries == 1 and not blocker.in_transaction
    finally:
        logger.removeHandler(handler)
        blocker.close()
        engine.dispose()
    (row,) = [r for r in outbox(zyklus, NOW) if r["id"] == pending.id]
    assert (row["status"], row["attempts"]) == ("sent", 1)
