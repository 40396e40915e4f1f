"""German money and date formatting, and the cent rules shared by the documents."""

from __future__ import annotations

from datetime import date
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from cycle import german

CENT = Decimal("0.01")


def euro(amount: Decimal, symbol: str = "€") -> str:
    """German money format: ``Decimal("9490")`` → ``"9.490,00 €"``.

    Values with more than two decimals are shown with all their decimals (never silently
    rounded), so a message about a third decimal shows the amount as given.
    """
    exponent = amount.as_tuple().exponent
    places = max(2, -exponent) if isinstance(exponent, int) else 2
    text = f"{amount:,.{places}f}"
    text = text.replace(",", "\0").replace(".", ",").replace("\0", ".")
    return f"{text} {symbol}"


def is_cent_exact(amount: Decimal) -> bool:
    """True when the amount has no fraction of a cent (``1.230`` is fine, ``1.235`` is not)."""
    if not amount.is_finite():
        return False
    _sign, digits, exponent = amount.as_tuple()
    assert isinstance(exponent, int)  # finite
    extra = -exponent - 2  # digits beyond the cent; read from the tuple, no rounding context
    return extra <= 0 or not any(digits[-extra:])


def cap_of(base: Decimal, share: Decimal) -> Decimal:
    """``share`` of ``base`` rounded to the cent, half up (13 % of 73.000,00 € = 9.490,00 €)."""
    return (base * share).quantize(CENT, rounding=ROUND_HALF_UP)


def percent(share: Decimal) -> str:
    """``Decimal("0.13")`` → ``"13 %"``, ``Decimal("0.125")`` → ``"12,5 %"``."""
    value = (share * 100).normalize()
    text = f"{value:f}".replace(".", ",")
    return f"{text} %"


def datum(day: date) -> str:
    """German date format: 31.03.2026."""
    return german.datum(day)


def zahl(value: Decimal, places: int = 1) -> str:
    """German number format: ``Decimal("1234.5")`` → ``"1.234,5"``."""
    text = f"{value:,.{places}f}"
    return text.replace(",", "\0").replace(".", ",").replace("\0", ".")


def in_worten(amount: Decimal) -> str:
    """The amount in German words, as on a cheque: ``98000`` → ``achtundneunzigtausend Euro``.

    Cents are added as ``und fünfzig Cent``; ``1`` is ``ein Euro`` (not "eins"). Uses the
    maintained ``num2words`` library for the numerals.
    """
    from num2words import num2words

    cents_total = int((abs(amount) * 100).quantize(Decimal(1), rounding=ROUND_HALF_UP))
    euros, cents = divmod(cents_total, 100)
    parts = [f"{_zahlwort(euros, num2words)} Euro"] if euros or not cents else []
    if cents:
        parts.append(f"{_zahlwort(cents, num2words)} Cent")
    text = " und ".join(parts)
    return f"minus {text}" if amount < 0 else text


def _zahlwort(number: int, num2words: Any) -> str:
    word = str(num2words(number, lang="de"))
    return word[:-1] if word.endswith("eins") else word  # "ein Euro", "hunderteinundzwanzig"
