"""``[[stage]]``: the stages of one cycle, read for ``cycle.config.loader``.

Problems go to the shared ``Problems`` (see ``cycle.config.schema``); file paths resolve against
the config file's folder and must exist.
"""

from __future__ import annotations

import re
from pathlib import Path

from cycle.config.schema import STAGE_ID, Table, read_ids
from cycle.config.settings import StageSpec
from cycle.config.values import choices, describe, quote, suggestion
from workflows.calendar import DateSpec, DateSpecError
from workflows.stages import StageType

STAGE_KEYS = (
    "id",
    "name",
    "type",
    "opens",
    "due",
    "requires",
    "leitfaden",
    "leitfaden_jahre",
    "vorlage",
    "remind_before_days",
    "escalate_after_days",
    "meeting_reminder_days",
)
STAGE_TYPES = tuple(t.value for t in StageType)
_MEETINGS = (StageType.MEETING, StageType.GROUP_MEETING)
_STAGE_ID_HINT = "Kleinbuchstaben a–z, Ziffern und _, beginnend mit einem Buchstaben"
_YEAR = re.compile(r"^[0-9]{4}$")
FIRST_YEAR, LAST_YEAR = 2000, 2100
_NOT_GUIDES = 'erwartet eine Tabelle Jahr = Datei, z. B. { 2027 = "vorlagen/leitfaden-2027.md" }'


def _file(table: Table, key: str, base_dir: Path, required: bool = False) -> Path | None:
    text = table.text(key, required)
    if text is None:
        return None
    path = base_dir / text
    if not path.is_file():
        table.problems.add(table.at(key), f"Datei {quote(text)} nicht gefunden (gesucht: {path})")
    return path


def _guides_by_year(stage: Table, base_dir: Path) -> tuple[tuple[int, Path], ...]:
    """``leitfaden_jahre = { 2027 = "…" }``: guides replacing ``leitfaden`` in single years."""
    raw = stage.raw.get("leitfaden_jahre")
    if raw is None:
        return ()
    if not isinstance(raw, dict):
        stage.problems.add(
            stage.at("leitfaden_jahre"),
            f"{_NOT_GUIDES}, gefunden: {describe(raw)}",
        )
        return ()
    table = stage.table("leitfaden_jahre", tuple(raw))
    guides: list[tuple[int, Path]] = []
    for key in table.raw:
        year = int(key) if _YEAR.match(key) else None
        if year is None or not FIRST_YEAR <= year <= LAST_YEAR:
            table.problems.add(
                table.at(key),
                f"{quote(key)} ist keine Jahreszahl (erlaubt: {FIRST_YEAR} bis {LAST_YEAR})",
            )
            year = None
        guide = _file(table, key, base_dir, required=True)
        if year is not None and guide is not None:
            guides.append((year, guide))
    return tuple(sorted(guides))


def _date_spec(table: Table, key: str, required: bool = False) -> DateSpec | None:
    value = table.value(
        key,
        lambda v: isinstance(v, str),
        "erwartet „MM-TT“ oder „+1-MM-TT“ in Anführungszeichen",
        required,
    )
    if not isinstance(value, str):
        return None
    try:
        return DateSpec.parse(value)
    except DateSpecError as exc:
        table.problems.add(table.at(key), str(exc))
        return None


def _requires(table: Table, earlier: list[str | None], ids: list[str | None]) -> tuple[str, ...]:
    """The stages this one waits for; by default the previous stage in the list."""
    if not table.has("requires"):
        return (earlier[-1],) if earlier and earlier[-1] else ()
    required: list[str] = []
    for ident in table.text_list("requires") or ():
        if ident in earlier:
            required.append(ident)
        elif ident in ids:
            table.problems.add(
                table.at("requires"),
                f"{quote(ident)} ist diese oder eine spätere "
                "Stufe; eine Stufe kann nur frühere Stufen voraussetzen",
            )
        else:
            known = [i for i in ids if i]
            table.problems.add(
                table.at("requires"), f"unbekannte Stufe {quote(ident)}{suggestion(ident, known)}"
            )
    return tuple(dict.fromkeys(required))


def _stage_type(table: Table) -> StageType | None:
    text = table.text("type", required=True)
    if text is None or text in STAGE_TYPES:
        return StageType(text) if text else None
    table.problems.add(
        table.at("type"),
        f"unbekannter Stufentyp {quote(text)} {choices(text, STAGE_TYPES)}",
    )
    return None


def read_stages(root: Table, base_dir: Path) -> tuple[StageSpec, ...]:
    """``[[stage]]`` in file order; at least one is required."""
    tables = root.tables("stage", STAGE_KEYS, required=True)
    ids = read_ids(tables, STAGE_ID, _STAGE_ID_HINT)
    stages: list[StageSpec] = []
    for index, (table, ident) in enumerate(zip(tables, ids, strict=True)):
        name, stage_type = table.text("name", required=True), _stage_type(table)
        due, opens = _date_spec(table, "due", required=True), _date_spec(table, "opens")
        if due and opens and opens.resolve(2024) > due.resolve(2024):
            table.problems.add(
                table.at("opens"), f"Beginn {quote(opens)} liegt nach der Frist {quote(due)}"
            )
        requires = _requires(table, ids[:index], ids)
        leitfaden, vorlage = _file(table, "leitfaden", base_dir), _file(table, "vorlage", base_dir)
        leitfaden_jahre = _guides_by_year(table, base_dir)
        meeting_days = table.day_list("meeting_reminder_days")
        if meeting_days is not None and stage_type is not None and stage_type not in _MEETINGS:
            table.problems.add(
                table.at("meeting_reminder_days"),
                "gilt nur für Stufen vom Typ meeting und group_meeting",
            )
        remind, escalate = (
            table.day_list("remind_before_days"),
            table.day_list("escalate_after_days"),
        )
        if ident and name and stage_type and due:
            stages.append(
                StageSpec(
                    ident,
                    name,
                    stage_type,
                    due,
                    opens,
                    requires,
                    leitfaden,
                    vorlage,
                    remind,
                    escalate,
                    meeting_days,
                    leitfaden_jahre,
                )
            )
    return tuple(stages)
