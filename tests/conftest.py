"""Shared fixtures: a workspace with the shipped config, and the CLI run in-process."""

from __future__ import annotations

import contextlib
import io
import shutil
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from playwright.sync_api import Page, sync_playwright

from cycle.cli.main import main

ROOT = Path(__file__).resolve().parent.parent


@dataclass(frozen=True)
class Result:
    code: int
    out: str
    err: str


Run = Callable[..., Result]


@pytest.fixture
def workspace(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A copy of the shipped config and its guides; the database goes to ``tmp_path/var``."""
    shutil.copy(ROOT / "config.toml", tmp_path / "config.toml")
    shutil.copytree(ROOT / "vorlagen", tmp_path / "vorlagen")
    for name in ("ZYKLUS_DATABASE_URL", "ZYKLUS_NOW", "ZYKLUS_CONFIG", "FORCE_COLOR"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("ZYKLUS_USER", "test")
    return tmp_path


@pytest.fixture
def zyklus(workspace: Path) -> Iterator[Run]:
    """Run ``zyklus --config <workspace>/config.toml [--now NOW] ARGS…`` in-process."""

    def run(*args: str, now: str | None = None, config: Path | None = None) -> Result:
        argv = ["--config", str(config or workspace / "config.toml")]
        if now:
            argv += ["--now", now]
        out, err = io.StringIO(), io.StringIO()
        with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
            try:
                code = main([*argv, *args])
            except SystemExit as exc:  # argparse usage errors
                code = int(exc.code or 0)
        return Result(code, out.getvalue(), err.getvalue())

    yield run


# Debian's chromium (``.ci/run`` installs it); never ``playwright install``. Without the network
# flags Chromium keeps trying hosts it cannot reach.
CHROMIUM = {
    "executable_path": "/usr/bin/chromium",
    "args": [
        "--no-sandbox",
        "--disable-gpu",
        "--disable-background-networking",
        "--disable-component-update",
        "--no-first-run",
    ],
}


@pytest.fixture
def page() -> Iterator[Page]:
    """A page of a German browser (language, time zone), started and stopped for one test.

    Playwright's sync API runs an event loop in this thread while it is open; leaving the
    ``with`` block closes it, so in-process ``asyncio.run`` (tick, delivery) works in any test
    after this one, in any order.
    """
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(**CHROMIUM)  # type: ignore[arg-type]
        try:
            context = browser.new_context(
                accept_downloads=True, locale="de-DE", timezone_id="Europe/Berlin"
            )
            yield context.new_page()
            context.close()
        finally:
            browser.close()
