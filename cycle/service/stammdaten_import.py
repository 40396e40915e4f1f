"""A master-data file planned against the stored master data (SPEC §16): the preview that
``zyklus stammdaten import`` and the page ``/stammdaten/import`` show, and the command that
applies it.

``preview`` is pure: the file is parsed (``cycle.stammdaten_io.parse``: every problem at its
sheet, row and column) and, when it has none, planned (``stammdaten.plan``: neu / geändert with
old → new per field / unverändert / beendet, the effects on the running year, and the problems
of the result, placed back in the file). ``ImportPreview.command`` is the ``ApplyMasterData``
that applies exactly the previewed plan: it carries the stored version the preview was built on
(``App.master_version``), so the bus refuses it when the master data changed in between;
applying is one transaction with one audit entry per changed record
(``stammdaten.apply_master_data``).
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from datetime import date

from cycle.config.master_rules import MasterProblem, RecordRef
from cycle.config.settings import MasterData, Pairing
from cycle.service import commands as c
from cycle.service.stammdaten import (
    KIND_LABELS,
    LABELS,
    FieldChange,
    Plan,
    RecordPlan,
    Status,
    new_problems,
    plan,
)
from cycle.stammdaten_io import Parsed, parse
from cycle.stammdaten_io.layout import KINDS

NOT_IN_FILE = "nicht in der Datei"


@dataclass(frozen=True)
class Line:
    """One record of the preview: its status, what it is, where it stands in the file."""

    status: Status
    kind: str
    id: str
    label: str  # the name a reader knows it by
    place: str  # "Blatt „Träger“, Zeile 4" or NOT_IN_FILE
    changes: tuple[FieldChange, ...] = ()
    effects: tuple[str, ...] = ()

    @property
    def kind_label(self) -> str:
        return KIND_LABELS[self.kind]


@dataclass(frozen=True)
class ImportPreview:
    """What importing the file ``name`` would do; ``problems`` block it (German, by place)."""

    name: str
    parsed: Parsed
    plan: Plan | None
    problems: tuple[str, ...]
    lines: tuple[Line, ...] = ()
    version: str | None = None  # the stored master data's version the preview was built on

    @property
    def ok(self) -> bool:
        return self.plan is not None and not self.problems

    @property
    def counts(self) -> Counter[Status]:
        return Counter(line.status for line in self.lines)

    @property
    def changed(self) -> tuple[Line, ...]:
        return tuple(line for line in self.lines if line.status is not Status.UNVERAENDERT)

    def summary(self) -> str:
        counts = self.counts
        return ", ".join(f"{counts[s]} {s}" for s in Status)

    def command(self) -> c.ApplyMasterData:
        """The command that applies the previewed plan (and nothing else)."""
        assert self.plan is not None and self.ok
        return c.ApplyMasterData(
            self.parsed.desired,
            base_version=self.version,
            reason=f"Stammdaten-Import ({self.name})",
        )


def _label(record: object, master: MasterData) -> str:
    if isinstance(record, Pairing):
        traeger = master.traeger.get(record.traeger)
        stadtteil = master.stadtteile.get(record.stadtteil)
        names = (t.name if t else "?" for t in (traeger, stadtteil))
        return " × ".join(names) + f" ({record.handlungsfeld})"
    return str(getattr(record, "name", ""))


def _column(field: str | None) -> str | None:
    if field is None:
        return None
    if field == "contacts":
        return "Kontakt 1 Name"
    found = next((col for kind in KINDS for col in kind.columns if col.key == field), None)
    return found.label if found else LABELS.get(field, field)


def placed(problem: MasterProblem, parsed: Parsed) -> str:
    """A problem of the plan (at a record and field) at its place in the file."""
    where = problem.location
    if not isinstance(where, RecordRef):
        return str(problem)
    place = (parsed.places or {}).get((where.kind, where.id))
    if place is None:
        return f"{KIND_LABELS.get(where.kind, where.kind)} „{where.id}“: {problem.message}"
    column = _column(where.field)
    return f"{place}{f', Spalte „{column}“' if column else ''}: {problem.message}"


ORDER = (Status.GEAENDERT, Status.BEENDET, Status.NEU, Status.UNVERAENDERT)  # changes first


def _line(record: RecordPlan, parsed: Parsed, master: MasterData) -> Line:
    place = (parsed.places or {}).get((record.kind, record.id), NOT_IN_FILE)
    label = _label(record.new, master)
    changes = record.changes
    if record.status is Status.NEU:  # its Kennung stands beside it already
        changes = tuple(ch for ch in changes if ch.field != "id")
    return Line(record.status, record.kind, record.id, label, place, changes, record.effects)


def preview(
    data: bytes, name: str, current: MasterData, today: date, version: str | None
) -> ImportPreview:
    """Parse ``data`` (the file ``name``) and plan it against ``current`` (the stored master
    data of ``version``, ``App.master_version``) as of ``today``."""
    parsed = parse(data, name, current)
    if parsed.problems:
        return ImportPreview(name, parsed, None, parsed.problems, version=version)
    result = plan(current, parsed.desired, today)
    problems = tuple(placed(p, parsed) for p in new_problems(current, result))
    places = parsed.places or {}
    lines = sorted(
        (
            _line(r, parsed, result.master)
            for r in result.records
            if (r.kind, r.id) in places or r.status is not Status.UNVERAENDERT
        ),
        key=lambda line: ORDER.index(line.status),
    )
    return ImportPreview(name, parsed, result, problems, tuple(lines), version)
