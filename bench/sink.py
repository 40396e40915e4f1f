"""A loopback aiosmtpd sink in its own process: ``python -m bench.sink PORT``.

The server runs outside the benchmark's process so its work (the SMTP dialogue, receiving the
data) does not compete with the client for one interpreter lock. It accepts everything, counts
messages and bytes, prints ``ready`` once listening, and on EOF of stdin prints
``<messages> <bytes>`` and stops. ``Sink`` starts and stops it from the harness.
"""

from __future__ import annotations

import socket
import subprocess
import sys
from pathlib import Path
from types import TracebackType
from typing import Any

HOST = "127.0.0.1"
ROOT = Path(__file__).resolve().parent.parent


class CountingHandler:
    def __init__(self) -> None:
        self.messages = 0
        self.bytes = 0

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        self.messages += 1
        self.bytes += len(envelope.original_content or envelope.content or b"")
        return "250 2.0.0 OK"


def serve(port: int) -> None:
    from aiosmtpd.controller import Controller

    handler = CountingHandler()
    controller = Controller(handler, hostname=HOST, port=port, enable_SMTPUTF8=True)
    controller.start()
    try:
        print("ready", flush=True)
        sys.stdin.read()
    finally:
        controller.stop()
    print(handler.messages, handler.bytes, flush=True)


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind((HOST, 0))
        port: int = sock.getsockname()[1]
        return port


class Sink:
    """``with Sink() as sink:`` … ``sink.port``; afterwards ``sink.messages`` and ``sink.bytes``."""

    def __init__(self) -> None:
        self.port = free_port()
        self.messages = self.bytes = 0
        self._process: subprocess.Popen[str] | None = None

    def __enter__(self) -> Sink:
        self._process = subprocess.Popen(
            [sys.executable, "-m", "bench.sink", str(self.port)],
            cwd=ROOT,
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            text=True,
        )
        assert self._process.stdout is not None
        if self._process.stdout.readline().strip() != "ready":
            self._process.kill()
            raise RuntimeError("bench.sink did not start")
        return self

    def __exit__(
        self, kind: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        assert self._process is not None
        out, _ = self._process.communicate(timeout=60)
        counts = out.split()
        if len(counts) == 2:
            self.messages, self.bytes = int(counts[0]), int(counts[1])


if __name__ == "__main__":
    serve(int(sys.argv[1]))
