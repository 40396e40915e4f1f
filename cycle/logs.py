"""The one log setup: lines on stderr (for journald), German text or JSON (SPEC §19).

``to_stderr(log, prefix, fmt)`` gives a logger one stderr handler: ``text`` writes
``<prefix>: <message>``, ``json`` one JSON object per line (python-json-logger) with the time,
level, logger, process id, message and the fields a caller passes in ``extra`` (method, route,
status, ms, user, request id; a pass's counts). Calling it again switches the format; it never
adds a second handler. Callers log counts, ids and route templates only: never a token,
password, secret or mail body.
"""

from __future__ import annotations

import logging
import sys

FORMATS = ("text", "json")


def formatter(prefix: str, fmt: str) -> logging.Formatter:
    if fmt == "json":
        from pythonjsonlogger.json import JsonFormatter

        return JsonFormatter(
            "%(asctime)s %(levelname)s %(name)s %(process)d %(message)s",
            rename_fields={
                "asctime": "zeit",
                "levelname": "stufe",
                "name": "quelle",
                "process": "pid",
            },
            json_ensure_ascii=False,
        )
    return logging.Formatter(f"{prefix}: %(message)s")


def to_stderr(log: logging.Logger, prefix: str, fmt: str = "text") -> None:
    """Send ``log``'s messages (INFO and up) to stderr in ``fmt``; idempotent."""
    handler = next((h for h in log.handlers if getattr(h, "_zyklus", False)), None)
    if handler is None:
        handler = logging.StreamHandler(sys.stderr)
        handler._zyklus = True  # type: ignore[attr-defined]
        log.addHandler(handler)
    handler.setFormatter(formatter(prefix, fmt))
    log.setLevel(logging.INFO)
    log.propagate = False
