"""What the operator watches (SPEC §19): readiness, the delivery banner, the metrics' numbers.

``readiness`` answers ``/readyz``: ``None`` when the database answers, the schema is at head and
``zyklus run``'s heartbeat is younger than ``[betrieb] heartbeat_minuten``, else a one-line
reason (German / English). ``delivery_stopped`` decides the banner on the Postausgang and the
Übersicht. ``outbox_gauges`` feeds ``/metrics``. None of them shows a person, an address or a
subject: counts and instants only.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import Connection, func, select
from sqlmodel import col

from cycle.persistence import db, lifesigns
from cycle.persistence.tables import OutboxMessage
from cycle.views.context import ViewContext

BANNER = "Der Zustelldienst läuft nicht – Mails bleiben im Postausgang."


def _stale(signs: lifesigns.LifeSigns, ctx: ViewContext) -> bool:
    limit = timedelta(minutes=ctx.settings.betrieb.heartbeat_minuten)
    return signs.heartbeat is None or ctx.now - signs.heartbeat > limit


def delivery_stopped(ctx: ViewContext) -> bool:
    """No service woke up within ``heartbeat_minuten``: mail waits in the outbox."""
    with ctx.engine.connect() as connection:
        return _stale(lifesigns.read(connection), ctx)


def readiness(ctx: ViewContext) -> str | None:
    """``None`` when ready, else why not (one line, German / English)."""
    try:
        current = db.schema_is_current(ctx.engine)
    except Exception as exc:
        return f"Datenbank nicht erreichbar / database unreachable ({type(exc).__name__})"
    if not current:
        return "Datenbankschema veraltet / schema not at head (zyklus init)"
    with ctx.engine.connect() as connection:
        signs = lifesigns.read(connection)
    if _stale(signs, ctx):
        minutes = ctx.settings.betrieb.heartbeat_minuten
        return (
            f"zyklus run ohne Lebenszeichen seit über {minutes} Minuten / "
            f"no heartbeat from zyklus run for more than {minutes} minutes"
        )
    return None


@dataclass(frozen=True)
class OutboxGauges:
    by_status: dict[str, int]
    oldest_pending_seconds: float  # 0 when nothing is pending
    signs: lifesigns.LifeSigns


def _aware(value: datetime) -> datetime:
    from datetime import UTC

    return value if value.tzinfo else value.replace(tzinfo=UTC)


def outbox_gauges(connection: Connection, now: datetime) -> OutboxGauges:
    status = col(OutboxMessage.status)
    counts = {
        str(s): int(n)
        for s, n in connection.execute(select(status, func.count()).group_by(status)).all()
    }
    oldest = connection.execute(
        select(func.min(col(OutboxMessage.created_at))).where(status == "pending")
    ).scalar()
    age = max(0.0, (now - _aware(oldest)).total_seconds()) if oldest is not None else 0.0
    by_status = {s: counts.get(s, 0) for s in ("pending", "ungewiss", "failed", "sent")}
    return OutboxGauges(by_status, age, lifesigns.read(connection))
