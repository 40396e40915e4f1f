"""``[web]`` (SPEC §13) for ``cycle.config.loader``: where the web application listens and how.

The secret itself never stands in the file: ``secret_env`` names the environment variable that
holds it, and ``zyklus web`` refuses to start when that variable is empty.
"""

from __future__ import annotations

import re
from urllib.parse import urlsplit

from cycle.config.schema import Table
from cycle.config.settings import WebSettings
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
)
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
    )
