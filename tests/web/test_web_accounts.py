"""Accounts, the ``[web]`` config, sessions and exports: fast tests without a browser."""

from __future__ import annotations

import csv
import io
import json
from datetime import timedelta
from pathlib import Path

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from openpyxl import load_workbook
from sqlmodel import SQLModel

from cycle.bootstrap import bootstrap
from cycle.persistence.uow import reading
from cycle.service import accounts
from cycle.service import commands as c
from cycle.service.uow import UnitOfWork
from cycle.web import exports
from tests.conftest import Run

NOW = "2026-04-02T08:00"
PASSWORD = "ein-langes-passwort"


def _set_web(workspace: Path, text: str) -> None:
    config = workspace / "config.toml"
    body = config.read_text(encoding="utf-8")
    start = body.index("[web]")
    end = body.index("\n[", start + 1) if "\n[" in body[start + 1 :] else len(body)
    config.write_text(body[:start] + text + body[end:], encoding="utf-8")


def test_a_bad_web_section_is_refused_with_every_problem_and_exit_2(zyklus: Run, workspace: Path):
    _set_web(
        workspace,
        '[web]\nbase_url = "zyklus.example"\nport = 70000\nsecret_env = "mein geheimnis"\n'
        'session_minutes = 1\nupload_max_mb = "viel"\nfarbe = "blau"\n',
    )
    result = zyklus("status", now=NOW)
    assert result.code == 2
    for line in (
        "web.farbe: unbekannter Schlüssel",
        "web.base_url: „zyklus.example“ ist keine Web-Adresse",
        "web.port: 70000 ist nicht erlaubt (muss zwischen 1 und 65535 sein)",
        "web.secret_env: „mein geheimnis“ ist kein Variablenname",
        "web.session_minutes: 1 ist nicht erlaubt",
        "web.upload_max_mb: erwartet eine ganze Zahl",
    ):
        assert line in result.err, line


def test_web_refuses_to_start_without_its_secret(zyklus: Run, monkeypatch: pytest.MonkeyPatch):
    assert zyklus("init", now=NOW).code == 0
    monkeypatch.delenv("ZYKLUS_WEB_SECRET", raising=False)
    result = zyklus("web", "--port", "8999", now=NOW)
    assert result.code == 2
    assert "geheimen Schlüssel in $ZYKLUS_WEB_SECRET" in result.err


def test_users_are_added_listed_changed_and_disabled_with_audit_entries(
    zyklus: Run, monkeypatch: pytest.MonkeyPatch
):
    assert zyklus("init", now=NOW).code == 0
    monkeypatch.setenv("ZYKLUS_PASSWORD", "zu-kurz")
    short = zyklus("user", "add", "kim", "--role", "lesend", "--name", "Kim", now=NOW)
    assert short.code == 2 and "mindestens 12 Zeichen" in short.err
    monkeypatch.setenv("ZYKLUS_PASSWORD", PASSWORD)
    added = zyklus(
        "user",
        "add",
        "kim",
        "--role",
        "lesend",
        "--name",
        "Kim",
        "--email",
        "kim@example.org",
        now=NOW,
    )
    assert added.code == 0, added.err
    again = zyklus("user", "add", "kim", "--role", "lesend", "--name", "Kim", now=NOW)
    assert again.code == 1 and "gibt es schon" in again.err
    bad_role = zyklus("user", "add", "max", "--role", "chef", "--name", "Max", now=NOW)
    assert bad_role.code == 2
    assert zyklus("user", "passwd", "kim", now=NOW).code == 0
    assert zyklus("user", "disable", "kim", now=NOW).code == 0
    listing = zyklus("user", "list", now=NOW).out
    assert "kim" in listing and "lesend" in listing and "gesperrt" in listing
    entries = json.loads(zyklus("audit", "--format", "json", now=NOW).out)
    users = [(e["actor"], e["action"]) for e in entries if e["action"].startswith("benutzer_")]
    assert users == [
        ("test", "benutzer_angelegt"),
        ("test", "benutzer_passwort_geaendert"),
        ("test", "benutzer_gesperrt"),
    ]
    assert PASSWORD not in json.dumps(entries) and "argon2" not in json.dumps(entries)


def test_a_session_ends_after_session_minutes(zyklus: Run, workspace: Path):
    assert zyklus("init", now=NOW).code == 0
    app = bootstrap(str(workspace / "config.toml"), NOW, {"ZYKLUS_USER": "test"})
    try:
        from cycle.service.principal import Principal

        command = c.AddUser("kim", "lesend", "Kim", PASSWORD)
        app.bus.handle(command, Principal.operator("test"))
        with UnitOfWork(app.context) as uow:
            user = accounts.authenticate(uow, "kim", PASSWORD, "127.0.0.1")
            assert user is not None
            token = accounts.open_session(uow, user, 480)
        now = app.now()
        with reading(app.engine) as session:
            assert accounts.session_user(session, token, now + timedelta(minutes=479)) == user
            assert accounts.session_user(session, token, now + timedelta(minutes=480)) is None
            assert accounts.session_user(session, token + "x", now) is None
    finally:
        app.close()


def test_the_migrations_create_exactly_the_tables_of_the_models(zyklus: Run, workspace: Path):
    assert zyklus("init", now=NOW).code == 0
    app = bootstrap(str(workspace / "config.toml"), NOW, {})
    try:
        with app.engine.connect() as connection:
            context = MigrationContext.configure(connection, opts={"compare_type": False})
            diff = compare_metadata(context, SQLModel.metadata)
    finally:
        app.close()
    ours = {"users", "web_session", "login_attempt", "password_token", "sso_attempt"}
    assert [d for d in diff if any(name in repr(d) for name in ours)] == []


@pytest.mark.parametrize(
    ("cell", "expected"),
    [
        ('=HYPERLINK("x")', '\'=HYPERLINK("x")'),
        ("+1", "'+1"),
        ("-2", "'-2"),
        ("@SUM(A1)", "'@SUM(A1)"),
        ("Kaltenmoor", "Kaltenmoor"),
    ],
)
def test_spreadsheet_cells_never_become_formulas(cell: str, expected: str):
    assert exports.safe(cell) == expected
    text = exports.to_csv(["Spalte"], [[cell]]).decode("utf-8-sig")
    assert list(csv.reader(io.StringIO(text), delimiter=";"))[1] == [expected]
    sheet = load_workbook(io.BytesIO(exports.to_xlsx(["Spalte"], [[cell]], "T"))).active
    assert sheet is not None
    assert sheet["A2"].value == expected and sheet["A2"].data_type == "s"
