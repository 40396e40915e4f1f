"""A progress bar on stderr for long commands — only when stderr is a terminal.

``on_terminal()`` listens to ``cycle.progress`` for the duration of one command and draws one
``rich`` bar per kind of work (description, bar, ``done/total``, time left); it disappears when
the command ends. When stderr is no terminal (a script, CI, a pipe) it listens to nothing and
the command stays silent. A new long command needs no change here: it calls
``cycle.progress.report`` where it counts its work.
"""

from __future__ import annotations

import sys
from collections.abc import Iterator
from contextlib import AbstractContextManager, contextmanager, nullcontext
from typing import TextIO

from cycle import progress

QUIET = frozenset({"run", "web"})  # long-lived services log instead


def on_terminal(command: str, stream: TextIO | None = None) -> AbstractContextManager[None]:
    stream = stream or sys.stderr
    if command in QUIET or not stream.isatty():
        return nullcontext()
    return _bar(stream)


@contextmanager
def _bar(stream: TextIO) -> Iterator[None]:
    from rich.console import Console
    from rich.progress import (
        BarColumn,
        MofNCompleteColumn,
        Progress,
        TaskID,
        TextColumn,
        TimeRemainingColumn,
    )

    columns = (
        TextColumn("{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TextColumn("noch"),
        TimeRemainingColumn(),
    )
    with Progress(*columns, console=Console(file=stream), transient=True) as bar:
        tasks: dict[str, TaskID] = {}

        def show(what: str, done: int, total: int) -> None:
            if what not in tasks:
                tasks[what] = bar.add_task(what, total=total)
            bar.update(tasks[what], completed=done, total=total)

        with progress.listening(show):
            yield
