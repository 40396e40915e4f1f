"""Handlers of SPEC §18: converting an older audit chain, deleting by the retention rules and
erasing one person on request (Art. 17 DSGVO). What is due and why: ``retention``; how it is
deleted: ``erasure``. Each run is one transaction, audited as counts per class (never the
person's address: it would land in the log's clear values again)."""

from __future__ import annotations

from sqlalchemy import select

from cycle.errors import Problem, Refused, UsageError
from cycle.persistence import audit, audit_convert
from cycle.persistence.tables import PairingRow, TraegerRow, UserRow
from cycle.service import commands as c
from cycle.service import erasure, retention
from cycle.service.erasure import t
from cycle.service.outcomes import Outcome
from cycle.service.principal import Principal
from cycle.service.uow import UnitOfWork

NOT_CONVERTED = (
    "Das Prüfprotokoll enthält noch Einträge mit Klartext (vor der Umstellung geschrieben): "
    "erst „zyklus audit umstellen“ ausführen (docs/operations.md), dann löschen."
)


def convert_audit(_cmd: c.ConvertAudit, uow: UnitOfWork, principal: Principal) -> Outcome:
    if not audit_convert.needs_conversion(uow.session):
        return Outcome(data={"umgestellt": None})
    done = audit_convert.convert(uow.session)
    payload = {"eintraege": done.entries, "klartexte": done.values, "alter_kopf": done.old_head}
    audit.append(
        uow.session,
        uow.now,
        principal.actor,
        [audit.Change("protokoll_umgestellt", payload=payload)],
    )
    uow.confirm_anchor = True
    return Outcome(data={"umgestellt": done})


def delete_expired(cmd: c.DeleteExpired, uow: UnitOfWork, principal: Principal) -> Outcome:
    connection = uow.session.connection()
    if not cmd.probelauf and audit_convert.needs_conversion(uow.session):
        raise Refused(Problem(None, "nicht_umgestellt", NOT_CONVERTED))
    if cmd.person is not None:
        return _person(cmd, uow, principal)
    found = retention.plan(connection, uow.settings, uow.now, uow.today)
    data = {"due": found.due, "kept": found.kept, "counts": {}}
    if cmd.probelauf or not found.due:
        return Outcome(data=data)
    _secure(uow)
    counts = retention.carry_out(connection, found, uow.settings.var_dir)
    audit.append(
        uow.session,
        uow.now,
        principal.actor,
        [audit.Change("aufbewahrung_geloescht", payload={"klassen": counts})],
    )
    return Outcome(data={**data, "counts": counts})


def _person(cmd: c.DeleteExpired, uow: UnitOfWork, principal: Principal) -> Outcome:
    address = (cmd.person or "").strip().lower()
    if "@" not in address:
        raise UsageError(
            Problem("person", "ungueltig", f"„{cmd.person}“ ist keine E-Mail-Adresse.")
        )
    connection = uow.session.connection()
    kept = _duties(uow, address)
    data: dict[str, object] = {"kept": kept, "due": [], "counts": {}}
    if kept:
        return Outcome(data=data)  # a duty to keep applies: nothing is erased
    names = [
        str(contact.get("name", ""))
        for data_ in connection.execute(select(t(PairingRow).c.data)).scalars()
        for contact in (data_ or {}).get("contacts", [])
        if str(contact.get("email", "")).lower() == address
    ]
    data["due"] = [("Daten der Person", 1, "Löschung auf Antrag, keine Pflicht zur Aufbewahrung")]
    if cmd.probelauf:
        return Outcome(data=data)
    _secure(uow)
    counts = {k: n for k, n in erasure.person(connection, address, names).items() if n}
    audit.append(
        uow.session,
        uow.now,
        principal.actor,
        [audit.Change("person_geloescht", payload={"klassen": counts})],
    )
    return Outcome(data={**data, "counts": counts})


def record_access_request(
    cmd: c.RecordAccessRequest, uow: UnitOfWork, principal: Principal
) -> Outcome:
    address = cmd.email.strip().lower()
    if "@" not in address or len(address) > 320 or any(ch.isspace() for ch in address):
        raise UsageError(Problem("email", "ungueltig", f"„{cmd.email}“ ist keine E-Mail-Adresse."))
    change = audit.Change("auskunft_erteilt", payload={"email": address})
    audit.append(uow.session, uow.now, principal.actor, [change])
    return Outcome(data={"email": address})


def _duties(uow: UnitOfWork, address: str) -> list[str]:
    """Why the person's data must be kept (empty: erasure may go ahead)."""
    connection = uow.session.connection()
    busy = retention.running(connection)
    kept = []
    for pairing, data in connection.execute(select(t(PairingRow).c.id, t(PairingRow).c.data)):
        emails = {str(x.get("email", "")).lower() for x in (data or {}).get("contacts", [])}
        if address in emails and any(p == pairing for p, _ in busy):
            kept.append(f"Kontakt der Partnerschaft {pairing}, deren Zyklus noch läuft.")
    users = t(UserRow)
    for login, active in connection.execute(
        select(users.c.login, users.c.active).where(users.c.email == address)
    ):
        if active:
            kept.append(f"E-Mail-Adresse des aktiven Benutzerkontos „{login}“ (erst sperren).")
    traeger = t(TraegerRow)
    for ident, data in connection.execute(select(traeger.c.id, traeger.c.data)):
        values = {str(v).lower() for v in (data or {}).values() if isinstance(v, str)}
        if address in values:
            kept.append(f"Stammdaten des Trägers {ident} (dort zuerst ändern).")
    return kept


def _secure(uow: UnitOfWork) -> None:
    """SQLite: overwrite deleted content with zeros (no trace in free pages)."""
    if uow.session.get_bind().dialect.name == "sqlite":
        uow.session.connection().exec_driver_sql("PRAGMA secure_delete = ON")
