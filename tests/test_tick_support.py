"""Helpers shared by the tick, outbox and service tests (no tests of its own).

``use_smtp`` points a workspace's copied ``config.toml`` at a loopback SMTP sink; the JSON helpers
run the CLI in-process and return parsed output.
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

from tests.conftest import Run
from tests.smtp_sink import HOST, Received

PAIRINGS = (
    "bockelsberg",
    "ebensberg",
    "hanseviertel",
    "innenstadt",
    "kaltenmoor",
    "kreideberg",
    "luene-moorfeld",
    "schuetzenplatz",
)
KOORDINIERUNGSSTELLE = "stadtteilarbeit@stadt-lueneburg.example.org"
STABSSTELLENLEITUNG = "stabsstellenleitung05@stadt-lueneburg.example.org"
# The tick on Tuesday 03.03.2026 08:05 in the example config: the first reminder of the
# Auftaktgespräch to each of the 10 contacts of the 8 pairings (one message per person, two
# pairings are tandems) and the weekly overview.
FIRST_REMINDERS = 10
FIRST_TICK = FIRST_REMINDERS + 1


def _replace(text: str, pattern: str, new: str) -> str:
    changed, count = re.subn(pattern, new, text, count=1, flags=re.MULTILINE)
    assert count == 1, f"config.toml: {pattern!r} not found"
    return changed


def use_smtp(workspace: Path, port: int, retry_base_seconds: int = 60) -> Path:
    """Switch the workspace's config to plain SMTP on 127.0.0.1:``port`` without AUTH."""
    path = workspace / "config.toml"
    text = path.read_text(encoding="utf-8")
    text = _replace(text, r'^transport = "maildir"', 'transport = "smtp"')
    retry = f"retry_base_seconds = {retry_base_seconds}"
    text = _replace(text, r"^retry_base_seconds = .*$", retry)
    text = _replace(text, r"^host = .*$", f'host = "{HOST}"')
    text = _replace(text, r"^port = .*$", f"port = {port}")
    text = _replace(text, r'^security = "starttls".*$', 'security = "none"')
    text = _replace(text, r"^username = .*\n", "")
    text = _replace(text, r"^password_env = .*\n", "")
    text = _replace(text, r"^timeout_seconds = .*$", "timeout_seconds = 5")
    path.write_text(text, encoding="utf-8")
    return path


def ok_json(zyklus: Run, *args: str, now: str) -> Any:
    result = zyklus(*args, "--format", "json", now=now)
    assert result.code == 0, result.err
    return json.loads(result.out)


def tick(zyklus: Run, now: str, *extra: str) -> dict[str, int]:
    report: dict[str, int] = ok_json(zyklus, "tick", *extra, now=now)
    return report


def outbox(zyklus: Run, now: str, status: str | None = None) -> list[dict[str, Any]]:
    args = ("outbox", "--status", status) if status else ("outbox",)
    data = ok_json(zyklus, *args, now=now)
    rows: list[dict[str, Any]] = data["notifications" if status == "skipped" else "messages"]
    return rows


def keys(rows: list[dict[str, Any]]) -> list[str]:
    return sorted(k for row in rows for k in row["keys"])


def message_ids(messages: list[Received]) -> list[str]:
    return [str(m.message["Message-ID"]) for m in messages]


def addresses(received: Received, header: str) -> list[str]:
    field = received.message[header]
    return [a.addr_spec for a in field.addresses] if field is not None else []


def body(received: Received) -> str:
    part = received.message.get_body(("plain",))
    assert part is not None
    text: str = part.get_content()
    return text
