"""``zyklus web``: check the secret, build the application, run it with uvicorn.

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
from typing import Any

from cycle.bootstrap import App

HEADER_TIMEOUT_S = 10.0
KEEP_ALIVE_S = 5.0
MAX_HEADER_BYTES = 16 * 1024


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


def serve(app: App, host: str | None, port: int | None) -> int:
    import uvicorn

    from cycle.server.app import create_app
    from cycle.server.secret import secret_of

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
        http=timed_protocol(min(HEADER_TIMEOUT_S, web.body_timeout_s)),
        timeout_keep_alive=int(min(KEEP_ALIVE_S, web.body_timeout_s)),
        h11_max_incomplete_event_size=MAX_HEADER_BYTES,
    )
    return 0
