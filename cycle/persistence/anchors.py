"""The anchor file (SPEC §9): the audit head published outside the database.

One line per committed change of the head, ``<UTC time> <count> <hash>``, appended (never
rewritten) to ``[audit] anchor_file`` after every commit that wrote audit entries. Publishing
holds an exclusive ``flock`` on the file while it reads the head, appends one line in a single
``O_APPEND`` write and fsyncs it, so the lines of several processes never interleave and their
counts never go down. Only then does the head row record the line as the last published anchor
(``audit_head.published_*``, sealed with the audit key): ``verify`` fails when the file is
missing, empty or ends before that mark. ``zyklus audit verify --anchor`` also reads another
copy of the file (or takes one hash, e.g. from a weekly overview mail): every anchor must still
be in the chain, so a deleted or re-hashed tail is found even when the head row was rewritten.
"""

from __future__ import annotations

import fcntl
import os
import re
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from sqlalchemy import Engine, or_, select, update
from sqlmodel import Session

from cycle.errors import Problem, UsageError
from cycle.persistence.audit import Anchor, is_keyed, key_of, seal

_HASH = re.compile(r"^(?:hmac:)?[0-9a-f]{64}$")
_TAIL = 4096  # bytes read from the end of the file to find the last line


def line_for(now: datetime, count: int, digest: str) -> str:
    return f"{now.astimezone(UTC):%Y-%m-%dT%H:%M:%SZ} {count} {digest}\n"


def publish_head(engine: Engine, path: Path, now: datetime) -> bool:
    """Append the committed head to ``path`` (unless the file already reaches it) and record it
    as published in the head row; ``True`` if a line was written. Raises ``OSError``."""
    from cycle.persistence.tables import AuditHead

    table = AuditHead.__table__  # type: ignore[attr-defined]
    columns = (table.c.count, table.c.hash, table.c.published_count, table.c.published_seal)
    with Session(engine) as session:
        found = session.execute(select(table.c.count).where(table.c.id == 1)).first()
    if found is None or not found[0]:
        return False  # nothing to publish: never create an empty anchor file
    path.parent.mkdir(parents=True, exist_ok=True)
    with _locked(path) as fd:
        with Session(engine) as session:  # read under the lock: the file's counts only grow
            count, head, published, sealed = session.execute(
                select(*columns).where(table.c.id == 1)
            ).one()
            secret = key_of(session).secret
        last = _last_line(path)
        wrote = last is None or last[0] < count
        if wrote:
            _append(fd, line_for(now, count, head))
            last = (count, head)
        if last != (count, head):
            return wrote  # the file is ahead of this database (a restored backup?): verify says so
        if published == count and is_keyed(sealed or "") == (secret is not None):
            return wrote  # already recorded
        if secret is None and is_keyed(sealed or ""):
            return wrote  # a process without the key never weakens a keyed seal
        values = {
            "published_count": count,
            "published_hash": head,
            "published_seal": seal(count, head, secret),
        }
        with Session(engine) as session, session.begin():
            session.execute(
                update(table)
                .where(table.c.id == 1)
                .where(or_(table.c.published_count.is_(None), table.c.published_count <= count))
                .values(**values)
            )
    return wrote


def publish_or_refuse(engine: Engine, path: Path, now: datetime) -> bool:
    """``publish_head`` after a commit; a file that cannot be written is a configuration problem
    the operator must see (the work itself is committed)."""
    try:
        return publish_head(engine, path, now)
    except OSError as exc:
        raise UsageError(
            Problem(
                None,
                "ankerdatei",
                f"Ankerdatei {path} ist nicht beschreibbar ({type(exc).__name__}); die Änderung "
                "ist gespeichert, der Protokollstand aber nicht veröffentlicht "
                "([audit] anchor_file).",
            )
        ) from None


@contextmanager
def _locked(path: Path) -> Iterator[int]:
    created = not path.exists()
    fd = os.open(path, os.O_RDWR | os.O_APPEND | os.O_CREAT, 0o644)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX)
        if created:  # the new directory entry survives a power cut
            directory = os.open(path.parent, os.O_RDONLY)
            try:
                os.fsync(directory)
            finally:
                os.close(directory)
        yield fd
    finally:
        os.close(fd)  # closing releases the lock


def _append(fd: int, line: str) -> None:
    """One ``write`` per line (``O_APPEND``: atomic against other appenders), then fsync."""
    size = os.fstat(fd).st_size
    if size and os.pread(fd, 1, size - 1) != b"\n":  # a torn last line is ended first
        line = "\n" + line
    os.write(fd, line.encode("ascii"))
    os.fsync(fd)


def _last_line(path: Path) -> tuple[int, str] | None:
    """Count and hash of the file's last well-formed line (``None``: none, or no file)."""
    try:
        with path.open("rb") as handle:
            handle.seek(0, os.SEEK_END)
            handle.seek(max(0, handle.tell() - _TAIL))
            lines = handle.read().decode("ascii", "replace").splitlines()
    except FileNotFoundError:
        return None
    for line in reversed(lines):
        parts = line.split()
        if len(parts) == 3 and parts[1].isdigit() and _HASH.match(parts[2]):
            return int(parts[1]), parts[2]
    return None


def _lines(text: str, source: str) -> tuple[list[Anchor], str | None]:
    """The anchors of an anchor file, and the first malformed line (German) if any."""
    anchors: list[Anchor] = []
    for number, line in enumerate(text.splitlines(), start=1):
        parts = line.split()
        if not parts or parts[0].startswith("#"):
            continue
        if len(parts) != 3 or not parts[1].isdigit() or not _HASH.match(parts[2]):
            return anchors, (
                f"{source}, Zeile {number}: erwartet „ZEIT ANZAHL HASH“, gefunden „{line[:80]}“."
            )
        anchors.append(Anchor(parts[2], int(parts[1]), f"Anker vom {parts[0]}"))
    return anchors, None


def parse(text: str, source: str) -> list[Anchor]:
    """The anchors of an anchor file; a malformed line is a usage error naming it."""
    anchors, problem = _lines(text, source)
    if problem:
        raise UsageError(Problem("anchor", "anker_ungueltig", problem))
    return anchors


@dataclass(frozen=True)
class AnchorFile:
    """The configured anchor file as ``verify`` found it (a problem is tampering, exit 1)."""

    path: Path
    exists: bool
    anchors: tuple[Anchor, ...] = ()
    problem: str | None = None


def read_file(path: Path) -> AnchorFile:
    """The configured anchor file: missing, unreadable, malformed or its anchors."""
    try:
        data = path.read_bytes()
    except FileNotFoundError:
        return AnchorFile(path, False)
    except OSError as exc:
        return AnchorFile(path, True, problem=f"Ankerdatei {path} ist nicht lesbar ({exc}).")
    anchors, problem = _lines(data.decode("utf-8", "replace"), f"Ankerdatei {path}")
    return AnchorFile(path, True, tuple(anchors), problem)


def read(argument: str) -> list[Anchor]:
    """``--anchor HASH_OR_FILE``: a readable anchor file, or one published hash."""
    value = argument.strip()
    if _HASH.match(value):
        return [Anchor(value, None, "aus --anchor")]
    path = Path(value)
    try:
        data = path.read_bytes()
    except (FileNotFoundError, IsADirectoryError, NotADirectoryError):
        raise UsageError(
            Problem(
                "anchor",
                "anker_unbekannt",
                f"--anchor: „{value}“ ist weder eine Ankerdatei noch ein Hash "
                "(64 Hex-Zeichen, mit Schlüssel „hmac:“ davor).",
            )
        ) from None
    except OSError:
        raise UsageError(
            Problem("anchor", "anker_unlesbar", f"--anchor: {value} ist nicht lesbar.")
        ) from None
    return parse(data.decode("utf-8", "replace"), str(path))
