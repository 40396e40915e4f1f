"""End a pairing (mid-year), optionally handing its cycle over to a successor pairing."""

from __future__ import annotations

from datetime import date

from sqlmodel import Session, col, select

from cycle.bootstrap import App
from cycle.errors import Refused, UsageError
from cycle.persistence import audit
from cycle.persistence.tables import Cycle, PairingRow, StageState
from cycle.persistence.uow import transaction
from cycle.service.cycles import open_cycles
from workflows.stages import OFFEN

_COPIED = ("status", "due", "extended_until", "scheduled_at", "location", "sequence", "done_on")


def end_pairing(
    app: App, pairing_id: str, on: date, reason: str, successor_id: str | None, by: str | None
) -> list[str]:
    for name, value in (("PAIRING", pairing_id), ("--successor", successor_id)):
        if value is not None and value not in app.settings.pairings:
            raise UsageError(f"{name}: unbekannte Partnerschaft „{value}“")
    if successor_id == pairing_id:
        raise UsageError("--successor: Eine Partnerschaft kann nicht ihre eigene Nachfolge sein.")
    if not reason.strip():
        raise UsageError("--reason: Das Ende einer Partnerschaft braucht einen Grund.")
    if on > app.today():
        raise UsageError(f"--on: {on:%d.%m.%Y} liegt in der Zukunft.")
    now, actor = app.now(), app.actor(by)
    lines: list[str] = []
    with transaction(app.engine) as session:
        open_cycles(
            session,
            app.settings,
            app.calendar,
            on.year,
            now,
            "zyklus",
            only={pairing_id} | ({successor_id} if successor_id else set()),
        )
        pairing = session.get(PairingRow, pairing_id)
        if pairing is None:
            raise Refused(f"{pairing_id}: noch nicht importiert (zuerst „zyklus init“).")
        if pairing.ended_on is not None:
            raise Refused(f"{pairing_id}: ist bereits beendet (am {pairing.ended_on:%d.%m.%Y}).")
        pairing.ended_on, pairing.end_reason, pairing.successor_id = on, reason, successor_id
        session.add(pairing)
        audit.record(
            session,
            now,
            actor,
            audit.Change(
                "partnerschaft_beendet",
                pairing_id,
                on.year,
                after="beendet",
                payload={"am": on, "grund": reason, "nachfolge": successor_id},
            ),
        )
        cycles = session.exec(
            select(Cycle)
            .where(Cycle.pairing_id == pairing_id)
            .where(Cycle.year >= on.year)
            .where(col(Cycle.ended_on).is_(None))
        ).all()
        for cycle in cycles:
            cycle.ended_on = on
            session.add(cycle)
            audit.record(
                session,
                now,
                actor,
                audit.Change(
                    "zyklus_beendet",
                    pairing_id,
                    cycle.year,
                    after="beendet",
                    payload={"am": on, "grund": reason},
                ),
            )
            lines.append(f"{pairing_id} {cycle.year}: beendet am {on:%d.%m.%Y} ({reason})")
            if successor_id:
                lines += _hand_over(session, app, cycle, successor_id, actor)
    return lines


def _hand_over(
    session: Session, app: App, cycle: Cycle, successor_id: str, actor: str
) -> list[str]:
    now = app.now()
    target = session.exec(
        select(Cycle).where(Cycle.pairing_id == successor_id).where(Cycle.year == cycle.year)
    ).first()
    if target is None:
        raise Refused(
            f"--successor: {successor_id} ist {cycle.year} nicht aktiv "
            "(Beginn/Ende in der Konfiguration prüfen)."
        )
    source_rows = {
        r.stage_id: r
        for r in session.exec(select(StageState).where(StageState.cycle_id == cycle.id))
    }
    taken = 0
    for row in session.exec(select(StageState).where(StageState.cycle_id == target.id)):
        source = source_rows.get(row.stage_id)
        if source is None or row.status != OFFEN or row.facts:
            continue  # the successor already worked on this stage: keep its own state
        before = row.status
        for name in _COPIED:
            setattr(row, name, getattr(source, name))
        row.facts = {**source.facts, "uebernommen_von": cycle.pairing_id}
        row.updated_at = now
        session.add(row)
        taken += 1
        audit.record(
            session,
            now,
            actor,
            audit.Change(
                "uebernahme",
                successor_id,
                cycle.year,
                row.stage_id,
                before,
                row.status,
                {"von": cycle.pairing_id},
            ),
        )
    return [f"{successor_id} {cycle.year}: übernimmt {taken} Stufen von {cycle.pairing_id}"]
