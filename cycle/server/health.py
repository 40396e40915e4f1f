"""``/healthz``, ``/readyz`` and ``/metrics`` (SPEC §19): no session, no data.

- ``/healthz``: 200 while the process serves requests; touches nothing.
- ``/readyz``: 200 when the database answers, the schema is at head and ``zyklus run``'s
  heartbeat is younger than ``[betrieb] heartbeat_minuten``; else 503 and a one-line reason.
- ``/metrics`` (only with ``[web] metrics = true``): Prometheus text — the outbox by status, the
  age of the oldest pending message, the last heartbeat, the last tick and its duration, and the
  requests by route template, method and status. Only for a client on the loopback interface or
  one that sends ``Authorization: Bearer <$[web] metrics_token_env>``; else 404 (it does not
  exist for others). The request counters are this worker process's own: with
  ``--workers N`` each scrape sees one worker's counts (docs/operations.md); the database gauges
  are the same from every worker.
"""

from __future__ import annotations

import hmac
import ipaddress
from collections.abc import Iterator

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import PlainTextResponse, Response
from starlette.routing import BaseRoute, Route

from cycle.bootstrap import App
from cycle.views import operations
from cycle.webbase.pages import Web

_NO_STORE = {"cache-control": "no-store"}


async def healthz(_request: Request) -> Response:
    return PlainTextResponse("ok\n", headers=_NO_STORE)


async def readyz(request: Request) -> Response:
    web: Web = request.app.state.web
    reason = await run_in_threadpool(lambda: operations.readiness(web.app.view_context()))
    if reason is None:
        return PlainTextResponse("ok\n", headers=_NO_STORE)
    return PlainTextResponse(reason + "\n", status_code=503, headers=_NO_STORE)


class Metrics:
    """The request counter of this process and the collector that reads the database."""

    def __init__(self, app: App) -> None:
        from prometheus_client import CollectorRegistry, Counter

        self.app = app
        self.registry = CollectorRegistry(auto_describe=True)
        self.requests = Counter(
            "zyklus_http_requests",
            "Anfragen nach Route (Vorlage), Methode und Status (dieser Prozess)",
            ("route", "method", "status"),
            registry=self.registry,
        )
        self.registry.register(self)  # type: ignore[arg-type]

    def observe(self, route: str, method: str, status: int) -> None:
        self.requests.labels(route, method, str(status)).inc()

    def describe(self) -> list[object]:
        return []

    def collect(self) -> Iterator[object]:
        from prometheus_client.core import GaugeMetricFamily

        now = self.app.now()
        with self.app.engine.connect() as connection:
            gauges = operations.outbox_gauges(connection, now)
        outbox = GaugeMetricFamily(
            "zyklus_outbox_messages", "Nachrichten im Postausgang nach Status", labels=["status"]
        )
        for status, count in gauges.by_status.items():
            outbox.add_metric([status], count)
        yield outbox
        yield GaugeMetricFamily(
            "zyklus_outbox_oldest_pending_seconds",
            "Alter der ältesten ausstehenden Nachricht in Sekunden",
            value=gauges.oldest_pending_seconds,
        )
        signs = gauges.signs
        for name, text, instant in (
            ("zyklus_heartbeat_timestamp_seconds", "letztes Lebenszeichen", signs.heartbeat),
            ("zyklus_last_tick_timestamp_seconds", "Beginn des letzten Durchlaufs", signs.tick_at),
        ):
            yield GaugeMetricFamily(name, text, value=instant.timestamp() if instant else 0.0)
        yield GaugeMetricFamily(
            "zyklus_last_tick_duration_seconds",
            "Dauer des letzten Durchlaufs",
            value=signs.tick_seconds or 0.0,
        )

    def allowed(self, request: Request) -> bool:
        name = self.app.settings.web.metrics_token_env
        token = self.app.environ.get(name, "").strip()
        sent = request.headers.get("authorization", "")
        if token and hmac.compare_digest(sent.encode(), f"Bearer {token}".encode()):
            return True
        host = request.client.host if request.client else ""
        try:
            return ipaddress.ip_address(host).is_loopback
        except ValueError:
            return False

    async def endpoint(self, request: Request) -> Response:
        from prometheus_client import CONTENT_TYPE_LATEST, generate_latest

        if not self.allowed(request):
            return PlainTextResponse("Nicht gefunden\n", status_code=404)
        body = await run_in_threadpool(generate_latest, self.registry)
        return Response(body, headers={**_NO_STORE, "content-type": CONTENT_TYPE_LATEST})


def routes(metrics: Metrics | None) -> list[BaseRoute]:
    found: list[BaseRoute] = [Route("/healthz", healthz), Route("/readyz", readyz)]
    if metrics is not None:
        found.append(Route("/metrics", metrics.endpoint))
    return found
