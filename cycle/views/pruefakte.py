"""``zyklus report pruefakte PAIRING YEAR --output akte.zip``: the auditors' dossier of one cycle.

One ZIP with everything the Rechnungsprüfungsamt asks for, checkable offline:

- ``abschlussnachweis.pdf``: the cycle's timeline (the Zyklus page's picture, on the document's
  date), each stage with status, due date, done date, the recorded steps (who, when, audit
  number) and the evidence files with their SHA-256;
- ``nachweise/<sha256>-<name>``: every evidence file of the cycle, byte for byte as stored;
- ``jahresbericht/`` and ``verwendungsnachweis/``: the submissions as submitted and as PDF;
- ``protokoll/eintraege.csv`` and ``.json``: the cycle's audit entries with their hashes;
- ``protokoll/pruefung.txt`` and ``.json``: the result of the chain verification (``audit verify``);
- ``LIESMICH.txt`` and ``manifest.sha256`` (``sha256sum`` format: ``sha256sum -c manifest.sha256``).

The ZIP's timestamps are the context's ``now`` (``--now`` makes the file reproducible); the CLI
writes the file (``cycle.cli.documents``).
"""

from __future__ import annotations

import hashlib
import io
import json
import re
import zipfile
from datetime import datetime
from pathlib import Path
from typing import Any

from sqlmodel import Session

from cycle import german
from cycle.documents import leitfaden_pdf, verwendungsnachweis_pdf
from cycle.documents.blocks import Heading, Paragraph, Table
from cycle.documents.pdf_render import PdfBlock, pdf
from cycle.documents.timeline import Timeline
from cycle.errors import Refused
from cycle.persistence.tables import AuditEntry
from cycle.views import cycle_timeline
from cycle.views.audit_view import EXPORT_HEADERS, completion_record, export_rows
from cycle.views.context import ViewContext
from cycle.views.exports import to_csv
from cycle.views.labels import stage_names
from cycle.views.reports import known_pairing, stage_rows, submitted_proof
from cycle.views.wording import anzahl
from workflows.stages import STATUS_LABELS, StageType

MANIFEST = "manifest.sha256"


def archive(ctx: ViewContext, pairing: str, year: int) -> tuple[bytes, int]:
    """The dossier as ZIP bytes (time stamps: ``ctx.now``) and the number of files in it."""
    files = build(ctx, pairing, year)
    return zip_bytes(files, ctx.now.astimezone(ctx.tz)), len(files)


def abschluss_pdf(ctx: ViewContext, pairing: str, year: int) -> bytes:
    """The Abschlussnachweis alone, as in the dossier (the Berichte page offers it)."""
    known_pairing(ctx.settings, pairing)
    record, entries, chain = completion_record(ctx, pairing, year)
    from cycle.persistence.uow import reading

    with reading(ctx.engine) as session:
        rows = stage_rows(session, pairing, year)
        picture = _timeline(ctx, session, pairing, year)
    evidence = _evidence(ctx.var_dir, rows, entries)
    return _abschluss_pdf(ctx, pairing, year, record, evidence, chain.ok, picture)


def build(ctx: ViewContext, pairing: str, year: int) -> dict[str, bytes]:
    """The dossier as ``{path in the ZIP: bytes}``, the manifest last."""
    known_pairing(ctx.settings, pairing)
    record, entries, chain = completion_record(ctx, pairing, year)
    from cycle.persistence import audit_replay
    from cycle.persistence.uow import reading

    tz = ctx.tz
    with reading(ctx.engine) as session:
        rows = stage_rows(session, pairing, year)
        states = audit_replay.state_problem(session, tz) if chain.ok else None
        picture = _timeline(ctx, session, pairing, year)
    files: dict[str, bytes] = {}
    evidence = _evidence(ctx.var_dir, rows, entries)
    for sha, (name, data) in evidence.items():
        files[_evidence_path(sha, name)] = data
    files.update(_submissions(ctx, pairing, year, rows))
    entries_json = [
        {
            "id": e.id,
            "at": e.at.isoformat(),
            "actor": e.actor,
            "action": e.action,
            "pairing": e.pairing_id,
            "year": e.year,
            "stage": e.stage_id,
            "before": e.before,
            "after": e.after,
            "payload": json.loads(e.payload),
            "prev_hash": e.prev_hash,
            "hash": e.hash,
        }
        for e in entries
    ]
    files["protokoll/eintraege.csv"] = to_csv(
        EXPORT_HEADERS, export_rows(entries, tz, stage_names(ctx))
    )
    files["protokoll/eintraege.json"] = _json(entries_json)
    verification = {
        "intakt": chain.ok and states is None,
        "eintraege_gesamt": chain.entries,
        "problem": chain.problem or states,
        "warnungen": list(chain.warnings),
        "geprueft_am": ctx.now.isoformat(),
    }
    files["protokoll/pruefung.json"] = _json(verification)
    files["protokoll/pruefung.txt"] = _verification_text(verification).encode("utf-8")
    files["abschlussnachweis.pdf"] = _abschluss_pdf(
        ctx, pairing, year, record, evidence, chain.ok, picture
    )
    files["LIESMICH.txt"] = _readme(ctx, pairing, year).encode("utf-8")
    files[MANIFEST] = manifest(files).encode("utf-8")
    return files


def manifest(files: dict[str, bytes]) -> str:
    """``sha256sum`` format: ``<hex>  <path>`` per file, sorted by path."""
    lines = [f"{hashlib.sha256(data).hexdigest()}  {path}" for path, data in sorted(files.items())]
    return "\n".join(lines) + "\n"


def zip_bytes(files: dict[str, bytes], when: datetime) -> bytes:
    buffer = io.BytesIO()
    stamp = (max(when.year, 1980), when.month, when.day, when.hour, when.minute, when.second)
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for path, data in files.items():
            info = zipfile.ZipInfo(path, date_time=stamp)
            info.compress_type = zipfile.ZIP_DEFLATED
            info.external_attr = 0o644 << 16
            archive.writestr(info, data)
    return buffer.getvalue()


def _evidence(
    var_dir: Path, rows: dict[str, Any], entries: list[AuditEntry]
) -> dict[str, tuple[str, bytes]]:
    """Every file the cycle's stages or audit entries name by SHA-256, checked against it."""
    named: dict[str, str] = {}
    for row in rows.values():
        _collect(row.facts, named)
    for entry in entries:
        _collect(json.loads(entry.payload), named)
    found: dict[str, tuple[str, bytes]] = {}
    for sha, name in sorted(named.items()):
        path = var_dir / "evidence" / sha[:2] / sha
        try:
            data = path.read_bytes()
        except OSError:
            raise Refused(f"Prüfakte: der Nachweis {name} fehlt im Speicher: {path}") from None
        if hashlib.sha256(data).hexdigest() != sha:
            raise Refused(f"Prüfakte: der Nachweis {name} wurde verändert (SHA-256): {path}")
        found[sha] = (name, data)
    return found


def _collect(value: Any, named: dict[str, str]) -> None:
    if isinstance(value, dict):
        sha = value.get("sha256")
        if isinstance(sha, str) and re.fullmatch(r"[0-9a-f]{64}", sha):
            named.setdefault(sha, str(value.get("datei") or sha))
        for item in value.values():
            _collect(item, named)
    elif isinstance(value, list):
        for item in value:
            _collect(item, named)


def _safe_name(name: str) -> str:
    base = name.replace("\\", "/").rsplit("/", 1)[-1]
    cleaned = re.sub(r"[^\w.\-]+", "_", base).strip("._")
    return cleaned[:80] or "datei"


def _evidence_path(sha: str, name: str) -> str:
    return f"nachweise/{sha}-{_safe_name(name)}"


def _submissions(
    ctx: ViewContext, pairing: str, year: int, rows: dict[str, Any]
) -> dict[str, bytes]:
    files: dict[str, bytes] = {}
    for stage in ctx.settings.stages:
        row = rows.get(stage.id)
        submission = row.facts.get("einreichung") if row is not None else None
        if not isinstance(submission, dict) or not submission.get("sha256"):
            continue
        sha, name = str(submission["sha256"]), str(submission.get("datei") or "einreichung")
        data = (ctx.var_dir / "evidence" / sha[:2] / sha).read_bytes()
        folder = stage.id
        files[f"{folder}/eingereicht-{_safe_name(name)}"] = data
        as_pdf = _as_pdf(ctx, pairing, year, stage.type, name, data)
        if as_pdf is not None:
            files[f"{folder}/{folder}-{pairing}-{year}.pdf"] = as_pdf
    return files


def _as_pdf(
    ctx: ViewContext, pairing: str, year: int, kind: StageType, name: str, data: bytes
) -> bytes | None:
    if kind is StageType.PROOF_OF_FUNDS:
        return verwendungsnachweis_pdf(submitted_proof(ctx, pairing, year))
    lower = name.lower()
    if lower.endswith((".md", ".markdown")):
        return leitfaden_pdf(data.decode("utf-8-sig", errors="replace"), ctx.now)
    if lower.endswith(".docx"):
        from cycle.documents.docx_pdf import docx_pdf

        return docx_pdf(data, ctx.now)
    return None  # a PDF or another format: the submitted file is the document


def _timeline(ctx: ViewContext, session: Session, pairing: str, year: int) -> Timeline | None:
    """The Zyklus page's timeline on the document's date (``ctx.now``), not the wall clock."""
    place = ctx.settings.stadtteile[ctx.settings.pairings[pairing].stadtteil].name
    return cycle_timeline.of_cycle(
        session,
        ctx.settings,
        pairing,
        year,
        ctx.today,
        ctx.tz,
        title=f"Zeitleiste: Zyklus {year} · {place}",
        today_label=f"Stand {german.datum(ctx.today)}",
    )


def _timeline_blocks(picture: Timeline | None) -> list[PdfBlock]:
    """The picture and the same facts as a table (the text alternative, for the text layer)."""
    if picture is None:
        return []
    return [
        Heading(2, "Zeitleiste"),
        Paragraph(
            f"Jede Stufe als Balken vom Beginn ihres Zeitfensters bis zur Frist; "
            f"Stand {german.datum(picture.today)} (Datum dieses Nachweises)."
        ),
        picture,
        Table(("Stufe", "Zeitfenster", "Stand"), picture.rows(), widths=(24, 30, 46)),
    ]


def _abschluss_pdf(
    ctx: ViewContext,
    pairing: str,
    year: int,
    record: dict[str, Any],
    evidence: dict[str, tuple[str, bytes]],
    intact: bool,
    picture: Timeline | None,
) -> bytes:
    settings, tz = ctx.settings, ctx.tz
    p = settings.pairings[pairing]
    traeger, stadtteil = settings.traeger[p.traeger].name, settings.stadtteile[p.stadtteil]
    state = next((s.name for s in settings.stages if s.id == record["state"]), record["state"])
    blocks: list[PdfBlock] = [
        Heading(1, f"Abschlussnachweis Qualitätszyklus {year}"),
        Table(
            ("Angabe", "Eintrag"),
            (
                ("Träger", traeger),
                ("Stadtteil", stadtteil.name),
                ("Jahr", str(year)),
                ("Stand", state),
                ("Erstellt", german.zeit(ctx.now, tz)),
            ),
            widths=(25, 75),
        ),
        *_timeline_blocks(picture),
        Heading(2, "Stufen"),
        Table(
            ("Stufe", "Status", "Frist", "erledigt am", "Schritte (Protokoll-Nr.)"),
            tuple(
                (
                    s["name"],
                    STATUS_LABELS.get(s["status"], s["status"]),
                    s["frist"],
                    s["erledigt_am"] or "–",
                    "; ".join(
                        f"{x['aktion']} {x['am']} durch {x['durch']} (Nr. {x['protokoll_nr']})"
                        for x in s["schritte"]
                    )
                    or "–",
                )
                for s in record["stages"]
            ),
            widths=(20, 14, 13, 13, 40),
        ),
        Heading(2, "Nachweise"),
    ]
    if evidence:
        blocks.append(
            Table(
                ("Datei", "SHA-256"),
                tuple((name, sha) for sha, (name, _) in evidence.items()),
                numeric=(1,),
                widths=(30, 70),
            )
        )
    else:
        blocks.append(Paragraph("Zu diesem Zyklus sind keine Dateien gespeichert."))
    steps = anzahl(sum(len(s["schritte"]) for s in record["stages"]), "Schritt", "Schritte")
    blocks.append(
        Paragraph(
            ("Hash-Kette des Protokolls intakt" if intact else "WARNUNG: Protokoll beschädigt")
            + f"; {steps} aus dem Protokoll. "
            "Prüfsummen aller Dateien dieser Akte: manifest.sha256."
        )
    )
    return pdf(f"Abschlussnachweis {year} – {traeger}, {stadtteil.name}", blocks, ctx.now)


def _verification_text(result: dict[str, Any]) -> str:
    lines = [
        "Prüfung der Hash-Kette des Protokolls (zyklus audit verify)",
        f"Ergebnis: {'intakt' if result['intakt'] else 'BESCHÄDIGT'}",
        f"Einträge im Protokoll: {result['eintraege_gesamt']}",
        f"Geprüft am: {result['geprueft_am']}",
    ]
    if result["problem"]:
        lines.append(f"Problem: {result['problem']}")
    lines += [f"Warnung: {w}" for w in result["warnungen"]]
    return "\n".join(lines) + "\n"


def _readme(ctx: ViewContext, pairing: str, year: int) -> str:
    return (
        f"Prüfakte Qualitätszyklus {year}, Partnerschaft {pairing}\n"
        f"erstellt am {german.zeit_kurz(ctx.now, ctx.tz)} mit zyklus\n\n"
        "Inhalt:\n"
        "  abschlussnachweis.pdf        Zeitleiste, Stufen, Schritte, Nachweise mit SHA-256\n"
        "  nachweise/                   alle gespeicherten Dateien des Zyklus (SHA-256 im Namen)\n"
        "  <stufe>/eingereicht-*        Jahresbericht und Verwendungsnachweis wie eingereicht\n"
        "  <stufe>/*.pdf                dieselben als PDF\n"
        "  protokoll/eintraege.csv/json Protokolleinträge des Zyklus mit Hashes\n"
        "  protokoll/pruefung.txt/json  Ergebnis der Prüfung der Hash-Kette\n\n"
        "Vollständigkeit prüfen (ohne zyklus, ohne Netz), im entpackten Ordner:\n"
        "  Linux:    sha256sum -c manifest.sha256\n"
        "  macOS:    shasum -a 256 -c manifest.sha256\n"
        "  Windows:  Get-FileHash -Algorithm SHA256 <Datei>, mit manifest.sha256 vergleichen\n"
    )


def _json(data: Any) -> bytes:
    return (json.dumps(data, ensure_ascii=False, indent=2, sort_keys=True) + "\n").encode("utf-8")
