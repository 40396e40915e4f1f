"""Unknown outcomes (issue 13 item 3) and the crash campaign in CI (item 7), against real parts.

A real aiosmtpd sink on 127.0.0.1 that keeps a message at once but answers end-of-DATA late,
real SQLite files, the CLI in-process with ``--now``, ``zyklus run`` as a subprocess for kills.
"""

from __future__ import annotations

import signal
import sqlite3
from collections import Counter
from pathlib import Path

from tests.conftest import Run
from tests.smtp_sink import SmtpSink
from tests.smtp_sink import smtp_sink as smtp_sink  # the fixture
from tests.test_service import _ready, running, wait_until
from tests.test_tick_support import (
    FIRST_TICK,
    KOORDINIERUNGSSTELLE,
    addresses,
    body,
    message_ids,
    outbox,
    tick,
)

NOW = "2026-03-03T08:05"


def _short_data_timeout(workspace: Path, seconds: int = 1) -> None:
    path = workspace / "config.toml"
    text = path.read_text(encoding="utf-8")
    text = text.replace(
        "timeout_seconds = 5", f"timeout_seconds = 5\ndata_timeout_seconds = {seconds}"
    )
    path.write_text(text, encoding="utf-8")


def _notices(sink: SmtpSink) -> list[str]:
    return [
        body(m)
        for m in sink.messages
        if str(m.message["Subject"]).startswith("Zustellfehler")
        and addresses(m, "To") == [KOORDINIERUNGSSTELLE]
    ]


def test_a_late_answer_to_end_of_data_is_ungewiss_and_retried_once_after_the_wait(
    zyklus: Run, workspace: Path, smtp_sink: SmtpSink
) -> None:
    _ready(zyklus, workspace, smtp_sink)
    _short_data_timeout(workspace)
    smtp_sink.handler.stalls = [3.0]  # the first message is kept, its 250 comes after 3 s
    first = tick(zyklus, NOW)
    assert (first["sent"], first["failed"], first["deferred"]) == (FIRST_TICK - 1, 0, 0)
    (row,) = outbox(zyklus, NOW, "ungewiss")
    assert row["attempts"] == 1 and "ungewiss" in row["last_error"]
    listing = zyklus("outbox", "--status", "ungewiss", now=NOW)
    assert listing.code == 0 and "ungewiss" in listing.out
    wait_until(lambda: len(smtp_sink.messages) == FIRST_TICK, "the late message to be stored")

    assert tick(zyklus, "2026-03-03T08:50")["sent"] == 0  # not before the 60 minutes
    assert tick(zyklus, "2026-03-03T09:06")["sent"] == 1  # the one retry, same Message-ID
    counts = Counter(message_ids(smtp_sink.messages))
    assert counts[row["message_id"]] == 2 and len(counts) == FIRST_TICK
    assert {r["status"] for r in outbox(zyklus, "2026-03-03T09:07")} == {"sent"}
    assert not _notices(smtp_sink)


def test_an_ungewiss_retry_that_fails_too_is_failed_and_the_notice_says_it_may_have_arrived(
    zyklus: Run, workspace: Path, smtp_sink: SmtpSink
) -> None:
    _ready(zyklus, workspace, smtp_sink)
    _short_data_timeout(workspace)
    smtp_sink.handler.stalls = [3.0]
    tick(zyklus, NOW)
    (row,) = outbox(zyklus, NOW, "ungewiss")
    wait_until(lambda: smtp_sink.handler.data_started == FIRST_TICK, "all DATA")
    smtp_sink.handler.stalls = [3.0]  # the retry is answered late as well
    report = tick(zyklus, "2026-03-03T09:06")
    assert report["failed"] == 1
    (failed,) = outbox(zyklus, "2026-03-03T09:07", "failed")
    assert failed["id"] == row["id"] and "möglicherweise" in failed["last_error"]
    wait_until(lambda: len(_notices(smtp_sink)) == 1, "the notice")
    (notice,) = _notices(smtp_sink)
    assert "möglicherweise trotzdem angekommen" in notice
    assert Counter(message_ids(smtp_sink.messages))[row["message_id"]] == 2  # never a third

    retried = zyklus("outbox", "retry", str(row["id"]), now="2026-03-03T09:10")
    assert retried.code == 0, retried.err


def _attempts(workspace: Path) -> dict[str, int]:
    with sqlite3.connect(workspace / "var" / "zyklus.db") as db:
        return dict(db.execute("SELECT message_id, attempts FROM outbox").fetchall())


def test_several_kill_9_against_a_slow_server_lose_nothing_and_deliver_nothing_thrice(
    zyklus: Run, workspace: Path, smtp_sink: SmtpSink
) -> None:
    """The reduced crash campaign: 4 × kill -9 while a DATA answer is stalled, then a restart."""
    _ready(zyklus, workspace, smtp_sink)
    hour = 8
    for _kill in range(4):
        started = smtp_sink.handler.data_started
        smtp_sink.handler.stalls = [0.0, 1.5]  # one answered, the next one kept but slow
        with running(workspace, f"2026-03-03T{hour:02d}:05") as dienst:
            wait_until(lambda s=started: smtp_sink.handler.data_started >= s + 2, "a stalled DATA")  # type: ignore[misc]
            dienst.process.send_signal(signal.SIGKILL)
            assert dienst.process.wait(10) == -signal.SIGKILL
        hour += 2  # past every lease and the 60-minute wait of the ungewiss ones
    smtp_sink.handler.stalls = []
    with running(workspace, f"2026-03-03T{hour:02d}:05") as final:
        final.wait_for("Dienst läuft")
        assert final.stop(signal.SIGTERM) == 0
    rows = outbox(zyklus, f"2026-03-03T{hour:02d}:06")
    counts = Counter(message_ids(smtp_sink.messages))
    assert {r["status"] for r in rows} == {"sent"}  # 0 lost
    assert set(counts) == {r["message_id"] for r in rows}
    assert max(counts.values()) <= 2  # never more than twice
    attempts = _attempts(workspace)
    for message_id, n in counts.items():  # no attempt counted that was not made
        assert 1 <= attempts[message_id] <= n
