"""Scenario ``two``: two ``zyklus run`` on one database drain one outbox at the same time.

Three rounds on one database, each at a morning when every pairing gets a message (the reminders
28 and 7 days before 31 March, the escalation the day after). In each round both services start
together with the same frozen clock, so both start-up ticks enqueue the same notifications (the
keys are unique: one outbox row each) and both drains claim from one outbox while the sink
answers each DATA after a random 0–30 ms. Once both say „Dienst läuft“ the soak waits until
nothing is due any more (a claim that meets a locked database gives up; the minute's drain takes
over), then stops both with SIGTERM.

Checked: every message sent and in the sink once — a second copy only for a message with a
recorded unknown outcome (``nachricht_ungewiss``, the documented case); 1 ≤ attempts ≤ copies;
both services exit 0 without a traceback; ``zyklus audit verify`` passes.
"""

from __future__ import annotations

import re
import signal
import time
from collections import Counter
from datetime import datetime
from random import Random

from soak.figures import Figures, verify_delivery
from soak.support import BERLIN, Workspace, check, no_tracebacks, poll, progress, stamp
from tests.smtp_sink import SmtpSink
from tests.test_service import running
from tests.test_tick_support import message_ids

ROUNDS = (
    datetime(2026, 3, 3, 8, 5, tzinfo=BERLIN),  # 28 days before the Auftaktgespräch is due
    datetime(2026, 3, 24, 8, 5, tzinfo=BERLIN),  # 7 days before
    datetime(2026, 4, 1, 8, 5, tzinfo=BERLIN),  # escalation level 1
)
STARTUP = 300.0
DRAINED = 150.0  # the minute's drain takes over from a claim that met a lock
SENT = re.compile(r"zugestellt (\d+)")


def _sent(lines: list[str]) -> int:
    return sum(int(m.group(1)) for line in lines for m in SENT.finditer(line))


def _count(lines: list[str], text: str) -> int:
    return sum(1 for line in lines if text in line)


def two_services(ws: Workspace, sink: SmtpSink, figures: Figures, rng: Random) -> None:
    started = time.monotonic()
    sink.handler.stalls = [rng.uniform(0.0, 0.03) for _ in range(20_000)]
    shares: list[tuple[int, int]] = []
    superseded = locked = 0
    for at in ROUNDS:
        with running(ws.folder, stamp(at)) as first, running(ws.folder, stamp(at)) as second:
            first.wait_for("Dienst läuft", STARTUP)
            second.wait_for("Dienst läuft", STARTUP)
            poll(
                lambda at=at: not ws.claimable(at),  # type: ignore[misc]
                f"the outbox to be drained at {stamp(at)}",
                DRAINED,
                step=0.5,
            )
            codes = (first.stop(signal.SIGTERM, 60), second.stop(signal.SIGTERM, 60))
        for name, service in (("first", first), ("second", second)):
            no_tracebacks(service.lines, f"the {name} zyklus run at {stamp(at)}")
        check(codes == (0, 0), f"SIGTERM at {stamp(at)}: exit codes {codes}")
        shares.append((_sent(first.lines), _sent(second.lines)))
        lines = first.lines + second.lines
        superseded += _count(lines, "von einem anderen Prozess übernommen")
        locked += _count(lines, "gesperrt")
        progress(f"round {stamp(at)}: sent {shares[-1][0]} + {shares[-1][1]}")
    ws.zyklus("audit", "verify", now=ROUNDS[-1])
    figures.seconds = time.monotonic() - started
    received = Counter(message_ids(sink.messages))
    rows = ws.rows()
    ungewiss = ws.ungewiss_ids()
    figures.notes += [
        f"{len(ROUNDS)} rounds; sent by the first / second service: "
        + ", ".join(f"{a} / {b}" for a, b in shares),
        f"{superseded} outcomes dropped as taken over by the other, {locked} lock messages, "
        f"{len(ungewiss)} unknown outcomes",
    ]
    verify_delivery(figures, rows, received, max_copies=2)
    doubled = {m for m, n in received.items() if n > 1}
    check(doubled <= ungewiss, f"delivered twice without an unknown outcome: {doubled - ungewiss}")
    check(sum(a + b for a, b in shares) == len(rows), f"logged sends {shares} ≠ {len(rows)} rows")
