"""A real ``zyklus web`` on 127.0.0.1 (free port) over a temporary SQLite database.

``Site`` prepares a workspace (the shipped config, a frozen clock, users of every staff role),
starts the installed ``zyklus web`` command as a subprocess and stops it afterwards. ``cli``
runs other ``zyklus`` commands in-process on the same workspace.
"""

from __future__ import annotations

import contextlib
import io
import os
import re
import shutil
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import httpx
import pytest

from cycle.cli.main import main
from tests.conftest import ROOT

SECRET = "test-geheimnis-0123456789abcdef"
PASSWORD = "richtig-langes-passwort"
ROLES = {
    "koord": "koordinierungsstelle",
    "stab": "stabsstellenleitung",
    "ablage": "ablage",
    "lesend": "lesend",
}
ZYKLUS = Path(sys.executable).parent / "zyklus"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


@dataclass
class Site:
    folder: Path
    now: str
    env: dict[str, str] = field(default_factory=dict)
    url: str = ""
    process: subprocess.Popen[bytes] | None = None

    @property
    def config(self) -> Path:
        return self.folder / "config.toml"

    def cli(self, *args: str, now: str | None = None) -> tuple[int, str, str]:
        out, err = io.StringIO(), io.StringIO()
        with pytest.MonkeyPatch.context() as mp:
            for key in ("ZYKLUS_DATABASE_URL", "ZYKLUS_NOW", "ZYKLUS_CONFIG", "FORCE_COLOR"):
                mp.delenv(key, raising=False)
            for key, value in self.env.items():
                mp.setenv(key, value)
            argv = ["--config", str(self.config), "--now", now or self.now, *args]
            with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
                try:
                    code = main(argv)
                except SystemExit as exc:
                    code = int(exc.code or 0)
        return code, out.getvalue(), err.getvalue()

    def ok(self, *args: str, now: str | None = None) -> str:
        code, out, err = self.cli(*args, now=now)
        assert code == 0, (args, out, err)
        return out

    def command(self, *args: str) -> str:
        """The installed ``zyklus`` as its own process (for commands that run an event loop,
        e.g. ``tick`` delivering mail, which cannot run inside Playwright's loop)."""
        env = {k: v for k, v in os.environ.items() if not k.startswith("ZYKLUS_")} | self.env
        done = subprocess.run(
            [str(ZYKLUS), "--config", str(self.config), "--now", self.now, *args],
            env=env,
            capture_output=True,
            text=True,
            timeout=120,
            check=False,
        )
        assert done.returncode == 0, (args, done.stdout, done.stderr)
        return done.stdout

    def start(self) -> None:
        port = free_port()
        self.url = f"http://127.0.0.1:{port}"
        env = {k: v for k, v in os.environ.items() if not k.startswith("ZYKLUS_")} | self.env
        command = [str(ZYKLUS), "--config", str(self.config), "--now", self.now]
        self.process = subprocess.Popen(
            [*command, "web", "--host", "127.0.0.1", "--port", str(port)],
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
        )
        deadline = time.monotonic() + 20
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(
                    self.process.stderr.read().decode() if self.process.stderr else ""
                )
            with contextlib.suppress(httpx.TransportError):
                httpx.get(f"{self.url}/anmelden", timeout=1).close()
                return
            time.sleep(0.1)
        raise RuntimeError("zyklus web did not start")

    def stop(self) -> None:
        if self.process is not None:
            self.process.terminate()
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
            if self.process.stderr:
                self.process.stderr.close()
            self.process = None


def make_site(folder: Path, now: str, config_extra: str = "") -> Site:
    shutil.copy(ROOT / "config.toml", folder / "config.toml")
    shutil.copytree(ROOT / "vorlagen", folder / "vorlagen")
    if config_extra:
        text = (folder / "config.toml").read_text(encoding="utf-8")
        for line in config_extra.strip().splitlines():
            key = line.split("=")[0].strip()
            text = re.sub(rf"(?m)^{key} = .*$", line, text, count=1)
        (folder / "config.toml").write_text(text, encoding="utf-8")
    site = Site(folder, now, {"ZYKLUS_WEB_SECRET": SECRET, "ZYKLUS_USER": "test"})
    site.ok("init")
    for login, role in ROLES.items():
        site.env["ZYKLUS_PASSWORD"] = PASSWORD
        site.ok("user", "add", login, "--role", role, "--name", f"Frau {login.title()}")
    del site.env["ZYKLUS_PASSWORD"]
    return site


@contextlib.contextmanager
def running(site: Site) -> Iterator[Site]:
    site.start()
    try:
        yield site
    finally:
        site.stop()


def csrf(html: str) -> str:
    found = re.search(r'name="csrftoken" value="([^"]+)"', html)
    assert found, html[:500]
    return found.group(1)


def login(url: str, user: str, password: str = PASSWORD) -> httpx.Client:
    """A client logged in as ``user`` (cookies kept, redirects not followed)."""
    client = httpx.Client(base_url=url, follow_redirects=False, timeout=30)
    page = client.get("/anmelden")
    answer = client.post(
        "/anmelden",
        data={"benutzername": user, "passwort": password, "csrftoken": csrf(page.text)},
    )
    assert answer.status_code == 303, answer.text
    return client
