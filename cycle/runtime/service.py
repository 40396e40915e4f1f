"""``zyklus run``: the long-running service (SPEC §7).

One tick at start-up, then ``scheduler`` fires ``tick_job`` (at ``send_time`` on working
days and every five minutes) and ``drain_job`` (every minute). Each job reads ``now`` from
``app.clock`` when it runs, logs one German line to stderr and never raises: a failing pass is
logged and the next one tries again. The database is the source of truth; two services on one
database never send a message twice, because ``SqlOutbox`` claims each message under a lease.

Shutdown: SIGTERM and SIGINT are blocked in every thread and taken with ``sigwait`` in the main
thread, so a signal never interrupts a pass half-way; the scheduler then stops and waits for the
running jobs before ``run`` returns 0.
"""

from __future__ import annotations

import logging
import signal
import threading
from collections.abc import Callable
from functools import partial

from cycle import german
from cycle.bootstrap import App
from cycle.clock import stopwatch
from cycle.logs import to_stderr
from cycle.persistence import evidence
from cycle.runtime.scheduler import CATCH_UP_MINUTES, Jobs, build_scheduler
from cycle.service.tick import TickReport
from notifications.delivery import DeliveryReport

log = logging.getLogger("zyklus.dienst")
STOP_SIGNALS = frozenset({signal.SIGTERM, signal.SIGINT})


def _stamp(app: App) -> str:
    return german.zeit_kurz(app.now(), app.calendar.timezone)


def heartbeat(app: App, tick_seconds: float | None = None) -> None:
    """Record the wake-up (and a tick's duration) for ``/readyz``, the banner and ``/metrics``."""
    from cycle.service.commands import Heartbeat
    from cycle.service.principal import Principal

    try:
        app.bus.handle(Heartbeat(tick_seconds), Principal.system())
    except Exception as exc:  # a locked database now: the next wake-up records it
        log.warning("Lebenszeichen %s fehlgeschlagen: %s: %s", _stamp(app), type(exc).__name__, exc)


def tick_job(app: App) -> TickReport | None:
    """One reconciliation pass at ``app.clock.now()`` with delivery; ``None`` if it failed."""
    from cycle.service.commands import Tick
    from cycle.service.principal import Principal

    heartbeat(app)
    elapsed = stopwatch()
    try:
        app.refresh_master_data()  # changed on the Stammdaten page since the last pass?
        report: TickReport = app.bus.handle(Tick(), Principal.system()).data["report"]
    except Exception as exc:  # the service keeps running; the next pass tries again
        log.error("Durchlauf %s fehlgeschlagen: %s: %s", _stamp(app), type(exc).__name__, exc)
        return None
    seconds = elapsed()
    heartbeat(app, seconds)
    log.info(
        "Durchlauf %s: %d Zyklen eröffnet, %d eingereiht, %d übersprungen; "
        "zugestellt %d, fehlgeschlagen %d, zurückgestellt %d.",
        _stamp(app),
        report.opened,
        report.enqueued,
        report.skipped,
        report.sent,
        report.failed,
        report.deferred,
        extra={
            "pass": "tick",
            "opened": report.opened,
            "enqueued": report.enqueued,
            "skipped": report.skipped,
            "sent": report.sent,
            "failed": report.failed,
            "deferred": report.deferred,
            "ms": round(seconds * 1000),
        },
    )
    return report


def drain_job(app: App) -> DeliveryReport | None:
    """Deliver what is due in the outbox at ``app.clock.now()``; ``None`` if it failed."""
    from cycle.mail.deliver import deliver

    heartbeat(app)
    now = app.now()
    try:
        result = deliver(app.delivery, now)
    except Exception as exc:
        log.error("Zustellung %s fehlgeschlagen: %s: %s", _stamp(app), type(exc).__name__, exc)
        return None
    moved = result.sent or result.failed or result.deferred
    log.log(
        logging.INFO if moved else logging.DEBUG,
        "Zustellung %s: zugestellt %d, fehlgeschlagen %d, zurückgestellt %d.%s",
        _stamp(app),
        result.sent,
        result.failed,
        result.deferred,
        f" Server: {result.connection_error}" if result.connection_error else "",
        extra={
            "pass": "drain",
            "sent": result.sent,
            "failed": result.failed,
            "deferred": result.deferred,
        },
    )
    return result


def retention_job(app: App) -> dict[str, int] | None:
    """``zyklus loeschen`` once a day (SPEC §18); ``None`` if it failed or was refused."""
    from cycle.service.commands import DeleteExpired
    from cycle.service.principal import Principal

    try:
        counts: dict[str, int] = app.bus.handle(DeleteExpired(), Principal.system()).data["counts"]
    except Exception as exc:  # e.g. an older chain not yet converted: said in the log daily
        log.error("Löschlauf %s nicht ausgeführt: %s", _stamp(app), exc)
        return None
    done = ", ".join(f"{label} {n}" for label, n in counts.items()) or "nichts fällig"
    log.info("Löschlauf %s: %s.", _stamp(app), done)
    return counts


def serve(app: App, wait_for_stop: Callable[[], object]) -> int:
    """Start-up tick, scheduler, then block in ``wait_for_stop``; stop cleanly; return 0."""
    send_time = app.settings.calendar.send_time
    log.info(
        "Dienst gestartet: Durchlauf werktags um %s Uhr und alle %d Minuten, "
        "Zustellung jede Minute.",
        f"{send_time:%H:%M}",
        CATCH_UP_MINUTES,
    )
    tick_job(app)
    jobs = Jobs(
        tick=partial(tick_job, app),
        drain=partial(drain_job, app),
        retention=partial(retention_job, app),
    )
    scheduler = build_scheduler(jobs, send_time, app.calendar.timezone)
    scheduler.start()
    log.info("Dienst läuft (beenden mit SIGTERM oder Strg+C).")
    try:
        reason = wait_for_stop()
        log.info("%s erhalten: warte auf laufende Aufträge …", _signal_name(reason))
    finally:
        scheduler.shutdown(wait=True)
    log.info("Dienst beendet.")
    return 0


def _signal_name(value: object) -> str:
    if isinstance(value, int):
        try:
            return signal.Signals(value).name
        except ValueError:
            pass
    return "Stoppsignal"


def configure_logging(fmt: str = "text") -> None:
    """One-line messages to stderr in ``[log] format``; APScheduler only reports warnings."""
    to_stderr(log, "zyklus", fmt)
    logging.getLogger("apscheduler").setLevel(logging.WARNING)


def run(app: App) -> int:
    """The ``zyklus run`` command: serve until SIGTERM or SIGINT, then exit 0."""
    configure_logging(app.settings.log.format)
    for path in evidence.sweep_partials(app.settings.var_dir):  # left by a killed writer
        log.info("unvollständige Nachweisdatei entfernt: %s", path)
    if not hasattr(signal, "pthread_sigmask"):  # not POSIX: handlers and an event
        return serve(app, _wait_with_handlers())
    previous = signal.pthread_sigmask(signal.SIG_BLOCK, STOP_SIGNALS)
    try:
        return serve(app, partial(signal.sigwait, STOP_SIGNALS))
    finally:
        while pending := signal.sigpending() & STOP_SIGNALS:  # a second Strg+C: already stopping
            signal.sigwait(pending)
        signal.pthread_sigmask(signal.SIG_SETMASK, previous)


def _wait_with_handlers() -> Callable[[], object]:
    stop = threading.Event()
    received: list[int] = []

    def handler(signum: int, _frame: object) -> None:
        received.append(signum)

    for signum in STOP_SIGNALS:
        signal.signal(signum, handler)

    def wait() -> object:
        while not received:
            stop.wait(0.5)
        return received[0]

    return wait
