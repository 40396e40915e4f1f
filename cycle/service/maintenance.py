"""Handlers of the commands that are not stage events: init, tick, heartbeat, outbox retry.

``init`` upgrades the schema before the unit of work opens (the bus does that); here it imports
the master data while the database holds none, refreshes the due dates and opens the year's
cycles. A tick enqueues in the
unit of work; its delivery runs after the commit (``deliver_after_tick``), so a slow SMTP server
never holds the write lock.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime

from sqlmodel import col, select

from cycle import progress
from cycle.config.settings import MasterData
from cycle.errors import Problem, Refused
from cycle.mail.deliver import Delivery
from cycle.persistence import audit, db, lifesigns, masterdata_store
from cycle.persistence.tables import OutboxMessage
from cycle.service import commands as c
from cycle.service import cycles, stammdaten
from cycle.service import tick as ticks
from cycle.service.context import ServiceContext
from cycle.service.outcomes import CycleChange, Outcome
from cycle.service.principal import Principal
from cycle.service.uow import DeliveryDue, UnitOfWork
from cycle.views.labels import outbox_label


def upgrade_schema(context: ServiceContext) -> None:
    """Before ``init``'s unit of work: create or upgrade the schema (Alembic)."""
    db.upgrade(context.engine)


def sync_master_data(cmd: c.SyncMasterData, uow: UnitOfWork, principal: Principal) -> Outcome:
    """``init``: the config's master data (``cmd.seed``) is imported only while the database
    holds none (SPEC §16); afterwards the database's stays and ``differs`` says whether the file
    says otherwise. Then due dates are refreshed and the year's cycles opened."""
    session, now = uow.session, uow.now
    seed = uow.settings.master if cmd.seed is None else cmd.seed
    uow.confirm_anchor = True  # after an upgrade or a new key: record the head as published
    step = "Stammdaten übernehmen"
    progress.report(step, 0, 3)
    stored = masterdata_store.version(session)
    changed, imported = 0, False
    if stored is None and not masterdata_store.load(session):
        result = stammdaten.plan(MasterData(), seed)
        changed, imported = stammdaten.write(session, result, now, principal.actor), True
    master = masterdata_store.load(session)
    if stored is None and not imported:  # rows from before the version was kept
        masterdata_store.set_version(session)
    uow.use_master(master)
    settings = uow.settings
    differs = bool(seed) and (
        masterdata_store.fingerprint(seed) != masterdata_store.fingerprint(master)
    )
    if cmd.seed_digest and not differs:
        masterdata_store.record_seed(session, cmd.seed_digest)
    progress.report(step, 1, 3)
    refreshed = cycles.refresh_due_dates(session, settings, uow.calendar, now, principal.actor)
    progress.report(step, 2, 3)
    year = uow.today.year
    opened = cycles.open_cycles(session, settings, uow.calendar, year, now, principal.actor)
    progress.report(step, 3, 3)
    return Outcome(
        data={
            "pairings": len(settings.pairings),
            "changed": changed,
            "imported": imported,
            "differs": differs,
            "refreshed": refreshed,
            "year": year,
            "opened": len(opened),
        }
    )


def tick(cmd: c.Tick, uow: UnitOfWork, _principal: Principal) -> Outcome:
    report = ticks.enqueue_in(uow, uow.mail.renderer, documents=cmd.documents)
    if cmd.deliver:
        uow.collect(DeliveryDue(uow.now))
    return Outcome(data={"report": report})


def heartbeat(cmd: c.Heartbeat, uow: UnitOfWork, _principal: Principal) -> Outcome:
    """Record that the service woke up at ``uow.now`` (not audited: no domain fact changes)."""
    lifesigns.record(uow.session, uow.now, cmd.tick_seconds)
    return Outcome()


def deliver_after_tick(delivery: Delivery, outcome: Outcome, now: datetime) -> Outcome:
    """After the tick's commit: drain the outbox; its counts go into the tick's report."""
    report = ticks.deliver_into(delivery, outcome.data["report"], now)
    return replace(outcome, data={**outcome.data, "report": report})


def retry_outbox(cmd: c.RetryOutbox, uow: UnitOfWork, principal: Principal) -> Outcome:
    """Re-queue message ``message_id`` (must be failed) or, with ``all_failed``, every failed one.

    A manual retry is a fresh decision (the address was fixed, the server is back): the attempts
    start again at 0. The audit log keeps the old state and the last error.
    """
    if (cmd.message_id is None) == (not cmd.all_failed):
        raise Refused(
            Problem("message_id", "genau_eines", "Genau eines angeben: eine Nachricht oder alle.")
        )
    session = uow.session
    if cmd.message_id is not None:
        row = session.get(OutboxMessage, cmd.message_id)
        if row is None:
            raise Refused(
                Problem(
                    None,
                    "unbekannt",
                    f"Nachricht {cmd.message_id} gibt es im Postausgang nicht.",
                )
            )
        if row.status not in ("failed", "ungewiss"):  # ungewiss: retry now, not after the wait
            raise Refused(
                Problem(
                    None,
                    "nicht_fehlgeschlagen",
                    f"Nachricht {cmd.message_id} ist nicht fehlgeschlagen "
                    f"(Status: {outbox_label(row.status)}); "
                    "erneut eingereiht werden nur fehlgeschlagene und ungewisse Nachrichten.",
                )
            )
        if row.status == "ungewiss" and row.lease_until is not None and row.lease_until > uow.now:
            raise Refused(
                Problem(
                    None,
                    "in_zustellung",
                    f"Nachricht {cmd.message_id} wird gerade zugestellt; "
                    "bitte nach dem Ende des Versuchs erneut anstoßen.",
                )
            )
        rows = [row]
    else:
        query = (
            select(OutboxMessage)
            .where(col(OutboxMessage.status) == "failed")
            .order_by(col(OutboxMessage.id))
        )
        rows = list(session.exec(query))
    changes = []
    for row in rows:
        audit.record(
            session,
            uow.now,
            principal.actor,
            audit.Change(
                "nachricht_erneut_eingereiht",
                before=row.status,
                after="pending",
                payload={
                    "message_id": row.message_id,
                    "fehler": row.last_error,
                    "versuche": row.attempts,
                },
            ),
        )
        row.status, row.attempts, row.next_attempt_at = "pending", 0, uow.now
        row.lease_until = row.lease_owner = row.sent_at = None
        session.add(row)
        changes.append(
            CycleChange(
                "erneut_eingereiht",
                None,
                None,
                {"id": row.id, "subject": row.subject, "to": row.to},
            )
        )
    return Outcome(cycle_changes=tuple(changes))
