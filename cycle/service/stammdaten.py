"""Changing master data (SPEC §16): ``plan`` what a change does, ``apply_master_data`` does it.

The database holds the master data (``cycle.persistence.masterdata_store``). Every change — a
form on the Stammdaten page, an import — is a *desired* ``MasterData``:

1. ``plan(current, desired, today=…)`` (pure) compares it with the current one and returns a
   ``Plan``: per record ``neu`` / ``geändert`` (each field old → new) / ``unverändert`` /
   ``beendet``, what it does to the running year (``RecordPlan.effects``, German lines) and every
   problem of the result (``cycle.config.master_rules.check``, the config loader's rules; each
   at a ``RecordRef`` of record kind, id and field). Show it as the preview. ``current`` is the
   database's master data: ``app.settings.master`` after ``app.refresh_master_data()`` (whose
   version is then ``app.master_version``), or ``masterdata_store.load(session)``.
2. ``ApplyMasterData(desired, base_version=…)`` through the bus (role ``koordinierungsstelle``,
   event ``stammdaten``) applies it in one transaction: refused with the plan's problems that
   the stored master data does not already have; refused when ``base_version`` (the stored
   version the preview was built on, ``app.master_version``) is no longer the stored one.
   One audit entry per changed record (the principal as actor, old and new values), then the
   effects (``cycle/service/stammdaten_effects.py``).

Records missing from ``desired`` are never deleted (the audit log and cycles refer to them):
Träger and Stadtteile stay as they are, a pairing ends (``beendet``) on ``today`` unless it
already ended. A web form that edits one record sends the current master data with that one
record replaced.
"""

from __future__ import annotations

from dataclasses import dataclass, fields, replace
from datetime import date, datetime
from enum import StrEnum
from typing import Any

from sqlmodel import Session

from cycle.config.master_rules import PAIRING, STADTTEIL, TRAEGER, MasterProblem, RecordRef, check
from cycle.config.settings import Contact, MasterData, Pairing
from cycle.errors import Problem, Refused
from cycle.persistence import audit
from cycle.persistence import masterdata_store as store
from cycle.persistence.masterdata_store import Record
from cycle.service import commands as c
from cycle.service import stammdaten_effects as effects
from cycle.service.outcomes import CycleChange, Outcome
from cycle.service.principal import Principal
from cycle.service.uow import UnitOfWork

KINDS = (TRAEGER, STADTTEIL, PAIRING)
KIND_LABELS = {TRAEGER: "Träger", STADTTEIL: "Stadtteil", PAIRING: "Partnerschaft"}
LABELS = {
    "id": "Kennung",
    "name": "Name",
    "leitung": "Leitung",
    "leitung_email": "E-Mail der Leitung",
    "rechtsform": "Rechtsform",
    "sitz": "Sitz",
    "anschrift": "Anschrift",
    "telefon": "Telefon",
    "email": "E-Mail",
    "vertretungsberechtigt": "Vertretungsberechtigte Personen",
    "beschreibung": "Beschreibung",
    "traeger": "Träger",
    "stadtteil": "Stadtteil",
    "handlungsfeld": "Handlungsfeld",
    "angebot": "Angebot",
    "tandem": "Tandem",
    "start": "Beginn",
    "end": "Ende",
    "contacts": "Kontakte",
}


class Status(StrEnum):
    NEU = "neu"
    GEAENDERT = "geändert"
    UNVERAENDERT = "unverändert"
    BEENDET = "beendet"


@dataclass(frozen=True)
class FieldChange:
    field: str
    label: str  # German
    old: str  # shown as German text ("" for none)
    new: str


@dataclass(frozen=True)
class RecordPlan:
    kind: str  # traeger | stadtteil | pairing
    id: str
    status: Status
    old: Record | None
    new: Record
    changes: tuple[FieldChange, ...] = ()
    effects: tuple[str, ...] = ()  # what it does to the running year, German

    @property
    def kind_label(self) -> str:
        return KIND_LABELS[self.kind]


@dataclass(frozen=True)
class Plan:
    records: tuple[RecordPlan, ...]
    problems: tuple[MasterProblem, ...]
    master: MasterData  # the master data after the change

    @property
    def ok(self) -> bool:
        return not self.problems

    @property
    def changed(self) -> tuple[RecordPlan, ...]:
        return tuple(r for r in self.records if r.status is not Status.UNVERAENDERT)


def shown(value: object) -> str:
    """A field's value as a German reader sees it."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "ja" if value else "nein"
    if isinstance(value, date):
        return f"{value:%d.%m.%Y}"
    if isinstance(value, tuple):
        return "; ".join(shown(v) for v in value)
    if isinstance(value, Contact):
        return f"{value.name} <{value.email}> ({value.rolle})"
    return str(value)


def field_changes(old: Record | None, new: Record) -> tuple[FieldChange, ...]:
    result = []
    for f in fields(new):
        before = getattr(old, f.name) if old is not None else None
        after = getattr(new, f.name)
        if old is None and after in (None, (), False, ""):
            continue
        if before != after:
            result.append(
                FieldChange(f.name, LABELS.get(f.name, f.name), shown(before), shown(after))
            )
    return tuple(result)


def _ends(old: Record | None, new: Record) -> bool:
    if not isinstance(new, Pairing) or new.end is None:
        return False
    return isinstance(old, Pairing) and (old.end is None or new.end < old.end)


def _result(current: MasterData, desired: MasterData, today: date | None) -> MasterData:
    """``desired`` with the records it leaves out: kept, pairings ended on ``today``."""
    pairings = dict(desired.pairings)
    for key, p in current.pairings.items():
        if key not in pairings:
            ended = p.end is not None and (today is None or p.end <= today)
            pairings[key] = p if ended or today is None else replace(p, end=max(today, p.start))
    return MasterData(
        {**current.traeger, **desired.traeger},
        {**current.stadtteile, **desired.stadtteile},
        pairings,
    )


def plan(
    current: MasterData,
    desired: MasterData,
    today: date | None = None,
    successors: dict[str, str] | None = None,
) -> Plan:
    """What making ``desired`` the master data does (pure; see the module's docstring).

    ``today`` (the local date) describes the effects on the running year and ends the pairings
    that ``desired`` leaves out; ``successors`` maps an ending pairing to the pairing that takes
    over its running cycle.
    """
    result = _result(current, desired, today)
    records: list[RecordPlan] = []
    for kind, before, after in (
        (TRAEGER, current.traeger, result.traeger),
        (STADTTEIL, current.stadtteile, result.stadtteile),
        (PAIRING, current.pairings, result.pairings),
    ):
        for key, new in after.items():
            old = before.get(key)
            changes = field_changes(old, new)
            status = (
                Status.NEU
                if old is None
                else Status.BEENDET
                if _ends(old, new)
                else Status.GEAENDERT
                if changes
                else Status.UNVERAENDERT
            )
            effects = _effects(kind, status, old, new, today, (successors or {}).get(key))
            records.append(RecordPlan(kind, key, status, old, new, changes, effects))
    return Plan(tuple(records), tuple(check(result)), result)


def _effects(
    kind: str,
    status: Status,
    old: Record | None,
    new: Record,
    today: date | None,
    successor: str | None,
) -> tuple[str, ...]:
    if status is Status.UNVERAENDERT:
        return ()
    if kind == TRAEGER and status is Status.GEAENDERT:
        return ("Die neuen Angaben erscheinen in den nächsten Dokumenten und Mails.",)
    if not isinstance(new, Pairing) or today is None:
        return ()
    lines: list[str] = []
    if status is Status.NEU and new.active_in(today.year):
        lines.append(
            f"Eröffnet den Zyklus {today.year} (Beginn {new.start:%d.%m.%Y}); was vor dem Beginn "
            "fällig war, gilt nicht als überfällig und wird nicht angemahnt."
        )
    elif status is Status.NEU:
        lines.append(f"Der erste Zyklus entsteht im Jahr {new.start.year}.")
    if status is Status.BEENDET and new.end is not None:
        lines += _ending(new, today, successor)
    if isinstance(old, Pairing):
        lines += _contact_change(old, new)
    return tuple(lines)


def _ending(new: Pairing, today: date, successor: str | None) -> list[str]:
    assert new.end is not None
    if new.end > today:
        return [f"Endet am {new.end:%d.%m.%Y}; bis dahin läuft der Zyklus weiter."]
    line = (
        f"Beendet die Partnerschaft zum {new.end:%d.%m.%Y} wie „zyklus end“: vereinbarte Termine "
        "werden abgesagt, offene Stufen entfallen"
    )
    if successor:
        line = (
            f"Beendet die Partnerschaft zum {new.end:%d.%m.%Y} und übergibt den laufenden Zyklus "
            f"an „{successor}“ (mit Absage und Einladung der Nachfolge)"
        )
    return [line + "."]


def _contact_change(old: Pairing, new: Pairing) -> list[str]:
    before = {c.email.lower() for c in old.contacts}
    after = {c.email.lower() for c in new.contacts}
    if before == after:
        return []
    gone = ", ".join(sorted(before - after)) or "—"
    come = ", ".join(sorted(after - before)) or "—"
    return [
        f"Kontaktwechsel: künftige Mails gehen an {come}. Portal-Links, Sitzungen und "
        f"Kalender-Abo von {gone} enden sofort; noch nicht gesendete Nachrichten dieser "
        "Partnerschaft werden umadressiert, gesendete bleiben, wie sie sind."
    ]


# --- applying (the bus command ``stammdaten``) ---


def _refusal(problem: MasterProblem) -> Problem:
    where = problem.location
    if isinstance(where, RecordRef):
        label = f"{KIND_LABELS.get(where.kind, where.kind)} „{where.id}“"
        return Problem(where.field, "stammdaten", f"{label}: {problem.message}")
    return Problem(None, "stammdaten", f"{where}: {problem.message}")


def new_problems(current: MasterData, result: Plan) -> list[MasterProblem]:
    """The plan's problems the current master data does not already have: a record stored
    before a rule was added does not block every later edit."""
    known = {str(p) for p in check(current)} if result.problems else set()
    return [p for p in result.problems if str(p) not in known]


def write(session: Session, result: Plan, now: datetime, actor: str) -> int:
    """Store the plan's new and changed records, one audit entry each; returns their number."""
    changes: list[audit.Change] = []
    for kind in KINDS:
        records = [r for r in result.changed if r.kind == kind]
        store.insert_rows(session, kind, [r.new for r in records if r.status is Status.NEU])
        for r in records:
            pairing = r.id if kind == PAIRING else None
            if r.status is Status.NEU:
                payload: dict[str, Any] = {"neu": store.as_data(r.new)}
                changes.append(
                    audit.Change(f"{kind}_angelegt", pairing, after=r.id, payload=payload)
                )
                continue
            store.update_row(session, kind, r.new)
            old, new = store.as_data(r.old) if r.old else {}, store.as_data(r.new)
            diff = {
                f.field: {"vorher": old.get(f.field), "nachher": new.get(f.field)}
                for f in r.changes
            }
            changes.append(
                audit.Change(
                    f"{kind}_geaendert",
                    pairing,
                    before=r.id,
                    after=r.id,
                    payload={"aenderungen": diff, "status": str(r.status)},
                )
            )
    audit.append(session, now, actor, changes)
    store.set_version(session)
    return len(changes)


def apply_master_data(cmd: c.ApplyMasterData, uow: UnitOfWork, principal: Principal) -> Outcome:
    """The handler of ``ApplyMasterData`` (see the module's docstring)."""
    session = uow.session
    current = store.load(session)
    successors = dict(cmd.successors)
    result = plan(current, cmd.desired, uow.today, successors)
    if cmd.base_version is not None and cmd.base_version != store.version(session):
        raise Refused(
            Problem(
                None,
                "veraltet",
                "Die Stammdaten wurden inzwischen geändert; bitte die Vorschau neu laden.",
            )
        )
    problems = new_problems(current, result)
    if problems:
        raise Refused(*map(_refusal, problems))
    written = write(session, result, uow.now, principal.actor)
    uow.use_master(result.master)
    actor = principal.actor
    moved = {
        r.id
        for r in result.changed
        if r.kind == PAIRING and (r.status is Status.NEU or {"start", "end"} & _fields(r))
    }
    opened = effects.open_new(uow, moved, actor)
    changes: list[CycleChange] = []
    for r in result.changed:
        if r.kind != PAIRING or not isinstance(r.new, Pairing):
            continue
        if isinstance(r.old, Pairing):
            changes += effects.change_contacts(uow, r.old, r.new, result.master, actor)
        if r.status is Status.BEENDET:
            successor = successors.get(r.id)
            changes += effects.end_pairing(uow, principal, r.new, cmd.reason, successor)
    data = {"plan": result, "written": written, "opened": opened}
    return Outcome(cycle_changes=tuple(changes), data=data)


def _fields(record: RecordPlan) -> set[str]:
    return {f.field for f in record.changes}
