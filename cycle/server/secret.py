"""The web application's secret key: only from the environment variable named in the config."""

from __future__ import annotations

from cycle.bootstrap import App
from cycle.errors import UsageError


def secret_of(app: App) -> str:
    name = app.settings.web.secret_env
    value = app.environ.get(name, "").strip()
    if len(value) < 16:
        raise UsageError(
            f"Die Webanwendung braucht einen geheimen Schlüssel in ${name} "
            f"(mindestens 16 Zeichen; [web] secret_env), z. B.: "
            f'export {name}="$(python3 -c "import secrets; print(secrets.token_urlsafe(32))")"'
        )
    return value
