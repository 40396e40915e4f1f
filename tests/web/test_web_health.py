"""``/healthz``, ``/readyz``, the delivery banner and ``/metrics`` on a real ``zyklus web``
(SPEC §19). The web's clock is frozen at 08:00; delivering ticks at other ``--now`` leave the
heartbeat the readiness check and the banner read.
"""

from __future__ import annotations

import sqlite3
from pathlib import Path

import httpx
import pytest

from cycle.bootstrap import bootstrap
from cycle.persistence import lifesigns
from cycle.runtime import service
from tests.web.conftest import login, make_site
from tests.web.test_web_workers import serving

NOW = "2026-04-02T08:00"
BANNER = "Der Zustelldienst läuft nicht – Mails bleiben im Postausgang."
TOKEN = "metrik-token-0123456789"


def test_health_readiness_and_banner_follow_the_heartbeat_of_the_service(tmp_path: Path) -> None:
    site = make_site(tmp_path, NOW)
    with serving(site, "--host", "127.0.0.1"):
        anonymous = httpx.Client(base_url=site.url, follow_redirects=False, timeout=30)
        alive = anonymous.get("/healthz")
        assert (alive.status_code, alive.text) == (200, "ok\n")
        assert "set-cookie" not in alive.headers
        never = anonymous.get("/readyz")  # no service has ever run
        assert never.status_code == 503 and "zyklus run" in never.text
        assert never.text.count("\n") == 1 and "koord" not in never.text
        koord = login(site.url, "koord")
        for path in ("/postausgang", "/"):
            assert BANNER in koord.get(path).text
        site.ok("tick", now="2026-04-02T07:40")  # 20 minutes ago: older than 15
        assert anonymous.get("/readyz").status_code == 503
        assert BANNER in koord.get("/postausgang").text
        site.ok("tick", now="2026-04-02T07:50")  # 10 minutes ago
        ready = anonymous.get("/readyz")
        assert (ready.status_code, ready.text) == (200, "ok\n")
        for path in ("/postausgang", "/"):
            page = koord.get(path)
            assert page.status_code == 200 and BANNER not in page.text
        with sqlite3.connect(site.folder / "var" / "zyklus.db") as db:
            db.execute("UPDATE alembic_version SET version_num = '0001_initial_schema'")
        stale = anonymous.get("/readyz")
        assert stale.status_code == 503 and "schema" in stale.text
        assert anonymous.get("/healthz").status_code == 200  # alive, just not ready
        koord.close()
        anonymous.close()


def test_metrics_are_served_to_loopback_or_the_bearer_token_only(tmp_path: Path) -> None:
    site = make_site(tmp_path, NOW, "metrics = true")
    site.env["ZYKLUS_METRICS_TOKEN"] = TOKEN
    site.ok("tick", "--no-deliver", now="2026-03-02T08:00")  # mail waits in the outbox
    with serving(site, "--host", "127.0.0.1"):
        koord = login(site.url, "koord")
        assert koord.get("/postausgang").status_code == 200
        koord.close()
        with httpx.Client(base_url=site.url, timeout=30) as client:
            local = client.get("/metrics")
            remote = {"x-forwarded-for": "203.0.113.9"}  # behind the proxy: a remote client
            refused = client.get("/metrics", headers=remote)
            wrong = client.get("/metrics", headers={**remote, "authorization": "Bearer falsch"})
            bearer = client.get("/metrics", headers={**remote, "authorization": f"Bearer {TOKEN}"})
    assert (refused.status_code, wrong.status_code) == (404, 404)
    assert "zyklus_outbox" not in refused.text + wrong.text
    for answer in (local, bearer):
        assert answer.status_code == 200 and answer.headers["content-type"].startswith("text/")
        lines = answer.text.splitlines()
        pending = next(x for x in lines if x.startswith('zyklus_outbox_messages{status="pending"}'))
        assert float(pending.split()[-1]) > 0
        oldest = next(x for x in lines if x.startswith("zyklus_outbox_oldest_pending_seconds"))
        assert float(oldest.split()[-1]) == pytest.approx(31 * 24 * 3600, rel=0.01)
        assert "zyklus_last_tick_duration_seconds" in answer.text
        wanted = ('route="/postausgang"', 'method="GET"', 'status="200"')
        counted = [
            x
            for x in lines
            if x.startswith("zyklus_http_requests_total{") and all(w in x for w in wanted)
        ]
        assert [x.split()[-1] for x in counted] == ["1.0"], lines
    assert TOKEN not in local.text + bearer.text


def test_zyklus_run_records_its_heartbeat_and_the_tick_with_its_duration(tmp_path: Path) -> None:
    site = make_site(tmp_path, NOW)
    app = bootstrap(str(site.config), "2026-04-02T07:58", {"ZYKLUS_USER": "test"})
    try:
        assert service.serve(app, lambda: 15) == 0
        with app.engine.connect() as connection:
            signs = lifesigns.read(connection)
    finally:
        app.close()
    assert signs.heartbeat == signs.tick_at == app.now()
    assert signs.tick_seconds is not None and 0 < signs.tick_seconds < 60
