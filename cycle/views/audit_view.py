"""``zyklus audit``, ``audit verify`` and ``report abschluss``: reading the log.

The functions return text, cells or a result; ``cycle.cli.listings`` prints them.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import tzinfo
from typing import Any

from sqlmodel import col, select

from cycle import german
from cycle.config.settings import Settings
from cycle.errors import Problem, Refused, UsageError
from cycle.persistence import audit, audit_check, personal
from cycle.persistence.replay_rules import HAND_OVER
from cycle.persistence.tables import AuditEntry, Cycle, StageState
from cycle.persistence.uow import reading
from cycle.views.context import ViewContext
from cycle.views.exports import Cell, Sheet, local
from cycle.views.formats import table, to_json
from cycle.views.labels import (
    action_label,
    after_label,
    change_text,
    payload_text,
    stage_names,
    status_label,
)
from cycle.views.wording import anzahl
from workflows.cycle_state import cycle_state
from workflows.stages import EVENT_LABELS, STATUS_LABELS, is_done

HEADERS = [
    "id",
    "at",
    "actor",
    "action",
    "pairing",
    "year",
    "stage",
    "before",
    "after",
    "payload",
    "hash",
]


def _row(entry: AuditEntry) -> list[Any]:
    return [
        entry.id,
        entry.at.isoformat(),
        entry.actor,
        entry.action,
        entry.pairing_id or "",
        entry.year or "",
        entry.stage_id or "",
        entry.before or "",
        entry.after or "",
        entry.payload,
        entry.hash,
    ]


EXPORT_HEADERS = [
    "Nr.",
    "Zeit",
    "Wer",
    "Aktion",
    "Partnerschaft",
    "Jahr",
    "Stufe",
    "vorher",
    "nachher",
    "Daten",
    "Hash",
]


def export_rows(
    entries: list[AuditEntry], tz: tzinfo, stages: Mapping[str, str] | None = None
) -> list[list[Cell]]:
    """The entries typed for CSV/XLSX, as a German reader reads them: local times, the action,
    stage and statuses by their labels, the data as text (``Termin: 15.06.2027 10:00``). The
    stored ids and the raw data are in the JSON listing, which the hash chain covers."""
    names = stages or {}
    return [
        [
            e.id,
            local(e.at, tz),
            e.actor,
            action_label(e.action),
            e.pairing_id,
            e.year,
            names.get(e.stage_id, e.stage_id) if e.stage_id else None,
            status_label(e.before) if e.before else None,
            after_label(e.action, e.after) if e.after else None,
            payload_text(e.payload, tz),
            e.hash,
        ]
        for e in entries
    ]


def listing(ctx: ViewContext, pairing: str | None, year: int | None, fmt: str) -> str | Sheet:
    """The log (all, or one pairing and/or year): JSON or a table as text, or cells for CSV/XLSX."""
    query = select(AuditEntry).order_by(col(AuditEntry.id))
    if pairing:
        query = query.where(AuditEntry.pairing_id == pairing)
    if year:
        query = query.where(AuditEntry.year == year)
    with reading(ctx.engine) as session:
        entries = personal.resolved(session, session.exec(query))
    if fmt == "json":
        return to_json(
            [
                dict(zip(HEADERS, _row(e), strict=True)) | {"payload": json.loads(e.payload)}
                for e in entries
            ]
        )
    if fmt in ("csv", "xlsx"):
        stem = "-".join(str(x) for x in ("protokoll", pairing, year) if x)
        return Sheet(EXPORT_HEADERS, export_rows(entries, ctx.tz, stage_names(ctx)), stem)
    tz, names = ctx.tz, stage_names(ctx)
    shown = table(
        ["Nr.", "Zeit", "Wer", "Aktion", "Partnerschaft", "Jahr", "Stufe", "vorher → nachher"],
        [
            [
                e.id,
                german.zeit_kurz(e.at, tz),
                e.actor,
                action_label(e.action),
                e.pairing_id or "",
                e.year or "",
                names.get(e.stage_id, e.stage_id) if e.stage_id else "",
                change_text(e.action, e.before, e.after),
            ]
            for e in entries
        ],
    )
    return f"{shown}\n{anzahl(len(entries), 'Eintrag', 'Einträge')}."


@dataclass(frozen=True)
class ChainCheck:
    """The result of ``audit verify``: ``intact`` decides the exit code, ``lines`` say why.

    ``missing_key`` is set when keyed entries cannot be checked without the key (a usage error).
    """

    intact: bool
    lines: tuple[str, ...]
    warnings: tuple[str, ...]
    missing_key: str | None = None


def verify(ctx: ViewContext, anchor: str | None = None) -> ChainCheck:
    """Chain, head row, the anchor file and its sealed mark, anchors given with ``--anchor``
    and the replayed stage states (SPEC §9).

    Warnings: no key, entries from before the key, no copy of the anchors.
    """
    from cycle.persistence import anchors, audit_replay

    published = anchors.read(anchor) if anchor else []
    local = anchors.read_file(ctx.settings.anchor_path)
    with reading(ctx.engine) as session:
        result = audit_check.verify(session, published, local)
        states = audit_replay.state_problem(session, ctx.tz) if result.ok else None
    warnings = tuple(result.warnings)
    if result.needs_key:
        return ChainCheck(False, (), warnings, result.problem or "")
    problem = result.problem or states
    if problem is None:
        checked = f"{len(local.anchors)} Anker der Ankerdatei"
        if published:
            checked += f" und {len(published)} aus --anchor"
        return ChainCheck(
            True,
            (
                f"Protokoll unverändert: {result.entries} Einträge, Hash-Kette intakt, {checked} "
                "geprüft, Stufen (Status, Frist, Erledigt am, Fakten) stimmen mit dem Protokoll "
                "überein.",
            ),
            warnings,
        )
    lines = [f"Protokoll beschädigt: {problem}"]
    if result.problem:
        lines.append(f"Die ersten {result.entries} Einträge sind intakt.")
    return ChainCheck(False, tuple(lines), warnings)


def abschluss(ctx: ViewContext, pairing: str, year: int, fmt: str) -> str:
    """``report abschluss``: the Abschlussnachweis as JSON or as text for the terminal."""
    record, entries, chain = completion_record(ctx, pairing, year)
    if fmt == "json":
        return to_json(record)
    settings, tz = ctx.settings, ctx.tz
    p = settings.pairings[pairing]
    lines = [
        f"Abschlussnachweis Qualitätszyklus {year}",
        f"Partnerschaft: {pairing} · {settings.traeger[p.traeger].name} · "
        f"{settings.stadtteile[p.stadtteil].name}",
    ]
    state = next((s.name for s in settings.stages if s.id == record["state"]), record["state"])
    lines.append(f"Stand: {state}")
    body = []
    for stage in record["stages"]:
        steps = "\n".join(
            f"{s['aktion']} {s['am']} durch {s['durch']}"
            + (f": {s['notiz']}" if s.get("notiz") else "")
            for s in stage["schritte"]
        )
        body.append(
            [
                stage["name"],
                STATUS_LABELS.get(stage["status"], stage["status"]),
                stage["erledigt_am"] or "–",
                steps,
                "\n".join(stage["nachweise"]) or "–",
            ]
        )
    lines.append(table(["Stufe", "Status", "erledigt am", "Schritte", "Nachweis (SHA-256)"], body))
    for handover in record["uebergaben"]:
        other = handover.get("partnerschaft")
        if handover["aktion"] == "partnerschaft_beendet":
            successor = f", Nachfolge: {other}" if other else ""
            lines.append(f"Beendet am {handover['am']}{successor}")
        elif other:
            lines.append(f"Übernommen von {other} am {handover['am']}")
    for note in record["notizen"]:
        lines.append(f"Notiz {note['am']} ({note['durch']}): {note['notiz']}")
    lines.append(
        ("Hash-Kette intakt" if chain.ok else f"WARNUNG: {chain.problem}")
        + f" · {len(entries)} Protokolleinträge"
        + f" · erstellt {german.zeit_kurz(ctx.now, tz)}"
    )
    return "\n".join(lines)


def completion_record(
    ctx: ViewContext, pairing: str, year: int
) -> tuple[dict[str, Any], list[AuditEntry], audit.Verification]:
    """The Abschlussnachweis of one cycle as data (CLI ``report abschluss`` and the web)."""
    if pairing not in ctx.settings.pairings:
        raise UsageError(
            Problem("pairing", "unbekannte_partnerschaft", f"unbekannte Partnerschaft „{pairing}“")
        )
    with reading(ctx.engine) as session:
        cycle = session.exec(
            select(Cycle).where(Cycle.pairing_id == pairing).where(Cycle.year == year)
        ).first()
        if cycle is None:
            raise Refused(f"{pairing}: kein Zyklus im Jahr {year}.")
        rows = {
            r.stage_id: r
            for r in session.exec(select(StageState).where(StageState.cycle_id == cycle.id))
        }
        entries = personal.resolved(
            session,
            session.exec(
                select(AuditEntry)
                .where(AuditEntry.pairing_id == pairing)
                .where(AuditEntry.year == year)
                .order_by(col(AuditEntry.id))
            ),
        )
        chain = audit_check.verify(session)
    return _record(ctx.settings, ctx.tz, pairing, year, cycle, rows, entries, chain), entries, chain


def _record(
    settings: Settings,
    tz: tzinfo,
    pairing: str,
    year: int,
    cycle: Cycle,
    rows: dict[str, StageState],
    entries: list[AuditEntry],
    chain: audit.Verification,
) -> dict[str, Any]:
    stages = []
    for spec in settings.stages:
        row = rows.get(spec.id)
        if row is None:
            continue
        steps = [
            {
                "aktion": EVENT_LABELS.get(e.action, e.action),
                "am": _event_day(e, tz),
                "durch": e.actor,
                "protokoll_nr": e.id,
                "hash": e.hash,
                **_note_of(e),
            }
            for e in entries
            if e.stage_id == spec.id and not e.action.startswith("benachrichtigung_")
        ]
        proofs = []
        for key in ("nachweis", "einreichung"):
            fact = row.facts.get(key)
            if isinstance(fact, dict) and fact.get("sha256"):
                proofs.append(f"{fact.get('datei', '')} {fact['sha256']}")
        stages.append(
            {
                "stage": spec.id,
                "name": spec.name,
                "status": row.status,
                "done": is_done(row.status),
                "erledigt_am": f"{row.done_on:%d.%m.%Y}" if row.done_on else None,
                "frist": f"{row.due:%d.%m.%Y}",
                "schritte": steps,
                "nachweise": proofs,
            }
        )
    listed = ((spec.id, rows[spec.id].status) for spec in settings.stages if spec.id in rows)
    state = cycle_state(listed, cycle.ended_on is not None)
    return {
        "pairing": pairing,
        "year": year,
        "state": state,
        "stages": stages,
        "notizen": [
            {"am": _event_day(e, tz), "durch": e.actor, **_note_of(e)}
            for e in entries
            if e.action == "notiz" and e.stage_id is None
        ],
        "uebergaben": list(  # one line per end or take-over, not one per stage taken
            {
                (e.action, e.payload if e.action not in HAND_OVER else None): {
                    "aktion": e.action,
                    "am": _event_day(e, tz),
                    **_handover_of(e),
                }
                for e in entries
                if e.action == "partnerschaft_beendet" or e.action in HAND_OVER
            }.values()
        ),
        "audit_intact": chain.ok,
        "audit_problem": chain.problem,
    }


def _note_of(entry: AuditEntry) -> dict[str, str]:
    payload = json.loads(entry.payload)
    note = payload.get("notiz") if isinstance(payload, dict) else None
    return {"notiz": note} if isinstance(note, str) and note else {}


def _handover_of(entry: AuditEntry) -> dict[str, str]:
    """The other pairing of a hand-over: the successor of an end, the predecessor of a take-over."""
    payload = json.loads(entry.payload)
    if not isinstance(payload, dict):
        return {}
    other = payload.get("nachfolge") or payload.get("von")
    return {"partnerschaft": other} if isinstance(other, str) else {}


def _event_day(entry: AuditEntry, tz: Any) -> str:
    payload = json.loads(entry.payload)
    if isinstance(payload, dict) and isinstance(payload.get("am"), str):
        day = payload["am"]
        return f"{day[8:10]}.{day[5:7]}.{day[0:4]}"
    return german.datum(entry.at, tz)
