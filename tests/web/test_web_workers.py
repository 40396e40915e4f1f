"""``zyklus web --workers 4`` (SPEC §19): four real worker processes share everything through
the database — the login limit holds across them, and a session one worker made is honoured by
the others. Which process answered is read from the JSON request log (``pid``), matched by the
``x-request-id`` of each answer. The global options stand after the subcommand here.
"""

from __future__ import annotations

import contextlib
import json
import os
import subprocess
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx

from tests.web.conftest import PASSWORD, ZYKLUS, Site, csrf, free_port, make_site

NOW = "2026-04-02T08:00"


def configure(site: Site, web: str = "", log: str = 'format = "json"') -> None:
    """Add keys to ``[web]`` and a ``[log]`` table to the site's config."""
    text = site.config.read_text(encoding="utf-8")
    text = text.replace("[web]\n", f"[web]\n{web}\n", 1)
    text = text.replace('\nformat = "text"\n', f"\n{log}\n", 1)
    site.config.write_text(text, encoding="utf-8")


def site_options(site: Site) -> list[str]:
    return ["--config", str(site.config), "--now", site.now]


@dataclass
class Served:
    """What ``serving`` started; ``log`` is its stderr, read once it has stopped."""

    process: subprocess.Popen[bytes]
    log: str = ""


@contextlib.contextmanager
def serving(site: Site, *options: str) -> Iterator[Served]:
    """``zyklus web OPTIONS… --config … --now …`` (the global options after the command)."""
    port = free_port()
    site.url = f"http://127.0.0.1:{port}"
    env = {k: v for k, v in os.environ.items() if not k.startswith("ZYKLUS_")} | site.env
    process = subprocess.Popen(
        [str(ZYKLUS), "web", *options, "--port", str(port), *site_options(site)],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    served = Served(process)
    try:
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            assert process.poll() is None, process.stderr.read().decode()  # type: ignore[union-attr]
            with contextlib.suppress(httpx.TransportError):
                httpx.get(f"{site.url}/healthz", timeout=1).close()
                break
            time.sleep(0.2)
        yield served
    finally:
        process.terminate()
        try:
            process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
        assert process.stderr is not None
        served.log = process.stderr.read().decode()
        process.stderr.close()


def log_lines(served: Served) -> list[dict[str, object]]:
    return [json.loads(line) for line in served.log.splitlines() if line.startswith("{")]


def fresh(site: Site, cookies: httpx.Cookies | None = None) -> httpx.Client:
    """A client on a new connection (so the kernel may hand it to any worker)."""
    return httpx.Client(base_url=site.url, cookies=cookies, follow_redirects=False, timeout=30)


def log_in(site: Site, user: str, password: str) -> tuple[httpx.Response, httpx.Cookies]:
    with fresh(site) as client:
        page = client.get("/anmelden")
        answer = client.post(
            "/anmelden",
            data={"benutzername": user, "passwort": password, "csrftoken": csrf(page.text)},
        )
        return answer, client.cookies


def test_four_workers_share_sessions_and_the_login_limit(tmp_path: Path) -> None:
    site = make_site(tmp_path, NOW)
    configure(site)
    answered: dict[str, str] = {}  # request id -> what it was
    with serving(site, "--workers", "4", "--host", "127.0.0.1") as process:
        # The login limit (5 failures per login) counts across all workers.
        for _ in range(5):
            answer, _ = log_in(site, "stab", "falsches-passwort-123")
            assert answer.status_code == 401 and "Anmeldung fehlgeschlagen" in answer.text
            answered[answer.headers["x-request-id"]] = "failure"
        answer, _ = log_in(site, "stab", PASSWORD)
        assert answer.status_code == 401 and "Anmeldung fehlgeschlagen" in answer.text
        answered[answer.headers["x-request-id"]] = "limited"
        # A session made by one worker is honoured by every other one.
        answer, cookies = log_in(site, "koord", PASSWORD)
        assert answer.status_code == 303
        answered[answer.headers["x-request-id"]] = "login"
        for _ in range(24):
            with fresh(site, cookies) as client:
                page = client.get("/postausgang")
            assert page.status_code == 200 and "<h1>Postausgang</h1>" in page.text
            answered[page.headers["x-request-id"]] = "page"
    lines = log_lines(process)
    pid_of = {line["request_id"]: line["pid"] for line in lines if "request_id" in line}
    pages = {pid_of[rid] for rid, what in answered.items() if what == "page"}
    login_pid = next(pid_of[rid] for rid, what in answered.items() if what == "login")
    failures = {pid_of[rid] for rid, what in answered.items() if what in ("failure", "limited")}
    assert len(pages) >= 2, pages  # the session was honoured by more than one process
    assert pages - {login_pid}, "no page came from a worker other than the one that logged in"
    assert len(failures | pages | {login_pid}) >= 3  # the requests spread over the workers
    assert all(line["route"] != "/postausgang" or line["user"] != "-" for line in lines)
