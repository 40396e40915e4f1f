"""Read a local file (named on the command line or in a scenario) into an ``Upload``.

Only regular files are read, up to the upload limit: a directory, a FIFO (which would block),
a device such as ``/dev/zero`` (which never ends) or an oversize file is refused with a German
message naming the argument, before anything is read whole.
"""

from __future__ import annotations

import os
import stat
from pathlib import Path

from cycle.errors import Problem, UsageError
from cycle.service.commands import Upload

DEFAULT_LIMIT_MB = 25


def read_upload(path: Path, field: str, limit_bytes: int) -> Upload:
    """The file's name and bytes; ``UsageError`` on the ``field`` for anything else."""

    def refuse(code: str, message: str) -> UsageError:
        return UsageError(Problem(field, code, message))

    try:
        # O_NONBLOCK: opening a FIFO must not wait for a writer; fstat then tells what it is.
        fd = os.open(path, os.O_RDONLY | getattr(os, "O_NONBLOCK", 0))
    except FileNotFoundError:
        raise refuse("nicht_gefunden", f"Datei nicht gefunden: {path}") from None
    except OSError as exc:
        raise refuse(
            "unlesbar", f"Datei kann nicht gelesen werden: {path} ({exc.strerror})"
        ) from None
    too_big = f"{path} ist größer als {limit_bytes // (1024 * 1024)} MB."
    try:
        info = os.fstat(fd)
        if stat.S_ISDIR(info.st_mode):
            raise refuse("verzeichnis", f"{path} ist ein Verzeichnis, keine Datei.")
        if not stat.S_ISREG(info.st_mode):
            raise refuse("keine_datei", f"{path} ist keine gewöhnliche Datei.")
        if info.st_size > limit_bytes:
            raise refuse("zu_gross", too_big)
    except UsageError:
        os.close(fd)
        raise
    with os.fdopen(fd, "rb") as handle:
        try:
            data = handle.read(limit_bytes + 1)
        except OSError as exc:
            raise refuse(
                "unlesbar", f"Datei kann nicht gelesen werden: {path} ({exc.strerror})"
            ) from None
    if len(data) > limit_bytes:  # it grew while we read it
        raise refuse("zu_gross", too_big)
    return Upload(path.name, data)
