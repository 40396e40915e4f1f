"""``leitfaden_jahre``: a stage's guide replaced in single years, and its checks."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from cycle.config.loader import ConfigError, load

ROOT = Path(__file__).resolve().parent.parent
MINIMAL = (Path(__file__).parent / "data" / "config" / "minimal.toml").read_text(encoding="utf-8")
AUFTAKT_DUE = 'due = "03-31"\n'


def config(folder: Path, stage_lines: str, guides: tuple[str, ...] = ()) -> Path:
    """The minimal config with ``stage_lines`` added to its first stage; ``guides`` are created."""
    for name in guides:
        (folder / name).parent.mkdir(parents=True, exist_ok=True)
        (folder / name).write_text(f"# Leitfaden {Path(name).stem}\n", encoding="utf-8")
    assert MINIMAL.count(AUFTAKT_DUE) == 1
    path = folder / "config.toml"
    path.write_text(MINIMAL.replace(AUFTAKT_DUE, AUFTAKT_DUE + stage_lines), encoding="utf-8")
    return path


def problems_of(path: Path) -> list[str]:
    with pytest.raises(ConfigError) as caught:
        load(path, {})
    return caught.value.problems


def test_a_year_gets_its_own_guide_and_every_other_year_keeps_the_default(tmp_path: Path):
    path = config(
        tmp_path,
        'leitfaden = "normal.md"\n'
        'leitfaden_jahre = { 2029 = "vorlagen/2029.md", 2027 = "vorlagen/2027.md" }\n',
        ("normal.md", "vorlagen/2027.md", "vorlagen/2029.md"),
    )
    stage = load(path, {}).stages[0]
    base = tmp_path.resolve()
    assert stage.leitfaden_jahre == (
        (2027, base / "vorlagen/2027.md"),
        (2029, base / "vorlagen/2029.md"),
    )
    assert stage.leitfaden_for(2027) == base / "vorlagen" / "2027.md"
    assert stage.leitfaden_for(2029) == base / "vorlagen" / "2029.md"
    assert stage.leitfaden_for(2028) == base / "normal.md"
    assert hash(stage) == hash(load(path, {}).stages[0])  # StageSpec stays hashable


def test_the_years_may_be_written_as_a_sub_table_below_the_stage(tmp_path: Path):
    path = config(tmp_path, "", ("schwerpunkt.md",))
    text = path.read_text(encoding="utf-8").replace(
        '[[stage]]\nid = "bericht"',
        '[stage.leitfaden_jahre]\n2027 = "schwerpunkt.md"\n\n[[stage]]\nid = "bericht"',
    )
    path.write_text(text, encoding="utf-8")
    auftakt, bericht = load(path, {}).stages
    assert auftakt.leitfaden_for(2027) == tmp_path.resolve() / "schwerpunkt.md"
    assert auftakt.leitfaden_for(2026) is None  # no default guide: only the focus year has one
    assert bericht.leitfaden_jahre == ()


def test_a_stage_without_the_key_has_no_yearly_guides(tmp_path: Path):
    stage = load(config(tmp_path, 'leitfaden = "a.md"\n', ("a.md",)), {}).stages[0]
    assert stage.leitfaden_jahre == ()
    assert stage.leitfaden_for(2027) == tmp_path.resolve() / "a.md"


@pytest.mark.parametrize(
    ("entry", "key"),
    [('27 = "s.md"', "27"), ('1999 = "s.md"', "1999"), ('2101 = "s.md"', "2101"),
     ('"zwanzig27" = "s.md"', "zwanzig27"), ('"02027" = "s.md"', "02027")],
)  # fmt: skip
def test_a_key_that_is_not_a_year_from_2000_to_2100_is_refused(
    tmp_path: Path, entry: str, key: str
):
    path = config(tmp_path, f"leitfaden_jahre = {{ {entry} }}\n", ("s.md",))
    assert problems_of(path) == [
        f"stage[1].leitfaden_jahre.{key}: „{key}“ ist keine Jahreszahl (erlaubt: 2000 bis 2100)"
    ]


def test_the_years_2000_and_2100_are_the_bounds_and_allowed(tmp_path: Path):
    path = config(tmp_path, 'leitfaden_jahre = { 2000 = "s.md", 2100 = "s.md" }\n', ("s.md",))
    assert [year for year, _ in load(path, {}).stages[0].leitfaden_jahre] == [2000, 2100]


def test_a_missing_guide_file_is_named_with_its_year_and_where_it_was_looked_for(tmp_path: Path):
    path = config(tmp_path, 'leitfaden_jahre = { 2027 = "vorlagen/fehlt.md" }\n')
    assert problems_of(path) == [
        "stage[1].leitfaden_jahre.2027: Datei „vorlagen/fehlt.md“ nicht gefunden "
        f"(gesucht: {tmp_path.resolve() / 'vorlagen' / 'fehlt.md'})"
    ]


def test_every_problem_of_the_table_is_reported_at_once_in_file_order(tmp_path: Path):
    path = config(
        tmp_path,
        'leitfaden_jahre = { 1999 = "fehlt.md", 2027 = "", 2028 = 5, 2029 = "ok.md" }\n'
        "remind_before_days = [-1]\n",
        ("ok.md",),
    )
    assert problems_of(path) == [
        "stage[1].leitfaden_jahre.1999: „1999“ ist keine Jahreszahl (erlaubt: 2000 bis 2100)",
        "stage[1].leitfaden_jahre.1999: Datei „fehlt.md“ nicht gefunden "
        f"(gesucht: {tmp_path.resolve() / 'fehlt.md'})",
        "stage[1].leitfaden_jahre.2027: darf nicht leer sein",
        "stage[1].leitfaden_jahre.2028: erwartet einen Text, gefunden: ganze Zahl 5",
        "stage[1].remind_before_days: -1: negative Tage sind nicht erlaubt",
    ]


@pytest.mark.parametrize(
    ("value", "found"),
    [('"s.md"', "Text „s.md“"), ('["s.md"]', "Liste"), ("2027", "ganze Zahl 2027")],
)
def test_a_value_that_is_not_a_table_of_years_is_refused_with_an_example(
    tmp_path: Path, value: str, found: str
):
    path = config(tmp_path, f"leitfaden_jahre = {value}\n", ("s.md",))
    assert problems_of(path) == [
        "stage[1].leitfaden_jahre: erwartet eine Tabelle Jahr = Datei, "
        f'z. B. {{ 2027 = "vorlagen/leitfaden-2027.md" }}, gefunden: {found}'
    ]


def test_a_misspelt_key_suggests_leitfaden_jahre(tmp_path: Path):
    path = config(tmp_path, 'leitfaden_jahr = { 2027 = "s.md" }\n', ("s.md",))
    assert problems_of(path) == [
        "stage[1].leitfaden_jahr: unbekannter Schlüssel (meinten Sie „leitfaden_jahre“?)"
    ]


def test_the_commented_example_in_the_shipped_config_works_when_switched_on(tmp_path: Path):
    example = '# leitfaden_jahre = { 2027 = "vorlagen/leitfaden-schwerpunkt-beteiligung.md" }\n'
    shipped = (ROOT / "config.toml").read_text(encoding="utf-8")
    assert shipped.count(example) == 1
    path = tmp_path / "config.toml"
    path.write_text(shipped.replace(example, example.removeprefix("# ")), encoding="utf-8")
    shutil.copytree(ROOT / "vorlagen", tmp_path / "vorlagen")
    stage = load(path, {}).stage("auftaktgespraech")
    assert stage is not None
    guide = stage.leitfaden_for(2027)
    assert guide is not None and guide.name == "leitfaden-schwerpunkt-beteiligung.md"
    assert guide.read_text(encoding="utf-8").startswith("# Leitfaden Schwerpunkt Beteiligung")
    assert stage.leitfaden_for(2026) == tmp_path.resolve() / "vorlagen" / (
        "leitfaden-auftaktgespraech.md"
    )
