"""``python -m bench.run --cases``: single cases can be chosen, unknown ones are refused."""

from __future__ import annotations

import pytest

from bench import run


def test_the_default_runs_every_case_and_a_list_picks_some() -> None:
    assert run.parse([]).cases == frozenset(run.CASES)
    assert run.parse(["--cases", "ticks, skeletons"]).cases == {"ticks", "skeletons"}


def test_an_unknown_or_empty_case_list_is_refused(capsys: pytest.CaptureFixture[str]) -> None:
    for value in ("tick", ","):
        with pytest.raises(SystemExit) as exc:
            run.parse(["--cases", value])
        assert exc.value.code == 2
    assert "unknown cases" in capsys.readouterr().err
