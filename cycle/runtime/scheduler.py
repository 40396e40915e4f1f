"""APScheduler 3.x wiring for ``zyklus run``: when the jobs fire, not what they do.

Three jobs, all plain callables (the work lives in ``cycle.runtime.service``):

- ``tick``: the reconciliation pass at ``send_time`` local time, Monday to Friday (the tick
  itself finds nothing on public holidays);
- ``catch_up``: the same pass every five minutes (after a late start, a suspended machine or an
  event, nothing waits for the next morning);
- ``drain``: the outbox delivery every minute;
- ``loeschen``: the retention rules (SPEC §18) once a day at 03:30 local time.

The job store is in memory and never shared: the database is the source of truth, and the
service runs one tick at start-up, so a missed or coalesced fire loses nothing. Every job has
``coalesce=True`` and ``max_instances=1``; the grace times let a late fire still run (a sleeping
laptop, a busy pool) instead of being dropped silently after APScheduler's default of 1 s.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import time
from zoneinfo import ZoneInfo

from apscheduler.executors.pool import ThreadPoolExecutor
from apscheduler.jobstores.memory import MemoryJobStore
from apscheduler.schedulers.background import BackgroundScheduler
from apscheduler.schedulers.base import BaseScheduler
from apscheduler.triggers.cron import CronTrigger
from apscheduler.triggers.interval import IntervalTrigger

BERLIN = ZoneInfo("Europe/Berlin")
CATCH_UP_MINUTES = 5
DRAIN_MINUTES = 1
# Seconds a fire may be late and still run (then ``coalesce`` folds missed fires into one).
GRACE_TICK = 3600
GRACE_CATCH_UP = CATCH_UP_MINUTES * 60
GRACE_DRAIN = DRAIN_MINUTES * 60

TICK, CATCH_UP, DRAIN, RETENTION = "tick", "catch_up", "drain", "loeschen"
RETENTION_AT = time(3, 30)  # after the night, outside the DST hour 02:00–03:00


@dataclass(frozen=True)
class Jobs:
    """The work the scheduler triggers; each callable takes no arguments and never raises."""

    tick: Callable[[], object]
    drain: Callable[[], object]
    retention: Callable[[], object] | None = None


def tick_trigger(send_time: time, tz: ZoneInfo = BERLIN) -> CronTrigger:
    """``send_time`` local time (DST-correct), Monday to Friday."""
    return CronTrigger(
        day_of_week="mon-fri", hour=send_time.hour, minute=send_time.minute, timezone=tz
    )


def build_scheduler(
    jobs: Jobs,
    send_time: time,
    tz: ZoneInfo = BERLIN,
    scheduler_class: type[BaseScheduler] = BackgroundScheduler,
) -> BaseScheduler:
    """A configured, not yet started scheduler with the three jobs."""
    scheduler = scheduler_class(
        jobstores={"default": MemoryJobStore()},
        executors={"default": ThreadPoolExecutor(max_workers=3)},
        job_defaults={"coalesce": True, "max_instances": 1},
        timezone=tz,
    )
    scheduler.add_job(
        jobs.tick,
        tick_trigger(send_time, tz),
        id=TICK,
        name="Durchlauf zur Versandzeit",
        misfire_grace_time=GRACE_TICK,
    )
    scheduler.add_job(
        jobs.tick,
        IntervalTrigger(minutes=CATCH_UP_MINUTES, timezone=tz),
        id=CATCH_UP,
        name="Nachholdurchlauf",
        misfire_grace_time=GRACE_CATCH_UP,
    )
    scheduler.add_job(
        jobs.drain,
        IntervalTrigger(minutes=DRAIN_MINUTES, timezone=tz),
        id=DRAIN,
        name="Zustellung des Postausgangs",
        misfire_grace_time=GRACE_DRAIN,
    )
    if jobs.retention is not None:
        scheduler.add_job(
            jobs.retention,
            CronTrigger(hour=RETENTION_AT.hour, minute=RETENTION_AT.minute, timezone=tz),
            id=RETENTION,
            name="Löschung nach Aufbewahrungsfristen",
            misfire_grace_time=GRACE_TICK,
        )
    return scheduler
