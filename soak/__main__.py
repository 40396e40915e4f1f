"""``python -m soak``: run the scenarios, print their figures, exit 1 if a property broke.

Progress goes to stderr; the machine, the seed and a Markdown table of the figures go to stdout.
Each scenario works in its own temporary folder, removed afterwards unless the scenario failed.
"""

from __future__ import annotations

import argparse
import logging
import os
import platform
import secrets
import shutil
import sqlite3
import sys
import tempfile
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from random import Random

from soak.concurrent import two_services
from soak.figures import Figures, table
from soak.hold import HoldingHandler
from soak.kills import campaign
from soak.outage import outage_then_storm
from soak.support import POSTGRES_ENV, Violation, progress, workspace
from tests.smtp_sink import free_port, running_sink

SCENARIOS = ("kills", "outage", "two", "postgres")
DATABASES = {"sqlite": "SQLite", "postgres": "PostgreSQL"}


def parse(argv: Sequence[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m soak", description=__doc__.split("\n")[0])
    parser.add_argument("--seed", type=int, help="seed of the random choices (default: random)")
    parser.add_argument("--kills", type=int, default=20, help="kill -9 per campaign (20)")
    parser.add_argument("--pairings", type=int, default=300, help="generated pairings (300)")
    parser.add_argument(
        "--only", type=lambda s: s.split(","), default=list(SCENARIOS), help=",".join(SCENARIOS)
    )
    args = parser.parse_args(argv)
    if unknown := set(args.only) - set(SCENARIOS):
        parser.error(f"unknown scenarios: {', '.join(sorted(unknown))}")
    return args


Scenario = Callable[[Path, Figures, Random], None]


def _kills(kind: str, args: argparse.Namespace) -> Scenario:
    def run(folder: Path, figures: Figures, rng: Random) -> None:
        handler = HoldingHandler()
        with (
            running_sink(handler=handler) as sink,
            workspace(folder, kind, args.pairings, sink.port) as ws,
        ):
            campaign(ws, sink, handler, figures, args.kills, rng)

    return run


def _outage(args: argparse.Namespace) -> Scenario:
    def run(folder: Path, figures: Figures, rng: Random) -> None:
        port = free_port()  # nothing listens here until the storm
        with workspace(folder, "sqlite", args.pairings, port) as ws:
            outage_then_storm(ws, port, figures, rng)

    return run


def _two(kind: str, args: argparse.Namespace) -> Scenario:
    def run(folder: Path, figures: Figures, rng: Random) -> None:
        with running_sink() as sink, workspace(folder, kind, args.pairings, sink.port) as ws:
            two_services(ws, sink, figures, rng)

    return run


def _plan(args: argparse.Namespace) -> list[tuple[str, str, Scenario]]:
    plan: list[tuple[str, str, Scenario]] = []
    if "kills" in args.only:
        plan.append((f"{args.kills} × kill -9", "sqlite", _kills("sqlite", args)))
    if "outage" in args.only:
        plan.append(("3 days outage + 451 storm", "sqlite", _outage(args)))
    if "two" in args.only:
        plan.append(("two services", "sqlite", _two("sqlite", args)))
    if "postgres" in args.only:
        if os.environ.get(POSTGRES_ENV):
            plan.append((f"{args.kills} × kill -9", "postgres", _kills("postgres", args)))
            plan.append(("two services", "postgres", _two("postgres", args)))
        else:
            print(
                f"Note: PostgreSQL scenarios skipped: ${POSTGRES_ENV} is not set "
                "(`bash .ci/postgres.sh` starts a throwaway server and prints its URL).",
                flush=True,
            )
    return plan


def _environment() -> None:
    """The soak's own settings for every ``zyklus`` it starts; nothing inherited from a shell."""
    for name in ("ZYKLUS_DATABASE_URL", "ZYKLUS_NOW", "ZYKLUS_CONFIG", "FORCE_COLOR"):
        os.environ.pop(name, None)
    os.environ["ZYKLUS_USER"] = "soak"
    os.environ["ZYKLUS_AUDIT_KEY"] = secrets.token_hex(32)
    # aiosmtpd logs every connection that a killed client dropped mid-answer
    logging.getLogger("mail.log").setLevel(logging.CRITICAL)


def main(argv: Sequence[str] | None = None) -> int:
    args = parse(argv)
    seed = args.seed if args.seed is not None else secrets.randbelow(10**6)
    _environment()
    print(
        f"make soak {time.strftime('%Y-%m-%d %H:%M')}: seed {seed}, {args.pairings} pairings; "
        f"Python {platform.python_version()}, SQLite {sqlite3.sqlite_version}, "
        f"{os.cpu_count()} CPUs, {platform.machine()}",
        flush=True,
    )
    results: list[Figures] = []
    begin = time.monotonic()
    for scenario, kind, run in _plan(args):
        figures = Figures(scenario, DATABASES[kind])
        results.append(figures)
        folder = Path(tempfile.mkdtemp(prefix="zyklus-soak-"))
        progress(f"{scenario} on {figures.database} in {folder} …")
        try:
            run(folder, figures, Random(f"{seed}/{scenario}/{kind}"))
        except (Violation, AssertionError) as exc:  # AssertionError: a test helper timed out
            figures.result = "FAILED"
            figures.notes.append(f"FAILED: {exc}")
            print(f"\nFAILED: {scenario} on {figures.database}: {exc}\n(kept {folder})", flush=True)
            continue
        shutil.rmtree(folder, ignore_errors=True)
        progress(f"{scenario} on {figures.database}: ok in {figures.seconds:.0f} s")
    print(f"\n{table(results)}\n\nwhole run {time.monotonic() - begin:.0f} s", flush=True)
    return 1 if any(f.result != "ok" for f in results) else 0


if __name__ == "__main__":
    sys.exit(main())
