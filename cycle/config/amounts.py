"""Bounded decimal input: digits are counted on the text before anything becomes a ``Decimal``.

SPEC §14 "Limits": an amount has at most 12 digits before and 2 after the decimal point. The
bound is checked on the text because the number is the danger: ``Decimal("1e999999999")`` is
a valid, finite value whose formatting never ends, and a text of 20 million digits converts and
prints slowly (one campaign request took 5.5 s and 2.9 GB). NaN, infinities and exponents are
no amounts at all. Callers put the German message beside the field it is about.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from decimal import Decimal


@dataclass(frozen=True)
class Digits:
    """How many digits a value may have before (``whole``) and after (``places``) the point."""

    whole: int
    places: int


AMOUNT = Digits(12, 2)  # money in euros: up to 999.999.999.999,99
SHARE = Digits(3, 6)  # a share such as a Stellenanteil 0.375 (the rules then say 0 < x <= 1)

# Only ASCII digits: ``\d`` would also take Arabic-Indic or full-width digits.
# Leading zeros stay outside group 2 (but for the last one of a zero).
_SHAPE = re.compile(r"(-?)0*([0-9]+)(?:[.,]([0-9]+))?")


class AmountError(ValueError):
    """Why a text is no bounded decimal; ``code`` is ``form``, ``vorkomma`` or ``nachkomma``."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code, self.message = code, message


def bounded_decimal(text: str, digits: Digits = AMOUNT) -> Decimal:
    """``"-1234,5"`` → ``Decimal("-1234.5")``; ``AmountError`` for anything else.

    Linear in the length of ``text`` (one regular expression without backtracking); the
    ``Decimal`` is only made from at most ``whole + places`` digits.
    """
    match = _SHAPE.fullmatch(text.strip())
    if match is None:
        raise AmountError(
            "form",
            f"ist keine Zahl wie „1234.56“ (ohne Exponent, höchstens {digits.whole} Stellen "
            f"vor und {digits.places} nach dem Komma)",
        )
    # Lengths from the match's positions: no copy of a huge run of digits is made.
    whole_start, whole_end = match.span(2)
    if whole_end - whole_start > digits.whole:
        raise AmountError(
            "vorkomma", f"ist unplausibel groß (mehr als {digits.whole} Stellen vor dem Komma)"
        )
    places = match.end(3) - match.start(3) if match.start(3) >= 0 else 0
    if places > digits.places:
        word = "zwei" if digits.places == 2 else str(digits.places)
        raise AmountError("nachkomma", f"hat mehr als {word} Nachkommastellen")
    whole = match.string[whole_start:whole_end]
    return Decimal(f"{match[1]}{whole}.{match[3]}" if places else f"{match[1]}{whole}")


def bounded_number(value: int | float, digits: Digits = AMOUNT) -> Decimal:
    """A TOML integer or float under the same bounds (a float as its shortest literal)."""
    if isinstance(value, int):
        if abs(value) >= 10**digits.whole:
            raise AmountError(
                "vorkomma", f"ist unplausibel groß (mehr als {digits.whole} Stellen vor dem Komma)"
            )
        return Decimal(value)
    return bounded_decimal(repr(value), digits)  # nan, inf, 1e+16: no digits-only literal
