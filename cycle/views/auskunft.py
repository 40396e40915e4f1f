"""Access requests (Art. 15 DSGVO, SPEC §18): everything zyklus holds that names one address.

``collect`` reads every record, mail, audit entry (with its clear values) and file that names
the address; ``archive`` packs it as ``zusammenfassung.pdf`` (readable), ``auskunft.json``
(complete), the files under ``dateien/`` and ``manifest.sha256`` (``sha256sum -c``). Names are
matched without case; an entry of the log is included when its clear actor or payload names
the address. Nothing is written here; the CLI and the web page record the request through the
bus and hand the bytes out.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from sqlalchemy import String, cast, func
from sqlalchemy import select as core_select
from sqlmodel import col, select

from cycle import german
from cycle.documents.blocks import Block, Heading, Paragraph, Table
from cycle.documents.pdf_render import pdf
from cycle.persistence import personal
from cycle.persistence.tables import (
    AuditEntry,
    MeetingReply,
    Notification,
    OutboxMessage,
    PairingRow,
    PortalSession,
    PortalToken,
    TraegerRow,
    UserRow,
)
from cycle.persistence.uow import reading
from cycle.views.context import ViewContext
from cycle.views.pruefakte import manifest, zip_bytes

MANIFEST = "manifest.sha256"


def _names(column: Any, address: str) -> Any:
    return func.lower(cast(column, String)).contains(address, autoescape=True)


def _iso(value: Any) -> Any:
    return value.isoformat() if hasattr(value, "isoformat") else value


def collect(ctx: ViewContext, address: str) -> dict[str, Any]:
    """The records naming ``address`` as JSON-ready data, by category."""
    a = address.strip().lower()
    found: dict[str, Any] = {"adresse": a, "stand": ctx.now.isoformat()}
    with reading(ctx.engine) as session:
        c = session.connection()
        pairings = c.execute(core_select(PairingRow.__table__)).mappings().all()  # type: ignore[attr-defined]
        found["partnerschaften"] = [
            {"partnerschaft": p["id"], "kontakt": contact}
            for p in pairings
            for contact in (p["data"] or {}).get("contacts", [])
            if str(contact.get("email", "")).lower() == a
        ]
        traeger = c.execute(core_select(TraegerRow.__table__)).mappings().all()  # type: ignore[attr-defined]
        found["traeger"] = [
            {"traeger": t["id"], "angaben": t["data"]}
            for t in traeger
            if a in json.dumps(t["data"], ensure_ascii=False).lower()
        ]
        users = session.exec(select(UserRow).where(func.lower(col(UserRow.email)) == a))
        found["benutzerkonten"] = [
            {"login": u.login, "name": u.name, "rolle": u.role, "aktiv": u.active,
             "angelegt": _iso(u.created_at)}
            for u in users
        ]  # fmt: skip
        tokens = session.exec(select(PortalToken).where(func.lower(col(PortalToken.email)) == a))
        found["portal_links"] = [
            {"art": t.purpose, "partnerschaften": t.pairings, "erstellt": _iso(t.created_at),
             "gueltig_bis": _iso(t.expires_at), "benutzt": _iso(t.used_at),
             "widerrufen": _iso(t.revoked_at)}
            for t in tokens
        ]  # fmt: skip
        sessions = session.exec(
            select(PortalSession).where(func.lower(col(PortalSession.email)) == a)
        )
        found["portal_sitzungen"] = [
            {"erstellt": _iso(s.created_at), "ablauf": _iso(s.expires_at)} for s in sessions
        ]
        replies = session.exec(select(MeetingReply).where(func.lower(col(MeetingReply.email)) == a))
        found["terminantworten"] = [
            {"partnerschaft": r.pairing_id, "jahr": r.year, "stufe": r.stage_id, "art": r.kind,
             "termine": r.dates, "notiz": r.note, "am": _iso(r.created_at)}
            for r in replies
        ]  # fmt: skip
        mails = session.exec(
            select(OutboxMessage).where(
                _names(OutboxMessage.to, a) | _names(OutboxMessage.payload, a)
            )
        )
        found["emails"] = [
            {"betreff": m.subject, "an": m.to, "status": m.status, "erstellt": _iso(m.created_at),
             "versandt": _iso(m.sent_at), "text": m.payload.get("text", "")}
            for m in mails
        ]  # fmt: skip
        notes = session.exec(select(Notification).where(_names(Notification.recipients, a)))
        found["benachrichtigungen"] = [
            {"art": n.kind, "partnerschaft": n.pairing_id, "jahr": n.year, "stufe": n.stage_id,
             "betreff": n.subject, "empfaenger": n.recipients, "am": _iso(n.created_at)}
            for n in notes
        ]  # fmt: skip
        entries = personal.resolved(
            session, session.exec(select(AuditEntry).order_by(col(AuditEntry.id)))
        )
    found["protokoll"] = [
        {"nr": e.id, "zeit": _iso(e.at), "wer": e.actor, "aktion": e.action,
         "partnerschaft": e.pairing_id, "jahr": e.year, "stufe": e.stage_id,
         "daten": json.loads(e.payload)}
        for e in entries
        if a in e.actor.lower() or a in e.payload.lower()
    ]  # fmt: skip
    return found


def _files(ctx: ViewContext, found: dict[str, Any]) -> dict[str, bytes]:
    """The files the person submitted (the log's submissions by her, via the portal)."""
    files: dict[str, bytes] = {}
    for entry in found["protokoll"]:
        upload = entry["daten"] if entry["aktion"] == "submit" else {}
        sha, name = upload.get("sha256"), upload.get("datei")
        if isinstance(sha, str) and len(sha) == 64 and isinstance(name, str):
            path = Path(ctx.var_dir) / "evidence" / sha[:2] / sha
            if path.is_file():
                safe = "".join(ch if ch.isalnum() or ch in "._-" else "_" for ch in name)
                files[f"dateien/{sha[:12]}-{safe}"] = path.read_bytes()
    return files


LABELS = (
    ("partnerschaften", "Kontakt in Partnerschaften"),
    ("traeger", "Stammdaten von Trägern"),
    ("benutzerkonten", "Benutzerkonten"),
    ("portal_links", "Portal-Links und Kalenderadressen"),
    ("portal_sitzungen", "Portal-Sitzungen"),
    ("terminantworten", "Antworten auf Termine"),
    ("emails", "E-Mails im Postausgang"),
    ("benachrichtigungen", "Benachrichtigungen"),
    ("protokoll", "Einträge im Prüfprotokoll"),
)


def _summary(ctx: ViewContext, found: dict[str, Any], files: dict[str, bytes]) -> bytes:
    stelle = ctx.settings.koordinierungsstelle
    when = german.zeit(ctx.now, ctx.tz)
    blocks: list[Block] = [
        Heading(1, "Auskunft nach Art. 15 DSGVO"),
        Paragraph(
            f"Über die E-Mail-Adresse {found['adresse']} sind in zyklus, der Anwendung der "
            f"{stelle.name}, am {when} die folgenden Daten gespeichert. Die vollständigen "
            "Angaben stehen in der Datei auskunft.json; eingereichte Dateien liegen im Ordner "
            "dateien. Die Prüfsummen aller Dateien stehen in manifest.sha256."
        ),
        Table(
            ("Bereich", "Anzahl"),
            (
                *((label, str(len(found[key]))) for key, label in LABELS),
                ("Dateien", str(len(files))),
            ),
            widths=(75, 25),
        ),
    ]
    if found["partnerschaften"]:
        blocks.append(Heading(2, "Kontakt in Partnerschaften"))
        rows = tuple(
            (
                p["partnerschaft"],
                str(p["kontakt"].get("name", "")),
                str(p["kontakt"].get("rolle", "")),
            )
            for p in found["partnerschaften"]
        )
        blocks.append(Table(("Partnerschaft", "Name", "Rolle"), rows))
    if found["emails"]:
        blocks.append(Heading(2, "E-Mails"))
        mails = tuple((m["erstellt"][:10], m["betreff"], m["status"]) for m in found["emails"])
        blocks.append(Table(("Datum", "Betreff", "Status"), mails, widths=(20, 60, 20)))
    if found["protokoll"]:
        blocks.append(Heading(2, "Einträge im Prüfprotokoll"))
        entries = tuple(
            (str(e["nr"]), e["zeit"][:10], e["aktion"], e["partnerschaft"] or "")
            for e in found["protokoll"]
        )
        blocks.append(Table(("Nr.", "Datum", "Aktion", "Partnerschaft"), entries))
    blocks.append(
        Paragraph(
            "Zweck, Empfänger und Speicherdauer stehen in der Datenschutzerklärung. Fragen "
            f"beantwortet die {stelle.name}, {stelle.email}."
        )
    )
    return pdf("Auskunft nach Art. 15 DSGVO", blocks, ctx.now)


def archive(ctx: ViewContext, address: str) -> tuple[bytes, dict[str, Any]]:
    """The ZIP (time stamps: ``ctx.now``) and the collected data."""
    found = collect(ctx, address)
    files = _files(ctx, found)
    files["auskunft.json"] = json.dumps(found, ensure_ascii=False, indent=2).encode("utf-8")
    files["zusammenfassung.pdf"] = _summary(ctx, found, files)
    files[MANIFEST] = manifest(files).encode("utf-8")
    return zip_bytes(files, ctx.now.astimezone(ctx.tz)), found
