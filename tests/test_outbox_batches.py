"""Delivery in batches (issue 22 item 8): one claim per batch, one commit per message.

Real SQLite files (``tests_postgres`` runs the same checks on PostgreSQL), a real aiosmtpd sink on
127.0.0.1, ``zyklus run`` as a subprocess killed with SIGKILL, the CLI in-process with ``--now``.
"""

from __future__ import annotations

import asyncio
import re
import signal
import time
from collections import Counter
from collections.abc import Hashable, Iterator
from contextlib import contextmanager
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import Engine, event, func, select
from sqlmodel import Session, col

from cycle.mail.deliver import deliver
from cycle.mail.outbox import RESERVATION, SqlOutbox
from cycle.persistence.tables import AuditEntry, OutboxMessage
from notifications.delivery import drain
from notifications.message import to_mime
from notifications.transports import DeliveryError, MaildirTransport, SmtpTransport
from tests.conftest import Run
from tests.smtp_sink import SmtpSink
from tests.smtp_sink import smtp_sink as smtp_sink  # the fixture
from tests.test_notifications_smtp import make_email
from tests.test_service import _app, _ready, running, wait_until
from tests.test_tick_support import FIRST_TICK, message_ids, outbox, tick

BERLIN = ZoneInfo("Europe/Berlin")
NOW = "2026-03-03T08:05"  # 8 reminders + the weekly overview are due
AT = datetime(2026, 3, 3, 8, 5, tzinfo=BERLIN)


def set_batch(workspace: Path, size: int) -> None:
    """``[mail] zustellstapel = size`` in the workspace's config."""
    path = workspace / "config.toml"
    text = re.sub(r"\nzustellstapel = \d+", "", path.read_text(encoding="utf-8"))
    marker = "max_attempts = 8"
    assert marker in text
    path.write_text(text.replace(marker, f"{marker}\nzustellstapel = {size}", 1), "utf-8")


@contextmanager
def counting_commits(engine: Engine) -> Iterator[list[int]]:
    commits = [0]

    def counted(*_: Any) -> None:
        commits[0] += 1

    event.listen(engine, "commit", counted)
    try:
        yield commits
    finally:
        event.remove(engine, "commit", counted)


def _by_id(engine: Engine) -> dict[Hashable, OutboxMessage]:
    return {row.id: row for row in _rows(engine)}


def _rows(engine: Engine) -> list[OutboxMessage]:
    with Session(engine) as session:
        return list(
            session.execute(select(OutboxMessage).order_by(col(OutboxMessage.id))).scalars()
        )


def _audited(engine: Engine, action: str) -> int:
    with Session(engine) as session:
        query = select(func.count()).where(col(AuditEntry.action) == action)
        return int(session.execute(query).scalar_one())


# --- commits per message -----------------------------------------------------------------------


def drain_commits(workspace: Path, kind: str, sink: SmtpSink | None) -> tuple[int, int]:
    """(messages sent, commits) of one ``deliver`` of the first tick's messages."""
    app = _app(workspace, NOW)
    try:
        transport = (
            SmtpTransport("127.0.0.1", sink.port, "none", timeout=5)
            if sink is not None
            else MaildirTransport(workspace / "var" / "mail")
        )
        with counting_commits(app.engine) as commits:
            report = deliver(app.delivery, AT, transport)
        assert (report.sent, report.failed, report.deferred) == (FIRST_TICK, 0, 0)
        assert {r.status for r in _rows(app.engine)} == {"sent"}
        assert _audited(app.engine, "nachricht_gesendet") == FIRST_TICK  # one entry per message
        return report.sent, commits[0]
    finally:
        app.close()


def test_a_batch_needs_one_commit_per_message_where_one_at_a_time_needed_three(
    zyklus: Run, workspace: Path, smtp_sink: SmtpSink
) -> None:
    _ready(zyklus, workspace, smtp_sink)
    set_batch(workspace, 1)  # one message per claim: claim, hand-over and outcome each commit
    assert tick(zyklus, NOW, "--no-deliver")["enqueued"] == FIRST_TICK
    sent, single = drain_commits(workspace, "smtp", smtp_sink)
    assert single >= 3 * sent

    set_batch(workspace, 50)
    assert tick(zyklus, "2026-03-24T08:05", "--no-deliver")["enqueued"] > 0  # second reminders
    app = _app(workspace, "2026-03-24T08:05")
    try:
        due = [r for r in _rows(app.engine) if r.status == "pending"]
        with counting_commits(app.engine) as commits:
            report = deliver(app.delivery, datetime(2026, 3, 24, 8, 5, tzinfo=BERLIN))
        assert report.sent == len(due) and {r.status for r in _rows(app.engine)} == {"sent"}
    finally:
        app.close()
    # one hand-over per message carries the outcome before it; a fixed few per drain: the
    # stale check, the claim, the empty claim that carries the last outcome, the failure
    # report, the published audit head
    assert commits[0] <= report.sent + 5
    counts = Counter(message_ids(smtp_sink.messages))
    assert set(counts.values()) == {1}


def test_a_maildir_batch_also_needs_one_commit_per_message(zyklus: Run, workspace: Path) -> None:
    assert zyklus("init", now="2026-01-05T09:00").code == 0
    assert tick(zyklus, NOW, "--no-deliver")["enqueued"] == FIRST_TICK
    sent, commits = drain_commits(workspace, "maildir", None)
    assert commits <= sent + 5  # as over SMTP
    assert len(list((workspace / "var" / "mail" / "new").iterdir())) == FIRST_TICK


# --- a hand-over refused: the send is withdrawn -----------------------------------------------


def test_a_refused_hand_over_withdraws_the_message_and_the_connection_stays_usable(
    smtp_sink: SmtpSink,
) -> None:
    transport = SmtpTransport(smtp_sink.host, smtp_sink.port, "none", timeout=5)
    first = make_email(subject="Nicht übergeben")
    second = make_email(subject="Übergeben")

    async def go() -> None:
        async with transport:
            with pytest.raises(DeliveryError) as refused:
                await transport.send(
                    to_mime(first), "x@example.org", first.recipients, on_handover=lambda: False
                )
            assert refused.value.withdrawn and not refused.value.reached
            assert not refused.value.ambiguous
            await transport.send(
                to_mime(second), "x@example.org", second.recipients, on_handover=lambda: True
            )

    asyncio.run(go())
    assert [str(m.message["Subject"]) for m in smtp_sink.messages] == ["Übergeben"]
    assert smtp_sink.handler.data_started == 1 and transport.connections == 1


def test_a_maildir_write_is_withdrawn_when_the_hand_over_is_refused(tmp_path: Path) -> None:
    transport = MaildirTransport(tmp_path / "mail")
    email = make_email()

    async def go() -> None:
        with pytest.raises(DeliveryError) as refused:
            await transport.send(to_mime(email), "x", email.recipients, on_handover=lambda: False)
        assert refused.value.withdrawn

    asyncio.run(go())
    assert list((tmp_path / "mail" / "new").iterdir()) == []


def check_reservation_and_hand_over(engine: Engine) -> None:
    """A batch is only reserved; after the reservation another drain may take a message, and
    then the first drain's hand-over is refused and its held-back outcome is not written."""
    first = SqlOutbox(engine, "erster", batch_size=50)
    other = SqlOutbox(engine, "anderer")
    claimed = first.claim(AT, 50)
    assert len(claimed) == FIRST_TICK
    assert {r.lease_until for r in _rows(engine)} == {AT + RESERVATION}
    assert other.claim(AT + RESERVATION - timedelta(seconds=1), 50) == []  # reserved

    one, two, three, *_ = claimed
    assert first.hand_over(one.id, AT, AT + timedelta(hours=1), retry=False)
    assert first.mark_sent(one.id, AT, {}) is True  # held back until the next transaction
    row = _by_id(engine)[one.id]
    assert (row.status, row.lease_until) == ("ungewiss", AT + first.lease)  # the send's lease
    assert _audited(engine, "nachricht_gesendet") == 0

    after = AT + RESERVATION + timedelta(seconds=1)
    taken = {p.id for p in other.claim(after, 50)}
    assert taken == {p.id for p in claimed} - {one.id}  # not the one handed over
    assert first.hand_over(two.id, after, after + timedelta(hours=1), retry=False) is False
    rows = _by_id(engine)
    assert (rows[two.id].status, rows[two.id].lease_owner) == ("pending", "anderer")
    assert rows[one.id].status == "sent"  # the held-back outcome went with that transaction
    assert _audited(engine, "nachricht_gesendet") == 1

    assert first.mark_failed(three.id, after, "550", attempted=True) is True  # held back …
    assert first.flush(after) == [three.id]  # … and not written: the other drain has it
    rows = _by_id(engine)
    assert (rows[three.id].status, rows[three.id].lease_owner) == ("pending", "anderer")
    assert _audited(engine, "nachricht_fehlgeschlagen") == 0


def test_a_reserved_message_taken_over_is_never_handed_over_twice(
    zyklus: Run, workspace: Path, smtp_sink: SmtpSink
) -> None:
    _ready(zyklus, workspace, smtp_sink)
    assert tick(zyklus, NOW, "--no-deliver")["enqueued"] == FIRST_TICK
    app = _app(workspace, NOW)
    try:
        check_reservation_and_hand_over(app.engine)
    finally:
        app.close()


def test_flush_releases_what_the_drain_reserved_but_did_not_hand_over(
    zyklus: Run, workspace: Path, smtp_sink: SmtpSink
) -> None:
    _ready(zyklus, workspace, smtp_sink)
    assert tick(zyklus, NOW, "--no-deliver")["enqueued"] == FIRST_TICK
    app = _app(workspace, NOW)
    try:
        first = SqlOutbox(app.engine, "erster", batch_size=50)
        one, *rest = first.claim(AT, 50)
        assert first.hand_over(one.id, AT, AT + timedelta(hours=1), retry=False)
        assert first.flush(AT) == []
        rows = _by_id(app.engine)
        assert rows.pop(one.id).lease_owner == "erster"  # in flight: keeps the send's lease
        assert {(r.status, r.lease_owner, r.lease_until) for r in rows.values()} == {
            ("pending", None, None)
        }
        assert len(SqlOutbox(app.engine, "anderer").claim(AT, 50)) == len(rest)
    finally:
        app.close()


class _TakenOverAtFirstSend:
    """The real SMTP transport; when the drain starts its first send, the clock jumps past the
    reservation and another drain claims ``count`` messages (the one being sent among them)."""

    def __init__(self, real: SmtpTransport, other: SqlOutbox, clock: list[datetime], count: int):
        self.real, self.other, self.clock, self.count = real, other, clock, count
        self.taken: list[str] = []

    @property
    def send_bound(self) -> float:
        return self.real.send_bound

    async def open(self) -> None:
        await self.real.open()

    async def close(self) -> None:
        await self.real.close()

    async def send(self, msg: Any, sender: str, recipients: Any, **hook: Any) -> Any:
        if not self.taken:
            self.clock[0] = AT + RESERVATION + timedelta(seconds=1)
            claimed = self.other.claim(self.clock[0], self.count)
            self.taken = [p.email.message_id for p in claimed]
        return await self.real.send(msg, sender, recipients, **hook)


def test_a_drain_skips_what_another_drain_took_after_the_reservation(
    zyklus: Run, workspace: Path, smtp_sink: SmtpSink
) -> None:
    _ready(zyklus, workspace, smtp_sink)
    assert tick(zyklus, NOW, "--no-deliver")["enqueued"] == FIRST_TICK
    app = _app(workspace, NOW)
    try:
        clock = [AT]
        first = SqlOutbox(app.engine, "erster", batch_size=50)
        real = SmtpTransport(smtp_sink.host, smtp_sink.port, "none", timeout=5)
        racing = _TakenOverAtFirstSend(real, SqlOutbox(app.engine, "anderer"), clock, 3)
        report = asyncio.run(drain(first, racing, "x@example.org", AT, clock=lambda: clock[0]))
        rows = _rows(app.engine)
    finally:
        app.close()
    assert len(racing.taken) == 3  # the message being sent and the next two
    assert (report.sent, report.superseded, report.failed) == (FIRST_TICK - 3, 3, 0)
    received = message_ids(smtp_sink.messages)
    assert len(received) == FIRST_TICK - 3 and not set(received) & set(racing.taken)
    for row in rows:  # the other drain holds its three, untouched; the rest sent once
        if row.message_id in racing.taken:
            assert (row.status, row.lease_owner, row.attempts) == ("pending", "anderer", 0)
        else:
            assert (row.status, row.lease_owner) == ("sent", None)
    assert real.connections == 1  # the withdrawn sends left the connection usable (RSET)


# --- kill -9 in the middle of a batch ---------------------------------------------------------


def kill_in_the_middle_of_a_batch(zyklus: Run, workspace: Path, sink: SmtpSink) -> None:
    """``zyklus run`` with batches of 4 killed while it sends the second batch."""
    set_batch(workspace, 4)
    sink.handler.data_delay = 0.15
    with running(workspace) as dienst:
        wait_until(lambda: len(sink.messages) >= 5, "five messages")
        dienst.process.send_signal(signal.SIGKILL)
        assert dienst.process.wait(10) == -signal.SIGKILL
    sink.handler.data_delay = 0
    time.sleep(0.3)  # let the sink keep (or drop) what was already on the wire
    arrived = set(message_ids(sink.messages))
    app = _app(workspace, NOW)
    try:
        rows = _rows(app.engine)
    finally:
        app.close()
    assert len(rows) == FIRST_TICK
    for row in rows:
        if row.message_id in arrived:  # sent: recorded, or ungewiss if the record was cut off
            assert row.status in ("sent", "ungewiss"), row
        elif row.status != "ungewiss":  # not sent: pending, at most reserved (no send's lease)
            assert row.status == "pending" and row.attempts == 0, row
            assert row.lease_until is None or row.lease_until <= AT + RESERVATION, row
    assert all(r.message_id in arrived for r in rows if r.status == "sent")
    unrecorded = [r for r in rows if r.status == "ungewiss"]
    assert len(unrecorded) <= 1  # only the message with the server when the kill came
    reserved = [r for r in rows if r.status == "pending" and r.lease_owner is not None]
    assert reserved, "the killed drain held a batch claimed ahead"

    # one minute on: the reservations ran out, everything pending goes out at once, once
    resumed = tick(zyklus, "2026-03-03T08:06")
    pending = sum(1 for r in rows if r.status == "pending")
    assert (resumed["sent"], resumed["failed"]) == (pending, 0)
    assert set(Counter(message_ids(sink.messages)).values()) == {1}  # nothing twice

    # the ungewiss one (if any) is retried once after the long wait, with its Message-ID
    assert tick(zyklus, "2026-03-03T09:10")["failed"] == 0
    final = outbox(zyklus, "2026-03-03T09:12")
    assert {r["status"] for r in final} == {"sent"}
    counts = Counter(message_ids(sink.messages))
    assert set(counts) == {r.message_id for r in rows}  # none lost
    assert {m for m, n in counts.items() if n > 1} <= {r.message_id for r in unrecorded}
    assert max(counts.values()) <= 2


def test_kill_9_in_the_middle_of_a_batch_loses_nothing_and_sends_nothing_twice(
    zyklus: Run, workspace: Path, smtp_sink: SmtpSink
) -> None:
    _ready(zyklus, workspace, smtp_sink)
    kill_in_the_middle_of_a_batch(zyklus, workspace, smtp_sink)
