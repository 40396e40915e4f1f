"""Scenario ``kills``: ``zyklus run`` killed with SIGKILL at random moments during delivery.

The sink keeps every message at once; it answers end-of-DATA of every third message (at random)
only after 50–400 ms. So most kills fall while a message is with the server and zyklus has not
heard the 250 or not yet recorded it — the case that makes a second copy — and the others
between a claim and the hand-over, or between two messages. After each kill the service is
restarted with its clock moved on by 1 minute (within the lease of the message in flight),
20 minutes (after the lease, before the 60-minute wait of an ``ungewiss`` message) or 2 hours
(after both). A kill comes only once the restarted service has finished the ``ungewiss``
retries due at its start: a crash during that one retry is the documented "failed, may have
arrived" case (``tests/test_outbox_ungewiss.py``), which would break "every message sent" by
design.

Checked at the end: every outbox message sent and in the sink (0 lost), no Message-ID more than
twice and no more second copies than kills, for every message 1 ≤ attempts ≤ copies received
(no attempt counted that was not made); no traceback in any service's log; ``zyklus audit
verify`` passes.
"""

from __future__ import annotations

import signal
import time
from collections import Counter
from datetime import datetime, timedelta
from random import Random

from soak.figures import Figures, verify_delivery
from soak.support import ACTIVE, START, Workspace, check, no_tracebacks, poll, progress, stamp
from tests.smtp_sink import SmtpSink
from tests.test_service import Service, running
from tests.test_tick_support import message_ids

RESTARTS = {
    "within the lease": timedelta(minutes=1),
    "after the lease": timedelta(minutes=20),
    "after the ungewiss wait": timedelta(hours=2),
}
FINAL = timedelta(hours=2)
# the kill comes this long (at most) after a DATA started: at once (before its mark), within
# the few milliseconds of a mark, claim and hand-over, or across a few messages
JITTERS = (0.0, 0.03, 0.3)
STARTUP = 120.0  # seconds for a service to start, tick and reach the DATA a kill waits for


def _stall(rng: Random) -> float:
    """Every third message (at random) is answered after 50–400 ms, the others at once."""
    return rng.uniform(0.05, 0.4) if rng.random() < 1 / 3 else 0.0


def _kill_point(ws: Workspace, now: datetime, kills_left: int, rng: Random) -> int:
    """How many DATA transactions the service at ``now`` may start before it is killed."""
    due = ws.claimable(now)
    # the drain claims in id order: every due ungewiss retry is done once DATA number
    # ``retries + 1`` has started (one message at a time)
    retries = max((i + 1 for i, row in enumerate(due) if row.status == "ungewiss"), default=0)
    spare = len(due) - retries - 1
    check(spare > 0, f"{len(due)} messages due at {stamp(now)}: too few to kill during delivery")
    spread = max(1, min(spare, 2 * spare // (kills_left + 1)))
    return retries + 1 + rng.randrange(spread)


def _wait_for_data(sink: SmtpSink, dienst: Service, count: int, kill: int) -> None:
    """Until the sink has seen ``count`` DATA in all (or the service ended on its own)."""
    poll(
        lambda: sink.handler.data_started >= count or dienst.process.poll() is not None,
        f"DATA number {count} in the sink before kill {kill}",
        STARTUP,
        step=0.001,
    )


def _moment(ws: Workspace, dienst: Service, sink: SmtpSink) -> str:
    """Where the killed service was: the message it held a lease on, and whether it arrived."""
    mine = f":{dienst.process.pid}:"
    held = [r for r in ws.rows() if r.status in ACTIVE and mine in (r.lease_owner or "")]
    if not held:
        return "between two messages"
    check(len(held) == 1, f"one drain holds {len(held)} leases: {[r.id for r in held]}")
    row = held[0]
    if row.status == "pending":
        return "claimed, before the hand-over"
    if row.message_id in message_ids(sink.messages):
        return "after the hand-over, kept by the server, not yet marked sent"
    return "after the hand-over, not yet at the server"


def campaign(ws: Workspace, sink: SmtpSink, figures: Figures, kills: int, rng: Random) -> None:
    started = time.monotonic()
    ws.tick(START, "--no-deliver")
    sink.handler.stalls = [_stall(rng) for _ in range(20_000)]
    now, moments, restarts = START, Counter[str](), Counter[str]()
    for kill in range(kills):
        point = _kill_point(ws, now, kills - kill, rng)
        with running(ws.folder, stamp(now)) as dienst:
            _wait_for_data(sink, dienst, sink.handler.data_started + point, kill + 1)
            time.sleep(rng.uniform(0.0, rng.choice(JITTERS)))
            dienst.process.send_signal(signal.SIGKILL)
            code = dienst.process.wait(10)
        no_tracebacks(dienst.lines, f"zyklus run at {stamp(now)}")
        log = "\n".join(dienst.lines[-10:])
        check(code == -signal.SIGKILL, f"kill {kill + 1}: the service ended ({code}) first:\n{log}")
        time.sleep(0.3)  # let the sink take what was already on the wire
        moments[_moment(ws, dienst, sink)] += 1
        step = rng.choice(sorted(RESTARTS))
        restarts[step] += 1
        now += RESTARTS[step]
        progress(f"kill {kill + 1}/{kills}: {len(sink.messages)} copies so far")
    now += FINAL
    with running(ws.folder, stamp(now)) as final:
        final.wait_for("Dienst läuft", STARTUP)
        check(final.stop(signal.SIGTERM) == 0, "the last service did not exit 0 on SIGTERM")
    no_tracebacks(final.lines, "the last zyklus run")
    ws.zyklus("audit", "verify", now=now)
    figures.kills, figures.seconds = kills, time.monotonic() - started
    received = Counter(message_ids(sink.messages))
    try:
        verify_delivery(figures, ws.rows(), received, max_copies=2)
        extra = figures.copies - figures.messages
        check(extra <= kills, f"{extra} second copies from {kills} kills: one kill, one copy")
    finally:
        doubled = sum(1 for n in received.values() if n == 2)
        figures.notes += [
            "kill moments: " + ", ".join(f"{n} {what}" for what, n in moments.most_common()),
            "restarts: " + ", ".join(f"{n} {what}" for what, n in sorted(restarts.items())),
            f"{doubled} Message-IDs delivered twice (a kill after the hand-over), "
            f"{sum(1 for n in received.values() if n > 2)} more often",
        ]
