"""Shared fixtures: a workspace with the shipped config, and the CLI run in-process."""

from __future__ import annotations

import contextlib
import io
import shutil
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

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


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Run the browser journeys last.

    Playwright's sync API leaves its event loop registered as running in the main thread, and
    every later in-process ``asyncio.run`` (tick, delivery) would then fail. After the journeys
    no other test runs, so the order of the rest is unchanged.
    """
    items.sort(key=lambda item: "browser" in item.nodeid.split("::")[0])
