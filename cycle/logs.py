"""Log lines on stderr, German, one per message: ``<prefix>: <message>``."""

from __future__ import annotations

import logging
import sys


def to_stderr(log: logging.Logger, prefix: str) -> None:
    """Send ``log``'s messages (INFO and up) to stderr as ``prefix: message``; idempotent."""
    if not any(getattr(h, "_zyklus", False) for h in log.handlers):
        handler = logging.StreamHandler(sys.stderr)
        handler.setFormatter(logging.Formatter(f"{prefix}: %(message)s"))
        handler._zyklus = True  # type: ignore[attr-defined]
        log.addHandler(handler)
    log.setLevel(logging.INFO)
    log.propagate = False
