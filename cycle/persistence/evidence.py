"""Evidence files, stored content-addressed by SHA-256 under ``var/evidence``.

A file is written to ``<sha>.<random>.partial`` beside its target and renamed into place when
complete, so a reader never sees half a file. A write that fails (a full or read-only disk)
removes its partial file before the error goes on. A process killed mid-write leaves one
behind; ``sweep_partials`` removes those at start. The writer holds an exclusive ``flock`` on
its partial file, so a sweep by another process (``zyklus web`` beside ``zyklus run``) takes
only files whose writer is gone.
"""

from __future__ import annotations

import contextlib
import fcntl
import hashlib
import os
import secrets
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from sqlmodel import Session

from cycle.persistence.tables import Evidence


@dataclass(frozen=True)
class StoredFile:
    sha256: str
    filename: str
    size: int
    path: Path


def store(session: Session, var_dir: Path, filename: str, data: bytes, now: datetime) -> StoredFile:
    """Write the file (idempotent) and record it; the row commits with the caller's event."""
    sha = hashlib.sha256(data).hexdigest()
    target = var_dir / "evidence" / sha[:2] / sha
    if not target.exists():
        _write(target, data)
    if session.get(Evidence, sha) is None:
        session.add(Evidence(sha256=sha, filename=filename, size=len(data), stored_at=now))
    return StoredFile(sha, filename, len(data), target)


def _write(target: Path, data: bytes) -> None:
    target.parent.mkdir(parents=True, exist_ok=True)
    while True:
        partial = target.with_name(f"{target.name}.{secrets.token_hex(4)}{PARTIAL}")
        # Evidence may hold personal data: readable by the service's user only (0600).
        fd = os.open(partial, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "wb") as handle:
            fcntl.flock(handle, fcntl.LOCK_EX)  # released when closed: after the rename
            if os.fstat(handle.fileno()).st_nlink == 0:
                continue  # a sweep removed it between open and lock: start again
            try:
                handle.write(data)
                handle.flush()
                os.fsync(handle.fileno())
                os.replace(partial, target)
            except BaseException:
                with contextlib.suppress(FileNotFoundError):
                    partial.unlink()
                raise
            return


PARTIAL = ".partial"


def sweep_partials(var_dir: Path) -> list[Path]:
    """Remove partial evidence files no process is writing (left by a crash); returns them."""
    removed = []
    for path in sorted((var_dir / "evidence").glob(f"*/*{PARTIAL}")):
        try:
            fd = os.open(path, os.O_RDONLY)
        except OSError:
            continue
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            os.close(fd)
            continue  # its writer is alive
        try:
            path.unlink(missing_ok=True)
            removed.append(path)
        except OSError:
            continue  # e.g. a read-only file system: the next start tries again
        finally:
            os.close(fd)
    return removed
