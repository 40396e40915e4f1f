"""Evidence files, stored content-addressed by SHA-256 under ``var/evidence``."""

from __future__ import annotations

import hashlib
import os
import shutil
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
        target.parent.mkdir(parents=True, exist_ok=True)
        partial = target.with_suffix(".partial")
        # Evidence may hold personal data: readable by the service's user only (0600).
        fd = os.open(partial, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
        os.chmod(partial, 0o600)  # the umask cannot widen it, an existing partial is narrowed
        shutil.move(partial, target)
    if session.get(Evidence, sha) is None:
        session.add(Evidence(sha256=sha, filename=filename, size=len(data), stored_at=now))
    return StoredFile(sha, filename, len(data), target)
