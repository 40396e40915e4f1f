"""Benchmark rows of the web application (issue 8 item 8): a real ``zyklus web`` on 127.0.0.1.

The server runs as its own process on a bench workspace (after its ticks), with the clock frozen
at the everything-due tick; a client logs in like a browser (CSRF token, session cookie) and
times whole HTTP answers over loopback. That is the server's time plus a loopback round trip
(well under a millisecond), which is what a user behind a nearby proxy waits for.
"""

from __future__ import annotations

import contextlib
import io
import os
import re
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from statistics import median

import httpx

from bench.table import Row, median_of

NOW = "2026-03-03T08:05"
SECRET = "bench-geheimnis-0123456789abcdef"
LOGIN, PASSWORD = "bench", "bench-passwort-lang-genug"
OVERVIEW_GOALS = {1_000: 0.2, 10_000: 1.5}  # seconds per size (issue 8 item 8)
CYCLE_GOAL = 0.05
SMALL = min(OVERVIEW_GOALS)  # the Zyklus page and the concurrent clients run at this size


@dataclass
class Server:
    url: str
    process: subprocess.Popen[bytes]


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


def _cli(config: Path, *args: str, env: dict[str, str]) -> None:
    """One ``zyklus`` command in-process (the account table lives in the workspace database)."""
    from cycle.cli.main import main

    saved = {k: os.environ.get(k) for k in env}
    os.environ.update(env)
    try:
        with contextlib.redirect_stdout(io.StringIO()):
            code = main(["--config", str(config), "--now", NOW, *args])
    finally:
        for key, value in saved.items():
            if value is None:
                os.environ.pop(key, None)
            else:
                os.environ[key] = value
    if code != 0:
        raise RuntimeError(f"zyklus {' '.join(args)}: exit {code}")


@contextlib.contextmanager
def serving(config: Path) -> Iterator[Server]:
    """Add the bench user, start ``zyklus web`` on a free port, stop it afterwards."""
    _cli(config, "user", "add", LOGIN, "--role", "lesend", "--name", "Bench",
         env={"ZYKLUS_PASSWORD": PASSWORD, "ZYKLUS_USER": "bench"})  # fmt: skip
    script = Path(sys.executable).parent / "zyklus"
    port = _free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith("ZYKLUS_")}
    env["ZYKLUS_WEB_SECRET"] = SECRET
    command = [str(script), "--config", str(config), "--now", NOW, "web"]
    process = subprocess.Popen(
        [*command, "--host", "127.0.0.1", "--port", str(port)],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    server = Server(f"http://127.0.0.1:{port}", process)
    try:
        deadline = time.monotonic() + 60
        while True:
            if process.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError("zyklus web did not start")
            with contextlib.suppress(httpx.TransportError):
                httpx.get(f"{server.url}/anmelden", timeout=1).close()
                break
            time.sleep(0.1)
        yield server
    finally:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def client(server: Server) -> httpx.Client:
    """A client with a session, logged in as the bench user (a reading role)."""
    c = httpx.Client(base_url=server.url, timeout=120)
    form = c.get("/anmelden").text
    token = re.search(r'name="csrftoken" value="([^"]+)"', form)
    if token is None:
        raise RuntimeError("no CSRF token on the login page")
    data = {"benutzername": LOGIN, "passwort": PASSWORD, "csrftoken": token.group(1)}
    if c.post("/anmelden", data=data).status_code != 303:  # on to the Übersicht
        raise RuntimeError("bench login failed")
    return c


def _get(c: httpx.Client, path: str) -> int:
    answer = c.get(path)
    if answer.status_code != 200:
        raise RuntimeError(f"GET {path}: {answer.status_code}")
    return len(answer.content)


def _goal(seconds: float, goal: float) -> str:
    return f"goal ≤ {goal:g} s {'met' if seconds <= goal else 'MISSED'}"


def pages(server: Server, pairings: int, rows: list[Row], runs: int = 5) -> None:
    """The Übersicht (all pairings, the default view) and one Zyklus page, median of ``runs``."""
    c = client(server)
    try:
        size = _get(c, "/")  # warm-up: imports, caches, the first SQLite page reads
        elapsed, times = median_of(runs, lambda: _get(c, "/"))
        goal = OVERVIEW_GOALS.get(pairings)
        note = f"median of {runs} (min {min(times):.3f}); {size / 1e6:.1f} MB HTML"
        rows.append(
            Row(
                "web: Übersicht GET / (all pairings)",
                pairings,
                elapsed,
                note + (f"; {_goal(elapsed, goal)}" if goal else ""),
            )
        )
        if pairings == SMALL:
            path = "/zyklus/paar-0/2026"
            size = _get(c, path)
            elapsed, times = median_of(runs * 4, lambda: _get(c, path))
            rows.append(
                Row(
                    "web: Zyklus page GET /zyklus/…/2026",
                    pairings,
                    elapsed,
                    f"median of {runs * 4} (min {min(times):.3f}); {size / 1e3:.0f} kB HTML; "
                    + _goal(elapsed, CYCLE_GOAL),
                )
            )
    finally:
        c.close()


def concurrent(
    server: Server, pairings: int, rows: list[Row], clients: int = 20, each: int = 5
) -> None:
    """``clients`` logged-in clients, each fetching the Übersicht ``each`` times at once."""
    sessions = [client(server) for _ in range(clients)]
    latencies: list[float] = []
    errors: list[str] = []
    lock = threading.Lock()
    start = threading.Barrier(clients)

    def work(c: httpx.Client) -> None:
        start.wait()
        for _ in range(each):
            began = time.perf_counter()
            try:
                _get(c, "/")
            except (httpx.HTTPError, RuntimeError) as exc:
                with lock:
                    errors.append(str(exc) if isinstance(exc, RuntimeError) else type(exc).__name__)
                continue
            with lock:
                latencies.append(time.perf_counter() - began)

    threads = [threading.Thread(target=work, args=(c,)) for c in sessions]
    began = time.perf_counter()
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=600)
    elapsed = time.perf_counter() - began
    for c in sessions:
        c.close()
    done = sorted(latencies)
    p95 = done[int(0.95 * (len(done) - 1))] if done else 0.0
    note = (
        f"{clients} clients × {each} GET /: {len(errors)} errors"
        + (f" ({', '.join(sorted(set(errors)))})" if errors else "")
        + ", "
        f"{len(done) / elapsed:,.1f} pages/s, latency median {median(done) if done else 0:.2f} s,"
        f" p95 {p95:.2f} s"
    )
    rows.append(Row(f"web: {clients} concurrent clients on the Übersicht", pairings, elapsed, note))
