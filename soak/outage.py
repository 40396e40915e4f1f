"""Scenario ``outage``: three simulated days with the SMTP port closed, then a 451 storm.

``zyklus tick`` runs as a process with ``--now`` moved on by a random ½ to 5½ hours
while nothing listens on the configured port. Then an aiosmtpd sink opens on that port and
answers the next 3½ × (queued messages) transactions with 451 (greylisting), and a tick follows
every 30 minutes until the outbox is empty. The shipped ``max_attempts = 8`` stays.

Checked: during the outage nothing is sent or failed, no attempt is counted (the server was never
reached) and no message waits more than 15 minutes past a tick; after the storm every message is
sent exactly once, none failed, no Zustellfehler was raised, and the attempts in the outbox are
exactly the 451 refusals plus the deliveries.
"""

from __future__ import annotations

import time
from collections import Counter
from datetime import timedelta
from random import Random

from notifications.delivery import OUTAGE_CAP
from soak.figures import Figures, verify_delivery
from soak.support import ACTIVE, START, Workspace, check, progress, stamp
from tests.smtp_sink import running_sink
from tests.test_tick_support import message_ids

OUTAGE = timedelta(days=3)
STORM_STEP = timedelta(minutes=30)
MAX_STORM_TICKS = 20
GREYLISTED = "451 4.7.1 Greylisting, bitte später erneut versuchen"


def outage_then_storm(ws: Workspace, port: int, figures: Figures, rng: Random) -> None:
    started = time.monotonic()
    now, outage_ticks, longest = START, 0, timedelta(0)
    while now <= START + OUTAGE:
        report = ws.tick(now)
        outage_ticks += 1
        check(report["sent"] == report["failed"] == 0, f"tick at {stamp(now)}: {report}")
        rows = ws.rows()
        check(all(r.status in ACTIVE for r in rows), f"a message settled at {stamp(now)}")
        check(all(r.attempts == 0 for r in rows), f"an attempt counted at {stamp(now)}")
        longest = max([longest, *(r.next_attempt_at - now for r in rows)])
        check(longest <= OUTAGE_CAP, f"a message waits {longest} after {stamp(now)}")
        now += timedelta(minutes=rng.randint(30, 330))
    queued = len(ws.rows())
    storm = queued * 7 // 2
    progress(f"outage: {outage_ticks} ticks, {queued} messages queued; {storm} × 451 next")
    with running_sink(port=port) as sink:
        sink.handler.refuse_next(storm, GREYLISTED)
        storm_ticks = 0
        while any(r.status in ACTIVE for r in ws.rows()):
            check(storm_ticks < MAX_STORM_TICKS, f"still not delivered at {stamp(now)}")
            report = ws.tick(now)
            storm_ticks += 1
            check(report["failed"] == 0, f"tick at {stamp(now)} failed messages: {report}")
            now += STORM_STEP
        received = Counter(message_ids(sink.messages))
        refused = storm - sink.handler.refuse_remaining
    ws.zyklus("audit", "verify", now=now)
    figures.seconds = time.monotonic() - started
    rows = ws.rows()
    attempts = Counter(r.attempts for r in rows)
    figures.notes += [
        f"outage: {outage_ticks} ticks over {OUTAGE.days} days, no attempt counted, "
        f"longest wait {longest.total_seconds() / 60:.0f} min",
        f"storm: {refused} × 451 over {storm_ticks} ticks; attempts per message "
        + ", ".join(f"{n} × {a}" for a, n in sorted(attempts.items())),
    ]
    verify_delivery(figures, rows, received, max_copies=1, attempts_within_copies=False)
    check(refused == storm, f"only {refused} of {storm} refusals were used")
    check(
        figures.attempts == refused + figures.copies,
        f"attempts {figures.attempts} ≠ refusals {refused} + deliveries {figures.copies}",
    )
    notices = [r.message_id for r in rows if r.kind == "zustellfehler"]
    check(not notices, f"Zustellfehler raised: {notices}")
