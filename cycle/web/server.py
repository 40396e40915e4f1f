"""``zyklus web``: check the secret, build the application, run it with uvicorn."""

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


def serve(app: App, host: str | None, port: int | None) -> int:
    import uvicorn

    from cycle.web.app import create_app

    secret_of(app)
    web = app.settings.web
    host, port = host or web.host, port or web.port
    print(f"zyklus web: http://{host}:{port}/ (öffentlich: {web.base_url}/) · Strg+C beendet")
    uvicorn.run(
        create_app(app),
        host=host,
        port=port,
        log_level="warning",
        server_header=False,
        proxy_headers=True,
    )
    return 0
