"""``[policy]`` (reminder and escalation defaults, weekly overview) and ``[verwendungsnachweis]``
(the money rules of Anlage 3) for ``cycle.config.loader``.
"""

from __future__ import annotations

from decimal import Decimal

from cycle.config.schema import Table
from cycle.config.settings import Policy, VerwendungsnachweisRules
from cycle.config.values import choices, parse_money, quote

WEEKDAYS = ("MON", "TUE", "WED", "THU", "FRI", "SAT", "SUN")
POLICY_KEYS = (
    "remind_before_days",
    "escalate_after_days",
    "meeting_reminder_days",
    "digest",
    "abzeichnung_erinnerung_tage",
    "vier_augen",
)


def read_policy(root: Table) -> Policy:
    """``[policy]``; absent keys keep the defaults of ``Policy``."""
    table = root.table("policy", POLICY_KEYS)
    defaults = Policy()
    digest: int | None = defaults.digest
    text = table.text("digest")
    if text is not None:
        allowed = (*WEEKDAYS, "off")
        if text.upper() in WEEKDAYS:
            digest = WEEKDAYS.index(text.upper())
        elif text.lower() == "off":
            digest = None
        else:
            table.problems.add(
                table.at("digest"),
                f"{quote(text)} ist nicht erlaubt {choices(text.upper(), allowed)}",
            )
    return Policy(
        remind_before_days=_or(table.day_list("remind_before_days"), defaults.remind_before_days),
        escalate_after_days=_or(
            table.day_list("escalate_after_days"), defaults.escalate_after_days
        ),
        meeting_reminder_days=_or(
            table.day_list("meeting_reminder_days"), defaults.meeting_reminder_days
        ),
        digest=digest,
        abzeichnung_erinnerung_tage=table.integer(
            "abzeichnung_erinnerung_tage",
            defaults.abzeichnung_erinnerung_tage,
            minimum=1,
            maximum=60,
        ),
        vier_augen=table.boolean("vier_augen", defaults.vier_augen),
    )


def _or(value: tuple[int, ...] | None, default: tuple[int, ...]) -> tuple[int, ...]:
    return default if value is None else value


VN_KEYS = (
    "verwaltung_max_anteil",
    "sachkosten_max",
    "gemeinwesenarbeit_max",
    "max_angebote",
    "aufbewahrung_jahre",
)


def read_verwendungsnachweis(root: Table) -> VerwendungsnachweisRules:
    """``[verwendungsnachweis]``: amounts as exact decimals."""
    table = root.table("verwendungsnachweis", VN_KEYS)
    defaults = VerwendungsnachweisRules()
    return VerwendungsnachweisRules(
        verwaltung_max_anteil=_decimal(
            table, "verwaltung_max_anteil", defaults.verwaltung_max_anteil, share=True
        ),
        sachkosten_max=_decimal(table, "sachkosten_max", defaults.sachkosten_max),
        gemeinwesenarbeit_max=_decimal(
            table, "gemeinwesenarbeit_max", defaults.gemeinwesenarbeit_max
        ),
        max_angebote=table.integer("max_angebote", defaults.max_angebote, 1, maximum=1000),
        aufbewahrung_jahre=_retention(table),
    )


def _retention(table: Table) -> int:
    """At least ten years (Anlage 3); more than 100 is a typing error (and beyond year 9999)."""
    default = VerwendungsnachweisRules().aufbewahrung_jahre
    years = table.integer("aufbewahrung_jahre", default, 10)
    if years > 100:
        table.problems.add(
            table.at("aufbewahrung_jahre"), f"{years} Jahre sind zu viel (höchstens 100)"
        )
        return default
    return years


def _decimal(table: Table, key: str, default: Decimal, share: bool = False) -> Decimal:
    if not table.has(key):
        return default
    raw = table.raw[key]
    amount = parse_money(raw)
    example = "„0.13“" if share else "„7000.00“"
    if amount is None:
        shown = quote(raw) if isinstance(raw, str) else "eine Kommazahl ohne Anführungszeichen"
        table.problems.add(
            table.at(key),
            f"erwartet eine Dezimalzahl als Text mit Punkt, z. B. {example}, gefunden: {shown}",
        )
        return default
    if amount < 0 or (share and amount > 1):
        bounds = "zwischen 0 und 1 (Anteil, 0.13 = 13 %)" if share else "mindestens 0"
        table.problems.add(table.at(key), f"{amount} ist nicht erlaubt (muss {bounds} sein)")
        return default
    return amount
