"""An uploaded master-data file kept on the server between its preview and ``Übernehmen``.

The file is stored once under ``<var>/stammdaten-import/<sha256>.<format>`` (0600, written to a
temporary name and renamed). The preview page carries only that name; ``take`` accepts nothing
but a name of that exact form, reads the file and checks that its content still has that
SHA-256 — a forged or altered name or file yields ``None``, never another file. Stashes older
than ``KEEP`` are removed when the next one is stored (``now`` comes from the app's clock).
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import re
from datetime import datetime, timedelta
from pathlib import Path

FOLDER = "stammdaten-import"
KEEP = timedelta(days=1)
_TOKEN = re.compile(r"^[0-9a-f]{64}\.(xlsx|csv|toml)$")


def stash(var_dir: Path, data: bytes, fmt: str, now: datetime) -> str:
    """Store ``data``; returns its token (``<sha256>.<fmt>``)."""
    folder = var_dir / FOLDER
    folder.mkdir(parents=True, exist_ok=True, mode=0o700)
    _prune(folder, now)
    token = f"{hashlib.sha256(data).hexdigest()}.{fmt}"
    target = folder / token
    if not target.exists():
        partial = folder / f".{token}.{os.getpid()}"
        fd = os.open(partial, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
        partial.replace(target)
    os.utime(target, (now.timestamp(), now.timestamp()))
    return token


def take(var_dir: Path, token: str) -> tuple[bytes, str] | None:
    """The stashed content and its format, or ``None`` for an unknown or altered token."""
    match = _TOKEN.match(token)
    if match is None:
        return None
    try:
        data = (var_dir / FOLDER / token).read_bytes()
    except OSError:
        return None
    if hashlib.sha256(data).hexdigest() != token.split(".", 1)[0]:
        return None
    return data, match[1]


def _prune(folder: Path, now: datetime) -> None:
    oldest = (now - KEEP).timestamp()
    for path in folder.iterdir():
        with contextlib.suppress(OSError):
            if path.stat().st_mtime < oldest:
                path.unlink()
