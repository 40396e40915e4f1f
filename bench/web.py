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
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from statistics import median

import httpx

from bench.table import Row, median_of

NOW = "2026-03-03T08:05"
SECRET = "bench-geheimnis-0123456789abcdef"
LOGIN, PASSWORD = "bench", "bench-passwort-lang-genug"
OVERVIEW_GOALS = {1_000: 0.2, 10_000: 0.3}  # seconds per size, default page (issues 8, 22)
LOAD_GOALS = (1.0, 40.0)  # p95 ≤ 1.0 s and ≥ 40 pages/s with 2 workers (issue 22 item 7)
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


SCRIPT = Path(sys.executable).parent / "zyklus"


def worker_counts() -> tuple[int, ...]:
    """1 and 2 workers when ``zyklus web`` has ``--workers`` (issue 22 item 1), else 1."""
    done = subprocess.run(
        [str(SCRIPT), "web", "--help"], capture_output=True, text=True, check=False
    )
    return (1, 2) if "--workers" in done.stdout else (1,)


def add_user(config: Path) -> None:
    _cli(config, "user", "add", LOGIN, "--role", "lesend", "--name", "Bench",
         env={"ZYKLUS_PASSWORD": PASSWORD, "ZYKLUS_USER": "bench"})  # fmt: skip


@contextlib.contextmanager
def serving(config: Path, workers: int | None = None) -> Iterator[Server]:
    """Start ``zyklus web`` on a free port (``--workers`` when given), stop it afterwards."""
    port = _free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith("ZYKLUS_")}
    env["ZYKLUS_WEB_SECRET"] = SECRET
    command = [str(SCRIPT), "--config", str(config), "--now", NOW, "web"]
    if workers is not None:
        command += ["--workers", str(workers)]
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
    """The Übersicht (default page of 100 pairings; all of them at the smallest size) and one
    Zyklus page, median of ``runs`` — plain GETs, no ``If-None-Match``."""
    c = client(server)
    try:
        began = time.perf_counter()
        size = _get(c, "/")  # the first: the read model is computed (then shared until a change)
        first = time.perf_counter() - began
        elapsed, times = median_of(runs, lambda: _get(c, "/"))
        goal = OVERVIEW_GOALS.get(pairings)
        note = (
            f"median of {runs} (min {min(times):.3f}; first request, read model computed, "
            f"{first:.3f}); {size / 1e6:.2f} MB HTML"
        )
        rows.append(
            Row(
                "web: Übersicht GET / (default page of 100)",
                pairings,
                elapsed,
                note + (f"; {_goal(elapsed, goal)}" if goal else ""),
            )
        )
        if pairings == SMALL:
            size = _get(c, "/?alle=1")
            elapsed, times = median_of(runs, lambda: _get(c, "/?alle=1"))
            note = f"median of {runs} (min {min(times):.3f}); {size / 1e6:.2f} MB HTML"
            rows.append(Row("web: Übersicht GET /?alle=1 (all pairings)", pairings, elapsed, note))
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
            revalidated = c.get("/", headers={"if-none-match": c.get("/").headers["etag"]})
            if revalidated.status_code != 304:
                raise RuntimeError(f"GET / with its ETag: {revalidated.status_code}, not 304")
            elapsed, times = median_of(
                runs * 4, lambda: _get_304(c, "/", revalidated.headers["etag"])
            )
            note = f"median of {runs * 4} (min {min(times):.3f}); If-None-Match → 304"
            rows.append(Row("web: Übersicht unchanged (304)", pairings, elapsed, note))
    finally:
        c.close()


def _get_304(c: httpx.Client, path: str, tag: str) -> int:
    answer = c.get(path, headers={"if-none-match": tag})
    if answer.status_code != 304:
        raise RuntimeError(f"GET {path}: {answer.status_code}, not 304")
    return 0


@dataclass
class Load:
    """What the clients of one load run saw: latencies of good answers, errors, wall time."""

    latencies: list[float]
    errors: list[str]
    elapsed: float

    def note(self, what: str) -> str:
        done = sorted(self.latencies)
        p95 = done[int(0.95 * (len(done) - 1))] if done else 0.0
        errors = sorted(set(self.errors))
        return (
            f"{what}: {len(self.errors)} errors"
            + (f" ({', '.join(errors)})" if errors else "")
            + f", {len(done) / self.elapsed:,.1f} pages/s, latency median "
            f"{median(done) if done else 0:.2f} s, p95 {p95:.2f} s"
        )

    @property
    def p95(self) -> float:
        done = sorted(self.latencies)
        return done[int(0.95 * (len(done) - 1))] if done else 0.0


def _run_clients(server: Server, clients: int, paths: Callable[[int], list[str]]) -> Load:
    """``clients`` logged-in clients (one session each), started together, each fetching its
    ``paths(i)`` in order; bounded by a 600 s join."""
    sessions = [client(server) for _ in range(clients)]
    latencies: list[float] = []
    errors: list[str] = []
    lock = threading.Lock()
    start = threading.Barrier(clients)

    def work(i: int, c: httpx.Client) -> None:
        start.wait()
        for path in paths(i):
            began = time.perf_counter()
            try:
                _get(c, path)
            except (httpx.HTTPError, RuntimeError) as exc:
                with lock:
                    errors.append(str(exc) if isinstance(exc, RuntimeError) else type(exc).__name__)
                continue
            with lock:
                latencies.append(time.perf_counter() - began)

    threads = [threading.Thread(target=work, args=(i, c)) for i, c in enumerate(sessions)]
    began = time.perf_counter()
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=600)
    elapsed = time.perf_counter() - began
    for c in sessions:
        c.close()
    return Load(latencies, errors, elapsed)


def concurrent(
    server: Server, pairings: int, rows: list[Row], clients: int = 20, each: int = 5
) -> None:
    """``clients`` logged-in clients, each fetching the Übersicht ``each`` times at once."""
    load = _run_clients(server, clients, lambda _i: ["/"] * each)
    note = load.note(f"{clients} clients × {each} GET /")
    rows.append(
        Row(f"web: {clients} concurrent clients on the Übersicht", pairings, load.elapsed, note)
    )


def mixed_load(
    server: Server, pairings: int, rows: list[Row], workers: int, clients: int = 20, each: int = 10
) -> None:
    """The load row of issue 22: ``clients`` clients, each its own session, alternating the
    Übersicht and a Zyklus page (each client its own pairings), ``each`` pages per client."""

    def paths(i: int) -> list[str]:
        return [
            "/" if n % 2 == 0 else f"/zyklus/paar-{(i * each + n) % pairings}/2026"
            for n in range(each)
        ]

    load = _run_clients(server, clients, paths)
    p95_goal, rate_goal = LOAD_GOALS
    rate = len(load.latencies) / load.elapsed
    met = not load.errors and load.p95 <= p95_goal and rate >= rate_goal
    goal = f"; goal (2 workers) 0 errors, p95 ≤ {p95_goal:g} s, ≥ {rate_goal:g} pages/s"
    note = load.note(f"--workers {workers}, {clients} clients × {each} pages (/ and /zyklus/…)")
    rows.append(
        Row(
            f"web: load, {clients} clients, Übersicht + Zyklus, {workers} worker"
            + ("s" if workers > 1 else ""),
            pairings,
            load.elapsed,
            note + goal + (f" {'met' if met else 'MISSED'}" if workers == 2 else ""),
        )
    )
