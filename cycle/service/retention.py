"""The deletion concept (SPEC §18, DIN 66398): each data class has a period and a start event.

``plan`` reads what is due for deletion on ``today`` and what is kept and why; ``carry_out``
deletes it (``cycle.service.erasure``) in the caller's transaction. The rules:

- mail texts in the outbox: ``[aufbewahrung] postausgang_tage`` after sending (or giving up);
- portal links, sessions, link requests, login attempts, staff sessions: ``zugang_tage`` after
  expiry, use or revocation;
- the contacts of an ended pairing: ``kontakte_tage`` after the pairing's end;
- disabled staff accounts: ``konten_tage`` after disabling;
- a cycle's evidence files, the log's clear values, meeting replies: to 31.12. of the cycle's
  year + ``[verwendungsnachweis] aufbewahrung_jahre`` (``aufbewahren_bis``);
- the log's clear values of no cycle: ``sonstige_jahre`` after the entry.

Never deleted: anything of a cycle that is still running (a stage not done and the cycle not
ended) — an open Verwendungsnachweis included —, a contact that is still a contact of a pairing
whose period has not passed, an account still active.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import Connection, and_, or_, select

from cycle.config.settings import Settings
from cycle.documents.model import aufbewahren_bis
from cycle.persistence.tables import (
    AuditEntry,
    AuditKlartext,
    Cycle,
    LoginAttempt,
    MeetingReply,
    Notification,
    OutboxMessage,
    PairingRow,
    PortalRequest,
    PortalSession,
    PortalToken,
    StageState,
    UserRow,
    WebSession,
)
from cycle.service import erasure
from cycle.service.erasure import t
from workflows.stages import is_done


@dataclass
class Plan:
    """What is due (ids per class), the report lines, and what is kept with its reason."""

    today: date
    outbox: list[int] = field(default_factory=list)
    access: dict[str, list[Any]] = field(default_factory=dict)
    persons: dict[str, list[str]] = field(default_factory=dict)  # address → names
    users: list[int] = field(default_factory=list)
    cycles: list[tuple[str, int]] = field(default_factory=list)
    orphans: list[str] = field(default_factory=list)
    due: list[tuple[str, int, str]] = field(default_factory=list)  # class, count, why
    kept: list[str] = field(default_factory=list)


def running(connection: Connection) -> set[tuple[str, int]]:
    """Cycles still running: not ended and some stage not done (an open VN among them)."""
    cycles, stages = t(Cycle), t(StageState)
    rows = connection.execute(
        select(cycles.c.pairing_id, cycles.c.year, stages.c.status)
        .join(stages, stages.c.cycle_id == cycles.c.id)
        .where(cycles.c.ended_on.is_(None))
    ).all()
    return {(p, y) for p, y, status in rows if not is_done(status)}


def plan(connection: Connection, settings: Settings, now: datetime, today: date) -> Plan:
    found = Plan(today)
    keep = settings.aufbewahrung
    _outbox(connection, found, now - timedelta(days=keep.postausgang_tage), keep.postausgang_tage)
    _access(connection, found, now - timedelta(days=keep.zugang_tage), keep.zugang_tage)
    busy = running(connection)
    _contacts(connection, settings, found, today, busy)
    _users(connection, found, now - timedelta(days=keep.konten_tage), keep.konten_tage)
    _cycles(connection, settings, found, today, busy)
    _orphans(connection, found, now, keep.sonstige_jahre)
    return found


def _outbox(connection: Connection, found: Plan, before: datetime, days: int) -> None:
    box = t(OutboxMessage)
    done = box.c.status.in_(("sent", "failed", "skipped"))
    when = box.c.sent_at.is_not(None) & (box.c.sent_at < before)
    given_up = box.c.sent_at.is_(None) & (box.c.created_at < before)
    found.outbox = list(
        connection.execute(select(box.c.id).where(done & (when | given_up))).scalars()
    )
    if found.outbox:
        found.due.append(
            ("E-Mails im Postausgang", len(found.outbox), f"versandt vor mehr als {days} Tagen")
        )
    pending = (
        connection.execute(select(box.c.id).where(~done & (box.c.created_at < before)))
        .scalars()
        .all()
    )
    if pending:
        found.kept.append(f"{len(pending)} alte E-Mails im Postausgang: noch nicht zugestellt.")


def _access(connection: Connection, found: Plan, before: datetime, days: int) -> None:
    tok, ses, req, att, web = (
        t(PortalToken),
        t(PortalSession),
        t(PortalRequest),
        t(LoginAttempt),
        t(WebSession),
    )
    ended = or_(tok.c.expires_at < before, tok.c.revoked_at < before, tok.c.used_at < before)
    queries = {
        "Portal-Links und Kalenderadressen": select(tok.c.id).where(ended),
        "Portal-Sitzungen": select(ses.c.id).where(
            or_(ses.c.expires_at < before, ses.c.revoked_at < before)
        ),
        "Link-Anforderungen": select(req.c.id).where(req.c.at < before),
        "Anmeldeversuche": select(att.c.id).where(att.c.at < before),
        "Sitzungen der Mitarbeitenden": select(web.c.id).where(web.c.expires_at < before),
    }
    for label, query in queries.items():
        ids = list(connection.execute(query).scalars())
        if ids:
            found.access[label] = ids
            found.due.append((label, len(ids), f"abgelaufen vor mehr als {days} Tagen"))


def _pairing_end(row: Any) -> date | None:
    ends = [d for d in (row.end, row.ended_on) if d is not None]
    return min(ends) if ends else None


def _contacts(
    connection: Connection, settings: Settings, found: Plan, today: date, busy: set[tuple[str, int]]
) -> None:
    days = settings.aufbewahrung.kontakte_tage
    expired: dict[str, list[str]] = {}
    active: dict[str, str] = {}
    for row in connection.execute(select(t(PairingRow))).all():
        end = _pairing_end(row)
        needed = any(p == row.id for p, _ in busy)
        over = end is not None and end + timedelta(days=days) < today and not needed
        for contact in (row.data or {}).get("contacts", []):
            address = str(contact.get("email", "")).lower()
            if not address:
                continue
            if over:
                expired.setdefault(address, []).append(str(contact.get("name", "")))
            else:
                active[address] = row.id
        if end is not None and end + timedelta(days=days) < today and needed:
            found.kept.append(
                f"Kontakte der Partnerschaft {row.id}: ein Zyklus läuft noch (offene Stufe)."
            )
    staff = {str(e).lower() for e in connection.execute(select(t(UserRow).c.email)).scalars() if e}
    for address, names in sorted(expired.items()):
        if address in active:
            found.kept.append(f"{address}: noch Kontakt der Partnerschaft {active[address]}.")
        elif address in staff:
            found.kept.append(f"{address}: E-Mail-Adresse eines Benutzerkontos.")
        else:
            found.persons[address] = names
    if found.persons:
        why = f"Partnerschaft beendet vor mehr als {days} Tagen"
        found.due.append(("Kontakte beendeter Partnerschaften", len(found.persons), why))


def _users(connection: Connection, found: Plan, before: datetime, days: int) -> None:
    users = t(UserRow)
    query = select(users.c.id).where(users.c.active.is_(False) & (users.c.updated_at < before))
    found.users = list(connection.execute(query).scalars())
    if found.users:
        found.due.append(
            ("gesperrte Benutzerkonten", len(found.users), f"gesperrt vor mehr als {days} Tagen")
        )


def _cycles(
    connection: Connection, settings: Settings, found: Plan, today: date, busy: set[tuple[str, int]]
) -> None:
    cycles = t(Cycle)
    for pairing, year in connection.execute(select(cycles.c.pairing_id, cycles.c.year)).all():
        until = aufbewahren_bis(year, settings.verwendungsnachweis)
        if until >= today:
            continue
        if (pairing, year) in busy:
            found.kept.append(f"Zyklus {pairing} {year}: läuft noch (offene Stufe).")
            continue
        found.cycles.append((pairing, year))
    if found.cycles:
        years = settings.verwendungsnachweis.aufbewahrung_jahre
        why = f"Aufbewahrungsfrist (31.12. des Jahres + {years} Jahre) abgelaufen"
        found.due.append(("Unterlagen abgeschlossener Zyklen", len(found.cycles), why))
    oldest = min(
        (y for _, y in connection.execute(select(cycles.c.pairing_id, cycles.c.year)).all()),
        default=None,
    )
    if oldest is not None and not found.cycles:
        until = aufbewahren_bis(oldest, settings.verwendungsnachweis)
        found.kept.append(
            f"Unterlagen der Zyklen ab {oldest}: Aufbewahrung bis {until:%d.%m.%Y} "
            "(Verwendungsnachweis: 31.12. des Jahres + "
            f"{settings.verwendungsnachweis.aufbewahrung_jahre} Jahre)."
        )


def _orphans(connection: Connection, found: Plan, now: datetime, years: int) -> None:
    k, entries = t(AuditKlartext), t(AuditEntry)
    before = now.replace(year=now.year - years)
    query = (
        select(k.c.pseudonym)
        .join(entries, entries.c.id == k.c.entry_id)
        .where(k.c.year.is_(None) & (entries.c.at < before))
    )
    found.orphans = list(connection.execute(query).scalars())
    if found.orphans:
        found.due.append(
            ("Protokoll-Klartexte ohne Zyklus", len(found.orphans), f"älter als {years} Jahre")
        )


def carry_out(connection: Connection, found: Plan, var_dir: Path) -> dict[str, int]:
    """Delete what ``found`` lists; returns counts per class (for the audit entry)."""
    counts: dict[str, int] = {}
    counts["E-Mails im Postausgang"] = erasure.outbox(connection, found.outbox)
    models = {
        "Portal-Links und Kalenderadressen": t(PortalToken),
        "Portal-Sitzungen": t(PortalSession),
        "Link-Anforderungen": t(PortalRequest),
        "Anmeldeversuche": t(LoginAttempt),
        "Sitzungen der Mitarbeitenden": t(WebSession),
    }
    from sqlalchemy import delete

    for label, ids in found.access.items():
        table = models[label]
        counts[label] = int(
            connection.execute(delete(table).where(table.c.id.in_(ids))).rowcount or 0
        )
    for address, names in found.persons.items():
        for label, n in erasure.person(connection, address, names).items():
            counts[label] = counts.get(label, 0) + n
    counts["Kontakte beendeter Partnerschaften"] = len(found.persons)
    for ident in found.users:
        erasure.user(connection, ident)
    counts["gesperrte Benutzerkonten"] = len(found.users)
    counts.update(_documents(connection, found.cycles, var_dir))
    k = t(AuditKlartext)
    counts["Protokoll-Klartexte ohne Zyklus"] = erasure.clear_values(
        connection, k.c.pseudonym.in_(found.orphans)
    )
    return {label: n for label, n in counts.items() if n}


def _documents(
    connection: Connection, cycles: list[tuple[str, int]], var_dir: Path
) -> dict[str, int]:
    if not cycles:
        return {}
    k, c, s, r, n = t(AuditKlartext), t(Cycle), t(StageState), t(MeetingReply), t(Notification)
    from sqlalchemy import delete, update

    counts = {"Protokoll-Klartexte abgeschlossener Zyklen": 0, "Stufenangaben": 0}
    ids, shas = [], set()
    for pairing, year in cycles:
        counts["Protokoll-Klartexte abgeschlossener Zyklen"] += erasure.clear_values(
            connection, and_(k.c.pairing_id == pairing, k.c.year == year)
        )
        ident = connection.execute(
            select(c.c.id).where((c.c.pairing_id == pairing) & (c.c.year == year))
        ).scalar_one()
        ids.append(ident)
        for (facts,) in connection.execute(select(s.c.facts).where(s.c.cycle_id == ident)).all():
            shas |= _shas(facts or {})
        counts["Stufenangaben"] += erasure.scrub_facts(connection, s.c.cycle_id == ident, None)
        connection.execute(delete(r).where((r.c.pairing_id == pairing) & (r.c.year == year)))
    connection.execute(update(n).where(n.c.cycle_id.in_(ids)).values(recipients={}))
    kept: set[str] = set()
    for (facts,) in connection.execute(select(s.c.facts).where(s.c.cycle_id.not_in(ids))).all():
        kept |= _shas(facts or {})
    counts["Nachweisdateien"] = erasure.evidence(connection, var_dir, sorted(shas - kept))
    return counts


def _shas(facts: Any) -> set[str]:
    found: set[str] = set()
    if isinstance(facts, dict):
        for key, value in facts.items():
            if key == "sha256" and isinstance(value, str):
                found.add(value)
            else:
                found |= _shas(value)
    elif isinstance(facts, list):
        for value in facts:
            found |= _shas(value)
    return found
