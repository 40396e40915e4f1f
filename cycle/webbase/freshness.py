"""Every request sees the database's current master data (SPEC §16), also with several workers.

Before a request is handled, ``App.refresh_master_data`` compares the stored master-data version
with the one this process carries (one row read) and reloads only when another process — another
web worker, the CLI, an import — changed it.
"""

from __future__ import annotations

from starlette.concurrency import run_in_threadpool
from starlette.types import ASGIApp, Receive, Scope, Send

from cycle.bootstrap import App

SKIP = ("/static/", "/healthz", "/readyz", "/metrics")  # no master data; /healthz touches nothing


class FreshMasterData:
    def __init__(self, app: ASGIApp, zyklus: App) -> None:
        self.app, self.zyklus = app, zyklus

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http" and not scope.get("path", "").startswith(SKIP):
            await run_in_threadpool(self.zyklus.refresh_master_data)
        await self.app(scope, receive, send)
