"""Result rows, the Markdown table, and splicing it into README.md between the bench markers."""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from statistics import median
from typing import TypeVar

START, END = "<!-- bench:start -->", "<!-- bench:end -->"
HEADERS = ("benchmark", "pairings", "seconds", "throughput / note")
T = TypeVar("T")


@dataclass(frozen=True)
class Row:
    benchmark: str
    pairings: int | None
    seconds: float
    note: str = ""


def timed(call: Callable[[], T]) -> tuple[float, T]:
    """Run ``call`` once; return (elapsed seconds, result). The harness may read the clock."""
    started = time.perf_counter()
    result = call()
    return time.perf_counter() - started, result


def median_of(runs: int, call: Callable[[], object]) -> tuple[float, list[float]]:
    """Median wall time of ``runs`` calls (and every single time, for min/max notes)."""
    times = [timed(call)[0] for _ in range(runs)]
    return median(times), times


def seconds(value: float) -> str:
    if value >= 100:
        return f"{value:,.0f}"
    if value >= 10:
        return f"{value:.1f}"
    if value >= 1:
        return f"{value:.2f}"
    if value >= 0.01:
        return f"{value:.3f}"
    return f"{value:.4f}"


def rate(count: float, elapsed: float, unit: str) -> str:
    """``1,234 unit/s`` (or ``–`` when nothing was timed)."""
    if elapsed <= 0:
        return "–"
    return f"{count / elapsed:,.0f} {unit}/s"


def markdown(rows: list[Row]) -> str:
    """One GitHub-flavoured Markdown table; numbers right-aligned."""
    cells = [
        [
            r.benchmark,
            f"{r.pairings:,}" if r.pairings is not None else "–",
            seconds(r.seconds),
            r.note,
        ]
        for r in rows
    ]
    widths = [max(len(h), *(len(c[i]) for c in cells)) for i, h in enumerate(HEADERS)]
    right = (False, True, True, False)

    def line(values: tuple[str, ...] | list[str]) -> str:
        padded = [
            v.rjust(w) if r else v.ljust(w) for v, w, r in zip(values, widths, right, strict=True)
        ]
        return "| " + " | ".join(padded) + " |"

    rule = (
        "|"
        + "|".join(
            ("-" * (w + 1) + ":") if r else "-" * (w + 2)
            for w, r in zip(widths, right, strict=True)
        )
        + "|"
    )
    return "\n".join([line(HEADERS), rule, *(line(c) for c in cells)])


def splice(text: str, block: str) -> str | None:
    """``text`` with everything between the markers replaced by ``block``; None without markers."""
    start, end = text.find(START), text.find(END)
    if start < 0 or end < start:
        return None
    return text[: start + len(START)] + "\n" + block.rstrip("\n") + "\n" + text[end:]


def write_readme(readme: Path, block: str) -> str:
    """Write ``block`` into ``readme`` between the markers; returns a one-line note for stderr."""
    text = readme.read_text(encoding="utf-8") if readme.is_file() else ""
    spliced = splice(text, block)
    if spliced is None:
        return f"{readme}: markers {START} / {END} not found, README left unchanged."
    readme.write_text(spliced, encoding="utf-8")
    return f"{readme}: benchmark table updated."
