"""Argument types and shared arguments of the CLI (argparse only: imported at start-up)."""

from __future__ import annotations

import argparse
from datetime import date, datetime


def year(text: str) -> int:
    if not (text.isascii() and text.isdigit()) or not 2000 <= int(text[:5]) <= 2100:
        raise argparse.ArgumentTypeError(f"„{text}“ ist kein Jahr (z. B. 2026)")
    return int(text)


def message_id(text: str) -> int:
    if not (text.isascii() and text.isdigit()) or not 1 <= int(text[:20]) <= 2**63 - 1:
        raise argparse.ArgumentTypeError(f"„{text[:30]}“ ist keine Nachrichtennummer (z. B. 17)")
    return int(text)


def date_arg(text: str) -> date:
    from cycle.clock import parse_date

    try:
        return parse_date(text)
    except ValueError as exc:
        raise argparse.ArgumentTypeError(str(exc)) from None


def instant_arg(text: str) -> datetime:
    from cycle.clock import parse_instant

    try:
        return parse_instant(text)
    except ValueError as exc:
        raise argparse.ArgumentTypeError(str(exc)) from None


def cycle_args(p: argparse.ArgumentParser, pairing_help: str = "Partnerschaft (Kennung)") -> None:
    p.add_argument("pairing", metavar="PAIRING", help=pairing_help)
    p.add_argument("year", metavar="YEAR", type=year, help="Jahr des Zyklus")
    p.add_argument("stage", metavar="STAGE", help="Stufe (Kennung aus der Konfiguration)")


def by(p: argparse.ArgumentParser) -> None:
    p.add_argument("--by", metavar="WER", help="wer das Ereignis erfasst (sonst $ZYKLUS_USER)")
