"""Scenario ``kills``: ``zyklus run`` killed with SIGKILL at random moments during delivery.

The sink keeps every message at once; it answers end-of-DATA of every third message (at random)
only after 50–400 ms. So most kills fall while a message is with the server and zyklus has not
heard the 250 or not yet recorded it — the case that makes a second copy — and the others
between a claim and the hand-over, or between two messages. After each kill the service is
restarted with its clock moved on by 1 minute (within the lease of the message in flight),
20 minutes (after the lease, before the 60-minute wait of an ``ungewiss`` message) or 2 hours
(after both).

Where a kill falls. The drain takes the longest-due message first (``next_attempt_at``, then
id), so the one retry of an ``ungewiss`` message — due an hour after its hand-over — comes after
every fresh message. A crash during that retry is the documented "failed, may have arrived"
case (``tests/test_outbox_ungewiss.py``) and would break "every message sent" by design, so a
kill always comes while the service is still among the fresh messages, and the retries fall to
the last service, which is not killed.

Sized from the number of kills, for any seed. A service is killed up to 0.3 s after its DATA
number ``point`` started; the sink holds its answer to DATA ``point + REACH`` (``soak.hold``),
so a killed service takes at most ``point + REACH`` fresh messages (the DATA it started, or one
fewer and one claimed), however fast the machine. With ``kills_left × (REACH + 1)`` fresh
messages before a kill, ``point`` is drawn at most ``fresh − kills_left × (REACH + 1) + 1``,
which leaves ``(kills_left − 1) × (REACH + 1)`` for the rest: by induction all kills happen
when the campaign starts with ``kills × (REACH + 1)`` due messages (20 × 9 = 180; 300 pairings
give 361). Too few pairings for ``--kills`` fail at once, before the first kill.

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
from soak.hold import HoldingHandler
from soak.support import (
    ACTIVE,
    START,
    Workspace,
    check,
    claim_order,
    no_tracebacks,
    poll,
    progress,
    stamp,
)
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
# the sink holds its answer to the REACH-th DATA after the planned one: a kill uses up at most
# ``point + REACH`` fresh messages (rarely reached: REACH quick messages within 0.3 s)
REACH = 8
STARTUP = 120.0  # seconds for a service to start, tick and reach the DATA a kill waits for


def needed(kills: int) -> int:
    """Fresh messages due at the start that are enough for ``kills`` kills, whatever the seed."""
    return kills * (REACH + 1)


def _stall(rng: Random) -> float:
    """Every third message (at random) is answered after 50–400 ms, the others at once."""
    return rng.uniform(0.05, 0.4) if rng.random() < 1 / 3 else 0.0


def fresh(ws: Workspace, now: datetime) -> int:
    """How many messages a drain at ``now`` sends before it could reach an ``ungewiss`` retry:
    the claimable rows that come, in its claim order, before every ``ungewiss`` row — due or
    not, as one that falls due sorts before the rows that were due later than it."""
    retries = [claim_order(row) for row in ws.rows() if row.status == "ungewiss"]
    first = min(retries, default=None)
    due = ws.claimable(now)
    return sum(1 for row in due if first is None or claim_order(row) < first)


def _kill_point(available: int, kills_left: int, now: datetime, rng: Random) -> int:
    """After which DATA (counted from its start) the service at ``now`` is killed.

    ``available`` fresh messages must hold ``REACH + 1`` for this and every later kill
    (module docstring); the point is drawn from up to twice the fair share of the rest, so the
    kills spread over the whole drain, and never further than that reserve allows.
    """
    check(
        available >= needed(kills_left),
        f"{available} fresh messages due at {stamp(now)} for {kills_left} more kills "
        f"(each needs {REACH + 1}, and the earlier kills left that many): a message left "
        "the fresh ones without a DATA, or a kill came after the sink held its answer",
    )
    latest = available - needed(kills_left) + 1
    share = 2 * (available - kills_left * REACH) // (kills_left + 1)
    return 1 + rng.randrange(max(1, min(latest, share)))


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
    # a batch is reserved (pending) ahead of its sends; only one message is ever handed over
    # without its outcome written (``cycle.mail.outbox``: the outcome rides on the next one)
    handed = [r for r in held if r.status == "ungewiss"]
    check(len(handed) <= 1, f"one drain left {len(handed)} hand-overs: {[r.id for r in handed]}")
    if not handed:
        return "claimed, before the hand-over" if held else "between two messages"
    row = handed[0]
    if row.message_id in message_ids(sink.messages):
        return "after the hand-over, kept by the server, not yet marked sent"
    return "after the hand-over, not yet at the server"


def campaign(
    ws: Workspace,
    sink: SmtpSink,
    handler: HoldingHandler,
    figures: Figures,
    kills: int,
    rng: Random,
) -> None:
    """``sink`` answers with ``handler``."""
    check(sink.handler is handler, "the kills need the sink's own HoldingHandler")
    started = time.monotonic()
    ws.tick(START, "--no-deliver")
    at_start = fresh(ws, START)
    check(
        at_start >= needed(kills),
        f"{at_start} messages due at {stamp(START)}: {kills} kills need {needed(kills)} "
        "(raise --pairings)",
    )
    handler.stalls = [_stall(rng) for _ in range(20_000)]
    now, moments, restarts, held = START, Counter[str](), Counter[str](), 0
    for kill in range(kills):
        point = _kill_point(fresh(ws, now), kills - kill, now, rng)
        base = handler.data_started
        handler.hold(base + point + REACH)
        with running(ws.folder, stamp(now)) as dienst:
            _wait_for_data(sink, dienst, base + point, kill + 1)
            time.sleep(rng.uniform(0.0, rng.choice(JITTERS)))
            dienst.process.send_signal(signal.SIGKILL)
            code = dienst.process.wait(10)
        no_tracebacks(dienst.lines, f"zyklus run at {stamp(now)}")
        log = "\n".join(dienst.lines[-10:])
        check(code == -signal.SIGKILL, f"kill {kill + 1}: the service ended ({code}) first:\n{log}")
        time.sleep(0.3)  # let the sink take what was already on the wire
        held += handler.data_started >= base + point + REACH
        handler.hold(None)
        moments[_moment(ws, dienst, sink)] += 1
        step = rng.choice(sorted(RESTARTS))
        restarts[step] += 1
        now += RESTARTS[step]
        progress(f"kill {kill + 1}/{kills} at DATA {point}: {len(sink.messages)} copies so far")
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
            f"{at_start} messages due at the start, {kills} kills need {needed(kills)}; "
            f"{held} kills came while the sink held DATA point + {REACH}",
            "kill moments: " + ", ".join(f"{n} {what}" for what, n in moments.most_common()),
            "restarts: " + ", ".join(f"{n} {what}" for what, n in sorted(restarts.items())),
            f"{doubled} Message-IDs delivered twice (a kill after the hand-over), "
            f"{sum(1 for n in received.values() if n > 2)} more often",
        ]
