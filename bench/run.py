"""``make bench``: measure tick, simulate, status, delivery and start-up; print one Markdown table.

    python -m bench.run [--quick] [--sizes 1000,10000,100000] [--cases ticks,delivery]
                        [--write-readme]

Progress goes to stderr, the table to stdout. With ``--write-readme`` the table also replaces the
block between ``<!-- bench:start -->`` and ``<!-- bench:end -->`` in README.md (if both markers
exist). Everything runs in a temporary folder; the repository's ``var/`` is never touched.
See docs/benchmarks.md for what each row measures.
"""

from __future__ import annotations

import argparse
import os
import platform
import resource
import sqlite3
import sys
import tempfile
import time
from collections.abc import Callable, Sequence
from pathlib import Path

from bench import cases, hot, web
from bench.table import Row, markdown, write_readme

SIZES = (1_000, 10_000, 100_000)
WEB_MAX = 10_000  # the Übersicht of 100,000 pairings on one page is not a use case
README = Path(__file__).resolve().parent.parent / "README.md"
ORDER = (
    "tick, nothing",
    "tick, everything",
    "tick floor",
    "APScheduler",
    "peak RSS",
    "Jahresbericht DOCX",
    "tick, weekly",
    "simulate",
    "status --format",
    "status:",
    "outbox",
    "web:",
    "zyklus --help",
    "zyklus status",
    "load config",
    "init",
)


def _sizes(text: str) -> tuple[int, ...]:
    try:
        sizes = tuple(sorted({int(part.replace("_", "")) for part in text.split(",")}))
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a list of numbers: {text!r}") from None
    if not sizes or min(sizes) < 1:
        raise argparse.ArgumentTypeError("sizes must be positive")
    return sizes


CASES = (
    "startup",
    "ticks",
    "floor",
    "apscheduler",
    "skeletons",
    "status",
    "web",
    "delivery",
    "simulate",
    "rss",
)


def _cases(text: str) -> frozenset[str]:
    chosen = frozenset(part.strip() for part in text.split(",") if part.strip())
    unknown = sorted(chosen - set(CASES))
    if unknown or not chosen:
        raise argparse.ArgumentTypeError(f"unknown cases {unknown}; choose from {', '.join(CASES)}")
    return chosen


def parse(argv: Sequence[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m bench.run", description=__doc__.split("\n")[0])
    parser.add_argument("--quick", action="store_true", help="skip the 100,000-pairing size")
    parser.add_argument("--sizes", type=_sizes, help="pairing counts, e.g. 1000,10000")
    parser.add_argument(
        "--cases",
        type=_cases,
        default=frozenset(CASES),
        help="only these (comma-separated; init always runs): " + ", ".join(CASES),
    )
    parser.add_argument("--write-readme", action="store_true", help="update README.md's block")
    return parser.parse_args(argv)


def _progress(message: str) -> None:
    print(f"[bench {time.strftime('%H:%M:%S')}] {message}", file=sys.stderr, flush=True)


def _step(label: str, call: Callable[[], None]) -> None:
    started = time.perf_counter()
    _progress(f"{label} …")
    call()
    _progress(f"{label}: done in {time.perf_counter() - started:.1f} s")


def _one_size(
    ws: cases.Workspace, rows: list[Row], only: frozenset[str], status: bool, delivery: bool
) -> None:
    size = f"{ws.pairings:,}"
    _step(f"init {size}", lambda: cases.init(ws, rows))
    if only & {"ticks", "delivery"}:  # the delivery drains what the everything-due tick stored
        _step(f"ticks {size}", lambda: cases.ticks(ws, rows))
    if "floor" in only:
        _step(f"tick floor {size}", lambda: hot.floor(ws, rows))
    if status and "apscheduler" in only:
        _step(f"APScheduler {size}", lambda: hot.apscheduler(ws, rows))
    if status and "skeletons" in only:
        _step(f"Jahresbericht skeletons {size}", lambda: hot.skeletons(ws, rows))
    if status and "status" in only:
        _step(f"status {size}", lambda: cases.status_json(ws, rows))
    if ws.pairings <= WEB_MAX and "web" in only:
        _step(f"web {size}", lambda: _web(ws, rows))
    if delivery and "delivery" in only:
        _step(f"delivery {size}", lambda: cases.delivery(ws, rows))


def _web(ws: cases.Workspace, rows: list[Row]) -> None:
    """Page times at every size up to ``WEB_MAX``; at the smallest, 20 concurrent clients and
    the load row with 1 and (when ``zyklus web`` has ``--workers``) 2 workers."""
    web.add_user(ws.config)
    with web.serving(ws.config) as server:
        web.pages(server, ws.pairings, rows)
        if ws.pairings == web.SMALL:
            web.concurrent(server, ws.pairings, rows)
    if ws.pairings != web.SMALL:
        return
    counts = web.worker_counts()
    for workers in counts:
        with web.serving(ws.config, workers if counts != (1,) else None) as server:
            web.mixed_load(server, ws.pairings, rows, workers)


def measure(
    sizes: Sequence[int], folder: Path, only: frozenset[str] = frozenset(CASES)
) -> list[Row]:
    rows: list[Row] = []
    small = min(sizes)
    status_at = 10_000 if 10_000 in sizes else max(sizes)
    if "startup" in only:
        _step("zyklus --help start-up", lambda: cases.startup(rows))
        _step("zyklus status start-up", lambda: hot.startup(folder / "startup", rows))
    per_size = only - {"startup", "simulate", "rss"}
    for size in sizes if per_size else ():
        _progress(f"generating and loading {size:,} pairings …")
        ws = cases.create(folder / f"n{size}", size, rows)
        try:
            _one_size(ws, rows, per_size, status=size == status_at, delivery=size == small)
        finally:
            ws.app.close()
    if "simulate" in only:
        _step(f"simulate {small:,}", lambda: cases.simulate_year(folder / "sim", small, rows))
    big = max(sizes)
    if "rss" in only:
        _step(f"peak RSS {big:,}", lambda: hot.peak_rss(folder / "rss", big, rows))
    return sorted(rows, key=_order)


def _order(row: Row) -> tuple[int, int]:
    group = next((i for i, p in enumerate(ORDER) if row.benchmark.startswith(p)), len(ORDER))
    return group, row.pairings or 0


def caption(total: float) -> str:
    peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    return (
        f"_Python {platform.python_version()}, SQLite {sqlite3.sqlite_version}, "
        f"{os.cpu_count()} CPUs, {platform.machine()}; whole run {total:,.0f} s, "
        f"peak RSS {peak_mb:,.0f} MB. `make bench`, see docs/benchmarks.md._"
    )


def main(argv: Sequence[str] | None = None) -> int:
    args = parse(argv)
    sizes = args.sizes or tuple(s for s in SIZES if not (args.quick and s > 10_000))
    for name in [k for k in os.environ if k.startswith("ZYKLUS_")]:
        del os.environ[name]  # e.g. $ZYKLUS_DATABASE_URL must not redirect the bench database
    started = time.perf_counter()
    with tempfile.TemporaryDirectory(prefix="zyklus-bench-") as folder:
        rows = measure(sizes, Path(folder), args.cases)
    block = markdown(rows) + "\n\n" + caption(time.perf_counter() - started)
    print(block)
    if args.write_readme:
        print(write_readme(README, block), file=sys.stderr)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
