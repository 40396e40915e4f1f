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


def oidc_secret_of(app: App) -> str | None:
    """The client secret at the OpenID provider when ``[web.oidc]`` is configured (SPEC §17);
    ``zyklus web`` refuses to start without it rather than fail at the first sign-on."""
    oidc = app.settings.web.oidc
    if oidc is None:
        return None
    value = app.environ.get(oidc.client_secret_env, "").strip()
    if not value:
        raise UsageError(
            f"Die Anmeldung über das Konto der Stadt ([web.oidc]) braucht das Client-Geheimnis "
            f"des Anbieters in ${oidc.client_secret_env} (web.oidc.client_secret_env)."
        )
    return value
