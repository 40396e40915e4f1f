"""Deleting personal data (SPEC §18): the primitives ``retention`` and ``loeschen --person`` use.

Each function deletes or scrubs in the caller's transaction and returns how many rows it
touched. The audit chain is never edited: its clear values (``audit_klartext``) are deleted, and
what the stage rows repeat of them (``facts``) is replaced by ``[gelöscht]`` exactly where the
replay of the log now yields ``[gelöscht]`` — so ``audit verify`` stays green.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from sqlalchemy import Connection, String, cast, delete, func, select, update

from cycle.persistence import masterdata_store
from cycle.persistence.personal import DELETED, PERSONAL_KEYS
from cycle.persistence.tables import (
    AuditKlartext,
    Evidence,
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


def t(model: type) -> Any:
    return model.__table__  # type: ignore[attr-defined]


def _contains(column: Any, needle: str) -> Any:
    return func.lower(cast(column, String)).contains(needle.lower(), autoescape=True)


def scrub(value: Any, needle: str | None) -> tuple[Any, int]:
    """``value`` with every personal value (``needle``: only those naming it) as ``DELETED``."""
    if isinstance(value, dict):
        out, n = {}, 0
        for k, v in value.items():
            named = needle is None or needle.lower() in json.dumps(v, ensure_ascii=False).lower()
            if k in PERSONAL_KEYS and v is not None and v != DELETED and named:
                out[k], n = DELETED, n + 1
            else:
                out[k], m = scrub(v, needle)
                n += m
        return out, n
    if isinstance(value, list):
        items = [scrub(v, needle) for v in value]
        return [v for v, _ in items], sum(m for _, m in items)
    return value, 0


def scrub_facts(connection: Connection, where: Any, needle: str | None) -> int:
    """Replace personal values in the ``facts`` of the stages ``where`` selects."""
    table, changed = t(StageState), 0
    for ident, facts in connection.execute(select(table.c.id, table.c.facts).where(where)).all():
        cleaned, n = scrub(facts or {}, needle)
        if n:
            connection.execute(update(table).where(table.c.id == ident).values(facts=cleaned))
            changed += 1
    return changed


def clear_values(connection: Connection, where: Any) -> int:
    table = t(AuditKlartext)
    return int(connection.execute(delete(table).where(where)).rowcount or 0)


def outbox(connection: Connection, ids: Iterable[int]) -> int:
    """Delete outbox messages; their notifications stay (idempotency) without recipients."""
    wanted = list(ids)
    if not wanted:
        return 0
    notes, box = t(Notification), t(OutboxMessage)
    connection.execute(
        update(notes)
        .where(notes.c.message_id.in_(wanted))
        .values(message_id=None, recipients={}, subject="")
    )
    return int(connection.execute(delete(box).where(box.c.id.in_(wanted))).rowcount or 0)


def person(connection: Connection, address: str, names: Iterable[str]) -> dict[str, int]:
    """Everything that names ``address``; ``names`` (the person's names) are deleted from the
    log's clear values that belong to no cycle (a retained cycle keeps its participants)."""
    a = address.strip().lower()
    k, box, notes = t(AuditKlartext), t(OutboxMessage), t(Notification)
    counts: dict[str, int] = {}
    no_cycle = k.c.year.is_(None)
    gone = clear_values(connection, _contains(k.c.value, a))
    for name in names:
        if name.strip():
            gone += clear_values(connection, no_cycle & _contains(k.c.value, name.strip()))
    counts["Protokoll-Klartexte"] = gone
    counts["Stufenangaben"] = scrub_facts(connection, _contains(t(StageState).c.facts, a), a)
    mails = connection.execute(
        select(box.c.id).where(_contains(box.c.to, a) | _contains(box.c.payload, a))
    ).scalars()
    counts["E-Mails im Postausgang"] = outbox(connection, mails)
    counts["Benachrichtigungen"] = int(
        connection.execute(
            update(notes).where(_contains(notes.c.recipients, a)).values(recipients={})
        ).rowcount
        or 0
    )
    for label, model, column in (
        ("Portal-Links", PortalToken, "email"),
        ("Portal-Sitzungen", PortalSession, "email"),
    ):
        table = t(model)
        result = connection.execute(delete(table).where(func.lower(table.c[column]) == a))
        counts[label] = int(result.rowcount or 0)
    requests, attempts = t(PortalRequest), t(LoginAttempt)
    counts["Link-Anforderungen"] = int(
        connection.execute(delete(requests).where(_contains(requests.c.key, a))).rowcount or 0
    )
    counts["Anmeldeversuche"] = int(
        connection.execute(delete(attempts).where(_contains(attempts.c.key, a))).rowcount or 0
    )
    replies = t(MeetingReply)
    counts["Terminantworten"] = int(
        connection.execute(
            update(replies).where(func.lower(replies.c.email) == a).values(email=DELETED)
        ).rowcount
        or 0
    )
    connection.execute(update(replies).where(_contains(replies.c.note, a)).values(note=DELETED))
    counts["Kontakte in Partnerschaften"] = _contacts(connection, a)
    return counts


def _contacts(connection: Connection, address: str) -> int:
    table, removed = t(PairingRow), 0
    rows = connection.execute(
        select(table.c.id, table.c.data).where(_contains(table.c.data, address))
    ).all()
    for ident, data in rows:
        contacts = [
            c
            for c in (data or {}).get("contacts", [])
            if str(c.get("email", "")).lower() != address
        ]
        removed += len((data or {}).get("contacts", [])) - len(contacts)
        connection.execute(
            update(table).where(table.c.id == ident).values(data={**data, "contacts": contacts})
        )
    if removed:  # master data changed: every process reloads it
        masterdata_store.bump_version(connection)
    return removed


def user(connection: Connection, ident: int) -> None:
    connection.execute(delete(t(WebSession)).where(t(WebSession).c.user_id == ident))
    connection.execute(delete(t(UserRow)).where(t(UserRow).c.id == ident))


def evidence(connection: Connection, var_dir: Path, shas: Iterable[str]) -> int:
    """Delete evidence files and their rows; the file first would leave a row without a file,
    so the row goes in the transaction and the file after (a failed unlink is reported)."""
    table, removed = t(Evidence), 0
    for sha in shas:
        removed += int(connection.execute(delete(table).where(table.c.sha256 == sha)).rowcount or 0)
        path = var_dir / "evidence" / sha[:2] / sha
        path.unlink(missing_ok=True)
    return removed
