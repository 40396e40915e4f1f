"""Evidence files, stored content-addressed by SHA-256 under ``var/evidence``."""

from __future__ import annotations

import hashlib
import shutil
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from sqlmodel import Session

from cycle.errors import UsageError
from cycle.persistence.tables import Evidence


@dataclass(frozen=True)
class StoredFile:
    sha256: str
    filename: str
    size: int
    path: Path


def read_input(path: Path, argument: str) -> bytes:
    try:
        return path.read_bytes()
    except FileNotFoundError:
        raise UsageError(f"{argument}: Datei nicht gefunden: {path}") from None
    except OSError as exc:
        raise UsageError(
            f"{argument}: Datei kann nicht gelesen werden: {path} ({exc.strerror})"
        ) from None


def store(session: Session, var_dir: Path, filename: str, data: bytes, now: datetime) -> StoredFile:
    """Write the file (idempotent) and record it; the row commits with the caller's event."""
    sha = hashlib.sha256(data).hexdigest()
    target = var_dir / "evidence" / sha[:2] / sha
    if not target.exists():
        target.parent.mkdir(parents=True, exist_ok=True)
        partial = target.with_suffix(".partial")
        partial.write_bytes(data)
        shutil.move(partial, target)
    if session.get(Evidence, sha) is None:
        session.add(Evidence(sha256=sha, filename=filename, size=len(data), stored_at=now))
    return StoredFile(sha, filename, len(data), target)
