"""``zyklus web``: check the secret, run the application with uvicorn in one or more workers.

uvicorn starts the application from the factory ``cycle.server.app:from_environment`` in each
worker process (SPEC §19: ``--workers N``, ``[web] workers``). Everything workers share lives in
the database — sessions, CSRF tokens, login limits, portal tokens — so any worker answers any
request.

Slow clients are cut off at every stage of a request (issue 18: 1,000 connections that sent
their headers slowly stayed open for 40 s):
- headers: a connection whose request line and headers are not complete within
  ``HEADER_TIMEOUT_S`` of its start (or of the previous answer) is closed, and h11 refuses
  headers over ``MAX_HEADER_BYTES``;
- body: ``BodyLimit`` answers 408 when a body is not in after ``[web] body_timeout_s``; a body
  nobody reads (the answer was sent early, e.g. 403) must arrive within ``HEADER_TIMEOUT_S``;
- idle: a keep-alive connection is closed after ``KEEP_ALIVE_S`` without a new request.
The header and keep-alive times never exceed ``body_timeout_s``.
"""

from __future__ import annotations

import asyncio
import os
from typing import Any

from cycle.bootstrap import App

HEADER_TIMEOUT_S = 10.0
KEEP_ALIVE_S = 5.0
MAX_HEADER_BYTES = 16 * 1024
HEADER_TIMEOUT_ENV = "ZYKLUS_HEADER_TIMEOUT_S"


def timed_protocol(header_timeout_s: float) -> type[asyncio.Protocol]:
    """uvicorn's h11 protocol with a timer for requests that never finish arriving.

    The timer starts with the connection and again after every answer; when it fires while
    the client still owes the request line and headers, or still sends a body after the answer
    went out, the connection is closed without an answer (as uvicorn's keep-alive timeout does).
    """
    import h11
    from uvicorn.protocols.http.h11_impl import H11Protocol

    class TimedH11Protocol(H11Protocol):
        _late: asyncio.TimerHandle | None = None

        def connection_made(self, transport: Any) -> None:
            super().connection_made(transport)
            self._arm()

        def on_response_complete(self) -> None:
            super().on_response_complete()
            self._arm()

        def connection_lost(self, exc: Exception | None) -> None:
            self._disarm()
            super().connection_lost(exc)

        def _arm(self) -> None:
            self._disarm()
            self._late = self.loop.call_later(header_timeout_s, self._too_late)

        def _disarm(self) -> None:
            if self._late is not None:
                self._late.cancel()
                self._late = None

        def _too_late(self) -> None:
            self._late = None
            owes_headers = self.conn.their_state is h11.IDLE
            owes_unread_body = self.conn.our_state in (h11.DONE, h11.MUST_CLOSE) and (
                self.conn.their_state is h11.SEND_BODY
            )
            if (owes_headers or owes_unread_body) and not self.transport.is_closing():
                self.transport.close()

    return TimedH11Protocol


def __getattr__(name: str) -> Any:
    """``TimedH11Protocol`` by import string, for worker processes (uvicorn pickles its config
    to start them, and a class made in a function cannot be pickled): its header time comes
    from ``$ZYKLUS_HEADER_TIMEOUT_S``, which ``serve`` sets."""
    if name == "TimedH11Protocol":
        return timed_protocol(float(os.environ.get(HEADER_TIMEOUT_ENV, HEADER_TIMEOUT_S)))
    raise AttributeError(name)


def serve(app: App, host: str | None, port: int | None, workers: int | None = None) -> int:
    """Run the web application; with several workers each process builds it from the
    environment (``cycle.server.app:from_environment``): the config path, a frozen ``--now``
    and the secrets reach the workers as environment variables."""
    import uvicorn

    from cycle.server.secret import oidc_secret_of, secret_of

    secret_of(app)  # refuse before any worker starts
    oidc_secret_of(app)
    web = app.settings.web
    host, port = host or web.host, port or web.port
    workers = workers or web.workers
    header_timeout_s = min(HEADER_TIMEOUT_S, web.body_timeout_s)
    os.environ[HEADER_TIMEOUT_ENV] = str(header_timeout_s)
    os.environ["ZYKLUS_CONFIG"] = str(app.settings.path)
    instant = getattr(app.clock, "instant", None)  # a frozen clock (--now) for every worker
    if instant is not None:
        os.environ["ZYKLUS_NOW"] = instant.isoformat()
    public = f"(öffentlich: {web.base_url}/)" + (f" · {workers} Prozesse" if workers > 1 else "")
    print(f"zyklus web: http://{host}:{port}/ {public} · Strg+C beendet", flush=True)
    uvicorn.run(
        "cycle.server.app:from_environment",
        factory=True,
        workers=workers,
        host=host,
        port=port,
        log_level="warning",
        server_header=False,
        proxy_headers=True,
        http="cycle.server.server:TimedH11Protocol",
        timeout_keep_alive=int(min(KEEP_ALIVE_S, web.body_timeout_s)),
        h11_max_incomplete_event_size=MAX_HEADER_BYTES,
    )
    return 0
