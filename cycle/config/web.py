"""``[web]`` (SPEC §13) for ``cycle.config.loader``: where the web application listens and how.

The secret itself never stands in the file: ``secret_env`` names the environment variable that
holds it, and ``zyklus web`` refuses to start when that variable is empty.
"""

from __future__ import annotations

import re
from urllib.parse import urlsplit

from cycle.config.schema import Table
from cycle.config.settings import OidcSettings, WebSettings
from cycle.config.values import quote

WEB_KEYS = (
    "base_url",
    "host",
    "port",
    "secret_env",
    "session_minutes",
    "upload_max_mb",
    "body_timeout_s",
    "workers",
    "metrics",
    "metrics_token_env",
    "oidc",
)
OIDC_KEYS = (
    "issuer",
    "client_id",
    "client_secret_env",
    "scopes",
    "label",
    "role_claim",
    "roles",
    "login_claim",
    "local_login",
    "timeout_s",
)
STAFF_ROLES = ("koordinierungsstelle", "stabsstellenleitung", "ablage", "lesend")
_ENV_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")


def read_web(root: Table) -> WebSettings:
    """``[web]``; absent keys keep the defaults of ``WebSettings``."""
    table = root.table("web", WEB_KEYS)
    defaults = WebSettings()
    base_url = table.text("base_url") or defaults.base_url
    parts = urlsplit(base_url)
    if parts.scheme not in ("http", "https") or not parts.netloc or parts.query or parts.fragment:
        table.problems.add(
            table.at("base_url"),
            f"{quote(base_url)} ist keine Web-Adresse (z. B. „https://zyklus.stadt.example“)",
        )
        base_url = defaults.base_url
    secret_env = table.text("secret_env") or defaults.secret_env
    if not _ENV_NAME.match(secret_env):
        table.problems.add(
            table.at("secret_env"),
            f"{quote(secret_env)} ist kein Variablenname "
            "(der Schlüssel selbst gehört nicht in die Datei)",
        )
        secret_env = defaults.secret_env
    token_env = table.text("metrics_token_env") or defaults.metrics_token_env
    if not _ENV_NAME.match(token_env):
        table.problems.add(
            table.at("metrics_token_env"),
            f"{quote(token_env)} ist kein Variablenname "
            "(das Token selbst gehört nicht in die Datei)",
        )
        token_env = defaults.metrics_token_env
    return WebSettings(
        base_url=base_url.rstrip("/"),
        host=table.text("host") or defaults.host,
        port=table.integer("port", defaults.port, minimum=1, maximum=65535),
        secret_env=secret_env,
        session_minutes=table.integer(
            "session_minutes", defaults.session_minutes, minimum=5, maximum=7 * 24 * 60
        ),
        upload_max_mb=table.integer("upload_max_mb", defaults.upload_max_mb, 1, 1024),
        body_timeout_s=table.integer("body_timeout_s", defaults.body_timeout_s, 1, 3600),
        workers=table.integer("workers", defaults.workers, minimum=1, maximum=64),
        metrics=table.boolean("metrics", defaults.metrics),
        metrics_token_env=token_env,
        oidc=read_oidc(table) if table.has("oidc") else None,
    )


def _env_name(table: Table, key: str, default: str) -> str:
    name = table.text(key) or default
    if _ENV_NAME.match(name):
        return name
    table.problems.add(
        table.at(key),
        f"{quote(name)} ist kein Variablenname (das Geheimnis gehört nicht in die Datei)",
    )
    return default


def read_oidc(web: Table) -> OidcSettings:
    """``[web.oidc]`` (SPEC §17): the provider, the client and the mapping of claims to roles."""
    table = web.table("oidc", OIDC_KEYS)
    defaults = OidcSettings(issuer="", client_id="")
    issuer = (table.text("issuer", required=True) or "").rstrip("/")
    parts = urlsplit(issuer)
    if issuer and (parts.scheme not in ("http", "https") or not parts.netloc or parts.query):
        table.problems.add(
            table.at("issuer"),
            f"{quote(issuer)} ist keine Web-Adresse (z. B. „https://login.stadt.example/realms/stadt“)",
        )
    raw_roles = table.raw.get("roles", {})
    roles = table.table("roles", tuple(raw_roles) if isinstance(raw_roles, dict) else ())
    mapping: list[tuple[str, str]] = []
    for value, role in roles.raw.items():
        if role not in STAFF_ROLES:
            roles.problems.add(
                roles.at(value),
                f"{quote(str(role))} ist keine Rolle (erlaubt: {', '.join(STAFF_ROLES)})",
            )
            continue
        mapping.append((value, str(role)))
    if not mapping and not roles.broken:
        table.problems.add(
            table.at("roles"),
            'keine Zuordnung (z. B. "zyklus-koordination" = "koordinierungsstelle"): '
            "ohne Rolle kann sich niemand anmelden",
        )
    return OidcSettings(
        issuer=issuer,
        client_id=table.text("client_id", required=True) or "",
        client_secret_env=_env_name(table, "client_secret_env", defaults.client_secret_env),
        scopes=table.text("scopes") or defaults.scopes,
        label=table.text("label") or defaults.label,
        role_claim=table.text("role_claim") or defaults.role_claim,
        roles=tuple(mapping),
        login_claim=table.text("login_claim") or defaults.login_claim,
        local_login=table.boolean("local_login", defaults.local_login),
        timeout_s=table.seconds("timeout_s", defaults.timeout_s),
    )
