"""Progress of long work (``simulate``, ``init``, a ``tick`` with many mails), for a listener.

Code below the interfaces never prints: it calls ``report(what, done, total)``, which does
nothing unless an interface listens (``listening``). The CLI listens only when stderr is a
terminal and shows a bar (``cycle/cli/progress.py``); in scripts, CI and the web nothing is
shown. The listener is a context variable: one command, one listener, no global state.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar

Reporter = Callable[[str, int, int], None]  # (what, done, total)

_listener: ContextVar[Reporter | None] = ContextVar("zyklus_progress", default=None)


def report(what: str, done: int, total: int) -> None:
    """``done`` of ``total`` units of ``what`` ("Simulation", "Nachrichten zustellen") are done."""
    listener = _listener.get()
    if listener is not None:
        listener(what, done, total)


def active() -> bool:
    """Somebody listens (worth counting what would otherwise not be counted)."""
    return _listener.get() is not None


@contextmanager
def listening(listener: Reporter) -> Iterator[None]:
    token = _listener.set(listener)
    try:
        yield
    finally:
        _listener.reset(token)
