"""``[web.oidc]`` (SPEC §17): read into settings, every problem named at its key (exit 2)."""

from __future__ import annotations

from pathlib import Path

import pytest

from cycle.config.loader import load
from cycle.service import commands as c
from tests.conftest import Run

NOW = "2026-04-02T08:00"


def _append(workspace: Path, text: str) -> Path:
    config = workspace / "config.toml"
    config.write_text(config.read_text(encoding="utf-8") + text, encoding="utf-8")
    return config


def test_the_oidc_table_is_read_with_its_defaults(workspace: Path):
    config = _append(
        workspace,
        '\n[web.oidc]\nissuer = "https://login.stadt.example/realms/stadt/"\nclient_id = "zyklus"\n'
        '[web.oidc.roles]\n"zyklus-koordination" = "koordinierungsstelle"\n'
        '"3f2a9c1e-5b7d-4e0a-9c2f-1d8e6b4a7c30" = "lesend"\n',
    )
    oidc = load(config, {}).web.oidc
    assert oidc is not None
    assert oidc.issuer == "https://login.stadt.example/realms/stadt"  # no trailing slash
    assert oidc.roles == (
        ("zyklus-koordination", "koordinierungsstelle"),
        ("3f2a9c1e-5b7d-4e0a-9c2f-1d8e6b4a7c30", "lesend"),
    )
    assert (oidc.scopes, oidc.role_claim, oidc.login_claim) == (
        "openid profile email",
        "groups",
        "preferred_username",
    )
    assert oidc.label == "Mit dem Konto der Stadt anmelden" and oidc.local_login is True
    assert oidc.client_secret_env == "ZYKLUS_OIDC_SECRET"


def test_without_the_table_there_is_no_single_sign_on(workspace: Path):
    assert load(workspace / "config.toml", {}).web.oidc is None


def test_a_bad_oidc_table_is_refused_with_every_problem(zyklus: Run, workspace: Path):
    _append(
        workspace,
        '\n[web.oidc]\nissuer = "login.stadt"\nclient_secret_env = "mein geheimnis"\n'
        'local_login = "nein"\nfarbe = "blau"\n'
        '[web.oidc.roles]\n"zyklus-chef" = "chef"\n',
    )
    result = zyklus("status", now=NOW)
    assert result.code == 2
    for line in (
        "web.oidc.issuer: „login.stadt“ ist keine Web-Adresse",
        "web.oidc.client_id: Pflichtangabe fehlt",
        "web.oidc.client_secret_env: „mein geheimnis“ ist kein Variablenname",
        "web.oidc.local_login: erwartet true oder false",
        "web.oidc.farbe: unbekannter Schlüssel",
        "web.oidc.roles.zyklus-chef: „chef“ ist keine Rolle",
        "web.oidc.roles: keine Zuordnung",
    ):
        assert line in result.err, (line, result.err)


def test_web_refuses_to_start_without_the_client_secret(
    zyklus: Run, workspace: Path, monkeypatch: pytest.MonkeyPatch
):
    _append(
        workspace,
        '\n[web.oidc]\nissuer = "https://login.stadt.example"\nclient_id = "zyklus"\n'
        '[web.oidc.roles]\n"g" = "lesend"\n',
    )
    assert zyklus("init", now=NOW).code == 0
    monkeypatch.setenv("ZYKLUS_WEB_SECRET", "test-geheimnis-0123456789abcdef")
    monkeypatch.delenv("ZYKLUS_OIDC_SECRET", raising=False)
    result = zyklus("web", "--port", "8999", now=NOW)
    assert (
        result.code == 2 and "Client-Geheimnis des Anbieters in $ZYKLUS_OIDC_SECRET" in result.err
    )


def test_commands_never_show_a_password_or_token_in_their_repr():
    secret = "streng-geheimes-passwort"
    for command in (
        c.AddUser("kim", "lesend", "Kim", secret, "kim@stadt.example"),
        c.ChangePassword("kim", secret),
        c.SetPasswordByLink(secret, secret),
        c.BeginSso(secret, secret, secret, secret, "/"),
        c.TakeSso(secret, secret),
        c.SsoLogIn(secret),
    ):
        assert secret not in repr(command), command
