"""Delivery in batches on PostgreSQL (issue 22 item 8): the checks of
``tests/test_outbox_batches.py`` against a real PostgreSQL server."""

from __future__ import annotations

from pathlib import Path

from tests.conftest import Run
from tests.smtp_sink import SmtpSink
from tests.smtp_sink import smtp_sink as smtp_sink  # the fixture
from tests.test_outbox_batches import (
    NOW,
    check_reservation_and_hand_over,
    drain_commits,
    kill_in_the_middle_of_a_batch,
)
from tests.test_outbox_batches import (
    test_a_drain_skips_what_another_drain_took_after_the_reservation as drain_skips_taken,
)
from tests.test_service import _app, _ready
from tests.test_tick_support import FIRST_TICK, tick


def test_a_batch_on_postgresql_needs_one_commit_per_message(
    zyklus: Run, pg_url: str, workspace: Path, smtp_sink: SmtpSink
) -> None:
    _ready(zyklus, workspace, smtp_sink)
    assert tick(zyklus, NOW, "--no-deliver")["enqueued"] == FIRST_TICK
    sent, commits = drain_commits(workspace, "smtp", smtp_sink)
    assert sent == FIRST_TICK and commits <= sent + 5


def test_a_reserved_message_taken_over_on_postgresql_is_never_handed_over_twice(
    zyklus: Run, pg_url: str, workspace: Path, smtp_sink: SmtpSink
) -> None:
    _ready(zyklus, workspace, smtp_sink)
    assert tick(zyklus, NOW, "--no-deliver")["enqueued"] == FIRST_TICK
    app = _app(workspace, NOW)
    try:
        check_reservation_and_hand_over(app.engine)
    finally:
        app.close()


def test_a_drain_on_postgresql_skips_what_another_drain_took_after_the_reservation(
    zyklus: Run, pg_url: str, workspace: Path, smtp_sink: SmtpSink
) -> None:
    drain_skips_taken(zyklus, workspace, smtp_sink)


def test_kill_9_in_the_middle_of_a_batch_on_postgresql_loses_nothing(
    zyklus: Run, pg_url: str, workspace: Path, smtp_sink: SmtpSink
) -> None:
    _ready(zyklus, workspace, smtp_sink)
    kill_in_the_middle_of_a_batch(zyklus, workspace, smtp_sink)
