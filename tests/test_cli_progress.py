"""Progress on long work (issue 23 item 14): a bar on stderr when it is a terminal, else silence.

The terminal case runs ``zyklus`` as its own process with stderr on a pseudo-terminal (``pty``)
and reads what a user would see; the script case runs it with stderr captured.
"""

from __future__ import annotations

import os
import pty
import select
import subprocess
import sys
from pathlib import Path

from cycle import progress
from cycle.cli.progress import on_terminal
from tests.conftest import Run

ZYKLUS = Path(sys.executable).parent / "zyklus"


def _on_a_terminal(workspace: Path, *args: str) -> tuple[int, str]:
    """Run ``zyklus ARGS`` with stderr on a pseudo-terminal; (exit code, what it showed)."""
    leader, follower = pty.openpty()
    env = {k: v for k, v in os.environ.items() if not k.startswith("ZYKLUS_")}
    env |= {"TERM": "xterm", "COLUMNS": "120", "ZYKLUS_USER": "test"}
    command = [str(ZYKLUS), "--config", str(workspace / "config.toml"), *args]
    process = subprocess.Popen(
        command, stdout=subprocess.DEVNULL, stderr=follower, stdin=subprocess.DEVNULL, env=env
    )
    os.close(follower)
    shown = b""
    while True:
        ready, _, _ = select.select([leader], [], [], 0.2)
        if ready:
            try:
                chunk = os.read(leader, 65536)
            except OSError:  # the follower side closed
                break
            if not chunk:
                break
            shown += chunk
        elif process.poll() is not None:
            break
    os.close(leader)
    return process.wait(timeout=120), shown.decode("utf-8", "replace")


def test_simulate_shows_a_bar_on_a_terminal(workspace: Path) -> None:
    code, shown = _on_a_terminal(
        workspace,
        "--now",
        "2026-01-01T07:00",
        "simulate",
        "--from",
        "2026-03-01",
        "--to",
        "2026-04-30",
    )
    assert code == 0, shown
    assert "Simulation" in shown
    assert "42/42" in shown  # the working days of March and April 2026 (Easter: 2 holidays)
    assert "noch" in shown  # time left


def test_init_and_tick_show_their_work_on_a_terminal(workspace: Path) -> None:
    code, shown = _on_a_terminal(workspace, "--now", "2026-01-05T09:00", "init")
    assert code == 0, shown
    assert "Stammdaten übernehmen" in shown and "3/3" in shown
    code, shown = _on_a_terminal(workspace, "--now", "2026-03-03T08:05", "tick")
    assert code == 0, shown
    assert "Nachrichten zustellen" in shown and "11/11" in shown  # the first reminders + overview


def test_scripts_and_ci_see_no_bar(zyklus: Run) -> None:
    result = zyklus(
        "simulate", "--from", "2026-03-01", "--to", "2026-04-30", "--format", "json",
        now="2026-01-01T07:00",
    )  # fmt: skip
    assert result.code == 0 and result.err == ""
    init = zyklus("init", now="2026-01-05T09:00")
    assert init.code == 0 and "Stammdaten übernehmen" not in init.err


def test_nothing_listens_unless_a_terminal_is_there(tmp_path: Path) -> None:
    heard: list[tuple[str, int, int]] = []
    with progress.listening(lambda *a: heard.append(a)):
        progress.report("x", 1, 2)
    progress.report("x", 2, 2)  # nobody listens any more
    assert heard == [("x", 1, 2)]
    with (tmp_path / "log").open("w") as not_a_terminal, on_terminal("tick", not_a_terminal):
        assert not progress.active()
