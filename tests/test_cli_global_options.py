"""``--config`` and ``--now`` are accepted before or after the command (SPEC §11)."""

from __future__ import annotations

import contextlib
import io
from pathlib import Path

from cycle.cli.main import build_parser, main
from tests.conftest import Run


def run(*argv: str) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        try:
            code = main(list(argv))
        except SystemExit as exc:
            code = int(exc.code or 0)
    return code, out.getvalue(), err.getvalue()


def test_global_options_after_the_command_work_like_before_it(zyklus: Run, workspace: Path) -> None:
    assert zyklus("init", now="2026-01-05T09:00").code == 0
    config = str(workspace / "config.toml")
    before = run("--config", config, "--now", "2026-04-02T08:00", "status", "--format", "json")
    after = run("status", "--format", "json", "--config", config, "--now", "2026-04-02T08:00")
    assert before[0] == after[0] == 0 and before[1] == after[1]
    nested = run("user", "list", "--now", "2026-04-02T08:00", "--config", config)
    assert nested[0] == 0, nested


def test_an_option_after_the_command_overrides_the_one_before_and_absent_ones_keep_it() -> None:
    parser = build_parser()
    args = parser.parse_args(["--now", "2026-01-01T08:00", "web", "--now", "2026-02-02T08:00"])
    assert args.now == "2026-02-02T08:00" and args.config is None
    args = parser.parse_args(["--config", "a.toml", "tick", "--now", "2026-02-02T08:00"])
    assert (args.config, args.now) == ("a.toml", "2026-02-02T08:00")


def test_a_bad_now_after_the_command_is_bad_usage(zyklus: Run, workspace: Path) -> None:
    code, _, err = run("status", "--config", str(workspace / "config.toml"), "--now", "gestern")
    assert code == 2 and "--now" in err and "Traceback" not in err
