"""What an applied change of master data does to the running year (SPEC §16, issue 19 item 3).

- a new pairing (or one whose period changed) gets its cycle for the current year; nothing due
  before its start counts overdue or is reminded (``workflows/deadlines.py`` ``active_window``
  and the status query read the pairing's start);
- a pairing ended on or before today goes through ``zyklus end``'s logic (``ending.end``: the
  cycle ends, dates are cancelled, a successor takes over the running cycle);
- a contact change ends the old contact's portal links, sessions and calendar feed at once
  (when the address is no longer a contact of any pairing) and re-addresses the pairing's
  messages not yet sent to the new contact (audited); sent mail stays as it was.
"""

from __future__ import annotations

from email.utils import formataddr, getaddresses
from typing import Any

from sqlmodel import col, select

from cycle.config.settings import Contact, MasterData, Pairing
from cycle.mail import links
from cycle.persistence import audit, portal_store
from cycle.persistence.tables import Notification, OutboxMessage, PairingRow
from cycle.service import commands as c
from cycle.service import cycles, ending
from cycle.service.outcomes import CycleChange
from cycle.service.principal import Principal
from cycle.service.uow import UnitOfWork

UNSENT = ("pending", "failed")  # not handed to the server; "ungewiss" may have been


def open_new(uow: UnitOfWork, pairing_ids: set[str], actor: str) -> list[str]:
    if not pairing_ids:
        return []
    return cycles.open_cycles(
        uow.session, uow.settings, uow.calendar, uow.today.year, uow.now, actor, only=pairing_ids
    )


def end_pairing(
    uow: UnitOfWork, principal: Principal, pairing: Pairing, reason: str, successor: str | None
) -> tuple[CycleChange, ...]:
    """``zyklus end`` for a pairing whose contract end is today or earlier (once)."""
    assert pairing.end is not None
    row = uow.session.get(PairingRow, pairing.id)
    if pairing.end > uow.today or row is None or row.ended_on is not None:
        return ()
    why = reason.strip() or "Vertragsende (Stammdaten)"
    command = c.End(pairing.id, pairing.end, why, successor)
    return ending.end(command, uow, principal).cycle_changes


def _mapping(old: Pairing, new: Pairing) -> dict[str, Contact | None]:
    """Each removed contact address → the added contact that replaces it (in order), or None."""
    kept = {x.email.lower() for x in new.contacts}
    gone = [x.email.lower() for x in old.contacts if x.email.lower() not in kept]
    known = {x.email.lower() for x in old.contacts}
    come = [x for x in new.contacts if x.email.lower() not in known]
    return {address: (come[i] if i < len(come) else None) for i, address in enumerate(gone)}


def change_contacts(
    uow: UnitOfWork, old: Pairing, new: Pairing, master: MasterData, actor: str
) -> list[CycleChange]:
    mapping = _mapping(old, new)
    if not mapping:
        return []
    changes: list[CycleChange] = []
    still = {x.email.lower() for p in master.pairings.values() for x in p.contacts}
    for address in mapping:
        if address in still:
            continue  # still a contact elsewhere: its scope shrinks (``portal_store._current``)
        done = portal_store.revoke(uow.session, address, uow.now)
        details = {"email": address, "links": done.links, "sitzungen": done.sessions}
        details["kalender"] = done.feeds
        audit.record(
            uow.session,
            uow.now,
            actor,
            audit.Change(
                "portal_widerrufen", new.id, payload={**details, "grund": "Kontaktwechsel"}
            ),
        )
        changes.append(CycleChange("portal_widerrufen", new.id, None, details))
    changes += _readdress(uow, new.id, mapping, actor)
    return changes


def _recipients(values: list[str], mapping: dict[str, Contact | None]) -> list[str]:
    result: list[str] = []
    for value in values:
        (_name, address), *_ = getaddresses([value]) or [("", value)]
        if address.lower() not in mapping:
            result.append(value)
            continue
        replacement = mapping[address.lower()]
        if replacement is not None:
            result.append(formataddr((replacement.name, replacement.email)))
    return result


def _readdress(
    uow: UnitOfWork, pairing: str, mapping: dict[str, Contact | None], actor: str
) -> list[CycleChange]:
    session = uow.session
    ids = select(col(Notification.message_id)).where(col(Notification.pairing_id) == pairing)
    rows = session.exec(
        select(OutboxMessage)
        .where(col(OutboxMessage.id).in_(ids))
        .where(col(OutboxMessage.status).in_(UNSENT))
        .order_by(col(OutboxMessage.id))
    ).all()
    changes: list[CycleChange] = []
    for row in rows:
        payload: dict[str, Any] = dict(row.payload)
        to = _recipients(list(payload.get("to") or []), mapping)
        cc = _recipients(list(payload.get("cc") or []), mapping)
        if to == payload.get("to") and cc == payload.get("cc"):
            continue
        if not to:
            to, cc = cc, []
        payload.pop(links.MARK, None)
        payload = links.mark({**payload, "to": to, "cc": cc}, uow.settings)
        before, row.to = row.to, ", ".join([*to, *cc])
        row.payload = payload
        session.add(row)
        audit.record(
            session,
            uow.now,
            actor,
            audit.Change(
                "nachricht_umadressiert",
                pairing,
                # The addresses are personal: under "an" they stay outside the hashed payload.
                payload={
                    "message_id": row.message_id,
                    "betreff": row.subject,
                    "an": {"vorher": before, "nachher": row.to},
                },
            ),
        )
        changes.append(
            CycleChange(
                "umadressiert", pairing, None, {"id": row.id, "vorher": before, "an": row.to}
            )
        )
    return changes
