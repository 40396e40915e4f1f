"""The change history of one master-data record, from the audit log (SPEC §16, issue 19 item 6).

A Träger's or Stadtteil's entries are its ``<kind>_angelegt`` / ``<kind>_geaendert`` rows (the
record's id in ``after``); a pairing's are every entry about it that is not a stage event:
created, changed, ended, its portal access revoked, its mail re-addressed.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import or_
from sqlmodel import Session, col, select

from cycle.persistence import personal
from cycle.persistence.tables import AuditEntry
from cycle.views.labels import action_label

PAIRING_ACTIONS = (
    "pairing_angelegt",
    "pairing_geaendert",
    "partnerschaft_beendet",
    "portal_widerrufen",
    "nachricht_umadressiert",
)


@dataclass(frozen=True)
class FieldHistory:
    field: str
    old: str | None
    new: str | None


@dataclass(frozen=True)
class HistoryEntry:
    at: datetime
    actor: str
    action: str
    label: str
    changes: tuple[FieldHistory, ...]
    detail: str  # a short German line for entries without field changes


def shown(value: Any) -> str | None:
    """A stored value as German text (contacts, lists, ISO dates, yes/no)."""
    if value is None or value == [] or value == "":
        return None
    if isinstance(value, bool):
        return "ja" if value else "nein"
    if isinstance(value, list):
        return "; ".join(shown(v) or "" for v in value)
    if isinstance(value, dict):
        return f"{value.get('name', '')} <{value.get('email', '')}> ({value.get('rolle', '')})"
    if isinstance(value, str) and len(value) == 10 and value[4] == "-" and value[7] == "-":
        return f"{value[8:]}.{value[5:7]}.{value[:4]}"
    return str(value)


def _detail(entry: AuditEntry, payload: dict[str, Any]) -> str:
    if entry.action == "nachricht_umadressiert":
        an = payload.get("an")
        if isinstance(an, dict):
            return f"{an.get('vorher', '')} → {an.get('nachher', '')}"
        return str(an or "")  # "[gelöscht]" after the retention period
    if entry.action == "partnerschaft_beendet":
        return f"zum {payload.get('am', '')}: {payload.get('grund', '')}"
    if entry.action == "portal_widerrufen":
        return str(payload.get("email", ""))
    return ""


def history(session: Session, kind: str, ident: str) -> list[HistoryEntry]:
    """The entries about record ``ident`` of ``kind`` (traeger, stadtteil, pairing), oldest
    first."""
    query = select(AuditEntry).order_by(col(AuditEntry.id))
    if kind == "pairing":
        query = query.where(col(AuditEntry.pairing_id) == ident).where(
            col(AuditEntry.action).in_(PAIRING_ACTIONS)
        )
    else:
        query = query.where(col(AuditEntry.after) == ident).where(
            or_(
                col(AuditEntry.action) == f"{kind}_angelegt",
                col(AuditEntry.action) == f"{kind}_geaendert",
            )
        )
    result = []
    for entry in personal.resolved(session, session.exec(query)):
        payload = json.loads(entry.payload or "{}")
        if "neu" in payload:
            changes = tuple(
                FieldHistory(k, None, shown(v))
                for k, v in payload["neu"].items()
                if shown(v) is not None
            )
        else:
            diff = payload.get("aenderungen") or {}
            changes = tuple(
                FieldHistory(k, shown(v.get("vorher")), shown(v.get("nachher")))
                for k, v in diff.items()
            )
        result.append(
            HistoryEntry(
                entry.at,
                entry.actor,
                entry.action,
                action_label(entry.action),
                changes,
                _detail(entry, payload),
            )
        )
    return result
