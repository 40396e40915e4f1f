"""Fuzzing the three TOML inputs (issue 13, item 5): config, scenario, Verwendungsnachweis.

Whatever hypothesis writes, ``zyklus`` ends with exit 0, 1 or 2 — never 3 (an internal error) —
says why in German, and a refusal leaves the database as it was. Examples are bounded so the
three tests together take well under a minute.
"""

from __future__ import annotations

import contextlib
import io
import json
import math
import re
import shutil
import sqlite3
from collections.abc import Iterator
from datetime import date, datetime, time
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from cycle.cli.main import main

ROOT = Path(__file__).resolve().parent.parent
NOW = "2026-02-02T09:00"
FUZZ = settings(
    max_examples=40,
    deadline=None,
    database=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    """One initialised workspace; the earlier stages of kaltenmoor 2026 are waived."""
    folder = tmp_path_factory.mktemp("fuzz")
    shutil.copy(ROOT / "config.toml", folder / "config.toml")
    shutil.copytree(ROOT / "vorlagen", folder / "vorlagen")
    with pytest.MonkeyPatch.context() as patch:
        for name in ("ZYKLUS_DATABASE_URL", "ZYKLUS_NOW", "ZYKLUS_CONFIG", "ZYKLUS_AUDIT_KEY"):
            patch.delenv(name, raising=False)
        patch.setenv("ZYKLUS_USER", "fuzz")
        assert _run(folder, "init")[0] == 0
        for stage in ("auftaktgespraech", "fachtag", "auswertungsgespraech", "jahresbericht"):
            assert _run(folder, "waive", "kaltenmoor", "2026", stage, "--reason", "T")[0] == 0
        yield folder


def _run(folder: Path, *args: str, config: Path | None = None) -> tuple[int, str]:
    argv = ["--config", str(config or folder / "config.toml"), "--now", NOW, *args]
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        try:
            code = main(argv)
        except SystemExit as exc:
            code = int(exc.code or 0)
    return code, err.getvalue()


def _snapshot(folder: Path) -> tuple[object, ...]:
    with sqlite3.connect(folder / "var" / "zyklus.db") as db:
        return (
            db.execute("SELECT count(*), max(id) FROM audit").fetchone(),
            db.execute("SELECT hash FROM audit_head").fetchone(),
            db.execute("SELECT group_concat(status) FROM stage_state").fetchone(),
            db.execute("SELECT count(*) FROM outbox").fetchone(),
        )


def _check(folder: Path, before: tuple[object, ...], code: int, err: str) -> None:
    assert code in (0, 1, 2), err
    assert "Interner Fehler" not in err and "Traceback" not in err, err
    if code:
        assert "Fehler" in err, err  # one or more German lines: "Fehler: …"
        assert _snapshot(folder) == before


# --- TOML values ----------------------------------------------------------------------------


def _toml(value: object) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float):
        return "nan" if math.isnan(value) else repr(value)
    if isinstance(value, int | date | time):
        return value.isoformat() if isinstance(value, date | time) else str(value)
    if isinstance(value, str):
        return json.dumps(value, ensure_ascii=False)
    if isinstance(value, list):
        return "[" + ", ".join(_toml(v) for v in value) + "]"
    if isinstance(value, dict):
        return "{" + ", ".join(f"{_key(k)} = {_toml(v)}" for k, v in value.items()) + "}"
    raise TypeError(value)


def _key(name: str) -> str:
    return name if re.fullmatch(r"[A-Za-z0-9_-]+", name) else json.dumps(name)


SCALARS = st.one_of(
    st.integers(),
    st.integers(min_value=-(10**30), max_value=10**30),
    st.floats(allow_nan=True, allow_infinity=True),
    st.booleans(),
    st.text(max_size=30),
    st.sampled_from(["", " ", "2026-13-45", "=cmd|' /C calc'!A0", "a\nb", "\x00", "ü" * 300]),
    st.dates(),
    st.datetimes(min_value=datetime(1, 1, 2), max_value=datetime(9999, 12, 30)),
    st.times(),
)
VALUES = st.recursive(
    SCALARS,
    lambda inner: (
        st.lists(inner, max_size=4)
        | st.dictionaries(st.sampled_from(["a", "id", "x y", "name"]), inner, max_size=3)
    ),
    max_leaves=8,
)
NOISE = st.lists(
    st.sampled_from([*"[]{}=\"'#.,\n abc0123-:", "[[", "]]", '"""', "\\u", "\\"]), max_size=30
).map("".join)


# --- config -------------------------------------------------------------------------------

CONFIG = (ROOT / "config.toml").read_text(encoding="utf-8")
ASSIGNMENTS = [
    m.start() for m in re.finditer(r"(?m)^[a-z_]+\s*=\s*", CONFIG) if m.start() < len(CONFIG)
]


@FUZZ
@given(where=st.sampled_from(ASSIGNMENTS), value=VALUES, noise=st.none() | NOISE)
def test_fuzzed_config_never_ends_in_an_internal_error(
    site: Path, where: int, value: object, noise: str | None
) -> None:
    end = CONFIG.index("\n", where)
    key = CONFIG[where:end].split("=")[0].strip()
    replacement = noise if noise is not None else f"{key} = {_toml(value)}"
    fuzzed = site / "fuzz.toml"
    fuzzed.write_text(CONFIG[:where] + replacement + CONFIG[end:], encoding="utf-8")
    before = _snapshot(site)
    code, err = _run(site, "tick", "--no-deliver", config=fuzzed)
    _check(site, before, code, err)


# --- scenario -----------------------------------------------------------------------------

SCENARIO_KEYS = [
    "on", "command", "pairing", "year", "stage", "at", "until", "due", "reason", "location",
    "note", "participants", "file", "evidence", "by", "successor", "trotzdem", "was",
]  # fmt: skip
GOOD = {
    "on": st.sampled_from(["2026-02-03", "2026-02-03T10:00:00"]),
    "command": st.sampled_from(["schedule", "waive", "extend", "complete", "end", "return"]),
    "pairing": st.sampled_from(['"kaltenmoor"', '"hanseviertel"', '"gibtsnicht"']),
    "year": st.sampled_from(["2026", "2025"]),
    "stage": st.sampled_from(['"fachtag"', '"auftaktgespraech"', '"jahresbericht"']),
}


@st.composite
def scenarios(draw: st.DrawFn) -> str:
    tables = []
    for _ in range(draw(st.integers(1, 3))):
        keys = draw(st.lists(st.sampled_from(SCENARIO_KEYS), max_size=8, unique=True))
        lines = []
        for key in keys:
            good = GOOD.get(key)
            if good is not None and draw(st.booleans()):
                lines.append(f"{key} = {draw(good)}")
            else:
                lines.append(f"{key} = {_toml(draw(VALUES))}")
        tables.append("[[event]]\n" + "\n".join(lines))
    return "\n\n".join(tables) + "\n" + (draw(st.none() | NOISE) or "")


@settings(FUZZ, max_examples=25)
@given(text=scenarios())
def test_fuzzed_scenarios_never_end_in_an_internal_error(site: Path, text: str) -> None:
    path = site / "szenario.toml"
    path.write_text(text, encoding="utf-8")
    before = _snapshot(site)
    code, err = _run(
        site, "simulate", "--from", "2026-02-02", "--to", "2026-02-04", "--scenario", str(path)
    )
    _check(site, before, code, err)
    assert _snapshot(site) == before  # a simulation never touches the real database


# --- Verwendungsnachweis ------------------------------------------------------------------

VN_KEYS = [
    "jahr", "zuschuss", "personalkosten", "verwaltungskosten", "sachkosten", "gemeinwesenarbeit",
    "weitere_einnahmen", "kostensumme", "differenz", "erlaeuterung", "unbekannt",
]  # fmt: skip
AMOUNTS = st.sampled_from(['"1000.00"', '"0"', '"-5"', '"1,5"', "12.5", '"1e9"', '"9" ' * 1])


@st.composite
def proofs(draw: st.DrawFn) -> str:
    lines = []
    for key in draw(st.lists(st.sampled_from(VN_KEYS), max_size=9, unique=True)):
        value = draw(AMOUNTS) if draw(st.booleans()) else _toml(draw(VALUES))
        lines.append(f"{key} = {value}")
    if draw(st.booleans()):
        lines.append(f"[[personal]]\nname = {_toml(draw(VALUES))}\nkosten = {draw(AMOUNTS)}")
    if draw(st.booleans()):
        lines.append(f"[[angebote]]\nbezeichnung = {_toml(draw(VALUES))}\nbetrag = {draw(AMOUNTS)}")
    if draw(st.booleans()):
        lines.append(f"[unterschrift]\nname = {_toml(draw(VALUES))}\ndatum = {_toml(draw(VALUES))}")
    return "\n".join(lines) + "\n" + (draw(st.none() | NOISE) or "")


@FUZZ
@given(text=proofs())
def test_fuzzed_verwendungsnachweise_never_end_in_an_internal_error(site: Path, text: str) -> None:
    path = site / "vn.toml"
    path.write_text(text, encoding="utf-8")
    before = _snapshot(site)
    code, err = _run(site, "submit", "kaltenmoor", "2026", "verwendungsnachweis", str(path))
    _check(site, before, code, err)
