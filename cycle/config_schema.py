"""Path-aware, typed reading of a parsed TOML document for ``cycle.config``.

Nothing here raises on bad input: every problem is appended to ``Problems`` as one German line
``<key path>: <explanation>`` and the reader returns ``None`` (or the default), so the loader can
go on and report *all* problems at once. Arrays of tables are numbered from 1 in key paths
(``pairing[3].traeger`` is the third ``[[pairing]]`` in the file).
"""

from __future__ import annotations

import difflib
import re
from collections.abc import Callable, Collection, Mapping
from datetime import date, datetime, time
from decimal import Decimal, InvalidOperation
from pathlib import Path

from cycle.settings import Contact, Pairing, Stadtteil, StageSpec, Traeger
from workflows.calendar import DateSpec, DateSpecError
from workflows.stages import StageType

_LOCAL = r"[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+(?:\.[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+)*"
_LABEL = r"[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?"
_EMAIL = re.compile(rf"^{_LOCAL}@(?:{_LABEL}\.)+[A-Za-z]{{2,63}}$")
_MAILBOX = re.compile(r"^(?P<name>[^<>\r\n]*?)\s*<(?P<addr>[^<>\r\n]*)>$")
_CLOCK = re.compile(r"^(?P<h>[01]\d|2[0-3]):(?P<m>[0-5]\d)$")
SLUG = re.compile(r"^[a-z0-9][a-z0-9_-]*$")
STAGE_ID = re.compile(r"^[a-z][a-z0-9_]*$")


class Problems:
    """Collects problem lines in the order they were found."""

    def __init__(self) -> None:
        self.lines: list[str] = []

    def add(self, path: str, message: str) -> None:
        self.lines.append(f"{path}: {message}" if path else message)


def quote(text: object, limit: int = 60) -> str:
    """German quotation marks around a shortened, single-line rendering of ``text``."""
    shown = str(text).replace("\r", " ").replace("\n", " ")
    return f"„{shown if len(shown) <= limit else shown[: limit - 1] + '…'}“"


def describe(value: object) -> str:
    """A German name for the TOML type of ``value``, with the value where it is short."""
    if isinstance(value, bool):
        return f"Wahrheitswert {str(value).lower()}"
    if isinstance(value, int):
        return f"ganze Zahl {value}"
    if isinstance(value, float):
        return f"Kommazahl {value}"
    if isinstance(value, str):
        return f"Text {quote(value)}"
    if isinstance(value, datetime):
        return "Zeitpunkt"
    if isinstance(value, date):
        return f"Datum {value.isoformat()}"
    if isinstance(value, time):
        return "Uhrzeit"
    if isinstance(value, list):
        return "Liste"
    return "Tabelle"


def _close(text: str, known: Collection[str]) -> str | None:
    close = difflib.get_close_matches(text, list(known), n=1, cutoff=0.6)
    return close[0] if close else None


def suggestion(text: str, known: Collection[str]) -> str:
    """`` (meinten Sie „x“?)`` for a close match among ``known``, else nothing."""
    close = _close(text, known)
    return f" (meinten Sie {quote(close)}?)" if close else ""


def choices(text: str, allowed: Collection[str]) -> str:
    """``(meinten Sie „x“?; erlaubt: a, b)`` or ``(erlaubt: a, b)``."""
    close = _close(text, allowed)
    return f"({f'meinten Sie {quote(close)}?; ' if close else ''}erlaubt: {', '.join(allowed)})"


def unknown_key(key: str, known: Collection[str]) -> str:
    """``unbekannter Schlüssel (meinten Sie „x“?)``, or the allowed keys when nothing is close."""
    hint = suggestion(key, known) or f" (erlaubt: {', '.join(sorted(known))})"
    return f"unbekannter Schlüssel{hint}"


def is_email(text: str) -> bool:
    """A plain but sane check: ``local@domain.tld``, ASCII only, no spaces or line breaks."""
    return len(text) <= 254 and _EMAIL.match(text) is not None


def is_mailbox(text: str) -> bool:
    """``addr`` or ``Display Name <addr>``."""
    match = _MAILBOX.match(text.strip())
    return is_email(match["addr"]) if match else is_email(text)


def parse_clock(value: object) -> time | None:
    """``"08:00"`` (or a TOML local time) as a ``time``; ``None`` when it is not one."""
    if isinstance(value, time):
        return value
    match = _CLOCK.match(value) if isinstance(value, str) else None
    return time(int(match["h"]), int(match["m"])) if match else None


def parse_money(value: object) -> Decimal | None:
    """A finite decimal from a string like ``"7000.00"`` (or an int); floats are refused."""
    if isinstance(value, bool) or not isinstance(value, str | int):
        return None
    try:
        amount = Decimal(value.strip() if isinstance(value, str) else value)
    except InvalidOperation:
        return None
    return amount if amount.is_finite() else None


def _is_int(value: object) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


class Table:
    """One TOML table at key path ``path``; unknown keys are reported when it is opened."""

    def __init__(self, raw: object, path: str, problems: Problems, keys: Collection[str]) -> None:
        self.path, self.problems = path, problems
        self.raw: Mapping[str, object] = raw if isinstance(raw, dict) else {}
        self.broken = not isinstance(raw, dict)  # reported once; its keys are not "missing"
        if self.broken:
            problems.add(path, f"erwartet eine Tabelle, gefunden: {describe(raw)}")
        for key in self.raw:
            if key not in keys:
                problems.add(self.at(key), unknown_key(key, keys))

    def at(self, key: str) -> str:
        return f"{self.path}.{key}" if self.path else key

    def has(self, key: str) -> bool:
        return key in self.raw

    def value(
        self, key: str, accept: Callable[[object], bool], expected: str, required: bool = False
    ) -> object | None:
        """The raw value if ``accept``-ed; otherwise a problem ("missing" or "wrong type")."""
        if key not in self.raw:
            if required and not self.broken:
                self.problems.add(self.at(key), "Pflichtangabe fehlt")
            return None
        value = self.raw[key]
        if not accept(value):
            self.problems.add(self.at(key), f"{expected}, gefunden: {describe(value)}")
            return None
        return value

    def text(self, key: str, required: bool = False) -> str | None:
        """A string; blank optional strings count as absent, blank required ones are refused."""
        value = self.value(key, lambda v: isinstance(v, str), "erwartet einen Text", required)
        if not isinstance(value, str):
            return None
        if not value.strip():
            if required:
                self.problems.add(self.at(key), "darf nicht leer sein")
            return None
        if "\n" in value or "\r" in value:
            self.problems.add(self.at(key), "darf keinen Zeilenumbruch enthalten")
            return None
        return value.strip()

    def email(self, key: str, required: bool = False, mailbox: bool = False) -> str | None:
        """An e-mail address; with ``mailbox`` also ``Name <addr>``."""
        text = self.text(key, required)
        if text is None or (is_mailbox(text) if mailbox else is_email(text)):
            return text
        form = "„name@domain.de“ oder „Name <name@domain.de>“" if mailbox else "„name@domain.de“"
        self.problems.add(self.at(key), f"{quote(text)} ist keine gültige E-Mail-Adresse ({form})")
        return None

    def boolean(self, key: str, default: bool) -> bool:
        value = self.value(key, lambda v: isinstance(v, bool), "erwartet true oder false")
        return value if isinstance(value, bool) else default

    def integer(self, key: str, default: int, minimum: int = 0, maximum: int | None = None) -> int:
        value = self.value(key, _is_int, "erwartet eine ganze Zahl")
        if not isinstance(value, int):
            return default
        if value < minimum or (maximum is not None and value > maximum):
            bounds = (
                f"zwischen {minimum} und {maximum}"
                if maximum is not None
                else f"mindestens {minimum}"
            )
            self.problems.add(self.at(key), f"{value} ist nicht erlaubt (muss {bounds} sein)")
            return default
        return value

    def seconds(self, key: str, default: float) -> float:
        value = self.value(
            key, lambda v: _is_int(v) or isinstance(v, float), "erwartet eine Zahl (Sekunden)"
        )
        if not isinstance(value, int | float):
            return default
        if not 0 < value <= 3600:
            self.problems.add(
                self.at(key), f"{value} ist nicht erlaubt (mehr als 0, höchstens 3600)"
            )
            return default
        return float(value)

    def day_list(self, key: str) -> tuple[int, ...] | None:
        """A list of distinct non-negative day counts; ``[]`` is allowed (none)."""
        value = self.value(
            key,
            lambda v: isinstance(v, list) and all(_is_int(x) for x in v),
            "erwartet eine Liste ganzer Zahlen",
        )
        if not isinstance(value, list):
            return None
        days: list[int] = [x for x in value if isinstance(x, int)]
        bad = [d for d in days if d < 0] + [d for i, d in enumerate(days) if d in days[:i]]
        for day in bad:
            why = "negative Tage sind nicht erlaubt" if day < 0 else "ist doppelt angegeben"
            self.problems.add(self.at(key), f"{day}: {why}")
        return None if bad else tuple(days)

    def text_list(self, key: str) -> tuple[str, ...] | None:
        value = self.value(
            key,
            lambda v: isinstance(v, list) and all(isinstance(x, str) for x in v),
            "erwartet eine Liste von Texten",
        )
        return tuple(str(x).strip() for x in value) if isinstance(value, list) else None

    def day(self, key: str, required: bool = False) -> date | None:
        """A TOML local date (``2022-01-01``, without quotes and without a time)."""
        value = self.value(
            key,
            lambda v: isinstance(v, date) and not isinstance(v, datetime),
            "erwartet ein Datum der Form JJJJ-MM-TT (ohne Anführungszeichen)",
            required,
        )
        return value if isinstance(value, date) else None

    def table(self, key: str, keys: Collection[str]) -> Table:
        """A sub-table; an absent one reads as empty."""
        return Table(self.raw.get(key, {}), self.at(key), self.problems, keys)

    def tables(self, key: str, keys: Collection[str], required: bool = False) -> list[Table]:
        """An array of tables (``[[key]]``), numbered from 1 in key paths."""
        raw = self.raw.get(key, [])
        if required and raw == [] and not self.broken:
            self.problems.add(self.at(key), "Pflichtangabe fehlt (mindestens ein Eintrag)")
        if not isinstance(raw, list):
            self.problems.add(
                self.at(key),
                f"erwartet eine Liste von Tabellen ([[{key}]]), gefunden: {describe(raw)}",
            )
            return []
        return [
            Table(item, f"{self.at(key)}[{n}]", self.problems, keys)
            for n, item in enumerate(raw, start=1)
        ]


# --- the list sections: [[stage]], [[traeger]], [[stadtteil]], [[pairing]] ---

STAGE_KEYS = (
    "id",
    "name",
    "type",
    "opens",
    "due",
    "requires",
    "leitfaden",
    "vorlage",
    "remind_before_days",
    "escalate_after_days",
    "meeting_reminder_days",
)
STAGE_TYPES = tuple(t.value for t in StageType)
_MEETINGS = (StageType.MEETING, StageType.GROUP_MEETING)
_STAGE_ID_HINT = "Kleinbuchstaben a–z, Ziffern und _, beginnend mit einem Buchstaben"
_SLUG_HINT = "Kleinbuchstaben a–z, Ziffern, - und _, z. B. „luene-moorfeld“"


def _identifier(table: Table, pattern: re.Pattern[str], hint: str) -> str | None:
    text = table.text("id", required=True)
    if text is not None and not pattern.match(text):
        table.problems.add(table.at("id"), f"{quote(text)} ist keine gültige Kennung ({hint})")
        return None
    return text


def _ids(tables: list[Table], pattern: re.Pattern[str], hint: str) -> list[str | None]:
    """Each table's ``id``; a repeated one is reported and read as ``None``."""
    ids: list[str | None] = []
    seen: dict[str, int] = {}  # id -> index of its first table (a list search is O(n²))
    for table in tables:
        ident = _identifier(table, pattern, hint)
        if ident is not None and ident in seen:
            first = tables[seen[ident]].path
            table.problems.add(table.at("id"), f"{quote(ident)} ist doppelt (schon bei {first})")
            ident = None
        if ident is not None:
            seen[ident] = len(ids)
        ids.append(ident)
    return ids


def _declared(root: Table, key: str) -> frozenset[str]:
    """Every id written in ``[[key]]``, valid or not: references to them are not "unknown"."""
    raw = root.raw.get(key)
    items = raw if isinstance(raw, list) else []
    return frozenset(i["id"] for i in items if isinstance(i, dict) and isinstance(i.get("id"), str))


def _file(table: Table, key: str, base_dir: Path) -> Path | None:
    text = table.text(key)
    if text is None:
        return None
    path = base_dir / text
    if not path.is_file():
        table.problems.add(table.at(key), f"Datei {quote(text)} nicht gefunden (gesucht: {path})")
    return path


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
    ids = _ids(tables, STAGE_ID, _STAGE_ID_HINT)
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
                )
            )
    return tuple(stages)


TRAEGER_KEYS = (
    "id",
    "name",
    "leitung",
    "leitung_email",
    "rechtsform",
    "sitz",
    "anschrift",
    "telefon",
    "email",
    "vertretungsberechtigt",
)
STADTTEIL_KEYS = ("id", "name", "beschreibung")
PAIRING_KEYS = (
    "id",
    "traeger",
    "stadtteil",
    "handlungsfeld",
    "angebot",
    "tandem",
    "start",
    "end",
    "contacts",
)
CONTACT_KEYS = ("name", "email", "rolle")


def read_traeger(root: Table) -> dict[str, Traeger]:
    tables = root.tables("traeger", TRAEGER_KEYS)
    result: dict[str, Traeger] = {}
    for table, ident in zip(tables, _ids(tables, SLUG, _SLUG_HINT), strict=True):
        name, leitung = table.text("name", required=True), table.text("leitung", required=True)
        leitung_email = table.email("leitung_email", required=True)
        rechtsform, sitz = table.text("rechtsform"), table.text("sitz")
        anschrift, telefon = table.text("anschrift"), table.text("telefon")
        email, vertreten = table.email("email"), table.text_list("vertretungsberechtigt") or ()
        if ident and name and leitung and leitung_email:
            result[ident] = Traeger(
                ident,
                name,
                leitung,
                leitung_email,
                rechtsform,
                sitz,
                anschrift,
                telefon,
                email,
                vertreten,
            )
    return result


def read_stadtteile(root: Table) -> dict[str, Stadtteil]:
    tables = root.tables("stadtteil", STADTTEIL_KEYS)
    result: dict[str, Stadtteil] = {}
    for table, ident in zip(tables, _ids(tables, SLUG, _SLUG_HINT), strict=True):
        name, beschreibung = table.text("name", required=True), table.text("beschreibung")
        if ident and name:
            result[ident] = Stadtteil(ident, name, beschreibung)
    return result


def _reference(table: Table, key: str, known: frozenset[str], label: str) -> str | None:
    text = table.text(key, required=True)
    if text is not None and text not in known:
        table.problems.add(
            table.at(key), f"unbekannter {label} {quote(text)}{suggestion(text, known)}"
        )
        return None
    return text


def _contacts(pairing: Table) -> tuple[Contact, ...] | None:
    contacts: list[Contact] = []
    tables = pairing.tables("contacts", CONTACT_KEYS, required=True)
    for table in tables:
        name, email = table.text("name", required=True), table.email("email", required=True)
        if name and email:
            contacts.append(Contact(name, email, table.text("rolle") or Contact("", "").rolle))
    return tuple(contacts) if tables and len(contacts) == len(tables) else None


def read_pairings(root: Table) -> dict[str, Pairing]:
    """``[[pairing]]``: references, dates, contacts, and no overlap in time (see ``_overlaps``)."""
    traeger_ids, stadtteil_ids = _declared(root, "traeger"), _declared(root, "stadtteil")
    tables = root.tables("pairing", PAIRING_KEYS)
    result: dict[str, Pairing] = {}
    placed: list[tuple[str, Pairing]] = []
    for table, ident in zip(tables, _ids(tables, SLUG, _SLUG_HINT), strict=True):
        traeger = _reference(table, "traeger", traeger_ids, "Träger")
        stadtteil = _reference(table, "stadtteil", stadtteil_ids, "Stadtteil")
        start, end = table.day("start", required=True), table.day("end")
        if start and end and end < start:
            table.problems.add(
                table.at("end"), f"Ende {end:%d.%m.%Y} liegt vor dem Beginn {start:%d.%m.%Y}"
            )
            end = None
        contacts, tandem = _contacts(table), table.boolean("tandem", False)
        if tandem and contacts is not None and len(contacts) < 2:
            table.problems.add(
                table.at("contacts"),
                "ein Tandem braucht mindestens zwei Kontakte (Hansestadt und Träger)",
            )
        handlungsfeld = table.text("handlungsfeld") or Pairing.handlungsfeld
        angebot = table.text("angebot")
        if ident and traeger and stadtteil and start and contacts:
            pairing = Pairing(
                ident, traeger, stadtteil, contacts, start, end, handlungsfeld, angebot, tandem
            )
            result[ident] = pairing
            placed.append((table.path, pairing))
    _overlaps(root.problems, placed)
    return result


def _span(pairing: Pairing) -> str:
    end = f"{pairing.end:%d.%m.%Y}" if pairing.end else "offen"
    return f"{pairing.start:%d.%m.%Y}–{end}"


def _overlaps(problems: Problems, placed: list[tuple[str, Pairing]]) -> None:
    """One Stadtteil, Handlungsfeld and Angebot has at most one pairing at any time.

    Pairings are compared only within their (Stadtteil, Handlungsfeld, Angebot) group, in file
    order: comparing every pair was O(n²) and took minutes at 100,000 pairings.
    """
    groups: dict[tuple[str, str, str | None], list[tuple[str, Pairing]]] = {}
    for path, later in placed:
        group = groups.setdefault((later.stadtteil, later.handlungsfeld, later.angebot), [])
        for first_path, first in group:
            if first.start <= (later.end or date.max) and later.start <= (first.end or date.max):
                problems.add(
                    path,
                    f"überschneidet sich zeitlich mit {quote(first.id)} "
                    f"({first_path}) im Stadtteil {quote(later.stadtteil)}, Handlungsfeld "
                    f"{quote(later.handlungsfeld)}: {_span(later)} und {_span(first)}",
                )
        group.append((path, later))
