"""The Verwendungsnachweis web form ↔ the TOML document of a CLI submission (Anlage 3).

The form's field names *are* the TOML keys (``zuschuss``, ``personal[2].kosten``,
``unterschrift.datum``), so every problem the validator reports lands at its input. The form
is turned into the same TOML text a Träger would write by hand (``to_toml``) and checked by the
same code (``cycle.documents.parse_and_validate``, and again by ``Submit`` in the bus), so there
is exactly one set of rules. Only the input is made friendlier here: German amounts
("9.880,00 €") are written as plain decimals, and rows left completely empty are dropped (the
rows are then renumbered, and the form shown again with the same numbering). A filled row is
never dropped: more Personal rows than the form offers are refused at the table.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from decimal import Decimal

from starlette.datastructures import FormData

from cycle.clock import parse_date
from cycle.config.amounts import AmountError, bounded_decimal
from cycle.config.settings import VerwendungsnachweisRules
from cycle.documents import Verwendungsnachweis
from cycle.documents.money import cap_of, euro

MONEY = (
    "zuschuss",
    "weitere_einnahmen",
    "personalkosten",
    "verwaltungskosten",
    "sachkosten",
    "gemeinwesenarbeit",
)
PERSONAL = ("name", "vorname", "qualifikation", "verguetungsgruppe", "stellenanteil", "kosten")
ANGEBOT = ("bezeichnung", "betrag")
MAX_PERSONAL_ROWS = 30
_THOUSANDS = re.compile(r"^-?[1-9]\d{0,2}(\.\d{3})+$")
_ISO_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")
_ROW = re.compile(r"^(?P<table>personal|angebote)\[(?P<row>\d+)\]\.(?P<col>[a-z]+)$")


@dataclass
class VnForm:
    """The submitted (or empty) form: plain strings by TOML key, rows in order."""

    values: dict[str, str] = field(default_factory=dict)
    personal: list[dict[str, str]] = field(default_factory=list)
    angebote: list[dict[str, str]] = field(default_factory=list)
    # (field, German message): what the form itself refuses before any rule runs
    problems: list[tuple[str, str]] = field(default_factory=list)

    def rows_to_show(self, minimum: int, extra: int = 1, most: int = 12) -> tuple[int, int]:
        """How many Personal and Angebote rows the page shows: every filled one, plus blanks
        up to the rows the form offers (``MAX_PERSONAL_ROWS``, ``most`` Angebote)."""
        return (
            max(minimum, len(self.personal), min(len(self.personal) + extra, MAX_PERSONAL_ROWS)),
            max(minimum, len(self.angebote), min(len(self.angebote) + extra, most)),
        )


def _cell(form: FormData, key: str) -> str:
    value = form.get(key)
    return value.strip() if isinstance(value, str) else ""


def _rows(form: FormData, table: str, columns: tuple[str, ...]) -> list[dict[str, str]]:
    """Every row of ``table`` the post holds a value for, in the order of its numbers.

    Read by the names in the post, not by the rows the page offered: a row the page did not
    offer (a 31st Personal row, ``personal[99].name``) is kept and refused by a rule, never
    dropped without a word.
    """
    found: dict[tuple[int, str], dict[str, str]] = {}
    for key in form:
        match = _ROW.match(key)
        if match is None or match["table"] != table or match["col"] not in columns:
            continue
        digits = match["row"].lstrip("0")
        number = (len(digits), digits)  # numeric order without int() of a 5,000-digit number
        found.setdefault(number, {col: "" for col in columns})[match["col"]] = _cell(form, key)
    return [row for _, row in sorted(found.items()) if any(row.values())]


def read(form: FormData, rules: VerwendungsnachweisRules) -> VnForm:
    """The form as posted; more filled rows than the form offers become a problem at the table
    (the Angebote rule of ``[verwendungsnachweis] max_angebote`` is the validator's)."""
    keys = (*MONEY, "erlaeuterung", "unterschrift.name", "unterschrift.datum")
    vn = VnForm(
        {key: _cell(form, key) for key in keys},
        _rows(form, "personal", PERSONAL),
        _rows(form, "angebote", ANGEBOT),
    )
    if len(vn.personal) > MAX_PERSONAL_ROWS:
        vn.problems.append(
            (
                "personal",
                f"Das Formular nimmt höchstens {MAX_PERSONAL_ROWS} Personalzeilen auf, "
                f"ausgefüllt sind {len(vn.personal)}. Bitte fassen Sie Zeilen zusammen.",
            )
        )
    return vn


def plain_amount(text: str, share: bool = False) -> str:
    """``"9.880,00 €"`` → ``"9880.00"``; anything else is passed on for the validator to judge.

    A point before exactly three digits is read as a thousands separator in amounts
    (``"9.880"`` → ``"9880"``), never in a share (``"0.375"``) or after a leading zero.
    """
    value = text.replace("€", "").replace("\u00a0", "").replace(" ", "").strip()
    if "," in value:
        return value.replace(".", "").replace(",", ".")
    if not share and _THOUSANDS.match(value):
        return value.replace(".", "")
    return value


def _string(text: str) -> str:
    """A TOML basic string: quotes, backslashes and control characters escaped."""
    out = []
    for ch in text:
        if ch in ('"', "\\"):
            out.append("\\" + ch)
        elif ord(ch) < 0x20 or ord(ch) == 0x7F:
            out.append(f"\\u{ord(ch):04X}")
        else:
            out.append(ch)
    return '"' + "".join(out) + '"'


def _date(text: str) -> str:
    """A TOML date when the text is one (ISO or 31.12.2026); otherwise a string (refused later)."""
    try:
        day = parse_date(text)
    except ValueError:
        return _string(text)
    return day.isoformat() if _ISO_DATE.match(day.isoformat()) else _string(text)


def to_toml(vn: VnForm, year: int) -> str:
    """The TOML document of a CLI submission.

    Blank amounts and a blank date are left out (the reader reports them as missing); blank
    texts are written as ``""``, so the rules (a name is required …) run on the rest at once.
    """
    lines = [f"jahr = {year}"]
    for key in MONEY:
        if vn.values.get(key):
            lines.append(f"{key} = {_string(plain_amount(vn.values[key]))}")
    lines.append(f"erlaeuterung = {_string(vn.values.get('erlaeuterung', ''))}")
    for table, columns, rows in (
        ("personal", PERSONAL, vn.personal),
        ("angebote", ANGEBOT, vn.angebote),
    ):
        for row in rows:
            lines += ["", f"[[{table}]]"]
            for col in columns:
                value = row.get(col, "")
                if col in ("kosten", "betrag", "stellenanteil"):
                    if not value:
                        continue
                    value = plain_amount(value, share=col == "stellenanteil")
                lines.append(f"{col} = {_string(value)}")
    lines += ["", "[unterschrift]", f"name = {_string(vn.values.get('unterschrift.name', ''))}"]
    if vn.values.get("unterschrift.datum"):
        lines.append(f"datum = {_date(vn.values['unterschrift.datum'])}")
    return "\n".join(lines) + "\n"


def _money(text: str) -> Decimal | None:
    """The amount for the sums; ``None`` when it is no bounded amount (the validator says why)."""
    try:
        return bounded_decimal(plain_amount(text)) if text else Decimal("0")
    except AmountError:
        return None


@dataclass(frozen=True)
class Sums:
    """What the form shows beside the figures (``None`` where an amount cannot be read)."""

    personal_rows: Decimal | None
    angebote_rows: Decimal | None
    verwaltung_max: Decimal | None
    einnahmen: Decimal | None
    kostensumme: Decimal | None
    differenz: Decimal | None

    def text(self, name: str) -> str:
        value: Decimal | None = getattr(self, name)
        return euro(value) if value is not None else "–"


def _total(values: list[Decimal | None]) -> Decimal | None:
    return (
        None
        if any(v is None for v in values)
        else sum((v for v in values if v is not None), Decimal("0"))
    )


def sums(vn: VnForm, rules: VerwendungsnachweisRules) -> Sums:
    """The sums of the form as entered (display only; the rules are checked by the validator)."""
    m = {key: _money(vn.values.get(key, "")) for key in MONEY}
    income = _total([m["zuschuss"], m["weitere_einnahmen"]])
    costs = _total(
        [m["personalkosten"], m["verwaltungskosten"], m["sachkosten"], m["gemeinwesenarbeit"]]
    )
    personal = m["personalkosten"]
    return Sums(
        _total([_money(r.get("kosten", "")) for r in vn.personal]),
        _total([_money(r.get("betrag", "")) for r in vn.angebote]),
        cap_of(personal, rules.verwaltung_max_anteil) if personal is not None else None,
        income,
        costs,
        income - costs if income is not None and costs is not None else None,
    )


def from_document(vn: Verwendungsnachweis) -> VnForm:
    """A stored submission as form values (to correct a returned Verwendungsnachweis)."""

    def amount(value: Decimal) -> str:
        return f"{value:.2f}"

    values = {key: amount(getattr(vn, key)) for key in MONEY}
    values.update(
        {
            "erlaeuterung": vn.erlaeuterung,
            "unterschrift.name": vn.unterschrift.name,
            "unterschrift.datum": vn.unterschrift.datum.isoformat(),
        }
    )
    personal = [
        {
            "name": p.name,
            "vorname": p.vorname,
            "qualifikation": p.qualifikation,
            "verguetungsgruppe": p.verguetungsgruppe,
            "stellenanteil": str(p.stellenanteil),
            "kosten": amount(p.kosten),
        }
        for p in vn.personal
    ]
    angebote = [{"bezeichnung": a.bezeichnung, "betrag": amount(a.betrag)} for a in vn.angebote]
    return VnForm(values, personal, angebote)
