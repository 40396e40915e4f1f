"""The anchor file (SPEC §9): the audit head published outside the database.

One line per tick, ``<UTC time> <count> <hash>``, appended (never rewritten) to
``[audit] anchor_file``. A line repeats only when the head moved. ``zyklus audit verify --anchor``
reads the file back (or takes one hash, e.g. from a weekly overview mail): every anchor must
still be in the chain, so a deleted or re-hashed tail is found even when the head row was
rewritten to match.
"""

from __future__ import annotations

import os
import re
from datetime import UTC, datetime
from pathlib import Path

from cycle.errors import Problem, UsageError
from cycle.persistence.audit import Anchor

_HASH = re.compile(r"^(?:hmac:)?[0-9a-f]{64}$")
_TAIL = 4096  # bytes read from the end of the file to find the last line


def line_for(now: datetime, count: int, digest: str) -> str:
    return f"{now.astimezone(UTC):%Y-%m-%dT%H:%M:%SZ} {count} {digest}\n"


def publish(path: Path, now: datetime, count: int, digest: str) -> bool:
    """Append the head to ``path`` unless its last line already names it; ``True`` if written."""
    if count == 0:
        return False
    path.parent.mkdir(parents=True, exist_ok=True)
    last = _last_line(path)
    if last is not None and last.split()[1:] == [str(count), digest]:
        return False
    fd = os.open(path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o644)
    try:
        os.write(fd, line_for(now, count, digest).encode("ascii"))
        os.fsync(fd)
    finally:
        os.close(fd)
    return True


def _last_line(path: Path) -> str | None:
    try:
        with path.open("rb") as handle:
            handle.seek(0, os.SEEK_END)
            handle.seek(max(0, handle.tell() - _TAIL))
            lines = handle.read().decode("ascii", "replace").splitlines()
    except FileNotFoundError:
        return None
    return lines[-1] if lines and len(lines[-1].split()) == 3 else None


def parse(text: str, source: str) -> list[Anchor]:
    """The anchors of an anchor file; a malformed line is a usage error naming it."""
    anchors = []
    for number, line in enumerate(text.splitlines(), start=1):
        parts = line.split()
        if not parts or parts[0].startswith("#"):
            continue
        if len(parts) != 3 or not parts[1].isdigit() or not _HASH.match(parts[2]):
            raise UsageError(
                Problem(
                    "anchor",
                    "anker_ungueltig",
                    f"{source}, Zeile {number}: erwartet „ZEIT ANZAHL HASH“, gefunden "
                    f"„{line[:80]}“.",
                )
            )
        anchors.append(Anchor(parts[2], int(parts[1]), f"Anker vom {parts[0]}"))
    return anchors


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
