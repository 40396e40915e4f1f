"""Terminal tables, CSV and JSON output shared by the commands."""

from __future__ import annotations

import csv
import io
import json
import os
import sys
from collections.abc import Sequence
from typing import Any, TextIO

GREEN, YELLOW, RED, DIM, RESET = "\033[32m", "\033[33m", "\033[31m", "\033[2m", "\033[0m"


def use_colour(stream: TextIO = sys.stdout) -> bool:
    if os.environ.get("NO_COLOR"):
        return False
    return bool(os.environ.get("FORCE_COLOR")) or stream.isatty()


def paint(text: str, colour: str, enabled: bool) -> str:
    return f"{colour}{text}{RESET}" if enabled and text else text


def table(
    headers: Sequence[str],
    rows: Sequence[Sequence[Any]],
    widths: Sequence[int | None] | None = None,
) -> str:
    from tabulate import tabulate

    return tabulate(
        rows,
        headers=list(headers),
        tablefmt="simple_grid",
        disable_numparse=True,
        maxcolwidths=list(widths) if widths else None,
    )


def to_csv(headers: Sequence[str], rows: Sequence[Sequence[Any]]) -> str:
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(headers)
    writer.writerows(rows)
    return buffer.getvalue()


def to_json(data: Any) -> str:
    return json.dumps(data, ensure_ascii=False, indent=2, default=str)


def german_date(value: Any) -> str:
    return value.strftime("%d.%m.%Y") if value else ""
