"""The shipped config, the Bielefeld example, paths, environment and the error object."""

from __future__ import annotations

import shutil
from datetime import date, time
from decimal import Decimal
from pathlib import Path

import pytest

from cycle.config.loader import ConfigError, load, resolve_path, smtp_password
from cycle.documents.verwendungsnachweis import parse_and_validate
from workflows.calendar import DateSpec
from workflows.stages import StageType

ROOT = Path(__file__).resolve().parent.parent
DATA = Path(__file__).resolve().parent / "data" / "config"


def write(folder: Path, text: str) -> Path:
    path = folder / "config.toml"
    path.write_text(text, encoding="utf-8")
    return path


@pytest.fixture
def minimal() -> str:
    return (DATA / "minimal.toml").read_text(encoding="utf-8")


def test_the_shipped_lueneburg_config_loads_with_five_stages_in_order() -> None:
    settings = load(ROOT / "config.toml", {})
    stages = [
        (s.id, s.type, str(s.opens) if s.opens else None, str(s.due)) for s in settings.stages
    ]
    assert stages == [
        ("auftaktgespraech", StageType.MEETING, "01-01", "03-31"),
        ("fachtag", StageType.GROUP_MEETING, "04-01", "09-30"),
        ("auswertungsgespraech", StageType.MEETING, "10-01", "12-15"),
        ("jahresbericht", StageType.REPORT, None, "12-31"),
        ("verwendungsnachweis", StageType.PROOF_OF_FUNDS, None, "+1-06-30"),
    ]
    assert [s.requires for s in settings.stages] == [
        (),
        ("auftaktgespraech",),
        ("fachtag",),
        ("auswertungsgespraech",),
        ("jahresbericht",),
    ]
    assert settings.stages[-1].due == DateSpec(6, 30, 1)


def test_the_shipped_config_has_the_pairings_of_lueneburg_with_one_tandem() -> None:
    settings = load(ROOT / "config.toml", {})
    assert len(settings.pairings) >= 8
    assert set(settings.pairings) >= {
        "kaltenmoor", "bockelsberg", "innenstadt", "kreideberg", "hanseviertel", "ebensberg",
        "luene-moorfeld", "schuetzenplatz",
    }  # fmt: skip
    tandems = [p for p in settings.pairings.values() if p.tandem]
    assert [p.id for p in tandems] == ["innenstadt"]
    assert tandems[0].contacts[0].rolle == "Hansestadt Lüneburg (Tandem)"
    assert len(tandems[0].contacts) == 2
    city_only = {p.id for p in settings.pairings.values() if p.traeger == "hansestadt"}
    assert city_only == {"kreideberg", "hanseviertel"}
    assert settings.pairings["schuetzenplatz"].start == date(2023, 1, 1)
    assert not settings.pairings["schuetzenplatz"].active_in(2022)
    for pairing in settings.pairings.values():
        assert pairing.traeger in settings.traeger and pairing.stadtteil in settings.stadtteile


def test_the_shipped_config_has_the_lueneburg_policy_calendar_and_mail() -> None:
    settings = load(ROOT / "config.toml", {})
    assert settings.policy.remind_before_days == (28, 7)
    assert settings.policy.escalate_after_days == (1, 14)
    assert settings.policy.meeting_reminder_days == (7,)
    assert settings.policy.digest == 0
    calendar = settings.calendar
    assert (calendar.country, calendar.subdivision, calendar.timezone) == (
        "DE", "NI", "Europe/Berlin",
    )  # fmt: skip
    assert calendar.send_time == time(8, 0) and calendar.shift_due_to_working_day
    assert settings.mail.transport == "maildir"
    assert settings.mail.maildir == ROOT / "var" / "mail"
    assert settings.mail.smtp.password_env == "ZYKLUS_SMTP_PASSWORD"
    assert settings.koordinierungsstelle.ablage is not None
    assert settings.verwendungsnachweis.verwaltung_max_anteil == Decimal("0.13")


def test_every_guide_and_template_of_the_shipped_config_exists_and_is_german() -> None:
    settings = load(ROOT / "config.toml", {})
    files = [f for s in settings.stages for f in (s.leitfaden, s.vorlage) if f is not None]
    assert len(files) == 5
    for file in files:
        assert file.is_absolute() and file.parent == ROOT / "vorlagen"
        assert "ä" in file.read_text(encoding="utf-8") or "ü" in file.read_text(encoding="utf-8")


def test_the_shipped_verwendungsnachweis_template_passes_the_anlage_3_checks() -> None:
    settings = load(ROOT / "config.toml", {})
    vorlage = settings.stages[-1].vorlage
    assert vorlage is not None
    result = parse_and_validate(
        vorlage.read_text(encoding="utf-8"), 2026, settings.verwendungsnachweis, date(2027, 5, 20)
    )
    assert not isinstance(result, list), result
    costs = result.personalkosten + result.verwaltungskosten + result.sachkosten
    assert result.zuschuss + result.weitere_einnahmen - costs - result.gemeinwesenarbeit == 0


def test_a_bielefeld_style_procedure_loads_without_code_changes() -> None:
    settings = load(DATA / "bielefeld.toml", {})
    dialog, proof = settings.stages
    assert (dialog.type, dialog.opens, dialog.due) == (
        StageType.MEETING, DateSpec(11, 1), DateSpec(6, 30, 1),
    )  # fmt: skip
    assert dialog.requires == () and proof.requires == ()
    assert dialog.leitfaden == DATA / "leitfaden-dialog.md"
    assert settings.policy.series_for(dialog).remind_before_days == (42, 14)
    assert settings.policy.series_for(proof).remind_before_days == (28, 7)
    assert settings.policy.digest is None
    assert settings.calendar.subdivision == "NW"
    oberlohmannshof = [p for p in settings.pairings.values() if p.stadtteil == "oberlohmannshof"]
    assert {p.angebot for p in oberlohmannshof} == {
        "Stadtteilmütter/-väter",
        "Stadtteilkoordination",
    }


def test_an_unknown_traeger_and_a_misspelt_key_are_reported_together(
    tmp_path: Path, minimal: str
) -> None:
    text = minimal.replace('traeger = "awo"', 'traeger = "xyz"') + "\n[mail.smpt]\nport = 25\n"
    with pytest.raises(ConfigError) as caught:
        load(write(tmp_path, text), {})
    assert caught.value.problems == [
        "mail.smpt: unbekannter Schlüssel (meinten Sie „smtp“?)",
        "pairing[1].traeger: unbekannter Träger „xyz“",
    ]
    assert str(caught.value) == "\n".join(caught.value.problems)


def test_the_database_url_defaults_to_a_sqlite_file_under_var(tmp_path: Path, minimal: str) -> None:
    settings = load(write(tmp_path, minimal), {})
    assert settings.base_dir == tmp_path.resolve()
    assert settings.var_dir == tmp_path.resolve() / "var"
    assert settings.database_url == f"sqlite:///{tmp_path.resolve()}/var/zyklus.db"
    assert settings.mail.maildir == tmp_path.resolve() / "var" / "mail"


def test_a_relative_sqlite_url_and_the_var_folder_resolve_against_the_config_folder(
    tmp_path: Path, minimal: str
) -> None:
    text = minimal + '\n[database]\nurl = "sqlite:///daten/z.db"\n[paths]\nvar = "arbeit"\n'
    settings = load(write(tmp_path, text), {})
    assert settings.database_url == f"sqlite:///{tmp_path.resolve()}/daten/z.db"
    assert settings.var_dir == tmp_path.resolve() / "arbeit"
    assert settings.mail.maildir == tmp_path.resolve() / "arbeit" / "mail"


@pytest.mark.parametrize(
    "url", ["sqlite:////srv/zyklus/z.db", "sqlite:///:memory:", "postgresql+psycopg://u@db/zyklus"]
)
def test_absolute_and_server_database_urls_are_kept_as_written(
    tmp_path: Path, minimal: str, url: str
) -> None:
    settings = load(write(tmp_path, minimal + f'\n[database]\nurl = "{url}"\n'), {})
    assert settings.database_url == url


def test_the_environment_overrides_the_database_url(tmp_path: Path, minimal: str) -> None:
    text = minimal + '\n[database]\nurl = "sqlite:///var/zyklus.db"\n'
    url = "postgresql+psycopg://zyklus@db.example.org/zyklus"
    settings = load(write(tmp_path, text), {"ZYKLUS_DATABASE_URL": url})
    assert settings.database_url == url


def test_a_malformed_database_url_from_the_environment_is_refused(
    tmp_path: Path, minimal: str
) -> None:
    with pytest.raises(ConfigError) as caught:
        load(write(tmp_path, minimal), {"ZYKLUS_DATABASE_URL": "zyklus.db"})
    assert caught.value.problems == ["$ZYKLUS_DATABASE_URL: „zyklus.db“ ist keine Datenbank-URL"]


def test_the_smtp_password_comes_only_from_the_named_environment_variable(
    tmp_path: Path, minimal: str
) -> None:
    text = minimal + '\n[mail.smtp]\nusername = "zyklus"\npassword_env = "MEIN_SMTP_PASSWORT"\n'
    settings = load(write(tmp_path, text), {"MEIN_SMTP_PASSWORT": "geheim"})
    assert smtp_password(settings, {"MEIN_SMTP_PASSWORT": "geheim"}) == "geheim"
    assert smtp_password(settings, {}) is None
    assert smtp_password(settings, {"MEIN_SMTP_PASSWORT": ""}) is None
    assert "geheim" not in repr(settings)


def test_without_password_env_there_is_no_smtp_password(tmp_path: Path, minimal: str) -> None:
    settings = load(write(tmp_path, minimal), {"ZYKLUS_SMTP_PASSWORD": "geheim"})
    assert smtp_password(settings, {"ZYKLUS_SMTP_PASSWORD": "geheim"}) is None


def test_resolve_path_counts_relative_paths_from_the_config_folder(
    tmp_path: Path, minimal: str
) -> None:
    settings = load(write(tmp_path, minimal), {})
    assert resolve_path(settings, "vorlagen/x.md") == tmp_path.resolve() / "vorlagen" / "x.md"
    assert resolve_path(settings, Path("/etc/zyklus/x.md")) == Path("/etc/zyklus/x.md")


def test_a_config_copied_elsewhere_finds_its_guides_next_to_it(tmp_path: Path) -> None:
    shutil.copy(DATA / "bielefeld.toml", tmp_path / "config.toml")
    with pytest.raises(ConfigError) as caught:
        load(tmp_path / "config.toml", {})
    assert caught.value.problems == [
        "stage[1].leitfaden: Datei „leitfaden-dialog.md“ nicht gefunden "
        f"(gesucht: {tmp_path.resolve() / 'leitfaden-dialog.md'})"
    ]
    shutil.copy(DATA / "leitfaden-dialog.md", tmp_path)
    assert load(tmp_path / "config.toml", {}).stages[0].leitfaden == (
        tmp_path.resolve() / "leitfaden-dialog.md"
    )
