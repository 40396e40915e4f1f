"""The delivery loop: backoff, outcomes per error kind, and real SMTP / Maildir deliveries."""

from __future__ import annotations

import asyncio
import mailbox
from collections.abc import Hashable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from email import policy
from email.parser import BytesParser
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from notifications.delivery import (
    OUTAGE_CAP,
    SEND_GRACE,
    DeliveryReport,
    OutboxPort,
    Pending,
    backoff,
    drain,
    later,
    outage_backoff,
    send_deadline,
)
from notifications.message import OutgoingEmail, message_id_for
from notifications.transports import (
    DeliveryError,
    MaildirTransport,
    RecordingTransport,
    SmtpTransport,
    Transport,
)
from tests.smtp_sink import SmtpSink, free_port, running_sink
from tests.smtp_sink import smtp_sink as smtp_sink  # the fixture

BERLIN = ZoneInfo("Europe/Berlin")
NOW = datetime(2026, 3, 3, 8, 0, tzinfo=BERLIN)
SENDER = "stadtteilarbeit@example.org"


@dataclass
class Row:
    email: OutgoingEmail
    status: str = "pending"
    attempts: int = 0
    next_attempt_at: datetime = NOW
    error: str | None = None
    refused: Mapping[str, str] = field(default_factory=dict)


class FakeOutbox:
    """In-memory OutboxPort with the SQL adapter's contract: the claim counts nothing, a mark
    counts the attempt only when it reached the server."""

    def __init__(self, *emails: OutgoingEmail) -> None:
        self.rows: dict[Hashable, Row] = {i: Row(e) for i, e in enumerate(emails, start=1)}
        self.claims = 0

    def claim(self, now: datetime, limit: int) -> list[Pending]:
        self.claims += 1
        due = [
            (key, row)
            for key, row in self.rows.items()
            if row.status == "pending" and row.next_attempt_at <= now
        ][:limit]
        for _, row in due:
            row.status = "sending"
        return [Pending(key, row.email, row.attempts, NOW) for key, row in due]

    def mark_sent(self, id: Hashable, now: datetime, refused: Mapping[str, str]) -> bool:
        row = self.rows[id]
        row.status, row.refused, row.attempts = "sent", dict(refused), row.attempts + 1
        return True

    def defer(
        self, id: Hashable, now: datetime, next_attempt_at: datetime, error: str, *, attempted: bool
    ) -> bool:
        row = self.rows[id]
        row.status, row.next_attempt_at, row.error = "pending", next_attempt_at, error
        row.attempts += attempted
        return True

    def mark_failed(self, id: Hashable, now: datetime, error: str, *, attempted: bool) -> bool:
        row = self.rows[id]
        row.status, row.error, row.attempts = "failed", error, row.attempts + attempted
        return True

    def statuses(self) -> list[str]:
        return [row.status for row in self.rows.values()]


def make_email(n: int = 1, **changes: object) -> OutgoingEmail:
    values: dict[str, object] = {
        "sender": "Koordinierungsstelle Stadtteilarbeit <stadtteilarbeit@example.org>",
        "to": ("Jürgen Müller <j.mueller@example.org>",),
        "cc": (),
        "subject": f"Erinnerung {n}: Jahresbericht Kaltenmoor – fällig am 31.12.2026",
        "text": "Guten Tag,\n\nbitte senden Sie den Jahresbericht.\n\nGrüße\n",
        "html": None,
        "message_id": message_id_for(
            [f"cycle:{n}|jahresbericht|2026-12-31|erinnerung|1"], "ex.org"
        ),
        "date": NOW,
    }
    values.update(changes)
    return OutgoingEmail(**values)  # type: ignore[arg-type]


def run_drain(
    outbox: OutboxPort,
    transport: Transport,
    now: datetime = NOW,
    *,
    max_attempts: int = 8,
    base_seconds: float = 60,
    batch_size: int = 100,
) -> DeliveryReport:
    return asyncio.run(
        drain(outbox, transport, SENDER, now, max_attempts, base_seconds, batch_size)
    )


def smtp(sink: SmtpSink) -> SmtpTransport:
    return SmtpTransport(sink.host, sink.port, "none", timeout=5)


@pytest.mark.parametrize(
    ("attempts", "seconds"),
    [(1, 60), (2, 120), (3, 240), (9, 15360), (10, 6 * 3600), (500, 6 * 3600)],
)
def test_backoff_doubles_from_the_base_and_is_capped_at_six_hours(
    attempts: int, seconds: int
) -> None:
    assert backoff(attempts, 60) == timedelta(seconds=seconds)


def test_backoff_refuses_nonsense() -> None:
    with pytest.raises(ValueError):
        backoff(0, 60)
    with pytest.raises(ValueError):
        backoff(1, 0)


def test_an_empty_outbox_does_not_even_connect() -> None:
    transport = RecordingTransport()
    assert run_drain(FakeOutbox(), transport) == DeliveryReport()
    assert transport.opened == 0 and transport.closed == 0


def test_all_batches_go_over_one_connection_and_are_marked_sent() -> None:
    outbox = FakeOutbox(*(make_email(n) for n in range(5)))
    transport = RecordingTransport()
    report = run_drain(outbox, transport, batch_size=2)
    assert (report.sent, report.failed, report.deferred) == (5, 0, 0)
    assert outbox.statuses() == ["sent"] * 5
    assert transport.closed == 1
    assert [s.recipients for s in transport.sent] == [("j.mueller@example.org",)] * 5
    assert outbox.claims == 6  # one claim per send, so each lease starts with its send; + 1


def test_a_temporary_error_defers_with_backoff_until_max_attempts_then_fails() -> None:
    outbox = FakeOutbox(make_email())
    temporary = DeliveryError("451 später", permanent=False)
    transport = RecordingTransport(errors=[temporary] * 3)
    first = run_drain(outbox, transport, max_attempts=3, base_seconds=60)
    assert (first.deferred, outbox.rows[1].next_attempt_at) == (1, NOW + timedelta(seconds=60))
    second = run_drain(outbox, transport, NOW + timedelta(seconds=60), max_attempts=3)
    assert second.deferred == 1
    assert outbox.rows[1].next_attempt_at == NOW + timedelta(seconds=180)
    third = run_drain(outbox, transport, NOW + timedelta(hours=1), max_attempts=3)
    assert (third.failed, third.failed_ids) == (1, (1,))
    assert outbox.rows[1].status == "failed" and outbox.rows[1].error == "451 später"
    assert outbox.rows[1].attempts == 3


def test_a_permanent_error_fails_at_once_and_the_others_are_still_sent() -> None:
    outbox = FakeOutbox(make_email(1), make_email(2))
    transport = RecordingTransport(errors=[DeliveryError("550 unbekannt", permanent=True)])
    report = run_drain(outbox, transport)
    assert (report.sent, report.failed, report.failed_ids) == (1, 1, (1,))
    assert outbox.statuses() == ["failed", "sent"]


def test_no_connection_defers_every_claimed_message_even_at_max_attempts() -> None:
    outbox = FakeOutbox(make_email(1), make_email(2))
    outbox.rows[2].attempts = 7
    down = DeliveryError("SMTP-Server nicht erreichbar", permanent=False, connection=True)
    transport = RecordingTransport(open_error=down)
    report = run_drain(outbox, transport, max_attempts=8)
    assert (report.sent, report.failed, report.deferred) == (0, 0, 2)
    assert report.connection_error == "SMTP-Server nicht erreichbar"
    assert outbox.statuses() == ["pending", "pending"]
    assert [row.attempts for row in outbox.rows.values()] == [0, 7]  # nothing counted
    assert not transport.sent


def test_a_connection_lost_mid_batch_defers_the_rest_without_trying_them() -> None:
    outbox = FakeOutbox(make_email(1), make_email(2), make_email(3))
    gone = DeliveryError("Verbindung weg", permanent=False, connection=True)
    transport = RecordingTransport()
    transport.errors = [gone]
    report = run_drain(outbox, transport)
    assert (report.sent, report.deferred) == (0, 3)
    assert transport.closed == 1


def test_drain_refuses_a_naive_now() -> None:
    with pytest.raises(ValueError):
        run_drain(FakeOutbox(), RecordingTransport(), datetime(2026, 3, 3, 8, 0))


def test_a_451_from_a_real_server_defers_and_the_retry_carries_the_same_message_id(
    smtp_sink: SmtpSink,
) -> None:
    smtp_sink.handler.refuse_next(1, "451 4.3.2 Bitte später erneut versuchen")
    outbox = FakeOutbox(make_email())
    first = run_drain(outbox, smtp(smtp_sink))
    assert (first.sent, first.deferred) == (0, 1)
    assert "451" in (outbox.rows[1].error or "")
    later = run_drain(outbox, smtp(smtp_sink), outbox.rows[1].next_attempt_at)
    assert later.sent == 1
    (received,) = smtp_sink.messages
    assert received.message["Message-ID"] == make_email().message_id


def test_a_550_from_a_real_server_fails_permanently(smtp_sink: SmtpSink) -> None:
    smtp_sink.handler.refuse_recipient("j.mueller@example.org", "550 5.1.1 Postfach unbekannt")
    outbox = FakeOutbox(make_email())
    report = run_drain(outbox, smtp(smtp_sink))
    assert (report.failed, report.failed_ids) == (1, (1,))
    assert "550 5.1.1 Postfach unbekannt" in (outbox.rows[1].error or "")
    assert not smtp_sink.messages


def test_a_partial_refusal_is_sent_and_recorded(smtp_sink: SmtpSink) -> None:
    smtp_sink.handler.refuse_recipient("weg@example.org", "550 5.1.1 Postfach unbekannt")
    email = make_email(cc=("weg@example.org",))
    outbox = FakeOutbox(email)
    report = run_drain(outbox, smtp(smtp_sink))
    assert report.sent == 1
    assert report.refused == {1: {"weg@example.org": "550 5.1.1 Postfach unbekannt"}}
    assert outbox.rows[1].refused == {"weg@example.org": "550 5.1.1 Postfach unbekannt"}
    assert smtp_sink.messages[0].rcpt_tos == ["j.mueller@example.org"]


def test_smtp_down_defers_everything_and_a_later_drain_delivers_it_all() -> None:
    port = free_port()
    outbox = FakeOutbox(make_email(1), make_email(2), make_email(3))
    down = run_drain(outbox, SmtpTransport("127.0.0.1", port, "none", timeout=2))
    assert (down.sent, down.failed, down.deferred) == (0, 0, 3)
    assert down.connection_error is not None and "nicht erreichbar" in down.connection_error
    with running_sink(port=port) as sink:
        up = run_drain(outbox, smtp(sink), NOW + timedelta(minutes=5))
        assert up.sent == 3
        subjects = sorted(m.message["Subject"] for m in sink.messages)
    assert subjects == [make_email(n).subject for n in (1, 2, 3)]
    assert outbox.statuses() == ["sent"] * 3


def test_maildir_delivery_is_readable_with_the_mailbox_module(tmp_path: Path) -> None:
    folder = tmp_path / "var" / "mail"
    outbox = FakeOutbox(make_email(1), make_email(2))
    report = run_drain(outbox, MaildirTransport(folder))
    assert report.sent == 2
    for sub in ("cur", "new", "tmp"):
        assert (folder / sub).is_dir()
    box = mailbox.Maildir(folder, create=False)
    parsed = [
        BytesParser(policy=policy.default).parsebytes(box.get_bytes(k)) for k in box.iterkeys()
    ]
    assert sorted(m["Subject"] for m in parsed) == [make_email(n).subject for n in (1, 2)]
    assert all(m["To"].addresses[0].display_name == "Jürgen Müller" for m in parsed)
    assert {m["Message-ID"] for m in parsed} == {make_email(n).message_id for n in (1, 2)}


def test_an_unwritable_maildir_defers_instead_of_losing_mail(tmp_path: Path) -> None:
    blocker = tmp_path / "datei"
    blocker.write_text("kein Ordner", encoding="utf-8")
    outbox = FakeOutbox(make_email())
    report = run_drain(outbox, MaildirTransport(blocker / "mail"))
    assert (report.sent, report.deferred) == (0, 1)
    assert outbox.statuses() == ["pending"]


@pytest.mark.parametrize("base", [21600, 10**21, 10**400, 1e300])
def test_a_huge_base_is_capped_without_overflow(base: float) -> None:
    assert backoff(1, base) == backoff(10**9, base) == timedelta(hours=6)
    assert outage_backoff(timedelta(days=10**5), base) == OUTAGE_CAP


@pytest.mark.parametrize(
    ("waited", "seconds"),
    [
        (timedelta(0), 60),
        (timedelta(minutes=1), 60),
        (timedelta(minutes=10), 300),
        (timedelta(hours=4), 900),
        (timedelta(minutes=-5), 60),
    ],
)
def test_the_outage_backoff_grows_with_the_wait_and_is_capped(
    waited: timedelta, seconds: int
) -> None:
    assert outage_backoff(waited, 60) == timedelta(seconds=seconds)


def test_later_saturates_instead_of_overflowing() -> None:
    end = datetime(9999, 12, 31, 20, 0, tzinfo=BERLIN)
    assert later(end, timedelta(hours=6)) == datetime.max.replace(tzinfo=UTC)
    assert later(NOW, timedelta(hours=6)) == NOW + timedelta(hours=6)


def test_a_451_with_a_huge_retry_base_defers_by_the_cap() -> None:
    outbox = FakeOutbox(make_email())
    transport = RecordingTransport(errors=[DeliveryError("451 später", permanent=False)])
    report = asyncio.run(drain(outbox, transport, SENDER, NOW, base_seconds=10**21))
    assert report.deferred == 1
    assert outbox.rows[1].next_attempt_at == NOW + timedelta(hours=6)


def test_an_unreachable_server_never_uses_up_retries_and_the_first_real_451_defers() -> None:
    outbox = FakeOutbox(make_email())
    down = DeliveryError("nicht erreichbar", permanent=False, connection=True)
    now = NOW
    for _ in range(20):  # far more than max_attempts
        transport = RecordingTransport(open_error=down)
        assert run_drain(outbox, transport, now, max_attempts=2).deferred == 1
        now = outbox.rows[1].next_attempt_at
    assert (outbox.rows[1].status, outbox.rows[1].attempts) == ("pending", 0)
    greylisted = RecordingTransport(errors=[DeliveryError("451 später", permanent=False)])
    assert run_drain(outbox, greylisted, now, max_attempts=2).deferred == 1
    assert (outbox.rows[1].status, outbox.rows[1].attempts) == ("pending", 1)
    report = run_drain(outbox, RecordingTransport(), outbox.rows[1].next_attempt_at, max_attempts=2)
    assert report.sent == 1 and outbox.rows[1].attempts == 2


def test_a_send_that_overruns_its_bound_is_cut_off_and_counted_as_an_attempt() -> None:
    outbox = FakeOutbox(make_email())
    transport = RecordingTransport(send_bound=0.05, delay=SEND_GRACE + 30)
    elapsed = asyncio.run(_timed_drain(outbox, transport))
    assert elapsed < SEND_GRACE + 1  # cut off at the deadline, not waited for
    assert send_deadline(transport) == timedelta(seconds=0.05 + SEND_GRACE)
    row = outbox.rows[1]
    assert (row.status, row.attempts, transport.sent) == ("pending", 1, [])
    assert "Zeitüberschreitung" in (row.error or "")


async def _timed_drain(outbox: FakeOutbox, transport: RecordingTransport) -> float:
    loop = asyncio.get_running_loop()
    start = loop.time()
    await drain(outbox, transport, SENDER, NOW)
    return loop.time() - start


def test_a_message_that_cannot_be_built_fails_without_counting_an_attempt() -> None:
    outbox = FakeOutbox(make_email(to=("kein Empfänger <>",)))
    transport = RecordingTransport()
    report = run_drain(outbox, transport)
    assert report.failed == 1 and not transport.sent
    assert (outbox.rows[1].error or "").startswith("Nachricht fehlerhaft")
    assert outbox.rows[1].attempts == 0
