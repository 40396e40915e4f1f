"""A sink that can hold its answer to end-of-DATA: how the soak bounds a kill's reach.

The soak kills ``zyklus run`` a random moment (up to 0.3 s) after a planned DATA started. On an
idle machine a service sends several quick messages in 0.3 s, so how many messages one kill uses
up would depend on the CPU. ``HoldingHandler.hold(n)`` makes the sink keep DATA number ``n``
and every later one (as a real server does) but answer only once released: a service can
start at most ``n`` DATA whatever the timing, and the campaign can be sized from the number of
kills (``soak.kills``).
"""

from __future__ import annotations

import asyncio
import time
from dataclasses import dataclass
from typing import Any

from tests.smtp_sink import SinkHandler

HOLD_MAX = 60.0  # seconds at most; far below the client's 600 s wait for the end-of-DATA reply


@dataclass
class HoldingHandler(SinkHandler):
    """``SinkHandler`` whose end-of-DATA reply waits while its DATA number is held."""

    hold_from: int | None = None  # DATA number (as counted in ``data_started``) held from

    def hold(self, number: int | None) -> None:
        """Hold the answers from DATA ``number`` on (``None``: release them)."""
        self.hold_from = number

    def _held(self, number: int) -> bool:
        return self.hold_from is not None and number >= self.hold_from

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        # ``SinkHandler`` counts this DATA before its first await: nothing runs in between
        number = self.data_started + 1
        reply = await super().handle_DATA(server, session, envelope)
        released = time.monotonic() + HOLD_MAX
        while self._held(number) and time.monotonic() < released:
            await asyncio.sleep(0.01)
        return reply
