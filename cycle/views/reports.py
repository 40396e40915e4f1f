"""``zyklus report jahresbericht | verwendungsnachweis | buendelung``: documents from stored data.

Formats: the Jahresbericht skeleton ``md|docx|pdf``, the Verwendungsnachweis
``md|html|pdf|docx``, the Bündelung ``md|docx|pdf`` (SPEC §11).

Each document is returned as text (``md``, ``html``) or bytes (``docx``, ``pdf``); the CLI
(``cycle.cli.documents``) prints it or writes ``--output``, the web and the portal send it.
"""

from __future__ import annotations

import hashlib
from datetime import date, tzinfo
from pathlib import Path
from typing import Any

from sqlmodel import Session, col, select

from cycle.config.settings import Pairing, Settings, StageSpec
from cycle.documents import (
    Abzeichnung,
    BuendelungDaten,
    Dialog,
    JahresberichtDaten,
    Termin,
    VerwendungsnachweisDokument,
    Zeichnungsweg,
    buendelung_docx,
    buendelung_markdown,
    buendelung_pdf,
    parse,
    skeleton_docx,
    skeleton_markdown,
    skeleton_pdf,
    verwendungsnachweis_docx,
    verwendungsnachweis_html,
    verwendungsnachweis_markdown,
    verwendungsnachweis_pdf,
)
from cycle.errors import Problem, Refused, UsageError
from cycle.persistence.tables import Cycle, PairingRow, StadtteilRow, StageState, TraegerRow
from cycle.persistence.uow import reading
from cycle.views.context import ViewContext
from workflows.stages import StageType

MEETINGS = (StageType.MEETING, StageType.GROUP_MEETING)
HELD = "durchgefuehrt"


def jahresbericht(ctx: ViewContext, pairing: str, year: int, fmt: str) -> str | bytes:
    """The skeleton after Anlage 1, prefilled with profile, Stadtteil, names and the meetings."""
    data = jahresbericht_data(ctx, pairing, year)
    if fmt == "docx":
        return skeleton_docx(data)
    if fmt == "pdf":
        return skeleton_pdf(data, ctx.now)
    return skeleton_markdown(data)


def jahresbericht_data(ctx: ViewContext, pairing: str, year: int) -> JahresberichtDaten:
    """What the Jahresbericht skeleton is filled with (CLI and web application)."""
    known_pairing(ctx.settings, pairing)
    with reading(ctx.engine) as session:
        return skeleton_data(session, ctx.settings, ctx.tz, pairing, year)


def skeleton_data(
    session: Session, settings: Settings, tz: tzinfo, pairing: str, year: int
) -> JahresberichtDaten:
    """The prefilled skeleton's data from an open session (the mail pipeline attaches it).

    ``skeleton_docx(skeleton_data(...))`` is the pairing's prefilled DOCX.
    """
    p = settings.pairings[pairing]
    rows = stage_rows(session, pairing, year)
    return JahresberichtDaten(
        traeger=settings.traeger[p.traeger],
        stadtteil=settings.stadtteile[p.stadtteil],
        jahr=year,
        stadtteilmanager=tuple(c.name for c in p.contacts),
        termine=_termine(settings, tz, rows),
        angebot=p.angebot,
    )


def _termine(settings: Settings, tz: tzinfo, rows: dict[str, StageState]) -> tuple[Termin, ...]:
    termine = []
    for stage in settings.stages:
        row = rows.get(stage.id)
        if stage.type in MEETINGS and row is not None:
            termine.append(Termin(stage.name, _meeting_day(tz, row), row.status))
    return tuple(termine)


def _meeting_day(tz: tzinfo, row: StageState) -> date | None:
    if row.status == "entfallen":
        return None
    if row.done_on is not None:
        return row.done_on
    return row.scheduled_at.astimezone(tz).date() if row.scheduled_at else None


def verwendungsnachweis(ctx: ViewContext, pairing: str, year: int, fmt: str) -> str | bytes:
    """The filled Anlage 3 form from the stored submission and the recorded sign-off chain."""
    doc = submitted_proof(ctx, pairing, year)
    if fmt == "pdf":
        return verwendungsnachweis_pdf(doc)
    if fmt == "docx":
        return verwendungsnachweis_docx(doc)
    if fmt == "html":
        return verwendungsnachweis_html(doc)
    return verwendungsnachweis_markdown(doc)


def submitted_proof(ctx: ViewContext, pairing: str, year: int) -> VerwendungsnachweisDokument:
    """The stored Verwendungsnachweis of one cycle with its sign-off chain (``Refused`` if none).

    Shared by ``report verwendungsnachweis`` and the web application's check page.
    """
    settings = ctx.settings
    p = known_pairing(settings, pairing)
    stage = _stage_of_type(settings, StageType.PROOF_OF_FUNDS)
    with reading(ctx.engine) as session:
        row = stage_rows(session, pairing, year).get(stage.id)
    submission = row.facts.get("einreichung") if row is not None else None
    if row is None or not isinstance(submission, dict) or not submission.get("sha256"):
        raise Refused(f"{pairing} {year}: Es wurde noch kein {stage.name} eingereicht.")
    text = _stored_text(ctx.var_dir, str(submission["sha256"]))
    nachweis = parse(text)
    if isinstance(nachweis, list):
        raise Refused(
            f"{pairing} {year}: Die gespeicherte Einreichung ist kein lesbarer {stage.name}.",
            *(str(problem) for problem in nachweis),
        )
    k, traeger = settings.koordinierungsstelle, settings.traeger[p.traeger]
    kontakt = " · ".join(x for x in (f"Tel. {k.telefon}" if k.telefon else "", k.email) if x)
    return VerwendungsnachweisDokument(
        pairing_id=pairing,
        traeger=traeger.name,
        stadtteil=settings.stadtteile[p.stadtteil].name,
        jahr=year,
        nachweis=nachweis,
        zeichnungsweg=zeichnungsweg(row.facts),
        eingereicht_am=date.fromisoformat(str(submission["am"])),
        rules=settings.verwendungsnachweis,
        empfaenger=k.anschrift or (k.name, k.ort),
        absender=(traeger.name, *_lines(traeger.anschrift)),
        ort=traeger.sitz or k.ort,
        kontakt=f"Rückfragen: {k.name}, {kontakt}",
    )


def _lines(address: str | None) -> tuple[str, ...]:
    return tuple(part.strip() for part in (address or "").split(",") if part.strip())


def zeichnungsweg(facts: dict[str, Any]) -> Zeichnungsweg:
    """The sign-off chain as recorded by ``check``, ``acknowledge`` and ``file``."""

    def step(event: str) -> Abzeichnung | None:
        fact = facts.get(event)
        if not isinstance(fact, dict) or not fact.get("am"):
            return None
        return Abzeichnung(date.fromisoformat(str(fact["am"])), str(fact.get("durch", "")))

    return Zeichnungsweg(step("check"), step("acknowledge"), step("file"))


def _stored_text(var_dir: Path, sha: str) -> str:
    path = var_dir / "evidence" / sha[:2] / sha
    try:
        data = path.read_bytes()
    except OSError:
        raise Refused(f"Die eingereichte Datei fehlt im Nachweisspeicher: {path}") from None
    if hashlib.sha256(data).hexdigest() != sha:
        raise Refused(f"Die gespeicherte Datei wurde verändert (SHA-256 stimmt nicht): {path}")
    return data.decode("utf-8-sig")


def handlungsfelder(settings: Settings) -> list[str]:
    """The Handlungsfelder of the configured pairings, sorted."""
    return sorted({p.handlungsfeld for p in settings.pairings.values()})


def buendelung(ctx: ViewContext, year: int, handlungsfeld: str | None, fmt: str) -> str | bytes:
    """Every held dialogue of the cycles of ``year``, per Handlungsfeld."""
    data = buendelung_data(ctx, year, handlungsfeld)
    if fmt == "docx":
        return buendelung_docx(data)
    if fmt == "pdf":
        return buendelung_pdf(data, ctx.now)
    return buendelung_markdown(data)


def buendelung_data(ctx: ViewContext, year: int, handlungsfeld: str | None) -> BuendelungDaten:
    with reading(ctx.engine) as session:
        dialoge = held_dialogues(ctx.settings, session, year)
    return BuendelungDaten(year, dialoge, handlungsfeld)


def held_dialogues(settings: Settings, session: Session, year: int) -> tuple[Dialog, ...]:
    """Held meetings of ``year``; a group meeting on one day is one joint event."""
    stages = {s.id: s for s in settings.stages if s.type in MEETINGS}
    query = (
        select(StageState, PairingRow, TraegerRow, StadtteilRow)
        .join(Cycle, col(Cycle.id) == col(StageState.cycle_id))
        .join(PairingRow, col(PairingRow.id) == col(Cycle.pairing_id))
        .join(TraegerRow, col(TraegerRow.id) == col(PairingRow.traeger_id))
        .join(StadtteilRow, col(StadtteilRow.id) == col(PairingRow.stadtteil_id))
        .where(col(Cycle.year) == year)
        .where(col(StageState.status) == HELD)
        .where(col(StageState.stage_id).in_(list(stages)))
        .order_by(col(StageState.done_on), col(PairingRow.id))
    )
    found = list(session.exec(query))
    totals = _event_totals(stages, [row for row, _, _, _ in found], year)
    dialoge = []
    for row, pairing, traeger, stadtteil in found:
        stage, day = stages[row.stage_id], _held_on(row, year)
        event = _event_key(stage, day, row.facts)
        dialoge.append(
            Dialog(
                pairing_id=pairing.id,
                traeger=traeger.name,
                stadtteil=stadtteil.name,
                angebot=str(pairing.data.get("angebot") or pairing.handlungsfeld),
                handlungsfeld=pairing.handlungsfeld,
                stufe=stage.name,
                datum=day,
                teilnehmende=totals[event] if event else _count(row.facts),
                leitfaden=_leitfaden_title(stage.leitfaden_for(year)),
                veranstaltung=event,
            )
        )
    return tuple(dialoge)


def _event_key(stage: StageSpec, day: date, facts: dict[str, Any]) -> str | None:
    """The joint event a held meeting belonged to: one completed for several pairings at once
    (``veranstaltung``), or any group meeting on one day; ``None`` for a single dialogue."""
    joint = facts.get("veranstaltung")
    if isinstance(joint, str) and joint:
        return joint
    return f"{stage.id}-{day.isoformat()}" if stage.type is StageType.GROUP_MEETING else None


def _held_on(row: StageState, year: int) -> date:
    return row.done_on or date(year, 12, 31)  # done_on is always set by `complete`


def _event_totals(
    stages: dict[str, StageSpec], rows: list[StageState], year: int
) -> dict[str, int]:
    """Participants of each joint event: distinct names plus the counts given without names.

    Attendance is recorded per pairing; a person recorded by name for two pairings counts once.
    A count given by one command for several pairings (``complete alle … --participants 14``,
    the web's Gemeinsamer Termin) is the meeting's count: all its rows carry the same
    ``veranstaltung`` and it is counted once, not once per pairing. Counts recorded for the same
    group meeting by separate commands (each pairing its own people) add up.
    """
    names: dict[str, set[str]] = {}
    counts: dict[str, dict[object, int]] = {}
    for index, row in enumerate(rows):
        event = _event_key(stages[row.stage_id], _held_on(row, year), row.facts)
        if event is None:
            continue
        listed = [str(n) for n in row.facts.get("teilnehmende") or []]
        names.setdefault(event, set()).update(listed)
        recorded = counts.setdefault(event, {})
        command = row.facts.get("veranstaltung") or index  # one command, one count
        given = 0 if listed else _count(row.facts)
        recorded[command] = max(recorded.get(command, 0), given)
    return {event: len(names[event]) + sum(counts[event].values()) for event in names}


def _count(facts: dict[str, Any]) -> int:
    value = facts.get("anzahl_teilnehmende")
    return int(value) if isinstance(value, int) else 0


def _leitfaden_title(guide: Path | None) -> str | None:
    """The guide's first Markdown heading (without a leading "Leitfaden"), else its file name."""
    if guide is None:
        return None
    try:
        lines = guide.read_text(encoding="utf-8").splitlines()
    except (OSError, UnicodeDecodeError):
        return guide.name
    title = next((line[2:].strip() for line in lines if line.startswith("# ")), "")
    return title.removeprefix("Leitfaden ").strip() or guide.name


# --- shared helpers ---------------------------------------------------------------------------


def stage_rows(session: Session, pairing: str, year: int) -> dict[str, StageState]:
    """The stage rows of one cycle by stage id; empty when the cycle does not exist."""
    query = (
        select(StageState)
        .join(Cycle, col(Cycle.id) == col(StageState.cycle_id))
        .where(col(Cycle.pairing_id) == pairing)
        .where(col(Cycle.year) == year)
    )
    return {row.stage_id: row for row in session.exec(query)}


def known_pairing(settings: Settings, pairing: str) -> Pairing:
    """The configured pairing, or a usage error naming it."""
    found = settings.pairings.get(pairing)
    if found is None:
        raise UsageError(
            Problem("pairing", "unbekannte_partnerschaft", f"unbekannte Partnerschaft „{pairing}“")
        )
    return found


def _stage_of_type(settings: Settings, kind: StageType) -> StageSpec:
    stage = next((s for s in settings.stages if s.type is kind), None)
    if stage is None:
        raise UsageError(f"Die Konfiguration hat keine Stufe vom Typ „{kind.value}“.")
    return stage
