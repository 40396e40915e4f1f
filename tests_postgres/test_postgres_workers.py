"""``zyklus web --workers 2`` on PostgreSQL (SPEC §19): a session made by one worker process is
honoured by the other, the login limit counts across them."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.conftest import Run
from tests.web.conftest import PASSWORD, SECRET, Site
from tests.web.test_web_workers import configure, fresh, log_in, log_lines, serving

NOW = "2026-04-02T08:00"


def test_two_workers_on_postgresql_share_sessions_and_the_login_limit(
    zyklus: Run, workspace: Path, pg_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    assert zyklus("init", now=NOW).code == 0
    monkeypatch.setenv("ZYKLUS_PASSWORD", PASSWORD)
    for login in ("koord", "stab"):
        added = zyklus("user", "add", login, "--role", "koordinierungsstelle", "--name", login)
        assert added.code == 0, added.err
    env = {"ZYKLUS_WEB_SECRET": SECRET, "ZYKLUS_DATABASE_URL": pg_url, "ZYKLUS_USER": "test"}
    site = Site(workspace, NOW, env)
    configure(site)
    pages: list[str] = []
    with serving(site, "--workers", "2", "--host", "127.0.0.1") as served:
        for _ in range(5):
            assert log_in(site, "stab", "falsches-passwort-123")[0].status_code == 401
        assert log_in(site, "stab", PASSWORD)[0].status_code == 401  # limited across workers
        answer, cookies = log_in(site, "koord", PASSWORD)
        assert answer.status_code == 303
        for _ in range(16):
            with fresh(site, cookies) as client:
                page = client.get("/postausgang")
            assert page.status_code == 200
            pages.append(page.headers["x-request-id"])
    pid_of = {r["request_id"]: r["pid"] for r in log_lines(served) if "request_id" in r}
    assert len({pid_of[rid] for rid in pages}) == 2
