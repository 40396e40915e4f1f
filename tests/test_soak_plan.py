"""``make soak``'s kill campaign is sized from its kills (issue 18 item 10): its plan, checked
against a machine that lets every killed service go as far as the sink allows, and the sink's
hold that sets that bound, against a real SMTP client."""

from __future__ import annotations

import smtplib
import threading
import time
from email.message import EmailMessage
from random import Random

import pytest

from soak.hold import HoldingHandler
from soak.kills import REACH, _kill_point, needed
from soak.support import START, Violation
from tests.smtp_sink import running_sink

KILLS = 20
DUE_WITH_300_PAIRINGS = 361  # messages due at soak.support.START (see docs/operations.md)


@pytest.mark.parametrize("seed", [707334, 1, 2, *range(100, 400)])
def test_every_kill_finds_its_messages_even_when_each_kill_uses_the_most_it_can(seed: int) -> None:
    rng, fresh = Random(f"{seed}/20 × kill -9/sqlite"), DUE_WITH_300_PAIRINGS
    for kill in range(KILLS):
        point = _kill_point(fresh, KILLS - kill, START, rng)
        assert point >= 1 and point + REACH <= fresh  # the held DATA is still a fresh message
        fresh -= point + REACH  # the sink holds DATA point + REACH: no service gets further
    assert fresh >= 0


@pytest.mark.parametrize("seed", [707334, 1, 2])
def test_kill_points_spread_over_the_drain_when_kills_use_little(seed: int) -> None:
    rng, fresh, points = Random(seed), DUE_WITH_300_PAIRINGS, []
    for kill in range(KILLS):
        points.append(_kill_point(fresh, KILLS - kill, START, rng))
        fresh -= points[-1]
    assert max(points) >= 2 * REACH and len(set(points)) >= KILLS // 2


def test_the_shipped_workload_is_enough_and_too_few_messages_are_refused_before_a_kill() -> None:
    assert needed(KILLS) <= DUE_WITH_300_PAIRINGS
    with pytest.raises(Violation, match="for 20 more kills"):
        _kill_point(needed(KILLS) - 1, KILLS, START, Random(0))
    assert _kill_point(needed(KILLS), KILLS, START, Random(0)) == 1


def _send(port: int, number: int, replies: list[tuple[int, float]]) -> None:
    message = EmailMessage()
    message["From"], message["To"], message["Subject"] = "a@example.org", "b@example.org", "x"
    message.set_content(f"Nachricht {number}")
    with smtplib.SMTP("127.0.0.1", port, timeout=10) as client:
        client.send_message(message)
        replies.append((number, time.monotonic()))


def test_the_sink_keeps_a_held_message_at_once_and_answers_only_when_released() -> None:
    handler = HoldingHandler()
    handler.hold(2)
    with running_sink(handler=handler) as sink:
        replies: list[tuple[int, float]] = []
        _send(sink.port, 1, replies)
        sender = threading.Thread(target=_send, args=(sink.port, 2, replies))
        sender.start()
        deadline = time.monotonic() + 5
        while len(sink.messages) < 2 and time.monotonic() < deadline:
            time.sleep(0.01)
        time.sleep(0.3)
        assert len(sink.messages) == 2 and [n for n, _ in replies] == [1]  # kept, not answered
        released = time.monotonic()
        handler.hold(None)
        sender.join(5)
    assert [n for n, _ in replies] == [1, 2] and replies[1][1] >= released
